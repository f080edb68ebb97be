"""The briefing's panels drawn from panel data: headline tiles, grids, trend and e-government figures, the
kecamatan map and a complaint's history. Pure functions (data in, components or figure dicts out).

Grids get raw numbers and format them in the browser (assets/dashAgGridFunctions.js) with the language's
separators, so sorting stays numeric; figures use plotly's `separators` for the same look.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import dash_ag_grid as dag
from dash import html

from dashboard import figures, i18n, kpi
from dashboard.briefing import change
from dashboard.briefing_tables import TABLES, status_name
from dashboard.i18n import format_number, t

DECIMALS = {"int": 0, "dec1": 1, "dec2": 2}
# long text cells that wrap, with their least width
WRAPPED = {("ppid", "exemptions"): 170, ("info_requests", "request_text"): 300}
# least widths where the default would cut words: the PPID league's headers, the request list's names
MIN_WIDTHS = {
    "ppid": {"*": 92, "opd": 170, "extended": 112},
    "info_requests": {
        "request_id": 130,
        "received_at": 170,
        "opd": 140,
        "due_at": 170,
        "answered_at": 170,
        "channel": 120,
        "information_kind": 130,
        "answer": 140,
        "exemption": 220,
        "requester_name": 220,
        "requester_organisation": 200,
        "requester_contact": 300,
    },
}


def _num(value, lang: str, decimals: int = 0) -> str:
    return "–" if value is None else format_number(value, lang, decimals)


# --- headline tiles ------------------------------------------------------------------------------------


def _delta(current, previous, lang: str, decimals: int, *, good_when: str | None, unit: str = "") -> html.Div:
    """'▲ 12 (+8,5%) · periode sebelumnya 140', green or red by whether up is good for this figure."""
    d = change(current, previous)
    if d["delta"] is None:
        return html.Div(
            t("briefing.previous", lang, n=_num(previous, lang, decimals) + unit), className="briefing-delta"
        )
    if d["delta"] == 0:
        return html.Div(t("briefing.no_change", lang), className="briefing-delta")
    arrow = "▲" if d["delta"] > 0 else "▼"
    tone = "" if good_when is None else (" is-good" if (d["delta"] > 0) == (good_when == "up") else " is-bad")
    sign = "+" if d["delta"] > 0 else "−"
    text = f"{arrow} {sign}{format_number(abs(d['delta']), lang, decimals)}{unit}"
    if d["pct"] is not None and not unit:
        text += f" ({sign}{format_number(abs(d['pct']), lang, 1)}%)"
    return html.Div(
        [
            html.Span(text, className=f"briefing-change{tone}"),
            " · ",
            t("briefing.previous", lang, n=_num(previous, lang, decimals) + unit),
        ],
        className="briefing-delta",
    )


def _tile(figure: str, value, detail, delta, modifier: str, lang: str) -> html.Div:
    return html.Div(
        className=f"briefing-tile {modifier}",
        **figures.mark(figure, lang),
        children=[
            html.Div(figures.label(figure, lang), className="briefing-tile-title"),
            html.Div(value, className="briefing-tile-value"),
            html.Div(detail, className="briefing-tile-detail"),
            delta,
        ],
    )


def _pair(a, b, lang: str, decimals: int, target: float | None = None) -> html.Span:
    def tone(v):
        return "" if target is None or v is None else ("is-good" if v <= target else "is-bad")

    return html.Span(
        [
            html.Span(_num(a, lang, decimals), className=tone(a)),
            html.Span(" · ", className="briefing-sep"),
            html.Span(_num(b, lang, decimals), className=tone(b)),
        ]
    )


def _pct(value, lang: str) -> str:
    return "–" if value is None else f"{format_number(value, lang, 1)}%"


def _sla_tile(c: Mapping, pc: Mapping, running: bool, lang: str) -> html.Div:
    """A period still running is measured by deadline (complaints due so far, each with its outcome); a
    closed one by creation. The tile's title says which."""
    if running:
        figure, rate, previous = (
            "sla_rate_by_deadline",
            c.get("responded_by_deadline_pct"),
            pc.get("responded_by_deadline_pct"),
        )
        within, measured, of = c.get("answered_by_deadline", 0), c.get("due_in_period", 0), "figure.sla_due"
    else:
        figure, rate, previous = "sla_rate", c["responded_within_sla_pct"], pc["responded_within_sla_pct"]
        within, measured, of = c["answered_within_sla"], c["sla_measured"], "figure.sla_measured"
    ci = kpi.wilson_interval(within, measured)
    detail = t(of, lang, n=_num(measured, lang))
    if ci:
        detail += " · " + t("briefing.tile.ci", lang, low=_num(ci[0] * 100, lang, 1), high=_num(ci[1] * 100, lang, 1))
    delta = _delta(rate, previous, lang, 1, good_when="up", unit=" pp")
    return _tile(figure, _pct(rate, lang), detail, delta, "is-complaints", lang)


