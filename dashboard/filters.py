"""The validated filter of every KPI query: suspect input in, an allowlisted, normalised value out."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dashboard.events import CHANNELS, COMPLAINT_CATEGORIES, INCIDENT_CATEGORIES

WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 1, 1)
_OPD_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")  # the event contract's department code
_CATEGORY_RE = re.compile(r"^[a-z0-9_]{1,64}$")
MAX_VALUES = 64


class FilterError(ValueError):
    """A filter value is not allowed; the message says which and why (safe to show to the user)."""


def _kecamatan_codes() -> frozenset[str]:
    from dashboard.reference import kecamatan

    return frozenset(k.code for k in kecamatan())


@dataclass(frozen=True)
class KnownCodes:
    """The department (OPD) and complaint category codes that exist, read from the data (the event contract
    keeps both lists open: a new department or category arrives with its events, and a code in no event
    selects nothing). A user's filter may name only these: each unknown code would be a new cache key,
    and so a fresh heavy computation, for nothing."""

    opd: frozenset[str] = frozenset()
    category: frozenset[str] = frozenset()


@dataclass(frozen=True)
class KpiFilter:
    """Period [date_from, date_to) in WIB dates (None: open-ended) and value allowlists (empty: all)."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    opd: tuple[str, ...] = ()
    kecamatan: tuple[str, ...] = ()  # Kemendagri codes; "unknown" selects complaints without a location
    channel: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    incident_category: tuple[str, ...] = ()

    @property
    def start_utc(self) -> dt.datetime | None:
        return _wib_midnight(self.date_from)

    @property
    def end_utc(self) -> dt.datetime | None:
        return _wib_midnight(self.date_to)

    def key(self) -> str:
        """A canonical text of this filter, for cache keys: equal filters give equal keys."""
        parts = [f"from={self.date_from or ''}", f"to={self.date_to or ''}"]
        for name in ("opd", "kecamatan", "channel", "category", "incident_category"):
            parts.append(f"{name}={','.join(getattr(self, name))}")
        return "&".join(parts)

    def as_dict(self) -> dict:
        return {
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "opd": list(self.opd),
            "kecamatan": list(self.kecamatan),
            "channel": list(self.channel),
            "category": list(self.category),
            "incident_category": list(self.incident_category),
        }


def _wib_midnight(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time(), WIB).astimezone(dt.UTC)


def _date(name: str, value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        raise FilterError(f"{name}: a date (YYYY-MM-DD) is expected, not a time")
    if not isinstance(value, dt.date):
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise FilterError(f"{name}: expected a date as YYYY-MM-DD")
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise FilterError(f"{name}: {value.strip()!r} is not a calendar date") from None
    if not EARLIEST <= value <= LATEST:
        raise FilterError(f"{name}: must lie between {EARLIEST} and {LATEST}")
    return value


def _values(name: str, raw, check) -> tuple[str, ...]:
    if raw is None or raw == "":
        return ()
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    out: set[str] = set()
    for item in items:
        if not isinstance(item, str):
            raise FilterError(f"{name}: text values expected")
        item = item.strip()
        if not item:
            continue
        if not check(item):
            raise FilterError(f"{name}: {item[:40]!r} is not an allowed value")
        out.add(item)
    if len(out) > MAX_VALUES:
        raise FilterError(f"{name}: at most {MAX_VALUES} values")
    return tuple(sorted(out))


def make_filter(
    *,
    date_from=None,
    date_to=None,
    opd=None,
    kecamatan=None,
    channel=None,
    category=None,
    incident_category=None,
    known: KnownCodes | None = None,
) -> KpiFilter:
    """Validate raw values (strings, lists or comma-separated text) into a KpiFilter or raise FilterError.

    With `known` (every filter a user sends), departments and categories must exist; without it (the
    program's own filters), their shape is checked."""
    start, end = _date("from", date_from), _date("to", date_to)
    if start and end and end <= start:
        raise FilterError("to: must be after from (the period runs from 'from' up to, not including, 'to')")
    known_kecamatan = _kecamatan_codes() | {"unknown"}
    return KpiFilter(
        date_from=start,
        date_to=end,
        opd=_values("opd", opd, lambda v: bool(_OPD_RE.match(v)) and (known is None or v in known.opd)),
        kecamatan=_values("kecamatan", kecamatan, lambda v: v in known_kecamatan),
        channel=_values("channel", channel, lambda v: v in CHANNELS),
        # Categories are an open list in the contract: its own, or one the data holds (or, unchecked, its shape).
        category=_values(
            "category",
            category,
            lambda v: v in COMPLAINT_CATEGORIES or (v in known.category if known else bool(_CATEGORY_RE.match(v))),
        ),
        incident_category=_values("incident_category", incident_category, lambda v: v in INCIDENT_CATEGORIES),
    )


def parse_now(value: str | dt.datetime | None) -> dt.datetime:
    """The clock of a computation: an aware ISO time (a naive one is read as WIB), or the current time."""
    if value is None or value == "":
        return dt.datetime.now(dt.UTC)
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise FilterError("now: expected an ISO 8601 time such as 2026-11-27T08:00:00+07:00") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=WIB)
    if not EARLIEST <= value.date() <= LATEST:
        raise FilterError(f"now: must lie between {EARLIEST} and {LATEST}")
    return value.astimezone(dt.UTC)


def today_filter(now: dt.datetime, base: KpiFilter | None = None) -> KpiFilter:
    """The WIB day of `now`, keeping the other filters of `base`: what the wall shows."""
    from dataclasses import replace

    day = now.astimezone(WIB).date()
    return replace(base or KpiFilter(), date_from=day, date_to=day + dt.timedelta(days=1))
