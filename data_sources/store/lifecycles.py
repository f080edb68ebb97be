"""Complaints and 112 incidents in the store: their creation events, their lifecycle events, and the
current state derived again from all of an item's events whenever any of them arrives."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.lifecycle import (
    ComplaintState,
    IncidentEventFact,
    StatusEvent,
    advance_complaint,
    complaint_state,
    incident_state,
)
from dashboard.sla import SlaPolicy
from data_sources.geo import locations
from data_sources.store.batch import Accepted, KeyedQuery, insert_rows, locked_rows, personal_values, update_by_key
from data_sources.store.models import (
    Complaint,
    ComplaintStatusEvent,
    Incident,
    IncidentEvent,
    PersonalComplaintNote,
    PersonalComplaintReporter,
    PersonalIncidentCaller,
)


def store_complaints(session: Session, fresh: list[Accepted], now: dt.datetime, locator, sla: SlaPolicy) -> None:
    """Insert the batch's status events, then its new complaints in their current state (this batch's events
    and any that waited for them folded in, so no update follows), then bring older complaints up to date."""
    created = [a.event for a in fresh if a.event.type == "complaint.created"]
    statuses = [a.event for a in fresh if a.event.type == "complaint.status"]
    if not created and not statuses:
        return
    created_ids = {e.data.complaint_id for e in created}
    # Asked before this batch's status events are stored: which new complaints have events stored earlier
    # (events that came before their creation). Usually none; the others' history is this batch's own.
    waited = _keys_with_rows(session, ComplaintStatusEvent.complaint_id, created_ids)
    if statuses:
        insert_rows(
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
            insert_rows(session, PersonalComplaintNote, notes)
    # In batch order, the order of their row ids: the same tie-break as a history read back from the table.
    new_events: dict[str, list[StatusEvent]] = defaultdict(list)
    for seq, e in enumerate(statuses):
        d = e.data
        new_events[d.complaint_id].append(StatusEvent(e.occurred_at, seq, d.status, d.opd, d.reply_channel))
    if created:
        history = {cid: new_events.get(cid, []) for cid in created_ids - waited}
        # every stored event (this batch's included) of those that had some before
        history.update(_status_history(session, sorted(waited)))
        _insert_complaints(session, created, history, now, locator, sla)
    for cid in created_ids:
        new_events.pop(cid, None)
    reconcile_complaints(session, set(new_events), now, new_events=new_events)


def _insert_complaints(
    session: Session,
    created: list,
    history: dict[str, list[StatusEvent]],
    now: dt.datetime,
    locator,
    sla: SlaPolicy,
) -> None:
    places = locations.resolve_many(
        [(e.data.kecamatan, e.data.kelurahan, e.data.lat, e.data.lon) for e in created], locator
    )
    rows, personal = [], []
    for e, place in zip(created, places):
        d = e.data
        hours = sla.hours_for(d.category, d.sla_hours)
        state = complaint_state(e.occurred_at, d.opd, history.get(d.complaint_id, ()))
        rows.append(
            dict(
                complaint_id=d.complaint_id,
                created_event_id=e.event_id,
                channel=d.channel,
                category=d.category,
                created_opd=d.opd,
                kecamatan_code=place.kecamatan_code,
                kelurahan_code=place.kelurahan_code,
                location_method=place.method,
                lat=d.lat if place.known else None,
                lon=d.lon if place.known else None,
                sla_hours=hours,
                created_at=e.occurred_at,
                due_at=sla.due_at(e.occurred_at, hours),
                **{name: getattr(state, name) for name in LIFECYCLE_COLUMNS},
                updated_at=now,
            )
        )
        r = d.reporter
        values = personal_values(
            name=r.name if r else None,
            phone=r.phone if r else None,
            email=r.email if r else None,
            nik=r.nik if r else None,
            address=r.address if r else None,
            text=d.text,
        )
        if values:
            personal.append(dict(complaint_id=d.complaint_id, **values))
    insert_rows(session, Complaint, rows)
    if personal:
        insert_rows(session, PersonalComplaintReporter, personal)


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


def _keys_with_rows(session: Session, column, keys: set[str]) -> set[str]:
    """Those of these keys that have rows stored under `column` (one index probe each, no row read back):
    the new complaints and incidents whose lifecycle events came before their creation."""
    if not keys:
        return set()
    return set(_stored_keys(column)(session, sorted(keys)).scalars())


@functools.cache
def _stored_keys(column) -> KeyedQuery:
    return KeyedQuery(lambda keys_in: select(column).where(keys_in(column)).distinct())


def _status_history(session: Session, complaint_ids: list[str]) -> dict[str, list[StatusEvent]]:
    """Every stored status event of these complaints, the row id breaking ties of time."""
    history: dict[str, list[StatusEvent]] = defaultdict(list)
    if not complaint_ids:
        return history
    for row in _STATUS_HISTORY(session, complaint_ids):
        history[row.complaint_id].append(StatusEvent(row.occurred_at, row.id, row.status, row.opd, row.reply_channel))
    return history


_STATUS_HISTORY = KeyedQuery(
    lambda keys_in: select(
        ComplaintStatusEvent.complaint_id,
        ComplaintStatusEvent.id,
        ComplaintStatusEvent.occurred_at,
        ComplaintStatusEvent.status,
        ComplaintStatusEvent.opd,
        ComplaintStatusEvent.reply_channel,
    ).where(keys_in(ComplaintStatusEvent.complaint_id))
)
_STORED_COMPLAINTS = locked_rows(
    Complaint.__table__, "complaint_id", ["complaint_id", "created_at", "created_opd", *LIFECYCLE_COLUMNS]
)


def reconcile_complaints(
    session: Session,
    complaint_ids: set[str],
    now: dt.datetime,
    *,
    new_events: dict[str, list[StatusEvent]] | None = None,
) -> None:
    """Bring the lifecycle fields of these stored complaints up to date with their status events.

    Events that happened after everything a stored complaint holds are folded onto its row (the common case:
    events arrive in order). A complaint whose events came out of order, or one called without its new events,
    is re-derived from its whole stored history. The rows are locked first (PostgreSQL), so two ingestors
    touching one complaint take turns and the second sees the first's events.
    """
    if not complaint_ids:
        return
    new_events = new_events or {}
    complaint = Complaint.__table__
    stored: dict[str, tuple[dt.datetime, str | None, ComplaintState]] = {}
    for cid, created_at, created_opd, *lifecycle in _STORED_COMPLAINTS(session, sorted(complaint_ids)):
        stored[cid] = (created_at, created_opd, ComplaintState(**dict(zip(LIFECYCLE_COLUMNS, lifecycle))))
    if not stored:
        return  # status events of complaints not created yet wait for their creation
    states: dict[str, ComplaintState] = {}
    rederive = []
    for cid, (_, _, before) in stored.items():
        events = new_events.get(cid)
        if not events or min(e.occurred_at for e in events) <= before.status_at:
            rederive.append(cid)
        else:
            states[cid] = advance_complaint(before, events)
    history = _status_history(session, rederive)
    for cid in rederive:
        created_at, created_opd, _ = stored[cid]
        states[cid] = complaint_state(created_at, created_opd, history[cid])
    updates = [
        dict(complaint_id=cid, **{name: getattr(state, name) for name in LIFECYCLE_COLUMNS}, updated_at=now)
        for cid, state in states.items()
        if state != stored[cid][2]  # the stored row's lifecycle columns are the state's fields
    ]
    update_by_key(session, complaint, "complaint_id", updates)


def store_incidents(session: Session, fresh: list[Accepted], now: dt.datetime, locator) -> None:
    """Insert the batch's lifecycle events, then its new incidents in their current state, then bring the
    older incidents those events belong to up to date."""
    reported = [a.event for a in fresh if a.event.type == "incident.reported"]
    lifecycle = [
        a.event for a in fresh if a.event.type in ("incident.dispatched", "incident.arrived", "incident.closed")
    ]
    if not reported and not lifecycle:
        return
    reported_ids = {e.data.incident_id for e in reported}
    # as for complaints: asked before this batch's events are stored, usually none
    waited = _keys_with_rows(session, IncidentEvent.incident_id, reported_ids)
    rows = [
        dict(
            event_id=e.event_id, incident_id=e.data.incident_id, **_incident_event_values(e), occurred_at=e.occurred_at
        )
        for e in lifecycle
    ]
    insert_rows(session, IncidentEvent, rows)
    if reported:
        # in batch order, the order of their row ids (the tie-break of a history read back)
        history: dict[str, list[IncidentEventFact]] = {iid: [] for iid in reported_ids - waited}
        for seq, row in enumerate(rows):
            if row["incident_id"] in history:
                history[row["incident_id"]].append(
                    IncidentEventFact(row["occurred_at"], seq, row["kind"], row["unit"], row["outcome"])
                )
        history.update(_incident_history(session, sorted(waited)))
        _insert_incidents(session, reported, history, now, locator)
    reconcile_incidents(session, {e.data.incident_id for e in lifecycle} - reported_ids, now)


# The fields each lifecycle event carries beyond the incident's id: a pydantic model asked for a field it does not
# have answers through a slow path (an AttributeError raised and caught), once per event and field.
_INCIDENT_EVENT_FIELDS = {"dispatched": ("unit", "agency"), "arrived": ("unit",), "closed": ("outcome",)}


def _incident_event_values(e) -> dict:
    """An incident lifecycle event's kind, unit, agency and outcome (None where its kind has none)."""
    kind = e.type.split(".", 1)[1]
    values = dict(kind=kind, unit=None, agency=None, outcome=None)
    for name in _INCIDENT_EVENT_FIELDS[kind]:
        values[name] = getattr(e.data, name)
    return values


