"""The leadership briefing's view state, plain Python: the URL's filters, the period and the one before it.

A briefing link reproduces the view: `?period=today|7d|month|custom&from=YYYY-MM-DD&to=YYYY-MM-DD` (`to`
inclusive, as a person reads a date range; the KPI filter's end is the day after), `opd=`, `kec=`
(Kemendagri codes or `unknown`), `channel=`, `category=`, `incident=` (112 category), several values
comma-separated, and `lang=en`. Every value goes through dashboard.filters.make_filter's allowlists; a bad
one is reported and dropped, never passed on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, urlencode

from dashboard import i18n
from dashboard.filters import WIB, FilterError, KnownCodes, KpiFilter, make_filter

PERIODS = ("today", "7d", "month", "custom")
DEFAULT_PERIOD = "7d"
MAX_SEARCH_CHARS = 4000
MAX_CUSTOM_DAYS = 366 * 3
# URL key -> KpiFilter field
LIST_KEYS = {
    "opd": "opd",
    "kec": "kecamatan",
    "channel": "channel",
    "category": "category",
    "incident": "incident_category",
}


@dataclass(frozen=True)
class BriefingView:
    period: str
    filter: KpiFilter  # the period as [date_from, date_to) WIB days, and the value filters
    lang: str
    errors: tuple[str, ...] = field(default=())

    @property
    def previous(self) -> KpiFilter:
        """The period of equal length just before this one, with the same value filters."""
        return previous_filter(self.filter)

    @property
    def last_day(self) -> dt.date:
        return self.filter.date_to - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.filter.date_to - self.filter.date_from).days


def previous_filter(f: KpiFilter) -> KpiFilter:
    span = f.date_to - f.date_from
    return replace(f, date_from=f.date_from - span, date_to=f.date_from)


def period_range(period: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """[from, to) of a named period ending today (WIB)."""
    end = today + dt.timedelta(days=1)
    if period == "today":
        return today, end
    if period == "7d":
        return today - dt.timedelta(days=6), end
    if period == "month":
        return today.replace(day=1), end
    raise ValueError(period)


def _first(value: Any) -> Any:
    """A query value as Dash pages or parse_qs gives it (a string or a list of strings)."""
    if isinstance(value, (list, tuple)):
        return ",".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else None


def parse_search(search: Any) -> dict[str, str]:
    """dcc.Location's `search` ('?a=b&..') as a dict; anything malformed or oversized gives {}."""
    if not isinstance(search, str) or len(search) > MAX_SEARCH_CHARS:
        return {}
    pairs = parse_qs(search.lstrip("?"), keep_blank_values=False, max_num_fields=32)
    return {k: ",".join(v) for k, v in pairs.items()}


def parse_view(
    query: Mapping[str, Any],
    now: dt.datetime,
    default_lang: str = i18n.DEFAULT_LANGUAGE,
    known: KnownCodes | None = None,
) -> BriefingView:
    """The view a URL asks for; a bad value (with `known`: a department or category that does not exist) is
    left out and named in `errors` (safe to show)."""
    errors: list[str] = []
    lang = i18n.language(_first(query.get("lang")) or default_lang)
    today = now.astimezone(WIB).date()
    period = _first(query.get("period")) or DEFAULT_PERIOD
    if period not in PERIODS:
        errors.append(f"period: {period[:20]!r} is not one of {', '.join(PERIODS)}")
        period = DEFAULT_PERIOD
    if period == "custom":
        try:
            start, end = custom_range(_first(query.get("from")), _first(query.get("to")))
        except FilterError as exc:
            errors.append(str(exc))
            period = DEFAULT_PERIOD
    if period != "custom":
        start, end = period_range(period, today)
    values: dict[str, Any] = {}
    for key, name in LIST_KEYS.items():
        raw = _first(query.get(key))
        if not raw:
            continue
        try:
            values[name] = getattr(make_filter(**{name: raw}, known=known), name)
        except FilterError as exc:
            errors.append(str(exc).replace(f"{name}:", f"{key}:", 1))
    f = make_filter(date_from=start, date_to=end, **values)
    return BriefingView(period, f, lang, tuple(errors))


