"""The wall's panels, each drawn from the shared snapshot: the tiles, the 112 ticker, the SLA board, the
PPID board of information requests due, the e-government strip and the feed's health line. A Panel keeps its
rows keyed, so that the browser's render (assets/wall.js) redraws only the rows whose text changed; the
refresh sends each panel as HTML text (layouts/wall.py, panel_view)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dash import html

from dashboard import figures, i18n
from dashboard.i18n import format_number, kecamatan_name, label, t

HEALTH_STREAMS = ("complaints", "incidents", "egov")


EGOV_ON_WALL = 8


@dataclass
class Panel:
    """A panel as its head and its keyed rows, so that the browser redraws only the rows that changed.

    `rows` is None when the panel shows its `empty` message instead. The rows sit in `wrap(rows)` after
    the head; without a wrapper they follow the head."""

    head: list
    rows: list[tuple[str, Any]] | None
    empty: Any = None
    wrap: Callable[[list], Any] | None = None

    def children(self) -> list:
        if self.rows is None:
            return [*self.head, self.empty]
        rows = [row for _, row in self.rows]
        return [*self.head, self.wrap(rows)] if self.wrap else [*self.head, *rows]


def _num(value: float | int | None, lang: str, decimals: int = 0) -> str:
    return "–" if value is None else format_number(value, lang, decimals)


def _tile(key: str, value, detail, modifier: str = "", figure: str | None = None, lang: str = "id") -> html.Div:
    return html.Div(
        className=f"wall-tile {modifier}".strip(),
        **(figures.mark(figure, lang) if figure else {}),
        children=[
            html.Div(key, className="wall-tile-title"),
            html.Div(value, className="wall-tile-value"),
            html.Div(detail, className="wall-tile-detail"),
        ],
    )


def _sla_tile(s: Mapping, lang: str) -> html.Div:
    """Today is always running: the rate by deadline (complaints due today so far), which cannot flatter;
    the rate by creation would be near 100 % by construction until tomorrow."""
    rate = s.get("sla_rate_by_deadline_pct")
    return _tile(
        figures.label("sla_rate_by_deadline", lang),
        "–" if rate is None else f"{format_number(rate, lang, 1)}%",
        t("figure.sla_due_today", lang, n=_num(s.get("sla_due"), lang)),
        "is-complaints",
        "sla_rate_by_deadline",
        lang,
    )


def tiles(snapshot: Mapping | None, lang: str) -> Panel:
    s = (snapshot or {}).get("tiles") or {}
    active = (snapshot or {}).get("active_incidents")
    target = s.get("city_response_min", 7.4)
    p50, p90 = s.get("response_p50_min"), s.get("response_p90_min")
    response = html.Span(
        [
            html.Span(_num(p50, lang, 1), className=_against(p50, target)),
            html.Span(" · ", className="wall-sep"),
            html.Span(_num(p90, lang, 1), className=_against(p90, target)),
        ]
    )
    breached = (s.get("sla_counts") or {}).get("breached", 0)
    firing = s.get("alerts_firing")
    today = t("figure.period.today", lang)
    return Panel(
        [],
        [
            (f"tile{i}", tile)
            for i, tile in enumerate(
                [
                    _tile(
                        figures.label("complaints_received", lang, period="today"),
                        _num(s.get("received_today"), lang),
                        t("wall.tile.yesterday_by_now", lang, n=_num(s.get("received_yesterday"), lang)),
                        "is-complaints",
                        "complaints_received",
                        lang,
                    ),
                    _sla_tile(s, lang),
                    _tile(
                        figures.label("awaiting_first_response", lang),
                        _num(s.get("backlog"), lang),
                        html.Span(
                            figures.count("overdue_unanswered", _num(breached, lang), lang),
                            className="is-bad" if breached else "",
                            **figures.mark("overdue_unanswered", lang),
                        ),
                        "is-complaints",
                        "awaiting_first_response",
                        lang,
                    ),
                    _tile(
                        figures.label("incidents_active", lang),
                        _num(active, lang),
                        html.Span(
                            f"{figures.count('incidents_reported', _num(s.get('incidents_today'), lang), lang)} {today}",
                            **figures.mark("incidents_reported", lang),
                        ),
                        "is-incidents",
                        "incidents_active",
                        lang,
                    ),
                    _tile(
                        figures.label("response_112", lang),
                        response,
                        t("wall.tile.response_target", lang, n=format_number(target, lang, 1)),
                        "is-incidents is-wide",
                        "response_112",
                        lang,
                    ),
                    _tile(
                        t("wall.tile.alerts", lang),
                        html.Span(_num(firing, lang), className="is-bad" if firing else ""),
                        t("wall.tile.alerts_open", lang, n=_num(s.get("alerts_unacknowledged"), lang)),
                        "is-complaints is-alerts",
                    ),
                ]
            )
        ],
    )


def _against(minutes: float | None, target: float) -> str:
    if minutes is None:
        return ""
    return "is-good" if minutes <= target else "is-bad"


def _empty(snapshot: Mapping | None, key: str, lang: str) -> html.Div:
    return html.Div(t("status.loading", lang) if snapshot is None else t(key, lang), className="wall-empty")


def ticker(snapshot: Mapping | None, lang: str) -> Panel:
    head = [html.H2(t("wall.incidents.title", lang), className="wall-panel-title")]
    items = (snapshot or {}).get("newest_incidents")
    if not items:
        return Panel(head, None, _empty(snapshot, "wall.incidents.empty", lang))
    rows = []
    for inc in items:
        category = inc.get("category")
        priority = inc.get("priority")
        level = priority if priority in (1, 2, 3) else 3
        rows.append(
            (
                str(inc.get("incident_id")),
                html.Li(
                    className=f"wall-incident is-p{level}{'' if inc.get('active') else ' is-closed'}",
                    children=[
                        html.Span(
                            t("wall.incidents.p1", lang) if priority == 1 else f"P{_num(priority, lang)}",
                            className="wall-priority",
                        ),
                        html.Span(label("incident_category", category, lang), className="wall-incident-category"),
                        html.Span(kecamatan_name(inc.get("kecamatan_code"), lang), className="wall-incident-place"),
                        html.Span("", className="wall-elapsed", **{"data-since-ms": str(inc.get("reported_ms") or "")}),
                        html.Span(inc.get("incident_id", ""), className="wall-incident-id"),
                    ],
                ),
            )
        )
    return Panel(head, rows, wrap=lambda children: html.Ol(children, className="wall-incidents"))


def sla_board(snapshot: Mapping | None, lang: str) -> Panel:
    counts = ((snapshot or {}).get("tiles") or {}).get("sla_counts") or {}
    head = [
        html.Div(
            className="wall-panel-head",
            children=[
                html.H2(t("wall.sla.title", lang), className="wall-panel-title"),
                html.Div(
                    className="wall-sla-counts",
                    children=[
                        html.Span(
                            [t(f"wall.sla.state.{s}", lang), " ", html.B(_num(counts.get(s), lang))],
                            className=f"is-{s}",
                        )
                        for s in ("breached", "critical", "at_risk", "on_track")
                    ],
                ),
            ],
        )
    ]
    items = (snapshot or {}).get("sla_board")
    if not items:
        return Panel(head, None, _empty(snapshot, "wall.sla.empty", lang))
    header = html.Thead(
        html.Tr(
            [
                html.Th(t(k, lang))
                for k in ("wall.sla.left", "wall.sla.number", "wall.sla.category", "wall.sla.place", "wall.sla.opd")
            ]
        )
    )
    rows = [
        (
            str(c.get("complaint_id")),
            html.Tr(
                className="wall-sla-row",
                **{
                    "data-due-ms": str(c["due_ms"]),
                    "data-at-risk-ms": str(c["at_risk_ms"]),
                    "data-critical-ms": str(c["critical_ms"]),
                },
                children=[
                    html.Td("", className="wall-countdown"),
                    html.Td(c.get("complaint_id", ""), className="wall-sla-id"),
                    html.Td(label("complaint_category", c.get("category"), lang)),
                    html.Td(kecamatan_name(c.get("kecamatan_code"), lang)),
                    html.Td(c.get("opd") or "–"),
                ],
            ),
        )
        for c in items
    ]
    return Panel(
        head,
        rows,
        wrap=lambda children: html.Table([header, html.Tbody(children)], className="wall-sla-table"),
    )


def ppid_left_text(days_left: int, due_passed: bool, lang: str) -> str:
    """What the countdown cell says before the browser's first tick: the browser (assets/wall.js) then
    counts a request due today down to its 23:59:59 WIB and a late one in working days."""
    late = max(0, -days_left)
    if not due_passed:
        return t("wall.ppid.today", lang)
    if late == 0:
        return t("wall.sla.state.breached", lang)
    return t("wall.ppid.late.one" if late == 1 else "wall.ppid.late", lang, n=format_number(late, lang))


def ppid_board(snapshot: Mapping | None, lang: str, now_ms: int | None = None) -> Panel:
    """Information requests due today and overdue (UU KIP: 10 working days, 17 when extended)."""
    data = (snapshot or {}).get("ppid") or {}
    overdue, due_today = data.get("overdue", 0), data.get("due_today", 0)
    items = data.get("items") or []
    more = overdue + due_today - len(items)
    head = [
        html.Div(
            className="wall-panel-head",
            children=[
                html.H2(t("wall.ppid.title", lang), className="wall-panel-title"),
                html.Div(
                    className="wall-sla-counts wall-ppid-counts",
                    children=[
                        html.Span(t("wall.ppid.overdue", lang, n=_num(overdue, lang)), className="is-breached"),
                        html.Span(t("wall.ppid.due_today", lang, n=_num(due_today, lang)), className="is-at_risk"),
                        html.Span(t("wall.ppid.more", lang, n=_num(more, lang)) if more > 0 else ""),
                    ],
                ),
            ],
        )
    ]
    if not items:
        return Panel(head, None, _empty(snapshot, "wall.ppid.none", lang))
    now_ms = now_ms if now_ms is not None else (snapshot or {}).get("computed_ms", 0)
    header = html.Thead(html.Tr([html.Th(t(k, lang)) for k in ("wall.ppid.left", "wall.ppid.opd", "wall.ppid.number")]))
    rows = []
    for r in items:
        due_passed = r["due_ms"] <= now_ms
        rows.append(
            (
                str(r.get("request_id")),
                html.Tr(
                    className=f"wall-ppid-row {'is-overdue' if due_passed else 'is-due-today'}",
                    **{
                        "data-ppid-due-ms": str(r["due_ms"]),
                        "data-ppid-days-left": str(r["days_left"]),
                        "data-ppid-next-ms": str(data.get("next_workday_ms") or ""),
                    },
                    children=[
                        html.Td(ppid_left_text(r["days_left"], due_passed, lang), className="wall-countdown"),
                        html.Td(
                            [
                                html.Span(r.get("opd") or "–", className="wall-ppid-opd"),
                                html.Span(f" · {t('wall.ppid.extended', lang)}", className="wall-ppid-extended")
                                if r.get("extended")
                                else None,
                            ]
                        ),
                        html.Td(r.get("request_id", ""), className="wall-sla-id"),
                    ],
                ),
            )
        )
    return Panel(
        head,
        rows,
        wrap=lambda children: html.Table([header, html.Tbody(children)], className="wall-sla-table wall-ppid-table"),
    )


def _metric_name(metric: str, lang: str) -> str:
    key = f"wall.metric.{metric}"
    return t(key, lang) if key in i18n.TEXTS else metric.replace("_", " ").capitalize()


def egov_strip(snapshot: Mapping | None, lang: str) -> Panel:
    head = [html.H2(t("wall.scene.egov", lang), className="wall-panel-title")]
    items = (snapshot or {}).get("egov")
    if not items:
        return Panel(head, None, _empty(snapshot, "wall.egov.empty", lang))
    cards = []
    for r in items[:EGOV_ON_WALL]:
        rag = r.get("rag") if r.get("rag") in ("green", "amber", "red") else "none"
        target, to_date = r.get("target"), r.get("yardstick") == "to_date"
        if to_date and rag == "none":
            rag = "early"  # a running month's flow, too early to judge: not "no target"
        unit = r.get("unit")
        if target is None:
            target_text = ""
        elif to_date:  # say which yardstick: the month-to-date share of the target, the month's beside it
            target_text = t(
                "wall.egov.target_to_date",
                lang,
                n=i18n.format_metric(r.get("yardstick_target"), unit, lang),
                total=i18n.format_metric(target, unit, lang),
            )
        else:
            target_text = t("wall.egov.target", lang, n=i18n.format_metric(target, unit, lang))
        cards.append(
            (
                f"{r.get('domain')}/{r.get('metric')}",
                html.Div(
                    className=f"wall-egov-card is-{rag}",
                    children=[
                        html.Div(label("egov_domain", r.get("domain"), lang), className="wall-egov-domain"),
                        html.Div(_metric_name(str(r.get("metric")), lang), className="wall-egov-metric"),
                        html.Div(i18n.format_metric(r.get("value"), r.get("unit"), lang), className="wall-egov-value"),
                        html.Div(
                            [
                                html.Span(t(f"wall.egov.rag.{rag}", lang), className="wall-rag"),
                                html.Span(target_text, className="wall-egov-target"),
                            ],
                            className="wall-egov-foot",
                        ),
                    ],
                ),
            )
        )
    return Panel(head, cards, wrap=lambda children: html.Div(children, className="wall-egov-cards"))


def health_line(health: Mapping | None, lang: str) -> Panel:
    parts: list = []
    for source in HEALTH_STREAMS:
        stream = ((health or {}).get("streams") or {}).get(source)
        if stream is None:
            continue
        newest = stream.get("newest_entry_time")
        newest_ms = int(dt.datetime.fromisoformat(newest).timestamp() * 1000) if newest else None
        dead = stream.get("dead_lettered", 0)
        # two lines of their own (name and age; pending and refused), so a growing number never re-flows it
        parts.append(
            (
                source,
                html.Div(
                    className="wall-health-stream",
                    children=[
                        html.Div(
                            [
                                html.B(t(f"stream.{source}", lang)),
                                " ",
                                html.Span(
                                    t("wall.health.none", lang) if newest_ms is None else "",
                                    className="wall-age",
                                    **({"data-newest-ms": str(newest_ms)} if newest_ms else {}),
                                ),
                            ]
                        ),
                        html.Div(
                            [
                                t("wall.health.pending", lang, n=format_number(stream.get("pending", 0), lang)),
                                " · ",
                                html.Span(
                                    t("wall.health.dead", lang, n=format_number(dead, lang)),
                                    className="is-bad" if dead else "",
                                ),
                            ]
                        ),
                    ],
                ),
            )
        )
    return Panel([html.Span(t("health.title", lang), className="wall-health-title")], parts)
