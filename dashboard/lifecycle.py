"""How a complaint's or an incident's current state follows from its events, in whatever order they came."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

CLOSED_COMPLAINT_STATUSES = frozenset({"resolved", "rejected"})


# Events and states below are immutable records, made by the hundred thousand by the ingestor: named tuples,
# which cost less than half of a frozen dataclass to make.
class StatusEvent(NamedTuple):
    occurred_at: dt.datetime
    seq: int  # arrival order, to break ties between events with the same timestamp
    status: str
    opd: str | None = None
    reply_channel: str | None = None


class ComplaintState(NamedTuple):
    status: str
    status_at: dt.datetime
    opd: str | None
    first_response_at: dt.datetime | None
    first_response_channel: str | None
    resolved_at: dt.datetime | None
    reopened_count: int
    is_open: bool


def complaint_state(
    created_at: dt.datetime, opd_at_creation: str | None, events: Iterable[StatusEvent]
) -> ComplaintState:
    """Current state from the creation and every status event, ordered by when they happened.

    The first response is the earliest `responded`; a complaint is closed when its latest status is
    resolved or rejected, and a later `reopened` opens it again.
    """
    received = ComplaintState(
        status="received",
        status_at=created_at,
        opd=opd_at_creation,
        first_response_at=None,
        first_response_channel=None,
        resolved_at=None,
        reopened_count=0,
        is_open=True,
    )
    return advance_complaint(received, events)


def advance_complaint(state: ComplaintState, later_events: Iterable[StatusEvent]) -> ComplaintState:
    """The state after these events, all of which happened after every event the state already holds.

    Folding new events onto a stored state gives what `complaint_state` gives over the whole history, as long
    as none of them happened before `state.status_at`; the store checks that before it folds.
    """
    status, status_at, opd = state.status, state.status_at, state.opd
    first_response_at, first_response_channel = state.first_response_at, state.first_response_channel
    resolved_at, reopened = state.resolved_at, state.reopened_count
    for event in sorted(later_events, key=lambda e: (e.occurred_at, e.seq)):
        status, status_at = event.status, event.occurred_at
        if event.opd:
            opd = event.opd
        if event.status == "responded" and first_response_at is None:
            first_response_at, first_response_channel = event.occurred_at, event.reply_channel
        if event.status == "reopened":
            reopened += 1
        resolved_at = (
            event.occurred_at if event.status == "resolved" else (None if event.status == "reopened" else resolved_at)
        )
    return ComplaintState(
        status=status,
        status_at=status_at,
        opd=opd,
        first_response_at=first_response_at,
        first_response_channel=first_response_channel,
        resolved_at=resolved_at if status == "resolved" else None,
        reopened_count=reopened,
        is_open=status not in CLOSED_COMPLAINT_STATUSES,
    )


class IncidentEventFact(NamedTuple):
    occurred_at: dt.datetime
    seq: int
    kind: str  # dispatched, arrived, closed
    unit: str | None = None
    outcome: str | None = None


class IncidentState(NamedTuple):
    status: str  # reported, dispatched, on_scene, closed
    first_dispatched_at: dt.datetime | None
    first_arrived_at: dt.datetime | None
    closed_at: dt.datetime | None
    outcome: str | None
    units_dispatched: int
    is_active: bool


def incident_state(events: Iterable[IncidentEventFact]) -> IncidentState:
    """Lifecycle times of one incident. Response time runs from the report to the first arrival."""
    ordered = sorted(events, key=lambda e: (e.occurred_at, e.seq))
    dispatched = [e for e in ordered if e.kind == "dispatched"]
    arrived = [e for e in ordered if e.kind == "arrived"]
    closed = [e for e in ordered if e.kind == "closed"]
    last_close = closed[-1] if closed else None
    if last_close is not None:
        status = "closed"
    elif arrived:
        status = "on_scene"
    elif dispatched:
        status = "dispatched"
    else:
        status = "reported"
    return IncidentState(
        status=status,
        first_dispatched_at=dispatched[0].occurred_at if dispatched else None,
        first_arrived_at=arrived[0].occurred_at if arrived else None,
        closed_at=last_close.occurred_at if last_close else None,
        outcome=last_close.outcome if last_close else None,
        units_dispatched=len({e.unit for e in dispatched}),
        is_active=last_close is None,
    )