def _rate_tile(figure: str, key: str, of: str, base: str, c: Mapping, pc: Mapping, good_when: str, lang: str):
    rate = c.get(key)
    detail = t(of, lang, n=_num(c.get(base), lang)) if c.get(base) is not None else ""
    delta = _delta(rate, pc.get(key), lang, 1, good_when=good_when, unit=" pp")
    return _tile(figure, _pct(rate, lang), detail, delta, "is-complaints is-quality", lang)


def tiles(data: Mapping | None, lang: str) -> list:
    """The headline tiles, each a figure of the shared vocabulary (dashboard.figures), and their definitions."""
    if data is None:
        return [html.Div(t("status.loading", lang), className="briefing-loading")]
    c, i = data["current"]["complaints"], data["current"]["incidents"]
    pc, pi = data["previous"]["complaints"], data["previous"]["incidents"]
    running = bool((data["current"].get("period") or {}).get("running"))
    watch = data["current"].get("sla_watch") or {}
    hours = t("briefing.hours", lang, n="").strip()
    minutes = t("briefing.minutes", lang, n="").strip()
    within = i.get("within_7_4_min_pct")
    shown = [
        _tile(
            "complaints_received",
            _num(c["received"], lang),
            "",
            _delta(c["received"], pc["received"], lang, 0, good_when=None),
            "is-complaints",
            lang,
        ),
        _sla_tile(c, pc, running, lang),
        _tile(
            "first_response",
            [_pair(c["first_response_p50_h"], c["first_response_p90_h"], lang, 1, 24.0), f" {hours}"],
            "",
            _delta(
                c["first_response_p90_h"], pc["first_response_p90_h"], lang, 1, good_when="down", unit=f" {hours} p90"
            ),
            "is-complaints",
            lang,
        ),
        _tile(
            "awaiting_first_response",
            _num(sum(watch.values()) if watch else None, lang),
            html.Span(
                figures.count("overdue_unanswered", _num(watch.get("breached", 0), lang), lang),
                className="is-bad" if watch.get("breached") else "",
                **figures.mark("overdue_unanswered", lang),
            ),
            html.Div(),
            "is-complaints",
            lang,
        ),
        _tile(
            "incidents_reported",
            _num(i["reported"], lang),
            "",
            _delta(i["reported"], pi["reported"], lang, 0, good_when=None),
            "is-incidents",
            lang,
        ),
        _tile(
            "response_112",
            [_pair(i["response_p50_min"], i["response_p90_min"], lang, 1, kpi.CITY_RESPONSE_MINUTES), f" {minutes}"],
            "" if within is None else t("briefing.tile.within_city", lang, n=format_number(within, lang, 1)),
            _delta(i["response_p90_min"], pi["response_p90_min"], lang, 1, good_when="down", unit=f" {minutes} p90"),
            "is-incidents",
            lang,
        ),
        _rate_tile("reopened_rate", "reopened_pct", "figure.of_received", "received", c, pc, "down", lang),
        _rate_tile("same_channel_rate", "same_channel_reply_pct", "figure.of_answered", "responded", c, pc, "up", lang),
    ]
    return [*shown, definitions([getattr(tile, "data-figure") for tile in shown], lang)]


