"""index of complaints by deadline with their first response: the deadline cohort without the table

The briefing's "answered by the deadline" counts the complaints whose deadline fell in the period and those
of them answered by it. Over a year that is about a million rows read from the table by due_at (a bitmap
heap scan, about a second at 10,000,000 complaints); with the first response beside the deadline in the
index, PostgreSQL counts them from the index alone (an index-only scan) and so does SQLite (a covering
index). A composite index rather than INCLUDE: SQLite has no INCLUDE, and one definition serves both.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index("ix_complaints_due_response", ["due_at", "first_response_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index("ix_complaints_due_response")
