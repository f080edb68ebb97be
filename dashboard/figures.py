"""The shared vocabulary of figures: every figure that appears on more than one screen (the live page, the
wall, the briefing, the public embeds) has one name here, one label and one definition (texts in
dashboard/texts_figures.py), and one function of the KPI engine that computes it (`ENGINE`, for the
reader; the screens call it). Two different figures never share a label.

A screen marks the element that shows a figure with `data-figure="<name>"` (`mark`), so a test can render
every screen on the same data at the same `now` and compare what each says (tests/integration/
test_vocabulary.py).
"""

from __future__ import annotations

from dashboard.i18n import t

# name -> the KPI engine function (and key) every screen takes it from
ENGINE: dict[str, str] = {
    "complaints_received": "data_sources.kpi.complaints.period_figures: received",
    "sla_rate": "data_sources.kpi.complaints.period_figures: responded_within_sla_pct",
    "sla_rate_by_deadline": "data_sources.kpi.complaints.period_figures: responded_by_deadline_pct",
    "first_response": "data_sources.kpi.complaints.period_figures: first_response_p50_h, first_response_p90_h",
    "complaints_open": "data_sources.kpi.complaints.open_now: open",
    "awaiting_first_response": "data_sources.kpi.complaints.open_sla_states: open",
    "overdue_unanswered": "data_sources.kpi.complaints.open_sla_states: counts.breached",
    "incidents_active": "data_sources.kpi.incidents.active_counts: active",
    "incidents_reported": "data_sources.kpi.incidents.period_figures: reported",
    "response_112": "data_sources.kpi.incidents.period_figures: response_p50_min, response_p90_min",
    "reopened_rate": "data_sources.kpi.complaints.period_figures: reopened_pct",
    "same_channel_rate": "data_sources.kpi.complaints.period_figures: same_channel_reply_pct",
}
NAMES = tuple(ENGINE)
# figures shown as "{n} ..." inside another figure's card
COUNTED = ("awaiting_first_response", "overdue_unanswered", "incidents_reported")
# what a screen may add after a label to name its period ("Aduan masuk hari ini")
PERIOD_QUALIFIERS = ("today",)


def label(name: str, lang: str, period: str | None = None) -> str:
    text = t(f"figure.{name}", lang)
    return f"{text} {t(f'figure.period.{period}', lang)}" if period else text


def count(name: str, n: str, lang: str) -> str:
    """The figure as a phrase with its number, e.g. "53 lewat batas"."""
    return t(f"figure.{name}.count", lang, n=n)


def definition(name: str, lang: str) -> str:
    return t(f"figure.{name}.definition", lang)


def mark(name: str, lang: str) -> dict[str, str]:
    """The attributes of the element that shows the figure: its name, and its definition on hover."""
    if name not in ENGINE:
        raise KeyError(name)
    return {"data-figure": name, "title": definition(name, lang)}


def running(end_utc, now) -> bool:
    """Whether a period is still running at `now` (no end, or an end still to come): its SLA rate by
    creation would flatter, and the screens show the rate by deadline instead."""
    return end_utc is None or end_utc > now
