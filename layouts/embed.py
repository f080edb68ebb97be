"""The public embeds (/embed/<widget>): one small skeleton for every widget, the widget body drawn from its
published figures, and the webmasters' gallery at /embed.

A widget lives in an iframe 300 to 800 px wide: one column, text that wraps, charts with `responsive`.
The theme is set on <html> by the embed app's index (no flash of the wrong colours); the body arrives by
the widget's one callback. Every body names its period, the time of its data and its source.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from dash import dcc, html

from dashboard import figures, i18n
from dashboard.embed_widgets import SPAN_PERIODS, WIDGETS, EmbedQuery, is_year
from dashboard.i18n import format_number, label, t
from layouts.embed_ppid import report as ppid_report
from layouts.map_figures import THEMES


@dataclass(frozen=True)
class BaseMap:
    """The kecamatan map the map widget colours: boundaries for the browser, whether they are the schematic
    ones, and the map style."""

    geojson: dict
    schematic: bool
    style: str


GRID = "rgba(128, 128, 128, 0.25)"  # reads on the light and the dark theme alike
MAP_VIEW = (300, 290)  # the city fitted into the narrowest iframe; wider ones show it centred
REFRESH_MS = 300_000  # a public page's figures are published every few minutes; ask again every five
# iframe heights (CSS px) that show a whole widget 300 px wide and 800 px wide, measured in Chromium with
# the demo data (texts wrap more in a narrow column); the snippet proposes the first
HEIGHTS = {
    "complaints-month": (330, 230),
    "sla-trend": (470, 420),
    "complaints-category": (510, 430),
    "complaints-map": (600, 540),
    "incidents-112": (730, 610),
    "egov": (570, 450),
    "ppid": (900, 560),
}


class ids:
    url = "embed-url"
    refresh = "embed-refresh"
    body = "embed-body"


def layout() -> html.Div:
    return html.Div(
        className="embed-root",
        children=[
            dcc.Location(id=ids.url, refresh=False),
            dcc.Interval(id=ids.refresh, interval=REFRESH_MS),
            html.Div(id=ids.body, className="embed-widget", children=html.Div("…", className="embed-loading")),
        ],
    )


# --- widget bodies ------------------------------------------------------------------------------------


def _month_name(month: str, lang: str) -> str:
    year, m = int(month[:4]), int(month[5:])
    return f"{i18n.MONTHS[i18n.language(lang)][m - 1]} {year}"


def _period_text(query: EmbedQuery, months: list[str]) -> str:
    if query.period in SPAN_PERIODS:
        return (
            f"{t('embed.period.months', query.lang, n=SPAN_PERIODS[query.period])} "
            f"({_month_name(months[0], query.lang)} – {_month_name(months[-1], query.lang)})"
        )
    if query.period == "latest":
        return t("embed.period.latest", query.lang)
    if is_year(query.period):
        return t("embed.period.year", query.lang, year=months[0][:4])
    return _month_name(months[0], query.lang)


def _count(value: Any, lang: str) -> str:
    return format_number(int(value), lang)


def _rounded_note(lang: str) -> str:
    # every published count is rounded to base 5 (dashboard/disclosure.py): the reader must know
    return t("embed.rounded_note", lang)


def _footer(query: EmbedQuery, data: dict, notes: list[str]) -> html.Footer:
    as_of = dt.datetime.fromisoformat(data["as_of"])
    lines = [
        t(
            "embed.as_of",
            query.lang,
            time=f"{i18n.format_date(as_of, query.lang)} {i18n.format_time(as_of, query.lang)[:5]}",
            period=_period_text(query, data["months"]),
        ),
        t(WIDGETS[query.widget].source, query.lang),
        *notes,
    ]
    return html.Footer(className="embed-footer", children=[html.Div(line) for line in lines])


def body(query: EmbedQuery, data: dict, base_map: BaseMap | None = None) -> list:
    """The widget's title, figures and footer; `base_map` is what the map widget draws on."""
    if query.widget == "complaints-map":
        main, notes = _map(query, data, base_map)
    else:
        draw = {
            "complaints-month": _complaints_month,
            "sla-trend": _sla_trend,
            "complaints-category": _by_category,
            "incidents-112": _incidents,
            "egov": _egov,
            "ppid": ppid_report,
        }[query.widget]
        main, notes = draw(query, data)
    return [
        html.H1(t(f"embed.widget.{query.widget}", query.lang), className="embed-title"),
        html.Div(className="embed-main", children=main),
        _footer(query, data, notes),
    ]


def error_body(message: str, lang: str) -> list:
    return [html.H1(t("embed.error.title", lang), className="embed-title"), html.P(message, className="embed-error")]


