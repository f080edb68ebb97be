"""Storing public-information requests and their status events; part of the writer's one transaction.

A status event is stored as it comes, even before its request; whenever a request or any of its events
arrives, the request's clocks and outcome are derived again from its whole history (dashboard/ppid.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.ppid import InfoStatusEvent, info_request_state
from dashboard.sla import WorkingCalendar
from data_sources.store.batch import KeyedQuery, insert_rows, locked_rows, update_by_key
from data_sources.store.models import (
    InfoRequest,
    InfoRequestStatusEvent,
    PersonalInfoRequester,
    PersonalInfoRequestNote,
)

STATE_COLUMNS = (
    "status",
    "status_at",
    "original_due_at",
    "extended_at",
    "extended_due_at",
    "due_at",
    "answer",
    "answered_at",
    "exemption",
    "answer_working_days",
    "objection_filed_at",
    "objection_due_at",
    "objection_answered_at",
    "dispute_filed_at",
    "is_open",
)


def store_info_requests(session: Session, events: list, now: dt.datetime, calendar: WorkingCalendar) -> None:
    """Insert the batch's new requests and status events (already checked for repeats), then reconcile."""
    created = [e for e in events if e.type == "info_request.created"]
    statuses = [e for e in events if e.type == "info_request.status"]
    if not created and not statuses:
        return
    rows, personal = [], []
    for e in created:
        d = e.data
        state = info_request_state(e.occurred_at, (), calendar)
        rows.append(
            dict(
                request_id=d.request_id,
                created_event_id=e.event_id,
                opd=d.opd,
                channel=d.channel,
                information_kind=d.information_kind,
                received_at=e.occurred_at,
                **{name: getattr(state, name) for name in STATE_COLUMNS},
                updated_at=now,
            )
        )
        values = dict(d.requester.model_dump() if d.requester else {}, text=d.text)
        if any(v is not None for v in values.values()):
            personal.append(dict(request_id=d.request_id, **{k: values.get(k) for k in _PERSONAL_FIELDS}))
    if rows:
        insert_rows(session, InfoRequest, rows)
    if personal:
        insert_rows(session, PersonalInfoRequester, personal)
    if statuses:
        insert_rows(
            session,
            InfoRequestStatusEvent,
            [
                dict(
                    event_id=e.event_id,
                    request_id=e.data.request_id,
                    status=e.data.status,
                    exemption=e.data.exemption,
                    occurred_at=e.occurred_at,
                )
                for e in statuses
            ],
        )
        notes = [
            dict(event_id=e.event_id, request_id=e.data.request_id, reason=e.data.reason, note=e.data.note)
            for e in statuses
            if e.data.reason or e.data.note
        ]
        if notes:
            insert_rows(session, PersonalInfoRequestNote, notes)
    reconcile_info_requests(
        session, {e.data.request_id for e in created} | {e.data.request_id for e in statuses}, now, calendar
    )


_PERSONAL_FIELDS = ("name", "nik", "email", "phone", "address", "organisation", "text")


_STORED_REQUESTS = locked_rows(InfoRequest.__table__, "request_id", ["request_id", "received_at", *STATE_COLUMNS])
_REQUEST_HISTORY = KeyedQuery(
    lambda keys_in: select(
        InfoRequestStatusEvent.request_id,
        InfoRequestStatusEvent.id,
        InfoRequestStatusEvent.occurred_at,
        InfoRequestStatusEvent.status,
        InfoRequestStatusEvent.exemption,
    ).where(keys_in(InfoRequestStatusEvent.request_id))
)


def reconcile_info_requests(session: Session, request_ids: set[str], now: dt.datetime, calendar) -> None:
    """Derive these requests' clocks and outcome again from all their stored status events."""
    if not request_ids:
        return
    table = InfoRequest.__table__
    stored = {row.request_id: row for row in _STORED_REQUESTS(session, sorted(request_ids))}
    if not stored:
        return  # status events of requests not received yet wait for the request
    history: dict[str, list[InfoStatusEvent]] = defaultdict(list)
    for row in _REQUEST_HISTORY(session, list(stored)):
        history[row.request_id].append(InfoStatusEvent(row.occurred_at, row.id, row.status, row.exemption))
    updates = []
    for rid, row in stored.items():
        state = info_request_state(row.received_at, history[rid], calendar)
        values = {name: getattr(state, name) for name in STATE_COLUMNS}
        if any(values[name] != row._mapping[name] for name in STATE_COLUMNS):
            updates.append(dict(request_id=rid, **values, updated_at=now))
    update_by_key(session, table, "request_id", updates)
