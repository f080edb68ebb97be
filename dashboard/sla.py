"""The SLA clock of a complaint: calendar time, or working time (office hours, no holidays).

Pure functions. In calendar mode a complaint is due `sla_hours` after its creation. In working mode the
clock runs only inside office hours (WIB) on days that are neither weekend days without office hours nor
national holidays or cuti bersama (dashboard/holidays.py): 24 SLA hours are 24 working hours.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from dashboard.holidays import days_off_for

WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
DEFAULT_SLA_HOURS = 24.0
DEFAULT_OFFICE_HOURS = "mon-fri 08:00-16:00"
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAX_DAYS = 3 * 366  # no SLA runs longer; a guard against a calendar with no working time at all


class SlaConfigError(ValueError):
    """An SLA setting (mode, office hours, hours per category) is malformed."""


@dataclass(frozen=True)
class WorkingCalendar:
    """Office hours per weekday (0 = Monday) as (start, end) times in WIB, and the dates off."""

    hours: tuple[tuple[dt.time, dt.time] | None, ...]
    days_off: frozenset[dt.date] = field(default_factory=frozenset)

    def window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The working interval of this WIB date, as UTC datetimes, or None on a day off."""
        hours = self.hours[day.weekday()]
        if hours is None or day in self.days_off:
            return None
        start = dt.datetime.combine(day, hours[0], WIB)
        end = dt.datetime.combine(day, hours[1], WIB)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def parse_office_hours(text: str) -> tuple[tuple[dt.time, dt.time] | None, ...]:
    """'mon-thu 07:30-16:00; fri 07:30-16:30' -> one (start, end) or None per weekday."""
    hours: list[tuple[dt.time, dt.time] | None] = [None] * 7
    for part in filter(None, (p.strip() for p in text.lower().split(";"))):
        m = re.fullmatch(r"([a-z]{3})(?:-([a-z]{3}))?\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", part)
        if not m or m.group(1) not in _DAYS or (m.group(2) and m.group(2) not in _DAYS):
            raise SlaConfigError(f"office hours: expected like 'mon-fri 08:00-16:00', got {part!r}")
        first = _DAYS.index(m.group(1))
        last = _DAYS.index(m.group(2)) if m.group(2) else first
        try:
            start, end = dt.time(int(m.group(3)), int(m.group(4))), dt.time(int(m.group(5)), int(m.group(6)))
        except ValueError:
            raise SlaConfigError(f"office hours: not a time of day in {part!r}") from None
        if end <= start or last < first:
            raise SlaConfigError(f"office hours: the range must run forwards in {part!r}")
        for d in range(first, last + 1):
            hours[d] = (start, end)
    if not any(hours):
        raise SlaConfigError("office hours: no working time at all")
    return tuple(hours)


def parse_hours_by_category(text: str | None) -> dict[str, float]:
    """'jalan_rusak:48,banjir_genangan:12' -> {category: hours}."""
    result: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        name, _, hours = part.partition(":")
        try:
            value = float(hours)
        except ValueError:
            raise SlaConfigError(f"SLA hours by category: expected 'category:hours', got {part!r}") from None
        if not re.fullmatch(r"[a-z0-9_]{1,64}", name.strip()) or not 0 < value <= 24 * 365:
            raise SlaConfigError(f"SLA hours by category: bad entry {part!r}")
        result[name.strip()] = value
    return result


def add_working_time(start: dt.datetime, seconds: float, calendar: WorkingCalendar) -> dt.datetime:
    """The moment `seconds` of working time after `start` (a complaint made off-hours starts next opening)."""
    remaining = dt.timedelta(seconds=seconds)
    day = start.astimezone(WIB).date()
    for _ in range(_MAX_DAYS):
        window = calendar.window(day)
        if window is not None:
            begin = max(window[0], start)
            if begin < window[1]:
                available = window[1] - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += dt.timedelta(days=1)
    raise SlaConfigError("the working calendar has no working time within three years")


def working_seconds_between(start: dt.datetime, end: dt.datetime, calendar: WorkingCalendar) -> float:
    """Working seconds in [start, end]; negative when end is before start."""
    if end < start:
        return -working_seconds_between(end, start, calendar)
    total = 0.0
    day = start.astimezone(WIB).date()
    last = end.astimezone(WIB).date()
    while day <= last:
        window = calendar.window(day)
        if window is not None:
            overlap = (min(window[1], end) - max(window[0], start)).total_seconds()
            total += max(overlap, 0.0)
        day += dt.timedelta(days=1)
    return total


@dataclass(frozen=True)
class SlaPolicy:
    """How long a complaint may wait for its first response, and on which clock."""

    mode: str = "calendar"  # calendar or working
    default_hours: float = DEFAULT_SLA_HOURS
    hours_by_category: dict[str, float] = field(default_factory=dict)
    calendar: WorkingCalendar | None = None

    def hours_for(self, category: str | None, given: float | None = None) -> float:
        """Hours given on the event win, then the category's configured hours, then the default."""
        if given is not None:
            return given
        return self.hours_by_category.get(category or "", self.default_hours)

    def due_at(self, created_at: dt.datetime, sla_hours: float) -> dt.datetime:
        if self.mode == "working":
            return add_working_time(created_at, sla_hours * 3600, self.calendar)
        return created_at + dt.timedelta(hours=sla_hours)

    def used_fraction(self, created_at: dt.datetime, due_at: dt.datetime, now: dt.datetime) -> float:
        """Share of the SLA time used at `now` (1.0 at the deadline), on this policy's clock."""
        if self.mode == "working":
            total = working_seconds_between(created_at, due_at, self.calendar)
            used = working_seconds_between(created_at, now, self.calendar)
        else:
            total = (due_at - created_at).total_seconds()
            used = (now - created_at).total_seconds()
        if total <= 0:
            return 1.0 if now >= due_at else 0.0
        return used / total

    def threshold_times(
        self, created_at: dt.datetime, due_at: dt.datetime, fractions: tuple[float, ...]
    ) -> tuple[dt.datetime, ...]:
        """When the clock reaches each fraction of its time: the browser switches state at these moments."""
        if self.mode == "working":
            total = working_seconds_between(created_at, due_at, self.calendar)
            return tuple(
                add_working_time(created_at, total * f, self.calendar) if f > 0 else created_at for f in fractions
            )
        span = due_at - created_at
        return tuple(created_at + span * f for f in fractions)


def policy_from_settings(settings) -> SlaPolicy:
    """The SLA policy from the settings object (attributes read with defaults until settings.py has them)."""
    mode = (getattr(settings, "sla_mode", None) or "calendar").lower()
    if mode not in ("calendar", "working"):
        raise SlaConfigError(f"PANTAU_SLA_MODE must be 'calendar' or 'working'; got {mode!r}")
    by_category = getattr(settings, "sla_hours_by_category", None)
    if isinstance(by_category, str) or by_category is None:
        by_category = parse_hours_by_category(by_category)
    calendar = None
    if mode == "working":
        calendar = WorkingCalendar(
            parse_office_hours(getattr(settings, "office_hours", None) or DEFAULT_OFFICE_HOURS), days_off_for(settings)
        )
    return SlaPolicy(
        mode=mode,
        default_hours=float(getattr(settings, "sla_default_hours", None) or DEFAULT_SLA_HOURS),
        hours_by_category=dict(by_category),
        calendar=calendar,
    )