def _complaints_month(query: EmbedQuery, data: dict):
    lang = query.lang
    pct = data["within_pct"]
    share = html.Div(
        className="embed-figure",
        **figures.mark("sla_rate", lang),
        children=[
            html.Div(f"{format_number(pct, lang, 1)}%" if pct is not None else "–", className="embed-number"),
            html.Div(figures.label("sla_rate", lang), className="embed-label"),
            html.Div(
                t("figure.sla_measured", lang, n=_count(data["measured"], lang))
                if pct is not None
                else t("embed.too_few", lang),
                className="embed-detail",
            ),
        ],
    )
    received = html.Div(
        className="embed-figure",
        **figures.mark("complaints_received", lang),
        children=[
            html.Div(_count(data["received"], lang), className="embed-number"),
            html.Div(figures.label("complaints_received", lang), className="embed-label"),
        ],
    )
    return [html.Div(className="embed-figures", children=[received, share])], [_rounded_note(lang)]


def _colours(theme: str) -> dict:
    return THEMES[theme]


def _chart_layout(query: EmbedQuery, **extra) -> dict:
    colours = _colours(query.theme)
    layout = {
        "paper_bgcolor": colours["paper"],
        "plot_bgcolor": colours["paper"],
        "font": {"color": colours["text"], "size": 13},
        "separators": ",." if query.lang == "id" else ".,",
        "margin": {"l": 44, "r": 12, "t": 8, "b": 40},
        "showlegend": False,
        "xaxis": {"fixedrange": True, "showgrid": False, "automargin": True},
        "yaxis": {"fixedrange": True, "gridcolor": GRID, "rangemode": "tozero", "automargin": True},
    }
    layout.update(extra)
    return layout


def _graph(figure: dict, name: str) -> dcc.Graph:
    # responsive: Plotly follows the iframe's width and the height embed.css gives the graph
    return dcc.Graph(
        id=f"embed-graph-{name}",
        figure=figure,
        responsive=True,
        className=f"embed-graph embed-graph-{name}",
        config={"displayModeBar": False, "scrollZoom": False, "responsive": True},
    )


def _sla_trend(query: EmbedQuery, data: dict):
    lang, rows = query.lang, data["rows"]
    x = [_month_name(r["month"], lang) for r in rows]
    y = [r["within_pct"] for r in rows]
    text = [f"{format_number(v, lang, 1)}%" if v is not None else t("embed.too_few", lang) for v in y]
    figure = {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": x,
                "y": y,
                "text": text,
                "hovertemplate": "%{x}: %{text}<extra></extra>",
                "connectgaps": False,
                "line": {"color": _colours(query.theme)["scale"][-3], "width": 3},
            }
        ],
        "layout": _chart_layout(
            query, yaxis={"range": [0, 100], "ticksuffix": "%", "fixedrange": True, "gridcolor": GRID}
        ),
    }
    return [html.Div(t("embed.share_pct", lang), className="embed-label"), _graph(figure, "sla")], []


def _bars(items: list[tuple[str, Any]], lang: str) -> html.Ul:
    top = max([int(v) for _, v in items] or [1]) or 1
    rows = []
    for name, value in items:
        width = 100 * int(value) / top
        rows.append(
            html.Li(
                className="embed-bar-row",
                children=[
                    html.Span(name, className="embed-bar-name"),
                    html.Span(
                        className="embed-bar-track",
                        children=html.Span(
                            className="embed-bar", style={"width": f"{max(width, 0.5 if value else 0):.1f}%"}
                        ),
                    ),
                    html.Span(_count(value, lang), className="embed-bar-value"),
                ],
            )
        )
    return html.Ul(rows, className="embed-bars")


def _ordered(cells: dict[str, Any]) -> list[tuple[str, Any]]:
    return sorted(cells.items(), key=lambda kv: (-int(kv[1]), kv[0]))


def _by_category(query: EmbedQuery, data: dict):
    lang = query.lang
    items = [(label("complaint_category", k, lang), v) for k, v in _ordered(data["cells"])]
    total = html.Div(f"{t('embed.total', lang)}: {_count(data['total'], lang)}", className="embed-total")
    return [total, _bars(items, lang)], [_rounded_note(lang)]


