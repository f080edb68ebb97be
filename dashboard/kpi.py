"""KPI rules shared by the wall, the briefing and the public embeds: pure functions, no database.

The queries in data_sources/kpi_*.py compute the figures in SQL; the rules that classify and qualify
them (SLA states, the Wilson interval, red/amber/green, the age buckets) and the written definitions live
here, so that every view reads the same rule from one place.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

# --- complaints: the SLA clock ---------------------------------------------------------------------

SLA_STATES = ("on_track", "at_risk", "critical", "breached")
AT_RISK_FROM = 0.50
CRITICAL_FROM = 0.75


def sla_state(used_fraction: float) -> str:
    """State of an open complaint from the share of its SLA time used (1.0 = the deadline)."""
    if used_fraction >= 1.0:
        return "breached"
    if used_fraction >= CRITICAL_FROM:
        return "critical"
    if used_fraction >= AT_RISK_FROM:
        return "at_risk"
    return "on_track"


# Age of an open complaint, in hours: [low, high) per bucket, the last one open-ended.
BACKLOG_BUCKETS = (("lt_1d", 0, 24), ("1_3d", 24, 72), ("3_7d", 72, 168), ("7_30d", 168, 720), ("ge_30d", 720, None))

# --- 112 incidents --------------------------------------------------------------------------------

CITY_RESPONSE_MINUTES = 7.4  # the city's published mean response time
NENA_ANSWER_SECONDS = (15, 20)  # NENA: 90 % of calls answered within 15 s, 95 % within 20 s
NENA_ANSWER_TARGETS = {15: 90.0, 20: 95.0}

# --- league table ---------------------------------------------------------------------------------

DEFAULT_MIN_SAMPLE = 30
WILSON_Z95 = 1.959963984540054


def wilson_interval(successes: int, total: int, z: float = WILSON_Z95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion, as fractions in [0, 1]; None without observations."""
    if total <= 0:
        return None
    if not 0 <= successes <= total:
        raise ValueError("successes must lie between 0 and total")
    p = successes / total
    z2 = z * z
    centre = (p + z2 / (2 * total)) / (1 + z2 / total)
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / (1 + z2 / total)
    # Clamped to contain p itself: at p = 0 or 1 rounding can leave the bound a hair on the wrong side.
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))


@dataclass(frozen=True)
class LeagueRow:
    opd: str
    within: int
    measured: int
    rate_pct: float | None
    ci_low_pct: float | None
    ci_high_pct: float | None
    ranked: bool  # False below the minimum sample: shown, never placed


def league_table(rows: list[tuple[str, int, int]], min_sample: int = DEFAULT_MIN_SAMPLE) -> list[LeagueRow]:
    """OPD league on the SLA rate, ranked by the lower Wilson bound (so two lucky complaints do not win).

    `rows` are (opd, answered within SLA, measured). OPDs under `min_sample` come last, unranked.
    """
    out = []
    for opd, within, measured in rows:
        ci = wilson_interval(within, measured)
        out.append(
            LeagueRow(
                opd,
                within,
                measured,
                _pct(within, measured),
                round(ci[0] * 100, 2) if ci else None,
                round(ci[1] * 100, 2) if ci else None,
                measured >= min_sample,
            )
        )
    return sorted(out, key=lambda r: (not r.ranked, -(r.ci_low_pct or 0.0), -(r.rate_pct or 0.0), r.opd))


# --- e-government ---------------------------------------------------------------------------------

RAG_STATES = ("green", "amber", "red")
DEFAULT_RAG_GREEN = 1.00  # value reaches 100 % of target
DEFAULT_RAG_AMBER = 0.90  # value reaches 90 % of target
LOWER_IS_BETTER_UNITS = frozenset({"days"})


def rag_state(
    value: float | None,
    target: float | None,
    *,
    lower_is_better: bool = False,
    green: float = DEFAULT_RAG_GREEN,
    amber: float = DEFAULT_RAG_AMBER,
) -> str | None:
    """Red, amber or green of a value against its target; None when either is missing.

    Higher-is-better: green from `green` x target, amber from `amber` x target. Lower-is-better (days):
    green up to target / green, amber up to target / amber.
    """
    if value is None or target is None:
        return None
    if lower_is_better:
        if value <= 0 or target <= 0:
            return "green" if value <= target else "red"
        achievement = target / value
    else:
        if target == 0:
            return "green" if value >= 0 else "red"
        achievement = value / target if target > 0 else (2 - value / target)
    if achievement >= green:
        return "green"
    if achievement >= amber:
        return "amber"
    return "red"


