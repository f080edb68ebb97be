"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 21:58:01.121233
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "complaint_status_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("complaint_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opd", sa.String(length=32), nullable=True),
        sa.Column("reply_channel", sa.String(length=16), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_status_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_complaint_status_events_event_id")),
    )
    with op.batch_alter_table("complaint_status_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaint_status_events_complaint_id"), ["complaint_id"], unique=False)

    op.create_table(
        "complaints",
        sa.Column("complaint_id", sa.String(length=128), nullable=False),
        sa.Column("created_event_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("created_opd", sa.String(length=32), nullable=True),
        sa.Column("opd", sa.String(length=32), nullable=True),
        sa.Column("kecamatan_code", sa.String(length=8), nullable=True),
        sa.Column("kelurahan_code", sa.String(length=13), nullable=True),
        sa.Column("location_method", sa.String(length=16), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("sla_hours", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_channel", sa.String(length=16), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopened_count", sa.Integer(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("complaint_id", name=op.f("pk_complaints")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index("ix_complaints_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_complaints_kecamatan_created", ["kecamatan_code", "created_at"], unique=False)
        batch_op.create_index("ix_complaints_opd_created", ["opd", "created_at"], unique=False)
        batch_op.create_index("ix_complaints_open_due", ["is_open", "due_at"], unique=False)

    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("entry_id", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
        sa.UniqueConstraint("stream", "entry_id", name="uq_dead_letters_entry"),
    )
    op.create_table(
        "egov_readings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("domain", sa.String(length=16), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("opd", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=8), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_egov_readings")),
        sa.UniqueConstraint("domain", "metric", "opd", "period", name="uq_egov_readings_key"),
    )
    op.create_table(
        "incident_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("incident_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.Column("agency", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_incident_events_event_id")),
    )
    with op.batch_alter_table("incident_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_events_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "incidents",
        sa.Column("incident_id", sa.String(length=128), nullable=False),
        sa.Column("reported_event_id", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("kecamatan_code", sa.String(length=8), nullable=True),
        sa.Column("kelurahan_code", sa.String(length=13), nullable=True),
        sa.Column("location_method", sa.String(length=16), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("call_answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("units_dispatched", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_active", ["is_active", "reported_at"], unique=False)
        batch_op.create_index("ix_incidents_kecamatan_reported", ["kecamatan_code", "reported_at"], unique=False)
        batch_op.create_index("ix_incidents_reported_at", ["reported_at"], unique=False)

    op.create_table(
        "personal_complaint_notes",
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("complaint_id", sa.String(length=128), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_personal_complaint_notes")),
    )
    with op.batch_alter_table("personal_complaint_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_personal_complaint_notes_complaint_id"), ["complaint_id"], unique=False)

    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=256), nullable=False),
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("entry_id", sa.String(length=40), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_processed_events")),
    )
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.create_index("ix_processed_events_processed_at", ["processed_at"], unique=False)

    op.create_table(
        "personal_complaint_reporters",
        sa.Column("complaint_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("nik", sa.String(length=200), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.complaint_id"],
            name=op.f("fk_personal_complaint_reporters_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("complaint_id", name=op.f("pk_personal_complaint_reporters")),
    )
    op.create_table(
        "personal_incident_callers",
        sa.Column("incident_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.incident_id"],
            name=op.f("fk_personal_incident_callers_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_personal_incident_callers")),
    )


def downgrade() -> None:

    op.drop_table("personal_incident_callers")
    op.drop_table("personal_complaint_reporters")
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.drop_index("ix_processed_events_processed_at")

    op.drop_table("processed_events")
    with op.batch_alter_table("personal_complaint_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_personal_complaint_notes_complaint_id"))

    op.drop_table("personal_complaint_notes")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_reported_at")
        batch_op.drop_index("ix_incidents_kecamatan_reported")
        batch_op.drop_index("ix_incidents_active")

    op.drop_table("incidents")
    with op.batch_alter_table("incident_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_events_incident_id"))

    op.drop_table("incident_events")
    op.drop_table("egov_readings")
    op.drop_table("dead_letters")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index("ix_complaints_open_due")
        batch_op.drop_index("ix_complaints_opd_created")
        batch_op.drop_index("ix_complaints_kecamatan_created")
        batch_op.drop_index("ix_complaints_created_at")

    op.drop_table("complaints")
    with op.batch_alter_table("complaint_status_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_status_events_complaint_id"))

    op.drop_table("complaint_status_events")