def _map(query: EmbedQuery, data: dict, base_map: BaseMap):
    from layouts.map_figures import choropleth_figure, fit_view

    lang = query.lang
    cells = data["cells"]
    values = {k: int(v) for k, v in cells.items() if k != "unknown"}
    figure = choropleth_figure(
        values,
        base_map.geojson,
        title=None,
        unit="",
        lang=lang,
        schematic=base_map.schematic,
        theme=query.theme,
        style=base_map.style,
        viewport=MAP_VIEW,
    )
    # narrow iframes: the colour bar under the map, the schematic note in the footer where it wraps
    layout = figure["layout"]
    layout["annotations"] = []
    layout["map"].update(fit_view(MAP_VIEW, (6, 6, 6, 6)))
    layout.update(margin={"l": 0, "r": 0, "t": 0, "b": 60})
    layout["font"]["size"] = 12
    for trace in figure["data"]:
        if "colorbar" in trace:
            trace["colorbar"].update(
                orientation="h",
                x=0.5,
                xanchor="center",
                y=0,
                yanchor="top",
                len=0.9,
                thickness=10,
                xpad=0,
                ypad=8,
                title={"text": ""},
                tickfont={"size": 12, "color": _colours(query.theme)["text"]},
            )
    notes = [t("map.schematic", lang)] if base_map.schematic else []
    notes.append(_rounded_note(lang))
    total = f"{t('embed.total', lang)}: {_count(data['total'], lang)}"
    if cells.get("unknown"):
        total += f" · {t('embed.unknown_place', lang)}: {_count(cells['unknown'], lang)}"
    return [html.Div(total, className="embed-total"), _graph(figure, "map")], notes


def _incidents(query: EmbedQuery, data: dict):
    lang, rows = query.lang, data["rows"]
    colours = _colours(query.theme)
    x = [_month_name(r["month"], lang) for r in rows]
    counts = [r["reported"] for r in rows]
    figure = {
        "data": [
            {
                "type": "bar",
                "x": x,
                "y": counts,
                "name": t("embed.reported", lang),
                "marker": {"color": colours["scale"][2]},
                "text": [_count(r["reported"], lang) for r in rows],
                "textposition": "none",
                "hovertemplate": "%{x}: %{text}<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": x,
                "y": [r["p50_min"] for r in rows],
                "yaxis": "y2",
                "name": t("embed.response_p50", lang),
                "line": {"color": colours["scale"][-2], "width": 3},
                "connectgaps": False,
                "hovertemplate": "%{x}: %{y:.1f}<extra></extra>",
            },
        ],
        "layout": _chart_layout(
            query,
            showlegend=True,
            legend={"orientation": "h", "y": -0.25, "x": 0},
            margin={"l": 44, "r": 44, "t": 8, "b": 60},
            yaxis2={
                "overlaying": "y",
                "side": "right",
                "rangemode": "tozero",
                "fixedrange": True,
                "showgrid": False,
                "tickmode": "auto",
                "ticksuffix": " mnt" if lang == "id" else " min",
            },
        ),
    }
    sensitive = html.Table(
        className="embed-table",
        children=[
            html.Thead(
                html.Tr(
                    [html.Th("")] + [html.Th(label("incident_category", c, lang)) for c in rows[0]["sensitive"]]
                    if rows
                    else []
                )
            ),
            html.Tbody(
                [
                    html.Tr(
                        [html.Td(_month_name(r["month"], lang))]
                        + [html.Td(_count(v, lang)) for v in r["sensitive"].values()]
                    )
                    for r in rows[-3:]
                ]
            ),
        ],
    )
    notes = [t("embed.sensitive_note", lang), _rounded_note(lang)]
    return [_graph(figure, "112"), sensitive], notes


def _egov(query: EmbedQuery, data: dict):
    lang = query.lang
    indicators = data["indicators"]
    if not indicators:
        return [html.P(t("embed.egov.empty", lang))], []
    rows = []
    for domain in sorted({i["domain"] for i in indicators}):
        rows.append(html.Tr(html.Th(label("egov_domain", domain, lang), colSpan=3, className="embed-domain")))
        for i in (i for i in indicators if i["domain"] == domain):
            key = f"wall.metric.{i['metric']}"
            name = t(key, lang) if key in i18n.TEXTS else i["metric"].replace("_", " ").capitalize()
            rows.append(
                html.Tr(
                    [
                        html.Td(name),
                        html.Td(
                            html.Span(
                                i18n.format_metric(i["value"], i["unit"], lang),
                                className=f"embed-rag-{i['rag'] or 'none'}",
                            )
                        ),
                        html.Td(_egov_target(i, lang)),
                    ]
                )
            )
    head = html.Thead(
        html.Tr([html.Th(""), html.Th(t("embed.egov.value", lang)), html.Th(t("embed.egov.target", lang))])
    )
    to_date = any(i.get("yardstick") == "to_date" for i in indicators)
    notes = [t("embed.egov.to_date_note", lang)] if to_date else []
    return [html.Table([head, html.Tbody(rows)], className="embed-table embed-egov")], notes


def _egov_target(indicator: dict, lang: str):
    """The yardstick a value was judged against: the target, or for a running month's flow its share to date
    (on two lines: a 300 px iframe has no room for one)."""
    target = i18n.format_metric(indicator["target"], indicator["unit"], lang)
    if indicator.get("yardstick") != "to_date":
        return target
    due = i18n.format_metric(indicator.get("yardstick_target"), indicator["unit"], lang)
    return [html.Div(due), html.Div(t("embed.egov.to_date", lang, total=target), className="embed-yardstick")]


# --- the gallery ----------------------------------------------------------------------------------------