# E-government metric kinds, declared once. A *flow* accumulates over its period (tenders let this month,
# the savings they made): a running month's value is month-to-date and is judged against the target
# prorated by the month's elapsed share. A *stock* is a level or share at a moment (percentages,
# realisation to date): judged against the whole target at any time. A metric not named here is a stock
# (the rule it always had).
FLOW_METRICS = frozenset({"tender_count", "tender_savings_idr"})
EGOV_WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
MIN_JUDGED_PROGRESS = 0.1  # before a tenth of the period has passed, a flow is not judged yet


def metric_kind(metric: str) -> str:
    return "flow" if metric in FLOW_METRICS else "stock"


def period_progress(period: str, now: dt.datetime) -> float:
    """The elapsed share (0..1) at `now` of a reading's period: a WIB month (YYYY-MM) or day (YYYY-MM-DD)."""
    try:
        if len(period) == 7:
            start = dt.datetime.strptime(period, "%Y-%m").replace(tzinfo=EGOV_WIB)
            end = (start + dt.timedelta(days=32)).replace(day=1)
        else:
            start = dt.datetime.strptime(period, "%Y-%m-%d").replace(tzinfo=EGOV_WIB)
            end = start + dt.timedelta(days=1)
    except ValueError:
        return 1.0  # a period we cannot read is taken as closed: the whole target
    return min(1.0, max(0.0, (now - start) / (end - start)))


def egov_judgement(
    metric: str,
    unit: str | None,
    value: float | None,
    target: float | None,
    period: str,
    now: dt.datetime,
    *,
    lower_is_better: bool = False,
    green: float = DEFAULT_RAG_GREEN,
    amber: float = DEFAULT_RAG_AMBER,
) -> dict:
    """{rag, yardstick, yardstick_target, progress} of one reading at `now`. `yardstick` says what the value
    was judged against, for the screen to say it: "period" (the whole target) or "to_date" (a flow of a
    running period against the target prorated by its elapsed share; no state before MIN_JUDGED_PROGRESS,
    nor while fewer than one counted item is due)."""
    progress = period_progress(period, now)
    if metric_kind(metric) == "flow" and progress < 1.0 and target is not None:
        due = target * progress
        early = progress < MIN_JUDGED_PROGRESS or (unit == "count" and abs(due) < 1)
        rag = None if early else rag_state(value, due, lower_is_better=lower_is_better, green=green, amber=amber)
        return {"rag": rag, "yardstick": "to_date", "yardstick_target": round(due, 2), "progress": round(progress, 3)}
    rag = rag_state(value, target, lower_is_better=lower_is_better, green=green, amber=amber)
    return {"rag": rag, "yardstick": "period", "yardstick_target": target, "progress": round(progress, 3)}


# --- arithmetic shared with the queries -------------------------------------------------------------


def percentile(values, q: float) -> float | None:
    """Linear interpolation between ranks (PostgreSQL's percentile_cont, NumPy's default); q in 0..1."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * q
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


pct = _pct

# --- definitions (the README carries the same text) ---------------------------------------------------

DEFINITIONS = {
    "first_response": "The first `responded` status of a complaint; its time runs from creation to that status.",
    "sla_rate": (
        "Of the complaints created in the period: those answered within their SLA, divided by those "
        "answered plus those whose deadline passed unanswered. Open complaints not yet due are left out."
    ),
    "sla_rate_by_deadline": (
        "Of the complaints whose deadline fell in the period up to now: those answered by their deadline. "
        "Every one has its outcome, so a period still running is measured fairly (the SLA rate, by creation, "
        "leaves out what is not yet due and flatters it)."
    ),
    "reopened_rate": "Of the complaints created in the period: those re-opened at least once.",
    "same_channel_rate": (
        "Of the period's complaints with a first response: those answered on the channel they came in by."
    ),
    "percentile": "Linear interpolation between ranks (PostgreSQL percentile_cont, NumPy's default).",
    "sla_state": "Open complaints awaiting their first response: on track below 50 % of their SLA time used, at "
    "risk from 50 %, critical from 75 %, breached at 100 %. An answered complaint has left the SLA "
    "clock (the SLA rate counts it).",
    "response_time": "112: from the report (the call starting to ring) to the first unit's arrival. An arrival "
    "stamped before its report is a clock error: counted apart, left out of the times.",
    "rag": "E-government: green when the latest value reaches its target, amber from 90 % of it, red below; "
    "a flow metric of a running month (tenders) against its target prorated by the month's elapsed share.",
}
