"""audit log of officers' reads of personal data, append-only (issue 15)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_REFUSAL = "audit_log is append-only"

_SQLITE = [
    f"""CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END""",
    # `at` is stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC, which compares as text with datetime('now')
    f"""CREATE TRIGGER audit_log_no_recent_delete BEFORE DELETE ON audit_log
    WHEN OLD.at > datetime('now', '-1 day')
    BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END""",
]
_POSTGRESQL = [
    f"""CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' OR OLD.at > now() - interval '1 day' THEN
        RAISE EXCEPTION '{_REFUSAL}';
      END IF;
      RETURN OLD;
    END $$""",
    """CREATE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard()""",
]


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("complaint_id", sa.String(length=128), nullable=True),
        sa.Column("filter", sa.Text(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_index(op.f("ix_audit_log_user_name"), "audit_log", ["user_name"], unique=False)
    for statement in _POSTGRESQL if op.get_bind().dialect.name == "postgresql" else _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_guard ON audit_log")
        op.execute("DROP FUNCTION audit_log_guard()")
    op.drop_index(op.f("ix_audit_log_user_name"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
