"""Applying a batch of validated events to the SQL store, idempotently, in one transaction."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dashboard import events as ev
from dashboard.lifecycle import (
    ComplaintState,
    IncidentEventFact,
    StatusEvent,
    advance_complaint,
    complaint_state,
    incident_state,
)
from dashboard.ppid import calendar_from_settings
from dashboard.sla import SlaPolicy, WorkingCalendar, policy_from_settings
from data_sources.geo import locations
from data_sources.store.bulk import insert_rows as _insert_rows
from data_sources.store.bulk import update_by_key as _update_by_key
from data_sources.store.info_writer import store_info_requests
from data_sources.store.models import (
    Complaint,
    ComplaintStatusEvent,
    DeadLetter,
    EgovReading,
    Incident,
    IncidentEvent,
    InfoRequest,
    PersonalComplaintNote,
    PersonalComplaintReporter,
    PersonalIncidentCaller,
    ProcessedEvent,
)

# calendar time, 24 hours unless the event says otherwise: the contract's default
DEFAULT_SLA_POLICY = policy_from_settings(None)
# office hours mon-fri and the shipped holidays: the PPID clocks' default working days
DEFAULT_WORK_CALENDAR = calendar_from_settings(None)


@dataclass(frozen=True)
class Accepted:
    """A stream entry whose event passed validation."""

    stream: str
    entry_id: str
    event: ev.Event
    fingerprint: str


@dataclass(frozen=True)
class Refused:
    """A stream entry that goes to the dead-letter stream."""

    stream: str
    entry_id: str
    raw: str
    reason: str


@dataclass
class BatchResult:
    stored: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    duplicates: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refused: list[Refused] = field(default_factory=list)


def dialect_insert(session: Session, model):
    """An INSERT with the dialect's ON CONFLICT clauses, on the model's table (Core, not the ORM)."""
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(model.__table__)


def subject_of(event: ev.Event) -> str:
    d = event.data
    if event.type.startswith("complaint."):
        return d.complaint_id
    if event.type.startswith("incident."):
        return d.incident_id
    if event.type.startswith("info_request."):
        return d.request_id
    return f"{d.domain}/{d.metric}/{d.opd}/{d.period}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def apply_batch(
    session: Session,
    accepted: list[Accepted],
    refused: list[Refused],
    raw_by_entry: dict[tuple[str, str], str] | None = None,
    locator=None,
    sla: SlaPolicy | None = None,
    work_calendar: WorkingCalendar | None = None,
) -> BatchResult:
    """Store a batch; the caller commits. Returns what was stored, duplicated and refused.

    An event_id seen before with the same body is a producer's retry (or our own redelivery) and is
    counted as a duplicate; with another body it is a conflict: the first is kept, the entry refused.
    """
    result = BatchResult(refused=list(refused))
    raw_by_entry = raw_by_entry or {}

    def refuse(item: Accepted, reason: str) -> None:
        result.refused.append(
            Refused(item.stream, item.entry_id, raw_by_entry.get((item.stream, item.entry_id), ""), reason)
        )

    known = (
        {
            row.event_id: row
            for row in session.execute(
                select(
                    ProcessedEvent.event_id, ProcessedEvent.fingerprint, ProcessedEvent.stream, ProcessedEvent.entry_id
                ).where(ProcessedEvent.event_id.in_({a.event.event_id for a in accepted}))
            )
        }
        if accepted
        else {}
    )
    fresh: list[Accepted] = []
    seen: dict[str, Accepted] = {}
    for item in accepted:
        eid = item.event.event_id
        first = known.get(eid) or seen.get(eid)
        if first is None:
            seen[eid] = item
            fresh.append(item)
        elif first.fingerprint == item.fingerprint:
            result.duplicates[item.stream] += 1
        else:
            refuse(
                item,
                f"conflict: event_id {eid!r} was first seen with a different body "
                f"(stream entry {first.stream}/{first.entry_id}); the first is kept",
            )

    fresh = _refuse_recreated(session, fresh, refuse)
    now = _now()
    _store_complaints(session, fresh, now, locator, sla or DEFAULT_SLA_POLICY)
    _store_incidents(session, fresh, now, locator)
    _store_egov(session, fresh)
    store_info_requests(session, [a.event for a in fresh], now, work_calendar or DEFAULT_WORK_CALENDAR)

    if fresh:
        _insert_rows(
            session,
            ProcessedEvent,
            [
                dict(
                    event_id=a.event.event_id,
                    type=a.event.type,
                    subject=subject_of(a.event),
                    stream=a.stream,
                    entry_id=a.entry_id,
                    fingerprint=a.fingerprint,
                    occurred_at=a.event.occurred_at,
                    processed_at=now,
                )
                for a in fresh
            ],
        )
        for a in fresh:
            result.stored[a.stream] += 1
    if result.refused:
        session.execute(
            dialect_insert(session, DeadLetter).on_conflict_do_nothing(index_elements=["stream", "entry_id"]),
            [
                dict(stream=r.stream, entry_id=r.entry_id, reason=r.reason[:4000], event=r.raw, created_at=now)
                for r in result.refused
            ],
        )
    return result


def _refuse_recreated(session: Session, fresh: list[Accepted], refuse) -> list[Accepted]:
    """A second complaint.created or incident.reported for the same id under another event_id is refused.

    A row created by this very event_id is not a conflict: another ingestor committed the same event a
    moment ago. The event is kept; inserting it fails on the key, and the one-by-one retry counts a duplicate.
    """
    creators = {
        "complaint.created": (Complaint.complaint_id, Complaint.created_event_id, "complaint_id"),
        "incident.reported": (Incident.incident_id, Incident.reported_event_id, "incident_id"),
        "info_request.created": (InfoRequest.request_id, InfoRequest.created_event_id, "request_id"),
    }
    keep: list[Accepted] = []
    for event_type, (column, creator_column, attr) in creators.items():
        ids = {getattr(a.event.data, attr) for a in fresh if a.event.type == event_type}
        creator = dict(session.execute(select(column, creator_column).where(column.in_(ids))).all()) if ids else {}
        claimed: set[str] = set()
        for a in fresh:
            if a.event.type != event_type:
                continue
            key = getattr(a.event.data, attr)
            if key in claimed or (key in creator and creator[key] != a.event.event_id):
                refuse(a, f"conflict: {attr} {key!r} was already created by another event; the first is kept")
            else:
                claimed.add(key)
                keep.append(a)
    refused_ids = {id(a) for a in fresh if a.event.type in creators} - {id(a) for a in keep}
    return [a for a in fresh if id(a) not in refused_ids]


def _personal_values(**values) -> dict | None:
    return values if any(v is not None for v in values.values()) else None


def _store_complaints(session: Session, fresh: list[Accepted], now: dt.datetime, locator, sla: SlaPolicy) -> None:
    created = [a.event for a in fresh if a.event.type == "complaint.created"]
    statuses = [a.event for a in fresh if a.event.type == "complaint.status"]
    if not created and not statuses:
        return
    places = locations.resolve_many(
        [(e.data.kecamatan, e.data.kelurahan, e.data.lat, e.data.lon) for e in created], locator
    )
    rows, personal = [], []
    for e, place in zip(created, places):
        d = e.data
        hours = sla.hours_for(d.category, d.sla_hours)
        rows.append(
            dict(
                complaint_id=d.complaint_id,
                created_event_id=e.event_id,
                channel=d.channel,
                category=d.category,
                created_opd=d.opd,
                opd=d.opd,
                kecamatan_code=place.kecamatan_code,
                kelurahan_code=place.kelurahan_code,
                location_method=place.method,
                lat=d.lat if place.known else None,
                lon=d.lon if place.known else None,
                sla_hours=hours,
                created_at=e.occurred_at,
                due_at=sla.due_at(e.occurred_at, hours),
                status="received",
                status_at=e.occurred_at,
                reopened_count=0,
                is_open=True,
                updated_at=now,
            )
        )
        r = d.reporter
        values = _personal_values(
            name=r.name if r else None,
            phone=r.phone if r else None,
            email=r.email if r else None,
            nik=r.nik if r else None,
            address=r.address if r else None,
            text=d.text,
        )
        if values:
            personal.append(dict(complaint_id=d.complaint_id, **values))
    if rows:
        _insert_rows(session, Complaint, rows)
    if personal:
        _insert_rows(session, PersonalComplaintReporter, personal)
    if statuses:
        _insert_rows(
            session,
            ComplaintStatusEvent,
            [
                dict(
                    event_id=e.event_id,
                    complaint_id=e.data.complaint_id,
                    status=e.data.status,
                    opd=e.data.opd,
                    reply_channel=e.data.reply_channel,
                    occurred_at=e.occurred_at,
                )
                for e in statuses
            ],
        )
        notes = [
            dict(event_id=e.event_id, complaint_id=e.data.complaint_id, note=e.data.note)
            for e in statuses
            if e.data.note
        ]
        if notes:
            _insert_rows(session, PersonalComplaintNote, notes)
    new_events: dict[str, list[StatusEvent]] = defaultdict(list)
    for seq, e in enumerate(statuses):
        d = e.data
        new_events[d.complaint_id].append(StatusEvent(e.occurred_at, seq, d.status, d.opd, d.reply_channel))
    reconcile_complaints(
        session,
        {e.data.complaint_id for e in created} | set(new_events),
        now,
        new_events=new_events,
        created={e.data.complaint_id for e in created},
    )


LIFECYCLE_COLUMNS = (
    "status",
    "status_at",
    "opd",
    "first_response_at",
    "first_response_channel",
    "resolved_at",
    "reopened_count",
    "is_open",
)


def reconcile_complaints(
    session: Session,
    complaint_ids: set[str],
    now: dt.datetime,
    *,
    new_events: dict[str, list[StatusEvent]] | None = None,
    created: set[str] = frozenset(),
) -> None:
    """Bring the lifecycle fields of these complaints up to date with their status events.

    Events that happened after everything a stored complaint holds are folded onto its row (the common case:
    events arrive in order). A complaint created in this batch, one whose events came out of order, or one
    called without its new events is re-derived from its whole stored history. The rows are locked first
    (PostgreSQL), so two ingestors touching one complaint take turns and the second sees the first's events.
    """
    if not complaint_ids:
        return
    new_events = new_events or {}
    complaint = Complaint.__table__
    stored = {
        row.complaint_id: row
        for row in session.execute(
            select(
                complaint.c.complaint_id,
                complaint.c.created_at,
                complaint.c.created_opd,
                *(complaint.c[name] for name in LIFECYCLE_COLUMNS),
            )
            .where(complaint.c.complaint_id.in_(sorted(complaint_ids)))
            .order_by(complaint.c.complaint_id)
            .with_for_update()
        )
    }
    if not stored:
        return  # status events of complaints not created yet wait for their creation
    states: dict[str, ComplaintState] = {}
    rederive = []
    for cid, row in stored.items():
        events = new_events.get(cid)
        if cid in created or not events or min(e.occurred_at for e in events) <= row.status_at:
            rederive.append(cid)
        else:
            states[cid] = advance_complaint(
                ComplaintState(**{name: row._mapping[name] for name in LIFECYCLE_COLUMNS}), events
            )
    if rederive:
        history: dict[str, list[StatusEvent]] = defaultdict(list)
        for row in session.execute(
            select(
                ComplaintStatusEvent.complaint_id,
                ComplaintStatusEvent.id,
                ComplaintStatusEvent.occurred_at,
                ComplaintStatusEvent.status,
                ComplaintStatusEvent.opd,
                ComplaintStatusEvent.reply_channel,
            ).where(ComplaintStatusEvent.complaint_id.in_(rederive))
        ):
            history[row.complaint_id].append(
                StatusEvent(row.occurred_at, row.id, row.status, row.opd, row.reply_channel)
            )
        for cid in rederive:
            states[cid] = complaint_state(stored[cid].created_at, stored[cid].created_opd, history[cid])
    updates = [
        dict(complaint_id=cid, **{name: getattr(state, name) for name in LIFECYCLE_COLUMNS}, updated_at=now)
        for cid, state in states.items()
        if any(getattr(state, name) != stored[cid]._mapping[name] for name in LIFECYCLE_COLUMNS)
    ]
    _update_by_key(session, complaint, "complaint_id", updates)


def _store_incidents(session: Session, fresh: list[Accepted], now: dt.datetime, locator) -> None:
    reported = [a.event for a in fresh if a.event.type == "incident.reported"]
    lifecycle = [
        a.event for a in fresh if a.event.type in ("incident.dispatched", "incident.arrived", "incident.closed")
    ]
    if not reported and not lifecycle:
        return
    places = locations.resolve_many(
        [(e.data.kecamatan, e.data.kelurahan, e.data.lat, e.data.lon) for e in reported], locator
    )
    rows, personal = [], []
    for e, place in zip(reported, places):
        d = e.data
        rows.append(
            dict(
                incident_id=d.incident_id,
                reported_event_id=e.event_id,
                category=d.category,
                priority=d.priority,
                kecamatan_code=place.kecamatan_code,
                kelurahan_code=place.kelurahan_code,
                location_method=place.method,
                lat=d.lat if place.known else None,
                lon=d.lon if place.known else None,
                reported_at=e.occurred_at,
                call_answered_at=d.call_answered_at.astimezone(dt.UTC) if d.call_answered_at else None,
                status="reported",
                units_dispatched=0,
                is_active=True,
                updated_at=now,
            )
        )
        values = _personal_values(
            name=d.caller.name if d.caller else None,
            phone=d.caller.phone if d.caller else None,
            description=d.description,
        )
        if values:
            personal.append(dict(incident_id=d.incident_id, **values))
    if rows:
        _insert_rows(session, Incident, rows)
    if personal:
        _insert_rows(session, PersonalIncidentCaller, personal)
    if lifecycle:
        _insert_rows(
            session,
            IncidentEvent,
            [
                dict(
                    event_id=e.event_id,
                    incident_id=e.data.incident_id,
                    kind=e.type.split(".", 1)[1],
                    unit=getattr(e.data, "unit", None),
                    agency=getattr(e.data, "agency", None),
                    outcome=getattr(e.data, "outcome", None),
                    occurred_at=e.occurred_at,
                )
                for e in lifecycle
            ],
        )
    reconcile_incidents(session, {e.data.incident_id for e in reported} | {e.data.incident_id for e in lifecycle}, now)


def reconcile_incidents(session: Session, incident_ids: set[str], now: dt.datetime) -> None:
    """Re-derive dispatch, arrival and closing of these incidents from all their stored events."""
    if not incident_ids:
        return
    # Locked in one order (PostgreSQL), so two ingestors touching one incident take turns without deadlock.
    present = list(
        session.scalars(
            select(Incident.incident_id)
            .where(Incident.incident_id.in_(sorted(incident_ids)))
            .order_by(Incident.incident_id)
            .with_for_update()
        )
    )
    if not present:
        return  # lifecycle events of incidents not reported yet wait for the report
    history: dict[str, list[IncidentEventFact]] = defaultdict(list)
    for row in session.execute(
        select(
            IncidentEvent.incident_id,
            IncidentEvent.id,
            IncidentEvent.occurred_at,
            IncidentEvent.kind,
            IncidentEvent.unit,
            IncidentEvent.outcome,
        ).where(IncidentEvent.incident_id.in_(present))
    ):
        history[row.incident_id].append(IncidentEventFact(row.occurred_at, row.id, row.kind, row.unit, row.outcome))
    updates = []
    for iid in present:
        state = incident_state(history[iid])
        updates.append(
            dict(
                incident_id=iid,
                status=state.status,
                first_dispatched_at=state.first_dispatched_at,
                first_arrived_at=state.first_arrived_at,
                closed_at=state.closed_at,
                outcome=state.outcome,
                units_dispatched=state.units_dispatched,
                is_active=state.is_active,
                updated_at=now,
            )
        )
    _update_by_key(session, Incident.__table__, "incident_id", updates)


def _store_egov(session: Session, fresh: list[Accepted]) -> None:
    latest: dict[tuple, ev.EgovKpiReading] = {}
    for a in fresh:
        if a.event.type != "egov.kpi":
            continue
        d = a.event.data
        key = (d.domain, d.metric, d.opd, d.period)
        # Within a batch as in the table: the reading that occurred later wins; a tie goes to the later entry.
        if key not in latest or a.event.occurred_at >= latest[key].occurred_at:
            latest[key] = a.event
    if not latest:
        return
    stmt = dialect_insert(session, EgovReading)
    stmt = stmt.on_conflict_do_update(
        index_elements=["domain", "metric", "opd", "period"],
        set_=dict(
            value=stmt.excluded.value,
            target=stmt.excluded.target,
            unit=stmt.excluded.unit,
            occurred_at=stmt.excluded.occurred_at,
            event_id=stmt.excluded.event_id,
        ),
        where=stmt.excluded.occurred_at >= EgovReading.__table__.c.occurred_at,
    )
    for e in latest.values():
        d = e.data
        session.execute(
            stmt,
            dict(
                domain=d.domain,
                metric=d.metric,
                opd=d.opd,
                period=d.period,
                value=d.value,
                target=d.target,
                unit=d.unit,
                occurred_at=e.occurred_at,
                event_id=e.event_id,
            ),
        )
