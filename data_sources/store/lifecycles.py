"""Complaints and 112 incidents in the store: their creation events, their lifecycle events, and the
current state derived again from all of an item's events whenever any of them arrives."""

from __future__ import annotations

import datetime as dt
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
from data_sources.store.batch import Accepted, insert_rows, key_in, personal_values, update_by_key
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
    if rows:
        insert_rows(session, Complaint, rows)
    if personal:
        insert_rows(session, PersonalComplaintReporter, personal)
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
            .where(key_in(session, complaint.c.complaint_id, sorted(complaint_ids)))
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
            ).where(key_in(session, ComplaintStatusEvent.complaint_id, rederive))
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
    update_by_key(session, complaint, "complaint_id", updates)


def store_incidents(session: Session, fresh: list[Accepted], now: dt.datetime, locator) -> None:
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
        values = personal_values(
            name=d.caller.name if d.caller else None,
            phone=d.caller.phone if d.caller else None,
            description=d.description,
        )
        if values:
            personal.append(dict(incident_id=d.incident_id, **values))
    if rows:
        insert_rows(session, Incident, rows)
    if personal:
        insert_rows(session, PersonalIncidentCaller, personal)
    if lifecycle:
        insert_rows(
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
            .where(key_in(session, Incident.incident_id, sorted(incident_ids)))
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
        ).where(key_in(session, IncidentEvent.incident_id, present))
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
    update_by_key(session, Incident.__table__, "incident_id", updates)
