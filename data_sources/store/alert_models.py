"""The alerts' tables: every alert, every message to deliver and each attempt, acknowledgements and silences.

`alert_log` is the history the briefing shows and exports: one row per thing that happened (an alert fired,
repeated, resolved or was superseded by the next stage; a delivery attempt, sent or failed; an
acknowledgement; a silence set or ended). Silence reasons and the officers' names are not for the public,
so these tables are private (models.PRIVATE_TABLES).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from data_sources.store.models import Base, UTCDateTime


class AlertRecord(Base):
    """One alert: a (rule, subject) at one stage, from when it fired to when it resolved or was superseded."""

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(128))
    stage: Mapped[str] = mapped_column(String(16))
    group_key: Mapped[str] = mapped_column(String(64))
    step: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # firing, resolved, superseded
    facts: Mapped[str] = mapped_column(Text)  # JSON of public facts only
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (
        Index("ix_alerts_status_rule", "status", "rule"),
        Index("ix_alerts_started_at", "started_at"),
        {"sqlite_autoincrement": True},
    )


class AlertDelivery(Base):
    """One message to one target (an e-mail address or a webhook), kept until it is sent: an outbox.

    A target's messages go out in id order; while the oldest fails, the later ones wait behind it, retried
    with backoff, and the briefing shows them as failing. Nothing is dropped.
    """

    __tablename__ = "alert_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))  # firing, repeat, resolved, test
    target: Mapped[str] = mapped_column(String(320))  # an e-mail address, or webhook:NAME
    alert_ids: Mapped[str] = mapped_column(Text)  # JSON list
    message: Mapped[str] = mapped_column(Text)  # JSON: subject, body, and the webhook payload's parts
    status: Mapped[str] = mapped_column(String(16))  # pending, sending (claimed), sent, uncertain (sender died)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (
        Index("ix_alert_deliveries_status_target", "status", "target", "id"),
        {"sqlite_autoincrement": True},
    )


class AlertSilence(Base):
    """What is not sent until `until`: a rule, a group (an OPD), one subject, or any combination."""

    __tablename__ = "alert_silences"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule: Mapped[str | None] = mapped_column(String(32))
    group_key: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(128))
    until: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    __table_args__ = ({"sqlite_autoincrement": True},)


class AlertLogEntry(Base):
    __tablename__ = "alert_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    event: Mapped[str] = mapped_column(String(24))
    alert_id: Mapped[int | None] = mapped_column(Integer)
    delivery_id: Mapped[int | None] = mapped_column(Integer)
    rule: Mapped[str | None] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(128))
    stage: Mapped[str | None] = mapped_column(String(16))
    group_key: Mapped[str | None] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(320))
    actor: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(String(500))
    __table_args__ = (Index("ix_alert_log_at", "at"), {"sqlite_autoincrement": True})
