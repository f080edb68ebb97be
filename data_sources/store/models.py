"""The SQL store. Public facts and personal data live in separate tables.

Tables whose name starts with `personal_` hold reporter and caller identities and free text. Nothing that
serves public figures may select from them; tests/test_privacy.py checks every public query for it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on the way in and out, on PostgreSQL (timestamptz) and SQLite (text) alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# --- complaints -------------------------------------------------------------------------------


class Complaint(Base):
    """One complaint's public facts; lifecycle fields are derived from its status events."""

    __tablename__ = "complaints"
    complaint_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    created_event_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(64))
    # The department named at creation; `opd` is the current one after any disposition.
    created_opd: Mapped[str | None] = mapped_column(String(32))
    opd: Mapped[str | None] = mapped_column(String(32))
    kecamatan_code: Mapped[str | None] = mapped_column(String(8))
    kelurahan_code: Mapped[str | None] = mapped_column(String(13))
    location_method: Mapped[str] = mapped_column(String(16))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    sla_hours: Mapped[float] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="received")
    status_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    first_response_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_response_channel: Mapped[str | None] = mapped_column(String(16))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_complaints_created_at", "created_at"),
        Index("ix_complaints_open_due", "is_open", "due_at"),
        Index("ix_complaints_kecamatan_created", "kecamatan_code", "created_at"),
        Index("ix_complaints_opd_created", "opd", "created_at"),
        Index("ix_complaints_category_created", "category", "created_at"),
        Index("ix_complaints_channel_created", "channel", "created_at"),
        # the SLA watch: open complaints still waiting for their first answer, by deadline (index-only scan)
        Index(
            "ix_complaints_awaiting_due",
            "due_at",
            "created_at",
            postgresql_where=text("is_open IS true AND first_response_at IS NULL"),
            sqlite_where=text("is_open IS 1 AND first_response_at IS NULL"),
        ),
    )


class ComplaintStatusEvent(Base):
    """Every status event, kept even when it arrives before its complaint (reconciled later)."""

    __tablename__ = "complaint_status_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    complaint_id: Mapped[str] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(16))
    opd: Mapped[str | None] = mapped_column(String(32))
    reply_channel: Mapped[str | None] = mapped_column(String(16))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class PersonalComplaintReporter(Base):
    """Personal data of a complaint: only officers see it, never a public response."""

    __tablename__ = "personal_complaint_reporters"
    complaint_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("complaints.complaint_id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    nik: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)


class PersonalComplaintNote(Base):
    __tablename__ = "personal_complaint_notes"
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    complaint_id: Mapped[str] = mapped_column(String(128), index=True)
    note: Mapped[str] = mapped_column(Text)


# --- 112 incidents ----------------------------------------------------------------------------


class Incident(Base):
    """One 112 incident; lifecycle times are derived from its events, whatever order they came in."""

    __tablename__ = "incidents"
    incident_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    reported_event_id: Mapped[str] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(Integer)
    kecamatan_code: Mapped[str | None] = mapped_column(String(8))
    kelurahan_code: Mapped[str | None] = mapped_column(String(13))
    location_method: Mapped[str] = mapped_column(String(16))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    call_answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_dispatched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_arrived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="reported")
    units_dispatched: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_incidents_reported_at", "reported_at"),
        Index("ix_incidents_active", "is_active", "reported_at"),
        Index("ix_incidents_kecamatan_reported", "kecamatan_code", "reported_at"),
        Index("ix_incidents_category_reported", "category", "reported_at"),
    )


class IncidentEvent(Base):
    """Dispatch, arrival and closing events, kept even when they arrive before the report."""

    __tablename__ = "incident_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    incident_id: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # dispatched, arrived, closed
    unit: Mapped[str | None] = mapped_column(String(64))
    agency: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str | None] = mapped_column(String(16))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class PersonalIncidentCaller(Base):
    __tablename__ = "personal_incident_callers"
    incident_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("incidents.incident_id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)


# --- e-government -----------------------------------------------------------------------------


class EgovReading(Base):
    """The latest reading per (domain, metric, opd, period); a later occurred_at replaces it."""

    __tablename__ = "egov_readings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    domain: Mapped[str] = mapped_column(String(16))
    metric: Mapped[str] = mapped_column(String(64))
    opd: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(10))
    value: Mapped[float] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(8))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    event_id: Mapped[str] = mapped_column(String(128))
    __table_args__ = (UniqueConstraint("domain", "metric", "opd", "period", name="uq_egov_readings_key"),)


# --- public-information requests (PPID) ------------------------------------------------------


