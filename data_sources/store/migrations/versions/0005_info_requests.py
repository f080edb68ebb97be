"""public-information requests to the PPID of each OPD: requests, status events, requester and notes apart

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "info_request_status_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("exemption", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_info_request_status_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_info_request_status_events_event_id")),
    )
    with op.batch_alter_table("info_request_status_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_info_request_status_events_request_id"), ["request_id"], unique=False)

    op.create_table(
        "info_requests",
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("created_event_id", sa.String(length=128), nullable=False),
        sa.Column("opd", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("information_kind", sa.String(length=64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("original_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("extended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("extended_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.String(length=20), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("exemption", sa.String(length=64), nullable=True),
        sa.Column("answer_working_days", sa.Integer(), nullable=True),
        sa.Column("objection_filed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("objection_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("objection_answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispute_filed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_info_requests")),
    )
    with op.batch_alter_table("info_requests", schema=None) as batch_op:
        batch_op.create_index("ix_info_requests_opd_received", ["opd", "received_at"], unique=False)
        batch_op.create_index("ix_info_requests_open_due", ["is_open", "due_at"], unique=False)
        batch_op.create_index("ix_info_requests_received_at", ["received_at"], unique=False)

    op.create_table(
        "personal_info_request_notes",
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_personal_info_request_notes")),
    )
    with op.batch_alter_table("personal_info_request_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_personal_info_request_notes_request_id"), ["request_id"], unique=False)

    op.create_table(
        "personal_info_requesters",
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("nik", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=200), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["info_requests.request_id"],
            name=op.f("fk_personal_info_requesters_request_id_info_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_personal_info_requesters")),
    )


def downgrade() -> None:

    op.drop_table("personal_info_requesters")
    with op.batch_alter_table("personal_info_request_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_personal_info_request_notes_request_id"))

    op.drop_table("personal_info_request_notes")
    with op.batch_alter_table("info_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_info_requests_received_at")
        batch_op.drop_index("ix_info_requests_open_due")
        batch_op.drop_index("ix_info_requests_opd_received")

    op.drop_table("info_requests")
    with op.batch_alter_table("info_request_status_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_info_request_status_events_request_id"))

    op.drop_table("info_request_status_events")