def _insert_incidents(
    session: Session, reported: list, history: dict[str, list[IncidentEventFact]], now: dt.datetime, locator
) -> None:
    places = locations.resolve_many(
        [(e.data.kecamatan, e.data.kelurahan, e.data.lat, e.data.lon) for e in reported], locator
    )
    rows, personal = [], []
    for e, place in zip(reported, places):
        d = e.data
        state = incident_state(history.get(d.incident_id, ()))
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
                **{name: getattr(state, name) for name in INCIDENT_STATE_COLUMNS},
                updated_at=now,
            )
        )
        values = personal_values(
            name=d.caller.name if d.caller else None,
            phone=d.caller.phone if d.caller else None,
            description=d.description,
        )
        if values:
            personal.append(dict(incident_id=d.incident_id, **values))
    insert_rows(session, Incident, rows)
    if personal:
        insert_rows(session, PersonalIncidentCaller, personal)


INCIDENT_STATE_COLUMNS = (
    "status",
    "first_dispatched_at",
    "first_arrived_at",
    "closed_at",
    "outcome",
    "units_dispatched",
    "is_active",
)


_INCIDENT_HISTORY = KeyedQuery(
    lambda keys_in: select(
        IncidentEvent.incident_id,
        IncidentEvent.id,
        IncidentEvent.occurred_at,
        IncidentEvent.kind,
        IncidentEvent.unit,
        IncidentEvent.outcome,
    ).where(keys_in(IncidentEvent.incident_id))
)
_STORED_INCIDENTS = locked_rows(Incident.__table__, "incident_id", ["incident_id", *INCIDENT_STATE_COLUMNS])


