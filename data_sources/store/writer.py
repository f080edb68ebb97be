"""Applying a batch of validated events to the SQL store, idempotently, in one transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import events as ev
from dashboard.ppid import calendar_from_settings
from dashboard.sla import SlaPolicy, WorkingCalendar, policy_from_settings
from data_sources.store.batch import (
    Accepted,
    BatchResult,
    KeyedQuery,
    Refused,
    dialect_insert,
    entry_text,
    insert_rows,
    plan_for_current_tables,
)
from data_sources.store.info_writer import store_info_requests
from data_sources.store.lifecycles import store_complaints, store_incidents
from data_sources.store.models import (
    Complaint,
    DeadLetter,
    EgovReading,
    Incident,
    InfoRequest,
    ProcessedEvent,
)

# calendar time, 24 hours unless the event says otherwise: the contract's default
DEFAULT_SLA_POLICY = policy_from_settings(None)
# office hours mon-fri and the shipped holidays: the PPID clocks' default working days
DEFAULT_WORK_CALENDAR = calendar_from_settings(None)


# The field that names what an event is about, by the event's kind (the part of its type before the dot).
_SUBJECT_FIELDS = {"complaint": "complaint_id", "incident": "incident_id", "info_request": "request_id"}


def subject_of(event: ev.Event) -> str:
    d = event.data
    field = _SUBJECT_FIELDS.get(event.type.partition(".")[0])
    if field is not None:
        return getattr(d, field)
    return f"{d.domain}/{d.metric}/{d.opd}/{d.period}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def apply_batch(
    session: Session,
    accepted: list[Accepted],
    refused: list[Refused],
    raw_by_entry: dict[tuple[str, str], bytes | str] | None = None,
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
    plan_for_current_tables(session)

    def refuse(item: Accepted, reason: str) -> None:
        result.refused.append(
            Refused(item.stream, item.entry_id, entry_text(raw_by_entry.get((item.stream, item.entry_id), "")), reason)
        )

    known = (
        {row.event_id: row for row in _PROCESSED_EVENTS(session, {a.event.event_id for a in accepted})}
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
    store_complaints(session, fresh, now, locator, sla or DEFAULT_SLA_POLICY)
    store_incidents(session, fresh, now, locator)
    _store_egov(session, fresh)
    store_info_requests(session, [a.event for a in fresh], now, work_calendar or DEFAULT_WORK_CALENDAR)

    if fresh:
        insert_rows(
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


_PROCESSED_EVENTS = KeyedQuery(
    lambda keys_in: select(
        ProcessedEvent.event_id, ProcessedEvent.fingerprint, ProcessedEvent.stream, ProcessedEvent.entry_id
    ).where(keys_in(ProcessedEvent.event_id))
)
# the creating event of each item, by the type of event that creates it; the item's key is the event's subject
_CREATORS = {
    event_type: KeyedQuery(
        lambda keys_in, column=column, creator=creator: select(column, creator).where(keys_in(column))
    )
    for event_type, column, creator in (
        ("complaint.created", Complaint.complaint_id, Complaint.created_event_id),
        ("incident.reported", Incident.incident_id, Incident.reported_event_id),
        ("info_request.created", InfoRequest.request_id, InfoRequest.created_event_id),
    )
}


def _refuse_recreated(session: Session, fresh: list[Accepted], refuse) -> list[Accepted]:
    """A second complaint.created or incident.reported for the same id under another event_id is refused.

    A row created by this very event_id is not a conflict: another ingestor committed the same event a
    moment ago. The event is kept; inserting it fails on the key, and the one-by-one retry counts a duplicate.
    """
    creations: dict[str, list[tuple[str, Accepted]]] = {event_type: [] for event_type in _CREATORS}
    for a in fresh:
        if a.event.type in creations:
            creations[a.event.type].append((subject_of(a.event), a))
    refused: set[int] = set()
    for event_type, creators_of in _CREATORS.items():
        if not creations[event_type]:
            continue
        attr = _SUBJECT_FIELDS[event_type.partition(".")[0]]
        creator = dict(creators_of(session, {key for key, _ in creations[event_type]}).all())
        claimed: set[str] = set()
        for key, a in creations[event_type]:
            if key in claimed or (key in creator and creator[key] != a.event.event_id):
                refuse(a, f"conflict: {attr} {key!r} was already created by another event; the first is kept")
                refused.add(id(a))
            else:
                claimed.add(key)
    return [a for a in fresh if id(a) not in refused] if refused else fresh


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
