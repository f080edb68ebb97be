"""partial index of the complaints awaiting their first response (the SLA watch)

The SLA watch counts and lists open, unanswered complaints by deadline. This index holds only those rows
(a few thousand of a million), by (due_at, created_at): the watch's counts are an index-only scan and its
most urgent rows the index's first entries. The predicate is written as SQLAlchemy renders the queries'
`is_open IS true` / `IS 1`, so that both planners match it.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(
            "ix_complaints_awaiting_due",
            ["due_at", "created_at"],
            unique=False,
            postgresql_where=sa.text("is_open IS true AND first_response_at IS NULL"),
            sqlite_where=sa.text("is_open IS 1 AND first_response_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index("ix_complaints_awaiting_due")
