"""The public embed widgets and their URL parameters: an allowlist, and a validated query out of raw text.

Every widget at /embed/<name> takes ?lang=id|en, ?theme=light|dark and ?period= of its kind:
a month ("this_month", "last_month" or YYYY-MM) for the one-period widgets, a span of months
("6m", "12m", "24m") for the trends, "latest" for the e-government indicators, and a year ("this_year",
"last_year" or YYYY) or a month for the PPID's information-service report. Anything else is an
EmbedParamError whose message can be shown as it is.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from dashboard.i18n import LANGUAGES

WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
THEMES = ("light", "dark")
MONTH_PERIODS = ("this_month", "last_month")
YEAR_PERIODS = ("this_year", "last_year")
SPAN_PERIODS = {"6m": 6, "12m": 12, "24m": 24}
EARLIEST_MONTH = (2000, 1)
MAX_QUERY_CHARS = 256
# what ?period= takes per widget kind, as the gallery tells webmasters
PERIOD_CHOICES = {
    "month": "this_month|last_month|YYYY-MM",
    "span": "6m|12m|24m",
    "latest": "latest",
    "report": "this_year|last_year|YYYY|this_month|last_month|YYYY-MM",
}
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR_RE = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Widget:
    name: str
    kind: str  # "month", "span", "latest" or "report" (a year or a month): which periods it takes
    default_period: str
    source: str  # i18n key of the data's source


WIDGETS: dict[str, Widget] = {
    w.name: w
    for w in (
        Widget("complaints-month", "month", "this_month", "embed.source.complaints"),
        Widget("sla-trend", "span", "12m", "embed.source.complaints"),
        Widget("complaints-category", "month", "this_month", "embed.source.complaints"),
        Widget("complaints-map", "month", "this_month", "embed.source.complaints"),
        Widget("incidents-112", "span", "12m", "embed.source.incidents"),
        Widget("egov", "latest", "latest", "embed.source.egov"),
        Widget("ppid", "report", "this_year", "embed.source.ppid"),
    )
}


class EmbedParamError(ValueError):
    """A widget name or parameter is not allowed; the message is safe to show."""


@dataclass(frozen=True)
class EmbedQuery:
    widget: str
    lang: str
    theme: str
    period: str

    def key(self) -> str:
        return f"{self.widget}|{self.lang}|{self.theme}|{self.period}"


def widget_of(path: object) -> str:
    """The widget name of an /embed/<name> path (the gallery is not a widget)."""
    if not isinstance(path, str) or len(path) > 64:
        raise EmbedParamError("unknown widget")
    name = path.rstrip("/").rsplit("/", 1)[-1] if path.startswith("/embed/") else ""
    if name not in WIDGETS:
        raise EmbedParamError("unknown widget")
    return name


def parse_search(search: object) -> dict[str, str]:
    """A URL's query text ("?lang=en&theme=dark") as a dict; repeated or over-long parameters are refused."""
    if search is None or search == "":
        return {}
    if not isinstance(search, str) or len(search) > MAX_QUERY_CHARS:
        raise EmbedParamError("query too long")
    pairs = parse_qsl(search.lstrip("?"), keep_blank_values=True)
    out: dict[str, str] = {}
    for key, value in pairs:
        if key in out:
            raise EmbedParamError(f"parameter {key[:20]!r} given twice")
        out[key] = value
    return out


def make_query(widget: str, params: dict[str, str], default_lang: str = "id") -> EmbedQuery:
    """Validate the parameters of one widget. Unknown parameter names (a portal's cache buster) are ignored:
    they change nothing that is served."""
    if widget not in WIDGETS:
        raise EmbedParamError("unknown widget")
    spec = WIDGETS[widget]
    lang = params.get("lang") or default_lang
    if lang not in LANGUAGES:
        raise EmbedParamError("lang must be 'id' or 'en'")
    theme = params.get("theme") or "light"
    if theme not in THEMES:
        raise EmbedParamError("theme must be 'light' or 'dark'")
    period = params.get("period") or spec.default_period
    if spec.kind == "month":
        if period not in MONTH_PERIODS and not _valid_month(period):
            raise EmbedParamError("period must be this_month, last_month or a month as YYYY-MM")
    elif spec.kind == "report":
        if period not in YEAR_PERIODS + MONTH_PERIODS and not _valid_year(period) and not _valid_month(period):
            raise EmbedParamError(
                "period must be this_year, last_year, a year as YYYY, this_month, last_month or YYYY-MM"
            )
    elif spec.kind == "span":
        if period not in SPAN_PERIODS:
            raise EmbedParamError("period must be 6m, 12m or 24m")
    elif period != "latest":
        raise EmbedParamError("period must be latest")
    return EmbedQuery(widget, lang, theme, period)


def _valid_month(text: str) -> bool:
    m = _MONTH_RE.match(text)
    if not m:
        return False
    year, month = int(m.group(1)), int(m.group(2))
    return 1 <= month <= 12 and (year, month) >= EARLIEST_MONTH and year <= 2100


def _valid_year(text: str) -> bool:
    return bool(_YEAR_RE.match(text)) and EARLIEST_MONTH[0] <= int(text) <= 2100


def is_year(period: str) -> bool:
    return period in YEAR_PERIODS or bool(_YEAR_RE.match(period))


def month_start(year: int, month: int) -> dt.datetime:
    """The first instant of a WIB month, in UTC."""
    while month < 1:
        year, month = year - 1, month + 12
    while month > 12:
        year, month = year + 1, month - 12
    return dt.datetime(year, month, 1, tzinfo=WIB).astimezone(dt.UTC)


def period_bounds(query: EmbedQuery, now: dt.datetime) -> tuple[dt.datetime, dt.datetime, list[str]]:
    """(start, end, months) in UTC of a query's period at `now`: a whole WIB month or year, or the last N
    months up to and including the current one. A month or year after the current one is refused."""
    local = now.astimezone(WIB)
    year, month = local.year, local.month
    period = query.period
    if is_year(period):
        wanted = year - 1 if period == "last_year" else (year if period == "this_year" else int(period))
        if wanted > year:
            raise EmbedParamError("period lies in the future")
        return month_start(wanted, 1), month_start(wanted + 1, 1), [f"{wanted:04d}-{m:02d}" for m in range(1, 13)]
    if period == "last_month":
        month -= 1
    elif _MONTH_RE.match(period):
        wanted = (int(period[:4]), int(period[5:]))
        if wanted > (year, month):
            raise EmbedParamError("period lies in the future")
        year, month = wanted
    span = SPAN_PERIODS.get(period, 1)
    start, end = month_start(year, month - span + 1), month_start(year, month + 1)
    months = []
    for i in range(span):
        m = month_start(year, month - span + 1 + i).astimezone(WIB)
        months.append(f"{m.year:04d}-{m.month:02d}")
    return start, end, months
