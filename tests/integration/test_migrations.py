"""The Alembic migrations build exactly the schema of the models, on PostgreSQL and on SQLite."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from data_sources.store.database import schema_is_current, upgrade
from data_sources.store.models import PRIVATE_TABLES, Base


def test_migrations_match_the_models(engine):
    assert schema_is_current(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(engine):
    upgrade(engine)
    upgrade(engine)
    assert schema_is_current(engine)


def test_personal_data_tables_are_apart():
    assert {
        "personal_complaint_reporters",
        "personal_complaint_notes",
        "users",
        "personal_incident_callers",
        "personal_info_requesters",
        "personal_info_request_notes",
        "dead_letters",
        "producers",
        "user_sessions",
        "audit_log",
        "alerts",
        "alert_deliveries",
        "alert_silences",
        "alert_log",
    } == PRIVATE_TABLES
