"""Issue 15, item 12: every officer read of personal data is written to an append-only audit log (who, when,
what: the list and its filter, or one complaint), which holds no personal data itself; `app.py audit` shows
it to admins; old entries go after PANTAU_AUDIT_RETENTION_DAYS."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import DBAPIError

from cli import main
from data_sources.store import audit
from data_sources.store.models import AuditEntry
from layouts.briefing import ids
from tests.integration.test_briefing_callbacks import SECRETS, call, client_as, export, seed


@pytest.fixture
def app(settings, engine, redis_client):
    from web.factory import create_app

    seed(engine)
    return create_app(settings, engine=engine, redis_client=redis_client)


def _entries(engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(AuditEntry.__table__).order_by(AuditEntry.id)).mappings()]


def test_every_officer_read_of_personal_data_is_logged_without_personal_data(app, engine):
    officer = client_as(app, engine, "officer")
    status, _ = call(
        officer,
        [f"{ids.complaints}.rowData", f"{ids.complaints_note}.children"],
        [(f"{ids.url}.search", "?period=7d&opd=DINKES")],
    )
    assert status == 200
    status, _ = call(
        officer,
        [f"{ids.history}.children"],
        [(f"{ids.complaints}.selectedRows", [{"complaint_id": "c1"}])],
        state=[(f"{ids.url}.search", "")],
    )
    assert status == 200
    assert export(officer, "complaints", "xlsx", "?period=7d")[0] == 200
    entries = _entries(engine)
    assert [(e["user_name"], e["role"], e["action"]) for e in entries] == [
        ("officer1", "officer", "complaint_list"),
        ("officer1", "officer", "complaint_history"),
        ("officer1", "officer", "export_xlsx"),
    ]
    assert "opd=DINKES" in entries[0]["filter"] and entries[0]["rows"] >= 1
    assert entries[1]["complaint_id"] == "c1" and entries[1]["rows"] == 1
    now = dt.datetime.now(dt.UTC)
    assert all(now - dt.timedelta(minutes=5) < e["at"].replace(tzinfo=e["at"].tzinfo or dt.UTC) <= now for e in entries)
    logged = json.dumps(entries, default=str)
    assert not any(secret in logged for secret in SECRETS)


def test_a_viewer_refused_and_aggregates_leave_no_read_entry(app, engine):
    viewer = client_as(app, engine, "viewer")
    call(viewer, [f"{ids.complaints}.rowData", f"{ids.complaints_note}.children"], [(f"{ids.url}.search", "")])
    export(viewer, "league", "csv", "")
    assert _entries(engine) == []


def test_the_log_is_append_only(engine):
    reader = type("Reader", (), {"name": "officer1", "role": "officer"})()
    audit.record(engine, reader, "complaint_history", complaint_id="c1", rows=1)
    for statement in (update(AuditEntry).values(user_name="someone else"), delete(AuditEntry)):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(statement)
    assert [e["user_name"] for e in _entries(engine)] == ["officer1"]


def test_retention_deletes_only_entries_older_than_it(engine, settings):
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(AuditEntry),
            [
                dict(at=now - dt.timedelta(days=days), user_name="o", role="officer", action="complaint_list")
                for days in (400, 200, 2)
            ],
        )
    assert audit.apply_retention(engine, settings.with_overrides(audit_retention_days=365)) == 1
    assert len(_entries(engine)) == 2


@pytest.fixture
def cli_env(settings, monkeypatch):
    monkeypatch.setenv("PANTAU_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("PANTAU_DATA_DIR", str(settings.data_dir))


def _row(at, user, action, *, complaint_id=None, filter=None, rows=None) -> dict:
    return dict(
        at=at, user_name=user, role="officer", action=action, complaint_id=complaint_id, filter=filter, rows=rows
    )


def test_the_audit_command_filters_by_user_and_time(engine, cli_env, capsys):
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(AuditEntry),
            [
                _row(now - dt.timedelta(days=10), "sekda", "complaint_list", filter="from=2026-11-01&to=2026-11-08"),
                _row(now - dt.timedelta(days=1), "sekda", "complaint_history", complaint_id="c9", rows=1),
                _row(now - dt.timedelta(days=1), "kabag", "export_csv", rows=40),
            ],
        )
    assert main(["audit", "--json", "--user", "sekda"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["action"] for r in rows] == ["complaint_list", "complaint_history"]
    since = (now - dt.timedelta(days=3)).isoformat()
    assert main(["audit", "--json", "--from", since]) == 0
    assert {r["user"] for r in json.loads(capsys.readouterr().out)} == {"sekda", "kabag"}
    assert main(["audit", "--to", (now - dt.timedelta(days=5)).isoformat()]) == 0
    out = capsys.readouterr().out
    assert "sekda" in out and "complaint_list" in out and "kabag" not in out
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "--from", "last week"])
    assert exit_info.value.code == 2