def custom_range(first: Any, last: Any) -> tuple[dt.date, dt.date]:
    """[from, to) of a custom range given by its first and last day (inclusive), validated."""
    if not first or not last:
        raise FilterError("from, to: a custom period needs both dates (YYYY-MM-DD)")
    start = make_filter(date_from=first).date_from
    end_incl = make_filter(date_from=last).date_from
    if end_incl < start:
        raise FilterError("to: the last day comes before the first")
    if (end_incl - start).days >= MAX_CUSTOM_DAYS:
        raise FilterError(f"from, to: at most {MAX_CUSTOM_DAYS} days")
    return start, end_incl + dt.timedelta(days=1)


def to_search(view: BriefingView, *, lang: str | None = None) -> str:
    """The canonical URL query of a view (what a shared link holds)."""
    f = view.filter
    params: list[tuple[str, str]] = [("period", view.period)]
    if view.period == "custom":
        params += [("from", f.date_from.isoformat()), ("to", (f.date_to - dt.timedelta(days=1)).isoformat())]
    for key, name in LIST_KEYS.items():
        if getattr(f, name):
            params.append((key, ",".join(getattr(f, name))))
    lang = lang or view.lang
    if lang != i18n.DEFAULT_LANGUAGE:
        params.append(("lang", lang))
    return "?" + urlencode(params, safe=",")


def view_from_controls(
    period: Any, start: Any, end: Any, lang: str, now: dt.datetime, known: KnownCodes | None = None, **lists: Any
) -> BriefingView:
    """The view the filter bar's controls describe (values checked like a URL's)."""
    query: dict[str, Any] = {"period": period if isinstance(period, str) else DEFAULT_PERIOD, "lang": lang}
    if query["period"] == "custom":
        query["from"], query["to"] = (
            start[:10] if isinstance(start, str) else None,
            end[:10] if isinstance(end, str) else None,
        )
    for key in LIST_KEYS:
        value = lists.get(key)
        if isinstance(value, str):
            value = [value]
        if isinstance(value, (list, tuple)):
            query[key] = ",".join(v for v in value if isinstance(v, str))
    return parse_view(query, now, lang, known)


# --- what a person reads about the view ----------------------------------------------------------------


def period_text(f: KpiFilter, lang: str) -> str:
    """27 Nov 2026 or 21 Nov 2026 – 27 Nov 2026 (last day inclusive)."""
    first = dt.datetime.combine(f.date_from, dt.time(12), WIB)
    last = dt.datetime.combine(f.date_to - dt.timedelta(days=1), dt.time(12), WIB)
    if first.date() == last.date():
        return i18n.format_date(first, lang)
    return f"{i18n.format_date(first, lang)} – {i18n.format_date(last, lang)}"


def filter_lines(view: BriefingView, lang: str) -> list[tuple[str, str]]:
    """(label, value) of every filter in use, for the printed header and the exports' header block."""
    f = view.filter
    lines = [
        (
            i18n.t("briefing.filter.period", lang),
            f"{i18n.t(f'briefing.period.{view.period}', lang)}: {period_text(f, lang)}",
        )
    ]
    kinds = {
        "opd": None,
        "kecamatan": "kecamatan",
        "channel": "channel",
        "category": "complaint_category",
        "incident_category": "incident_category",
    }
    for name, kind in kinds.items():
        values = getattr(f, name)
        if kind == "kecamatan":
            shown = [i18n.kecamatan_name(v, lang) for v in values]
        elif kind:
            shown = [i18n.label(kind, v, lang) for v in values]
        else:
            shown = list(values)
        lines.append(
            (
                i18n.t(f"briefing.filter.{name}", lang),
                ", ".join(shown) if shown else i18n.t("briefing.filter.all", lang),
            )
        )
    return lines


def change(current: float | int | None, previous: float | int | None) -> dict[str, float | None]:
    """The change of a figure against the previous period: absolute and, where meaningful, relative (%)."""
    if current is None or previous is None:
        return {"delta": None, "pct": None}
    delta = current - previous
    return {"delta": round(delta, 4), "pct": round(100.0 * delta / previous, 1) if previous else None}