def _incident_history(session: Session, incident_ids: list[str]) -> dict[str, list[IncidentEventFact]]:
    """Every stored lifecycle event of these incidents, the row id breaking ties of time."""
    history: dict[str, list[IncidentEventFact]] = defaultdict(list)
    if not incident_ids:
        return history
    for row in _INCIDENT_HISTORY(session, incident_ids):
        history[row.incident_id].append(IncidentEventFact(row.occurred_at, row.id, row.kind, row.unit, row.outcome))
    return history


def reconcile_incidents(session: Session, incident_ids: set[str], now: dt.datetime) -> None:
    """Re-derive dispatch, arrival and closing of these stored incidents from all their stored events."""
    if not incident_ids:
        return
    table = Incident.__table__
    stored = {row.incident_id: row for row in _STORED_INCIDENTS(session, sorted(incident_ids))}
    if not stored:
        return  # lifecycle events of incidents not reported yet wait for the report
    history = _incident_history(session, list(stored))
    updates = []
    for iid, row in stored.items():
        state = incident_state(history[iid])
        values = {name: getattr(state, name) for name in INCIDENT_STATE_COLUMNS}
        if any(values[name] != row._mapping[name] for name in INCIDENT_STATE_COLUMNS):
            updates.append(dict(incident_id=iid, **values, updated_at=now))
    update_by_key(session, table, "incident_id", updates)