class InfoRequest(Base):
    """One request to an OPD's PPID; its clocks and outcome are derived from its status events.

    `due_at` holds every stored event; a figure at an earlier `now` takes `extended_due_at` only when
    `extended_at <= now` (dashboard/ppid.py).
    """

    __tablename__ = "info_requests"
    request_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    created_event_id: Mapped[str] = mapped_column(String(128))
    opd: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    information_kind: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    original_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    extended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    extended_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(String(20))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    exemption: Mapped[str | None] = mapped_column(String(64))
    answer_working_days: Mapped[int | None] = mapped_column(Integer)
    objection_filed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    objection_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    objection_answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    dispute_filed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="received")
    status_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_info_requests_received_at", "received_at"),
        Index("ix_info_requests_opd_received", "opd", "received_at"),
        Index("ix_info_requests_open_due", "is_open", "due_at"),
    )


class InfoRequestStatusEvent(Base):
    """Every status event of a request, kept even when it arrives before the request (reconciled later)."""

    __tablename__ = "info_request_status_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    request_id: Mapped[str] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(20))
    exemption: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class PersonalInfoRequester(Base):
    """Who asked and what they asked for: officers only, never a public response."""

    __tablename__ = "personal_info_requesters"
    request_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("info_requests.request_id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str | None] = mapped_column(String(200))
    nik: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    organisation: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str | None] = mapped_column(Text)


class PersonalInfoRequestNote(Base):
    """An extension's reason and a status note: free text, so private."""

    __tablename__ = "personal_info_request_notes"
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(128), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)


# --- ingestion bookkeeping --------------------------------------------------------------------


class ProcessedEvent(Base):
    """Every accepted event_id with a fingerprint of its body: the store's exactly-once guard."""

    __tablename__ = "processed_events"
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    # complaint_id, incident_id or "domain/metric/opd/period": what the event is about
    subject: Mapped[str] = mapped_column(String(256))
    stream: Mapped[str] = mapped_column(String(32))
    entry_id: Mapped[str] = mapped_column(String(40))
    fingerprint: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    processed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_processed_events_processed_at", "processed_at"),)


class DeadLetter(Base):
    """One row per refused stream entry (unique), mirrored once on the dead-letter stream.

    `event` is the original entry and may hold personal data, so this table is private too.
    """

    __tablename__ = "dead_letters"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stream: Mapped[str] = mapped_column(String(32))
    entry_id: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    event: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    __table_args__ = (UniqueConstraint("stream", "entry_id", name="uq_dead_letters_entry"),)


# --- users of the dashboard -------------------------------------------------------------------


class UserAccount(Base):
    """A person who may log in (data_sources/store/users.py manages them, callbacks/access.py checks them).

    A session carries the row's id and `session_generation`; set-password, a role change and remove bump or
    delete it, which ends every session of that user on the next request. Ids are never reused (AUTOINCREMENT
    on SQLite, a sequence on PostgreSQL), so a user removed and added again under the same name does not get
    the old sessions back.
    """

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    session_generation: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        CheckConstraint("role IN ('viewer', 'officer', 'admin')", name="role"),
        {"sqlite_autoincrement": True},
    )


# --- producers of the event API -----------------------------------------------------------------


class Producer(Base):
    """A system that publishes through POST /api/v1/events (data_sources/store/producers.py manages them).

    Only the SHA-256 of its API key is kept (`key_digest`), and the key's first characters (`key_hint`) so an
    operator can tell which key a system holds. `types` is the comma-separated list of event-type patterns
    it may publish, `source` the one source its events carry. A revoked producer keeps its row (its name
    stays taken, and `list` shows when it was revoked); its key no longer opens anything.
    """

    __tablename__ = "producers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    key_hint: Mapped[str] = mapped_column(String(16))
    types: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(64))
    open311: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    key_created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class UserSession(Base):
    """A logged-in session, kept on the server so that logout ends it for good (data_sources/store/sessions.py).

    The cookie holds a random session id; this table only its SHA-256, so a copy of the table (a backup) opens
    no session. Logout deletes the row; a session idle longer than PANTAU_SESSION_HOURS is refused whatever
    its cookie says; removing the user removes its sessions.
    """

    __tablename__ = "user_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """One officer read of personal data (data_sources/store/audit.py): who, when, and what, i.e. the complaint
    list with its filter, one complaint's history, or an export. It holds no personal data of the citizens
    read: codes, dates and counts only. Append-only: the migration adds triggers that refuse any UPDATE, and
    any DELETE of an entry younger than a day (retention deletes only the old ones)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    user_name: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    complaint_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    filter: Mapped[str | None] = mapped_column(Text, nullable=True)
    rows: Mapped[int | None] = mapped_column(Integer, nullable=True)
    __table_args__ = ({"sqlite_autoincrement": True},)


# data_sources/store/alert_models.py (imported with the package, so its tables are in Base.metadata)
ALERT_TABLES = ("alerts", "alert_deliveries", "alert_silences", "alert_log")
PERSONAL_TABLES = frozenset(t for t in Base.metadata.tables if t.startswith("personal_"))
# Tables no public figure may read from (users and sessions: accounts; producers: key digests; audit_log:
# who read what; alerts: officers' names and silence reasons).
PRIVATE_TABLES = PERSONAL_TABLES | {"dead_letters", "users", "user_sessions", "producers", "audit_log", *ALERT_TABLES}