def definitions(names: list[str], lang: str) -> html.Details:
    """What each tile counts, in the words of the shared vocabulary (folded: a leader opens it once)."""
    return html.Details(
        className="briefing-definitions",
        children=[
            html.Summary(t("figure.definitions", lang)),
            html.Dl(
                [
                    part
                    for name in names
                    for part in (html.Dt(figures.label(name, lang)), html.Dd(figures.definition(name, lang)))
                ]
            ),
        ],
    )


# --- grids -----------------------------------------------------------------------------------------------


def column_defs(table: str, lang: str) -> list[dict]:
    lang = i18n.language(lang)
    months = json.dumps(list(i18n.MONTHS[lang]))
    sep = "." if lang == "id" else ":"
    out = []
    for c in TABLES[table]:
        col: dict[str, Any] = {"field": c.key, "headerName": c.header(lang)}
        if c.pinned:
            col["pinned"] = "left"
            col["minWidth"] = 150 if c.kind == "text" else 70
        if c.kind == "text" and table in ("segments", "incident_categories", "egov"):
            col.update(wrapText=True, autoHeight=True, minWidth=170)
        if c.kind in DECIMALS:
            col["valueFormatter"] = {"function": f"pantauNumber(params.value, {DECIMALS[c.kind]}, '{lang}')"}
            col["type"] = "rightAligned"
        elif c.kind == "time":
            col["valueFormatter"] = {"function": f"pantauTime(params.value, {months}, '{sep}')"}
            col["minWidth"] = 150
        if table == "complaints" and c.key.startswith("reporter_"):
            col["minWidth"] = 150
        widths = MIN_WIDTHS.get(table, {})
        if c.key in widths or ("*" in widths and not c.pinned):
            col["minWidth"] = widths.get(c.key, widths.get("*"))
        if (table, c.key) in WRAPPED:
            col.update(wrapText=True, autoHeight=True, minWidth=WRAPPED[(table, c.key)])
        if table in ("league", "ppid") and c.key == "rank":
            col["valueFormatter"] = {"function": "params.value == null ? '–' : String(params.value)"}
            col["minWidth"] = 104
        out.append(col)
    return out


