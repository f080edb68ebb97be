"""Public-information requests to the PPID of each OPD (UU KIP 14/2008): the statutory clocks, pure functions.

The rules of ../shared/EVENTS.md, "Public-information requests":
- a request is due at the end (23:59:59 WIB) of the 10th working day after the day of receipt;
- the first `extended` that occurs before that deadline and before the answer moves it to the end of the 7th
  working day after the original deadline; any later `extended` is kept but moves nothing;
- the answer is the first `granted`, `partially_granted`, `rejected` or `not_held`;
- an objection (keberatan) is due at the end of the 30th working day after `objection_filed`.

Working days are the complaints' working calendar (dashboard/sla.py WorkingCalendar): days with office hours
that are neither national holidays nor cuti bersama.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from dashboard.holidays import days_off_for
from dashboard.sla import DEFAULT_OFFICE_HOURS, WIB, WorkingCalendar, parse_office_hours

ANSWER_DAYS = 10
EXTENSION_DAYS = 7
OBJECTION_DAYS = 30
ANSWERS = ("granted", "partially_granted", "rejected", "not_held")
_MAX_DAYS = 3 * 366  # a guard against a calendar without a single working day


def calendar_from_settings(settings) -> WorkingCalendar:
    """The working calendar of the complaints (office hours and days off), whatever PANTAU_SLA_MODE says."""
    hours = parse_office_hours(getattr(settings, "office_hours", None) or DEFAULT_OFFICE_HOURS)
    return WorkingCalendar(hours, days_off_for(settings))


def is_working_day(day: dt.date, calendar: WorkingCalendar) -> bool:
    return calendar.window(day) is not None


def wib_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(WIB).date()


def nth_working_day_after(day: dt.date, n: int, calendar: WorkingCalendar) -> dt.date:
    """The n-th working day after `day` (`day` itself never counts)."""
    found = 0
    for _ in range(_MAX_DAYS):
        day += dt.timedelta(days=1)
        if is_working_day(day, calendar):
            found += 1
            if found == n:
                return day
    raise ValueError("the working calendar has no working day within three years")


def end_of_day(day: dt.date) -> dt.datetime:
    """23:59:59 WIB of that date, in UTC: the statutory deadlines end with the day."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), WIB).astimezone(dt.UTC)


def answer_deadline(received_at: dt.datetime, calendar: WorkingCalendar) -> dt.datetime:
    return end_of_day(nth_working_day_after(wib_date(received_at), ANSWER_DAYS, calendar))


def extended_deadline(original_due_at: dt.datetime, calendar: WorkingCalendar) -> dt.datetime:
    return end_of_day(nth_working_day_after(wib_date(original_due_at), EXTENSION_DAYS, calendar))


def objection_deadline(filed_at: dt.datetime, calendar: WorkingCalendar) -> dt.datetime:
    return end_of_day(nth_working_day_after(wib_date(filed_at), OBJECTION_DAYS, calendar))


def working_days_between(start: dt.date, end: dt.date, calendar: WorkingCalendar) -> int:
    """Working days d with start < d <= end (an answer on the day of receipt took 0); negative backwards."""
    if end < start:
        return -working_days_between(end, start, calendar)
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_working_day(day, calendar)
    return count


def working_days_left(now: dt.datetime, due_at: dt.datetime, calendar: WorkingCalendar) -> int:
    """The wall's countdown: working days from today to the deadline's day (0: due today; -2: two days late)."""
    return working_days_between(wib_date(now), wib_date(due_at), calendar)


@dataclass(frozen=True)
class InfoStatusEvent:
    occurred_at: dt.datetime
    seq: int  # arrival order: breaks ties between events with the same timestamp
    status: str
    exemption: str | None = None


@dataclass(frozen=True)
class InfoRequestState:
    status: str
    status_at: dt.datetime
    original_due_at: dt.datetime
    extended_at: dt.datetime | None
    extended_due_at: dt.datetime | None
    due_at: dt.datetime  # with every stored event; queries at an earlier `now` choose by extended_at
    answer: str | None
    answered_at: dt.datetime | None
    exemption: str | None
    answer_working_days: int | None
    objection_filed_at: dt.datetime | None
    objection_due_at: dt.datetime | None
    objection_answered_at: dt.datetime | None
    dispute_filed_at: dt.datetime | None
    is_open: bool  # awaiting its answer


def info_request_state(
    received_at: dt.datetime, events: Iterable[InfoStatusEvent], calendar: WorkingCalendar
) -> InfoRequestState:
    """A request's clocks and outcome from its receipt and every status event, in whatever order they came."""
    ordered = sorted(events, key=lambda e: (e.occurred_at, e.seq))
    original_due = answer_deadline(received_at, calendar)
    status, status_at = "received", received_at
    extended_at = answer = answered_at = exemption = None
    extension_seen = False
    objection_filed_at = objection_answered_at = dispute_filed_at = None
    for e in ordered:
        status, status_at = e.status, e.occurred_at
        if e.status in ANSWERS and answered_at is None:
            answer, answered_at, exemption = e.status, e.occurred_at, e.exemption
        elif e.status == "extended" and not extension_seen and answered_at is None:
            # only the first extension counts, and only if made by the original deadline; later ones move nothing
            extension_seen = True
            if e.occurred_at <= original_due:
                extended_at = e.occurred_at
        elif e.status == "objection_filed" and objection_filed_at is None:
            objection_filed_at = e.occurred_at
        elif e.status == "objection_answered" and objection_filed_at is not None and objection_answered_at is None:
            objection_answered_at = e.occurred_at
        elif e.status == "dispute_filed" and dispute_filed_at is None:
            dispute_filed_at = e.occurred_at
    extended_due = extended_deadline(original_due, calendar) if extended_at is not None else None
    return InfoRequestState(
        status=status,
        status_at=status_at,
        original_due_at=original_due,
        extended_at=extended_at,
        extended_due_at=extended_due,
        due_at=extended_due or original_due,
        answer=answer,
        answered_at=answered_at,
        exemption=exemption,
        answer_working_days=(
            max(0, working_days_between(wib_date(received_at), wib_date(answered_at), calendar))
            if answered_at is not None
            else None
        ),
        objection_filed_at=objection_filed_at,
        objection_due_at=objection_deadline(objection_filed_at, calendar) if objection_filed_at else None,
        objection_answered_at=objection_answered_at,
        dispute_filed_at=dispute_filed_at,
        is_open=answered_at is None,
    )


DEFINITIONS = {
    "info_deadline": (
        "A request is due at the end (23:59:59 WIB) of the 10th working day after the day it was received; "
        "the first extension made before that deadline and before the answer moves it to the end of the 7th "
        "working day after it. Working days skip weekends, national holidays and cuti bersama."
    ),
    "info_within": (
        "Of the requests received in the period: those answered by their deadline, divided by those answered "
        "plus those whose deadline passed unanswered (the complaints' rule). Requests open and not yet due are "
        "left out."
    ),
    "info_working_days": "Working days after the day of receipt up to the day of the answer (0: the same day).",
    "objection_deadline": "An objection (keberatan) is due at the end of the 30th working day after it was filed.",
}
