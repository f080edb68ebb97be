"""durations as generated columns: complaints' first response and resolution, incidents' five 112 times

Revision ID: 0010
Revises: 0009

PostgreSQL rewrites each table once to store them (about a minute per 10,000,000 rows here); SQLite adds
them as VIRTUAL columns, computed on read, without touching the rows.
"""

import sqlalchemy as sa
from alembic import op

from data_sources.store.durations import duration_seconds

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# this revision's columns, as they were when it was written (the models may change later; a migration not)
DURATIONS = {
    "complaints": {
        "first_response_s": ("first_response_at", "created_at"),
        "resolution_s": ("resolved_at", "created_at"),
    },
    "incidents": {
        "response_s": ("first_arrived_at", "reported_at"),
        "answer_s": ("call_answered_at", "reported_at"),
        "dispatch_s": ("first_dispatched_at", "reported_at"),
        "travel_s": ("first_arrived_at", "first_dispatched_at"),
        "on_scene_s": ("closed_at", "first_arrived_at"),
    },
}


def upgrade() -> None:
    for table, columns in DURATIONS.items():
        with op.batch_alter_table(table, recreate="never") as batch:
            for name, (later, earlier) in columns.items():
                batch.add_column(sa.Column(name, sa.Float(), duration_seconds(later, earlier), nullable=True))


def downgrade() -> None:
    for table, columns in DURATIONS.items():
        with op.batch_alter_table(table) as batch:
            for name in columns:
                batch.drop_column(name)