def grid(grid_id: str, table: str, lang: str, *, auto_height: bool) -> dag.AgGrid:
    options: dict[str, Any] = {
        "animateRows": False,
        "tooltipShowDelay": 200,
        "suppressCellFocus": False,
        "enableCellTextSelection": True,
        "localeText": {
            "noRowsToShow": t("briefing.empty", lang),
            "loadingOoo": t("status.loading", lang),
            "page": t("briefing.grid.page", lang),
            "of": t("briefing.grid.of", lang),
            "to": t("briefing.grid.to", lang),
            "pageSizeSelectorLabel": t("briefing.grid.page_size", lang),
        },
    }
    if auto_height:
        options["domLayout"] = "autoHeight"  # every row in the DOM: the printed page shows them all
    else:
        options.update(
            pagination=True,
            paginationPageSize=50,
            rowSelection={"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
        )
    return dag.AgGrid(
        id=grid_id,
        columnDefs=column_defs(table, lang),
        rowData=None,
        className="ag-theme-quartz",
        defaultColDef={
            "sortable": True,
            "resizable": True,
            "filter": False,
            "minWidth": 64,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        columnSize="responsiveSizeToFit",
        dashGridOptions=options,
        style={} if auto_height else {"height": "460px"},
    )


def egov_pivot(latest: list[Mapping], lang: str) -> tuple[list[dict], list[dict]]:
    """(columnDefs, rowData) of the e-government grid: one row per OPD (the city first), one column per
    metric, each value coloured by its state against its target. The export holds the long form."""
    from dashboard.briefing_tables import metric_name

    metrics = sorted({(r["domain"], r["metric"], r.get("unit")) for r in latest})
    texts = json.dumps({"idr": t("wall.unit.idr_billion", lang), "days": t("wall.unit.days", lang)})
    cols: list[dict] = [{"field": "opd", "headerName": t("briefing.col.opd", lang), "pinned": "left", "minWidth": 130}]
    for n, (domain, metric, unit) in enumerate(metrics):
        cols.append(
            {
                "field": f"m{n}",
                "headerName": metric_name(metric, lang),
                "headerTooltip": f"{i18n.label('egov_domain', domain, lang)} · {metric_name(metric, lang)}",
                "type": "rightAligned",
                "wrapHeaderText": True,
                "autoHeaderHeight": True,
                "valueFormatter": {"function": f"pantauEgov(params.value, '{unit}', '{i18n.language(lang)}', {texts})"},
                "tooltipValueGetter": {
                    "function": f"params.data.m{n}_target == null ? null : "
                    f"params.data.m{n}_label + ': ' + "
                    f"pantauEgov(params.data.m{n}_target, '{unit}', '{i18n.language(lang)}', {texts})"
                },
                "cellClassRules": {f"briefing-rag is-{s}": f"params.data.m{n}_rag == '{s}'" for s in kpi.RAG_STATES},
            }
        )
    index = {m[:2]: n for n, m in enumerate(metrics)}
    rows: dict[str, dict] = {}
    for r in latest:
        n = index[(r["domain"], r["metric"])]
        row = rows.setdefault(r["opd"], {"opd": r["opd"]})
        to_date = r.get("yardstick") == "to_date"  # a running month's flow: judged against its target to date
        row.update(
            {
                f"m{n}": r.get("value"),
                f"m{n}_rag": r.get("rag"),
                f"m{n}_target": r.get("yardstick_target") if to_date else r.get("target"),
                f"m{n}_label": t("briefing.col.target_to_date" if to_date else "briefing.col.target", lang),
            }
        )
    ordered = sorted(rows.values(), key=lambda row: (row["opd"] != "ALL", row["opd"]))
    for row in ordered:
        if row["opd"] == "ALL":
            row["opd"] = t("briefing.egov.city", lang)
    return cols, ordered


# --- figures -----------------------------------------------------------------------------------------------


# --- the officers' history ---------------------------------------------------------------------------------


def _when(iso: str | None, lang: str) -> str:
    return i18n.format_datetime(dt.datetime.fromisoformat(iso), lang) if iso else "–"


def history(data: Mapping | None, lang: str) -> list:
    if data is None:
        return [html.P(t("briefing.panel.history_missing", lang))]
    c, rep = data["complaint"], data.get("reporter") or {}
    facts = [
        ("briefing.col.complaint_id", c.get("complaint_id")),
        ("briefing.col.category", i18n.label("complaint_category", c.get("category"), lang)),
        ("briefing.col.channel", i18n.label("channel", c.get("channel"), lang)),
        ("briefing.col.opd", c.get("opd") or "–"),
        ("briefing.col.kecamatan", i18n.kecamatan_name(c.get("kecamatan_code"), lang)),
        ("briefing.col.status", status_name(c.get("status"), lang)),
        ("briefing.col.due_at", _when(c.get("due_at"), lang)),
        (
            "briefing.history.reporter",
            " · ".join(
                str(v)
                for v in (rep.get("name"), rep.get("phone"), rep.get("email"), rep.get("nik"), rep.get("address"))
                if v
            )
            or "–",
        ),
    ]
    events = [html.Li([html.B(_when(c.get("created_at"), lang)), " ", t("briefing.history.created", lang)])]
    for e in data.get("events") or []:
        events.append(
            html.Li(
                [
                    html.B(_when(e.get("occurred_at"), lang)),
                    " ",
                    status_name(e.get("status"), lang),
                    f" · {e['opd']}" if e.get("opd") else "",
                    html.Div(e["note"], className="briefing-note") if e.get("note") else None,
                ]
            )
        )
    return [
        html.Dl(
            [item for key, value in facts for item in (html.Dt(t(key, lang)), html.Dd(value))],
            className="briefing-facts",
        ),
        html.H3(t("briefing.history.text", lang), className="briefing-subtitle"),
        html.P(rep.get("text") or "–"),
        html.H3(t("briefing.history.events", lang), className="briefing-subtitle"),
        html.Ol(events, className="briefing-events"),
    ]
