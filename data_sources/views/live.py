"""The live page's data: its figures from the KPI engine, and the newest events, computed in the database.

Only public tables are read (complaints, incidents, processed_events); the newest-events list carries
codes and times, never a reporter, caller or free text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection, Engine

from dashboard.filters import KpiFilter
from data_sources.kpi import complaints as kpi_complaints
from data_sources.kpi import incidents as kpi_incidents
from data_sources.store.models import Complaint, Incident, ProcessedEvent

NEWEST_EVENTS = 12
# Producers' clocks run a little ahead at times; an event further in the future than this is a bad
# clock, and must not pin "latest event" to a time that has not come yet.
CLOCK_SKEW_ALLOWANCE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class FeedEvent:
    event_id: str
    type: str
    subject: str
    category: str | None  # complaint or incident category, or the e-gov domain
    kecamatan_code: str | None
    occurred_at: dt.datetime
    processed_at: dt.datetime


@dataclass(frozen=True)
class LiveSnapshot:
    computed_at: dt.datetime
    open_complaints: int  # figure complaints_open (dashboard.figures)
    overdue_complaints: int  # figure overdue_unanswered: awaiting the first response, past the deadline
    # the next unanswered complaint to cross its deadline: the overdue count is stale from then on
    next_due_at: dt.datetime | None
    active_incidents: int
    active_incidents_by_category: dict[str, int] = field(default_factory=dict)
    newest_events: tuple[FeedEvent, ...] = ()
    last_event_at: dt.datetime | None = None
    awaiting_complaints: int = 0  # figure awaiting_first_response: open, without a first response

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (times as ISO 8601), to share one computation between workers."""
        return _iso_times(asdict(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LiveSnapshot:
        events = tuple(FeedEvent(**_parse_times(e, "occurred_at", "processed_at")) for e in data["newest_events"])
        fields = _parse_times(data, "computed_at", "next_due_at", "last_event_at")
        return cls(**{**fields, "newest_events": events})


def _iso_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _iso_times(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_iso_times(v) for v in value]
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _parse_times(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: (dt.datetime.fromisoformat(v) if k in keys and v is not None else v) for k, v in data.items()}


def _as_utc(value: dt.datetime | str | None) -> dt.datetime | None:
    """Aggregates (max, min) bypass the column type: SQLite hands back text, PostgreSQL an aware datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def live_snapshot(engine: Engine, now: dt.datetime, newest: int = NEWEST_EVENTS) -> LiveSnapshot:
    """The live page's figures from the KPI engine (the wall's and the briefing's functions, see
    dashboard.figures), beside the feed of the newest events."""
    everything = KpiFilter()
    with engine.connect() as c:
        open_now = kpi_complaints.open_now(c, everything, now)
        # open and breached do not depend on the SLA mode (only the at-risk and critical split does): the
        # calendar mode counts them in SQL
        watch = kpi_complaints.open_sla_states(c, everything, now, limit=0)
        active = kpi_incidents.active_counts(c, everything, now)
        last_event_at = c.scalar(
            select(func.max(ProcessedEvent.occurred_at)).where(ProcessedEvent.occurred_at <= now + CLOCK_SKEW_ALLOWANCE)
        )
        events = tuple(_newest_events(c, newest))
    return LiveSnapshot(
        computed_at=now,
        open_complaints=open_now["open"],
        overdue_complaints=watch["counts"]["breached"],
        next_due_at=open_now["next_due_at"],
        active_incidents=active["active"],
        active_incidents_by_category=active["by_category"],
        newest_events=events,
        last_event_at=_as_utc(last_event_at),
        awaiting_complaints=watch["open"],
    )


def _newest_events(c: Connection, limit: int) -> list[FeedEvent]:
    pe = ProcessedEvent
    about_complaint = and_(pe.type.like("complaint.%"), Complaint.complaint_id == pe.subject)
    about_incident = and_(pe.type.like("incident.%"), Incident.incident_id == pe.subject)
    rows = c.execute(
        select(
            pe.event_id,
            pe.type,
            pe.subject,
            pe.occurred_at,
            pe.processed_at,
            func.coalesce(Complaint.category, Incident.category).label("category"),
            func.coalesce(Complaint.kecamatan_code, Incident.kecamatan_code).label("kecamatan_code"),
        )
        .select_from(pe)
        .outerjoin(Complaint, about_complaint)
        .outerjoin(Incident, about_incident)
        .order_by(pe.processed_at.desc(), pe.occurred_at.desc(), pe.event_id.desc())
        .limit(limit)
    ).all()
    return [
        FeedEvent(
            event_id=r.event_id,
            type=r.type,
            subject=r.subject,
            # e-gov subjects are "domain/metric/opd/period": the domain is their category
            category=r.category if not r.type.startswith("egov.") else r.subject.split("/", 1)[0],
            kecamatan_code=r.kecamatan_code,
            occurred_at=r.occurred_at,
            processed_at=r.processed_at,
        )
        for r in rows
    ]
