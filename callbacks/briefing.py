"""Callbacks of the leadership briefing.

The URL is the view's state: the filter bar writes it, every panel reads it (and checks it again: a
crafted request is as welcome as the page's own). Each panel has its own callback, so the browser loads
them side by side; their data comes from data_sources.views.briefing through the KpiCache, computed once
per (filter, data version, clock minute) for every viewer and every worker.

Roles are enforced here, on the server, in every callback: aggregates need `view_aggregates`, the
complaint list, a complaint's history and the information-request list `view_personal` (data_sources.views.briefing_personal asks again
before it reads a personal_* table). A refused request gets no update at all.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import dash
import flask
from dash import ALL, ClientsideFunction, Input, Output, State, ctx, dcc
from dash.exceptions import PreventUpdate

from callbacks import briefing_alerts
from callbacks.access import current_services
from callbacks.briefing_request import (
    FAILURES,
    PERSONAL,
    allowed,
    guard,
    known_codes,
    now_utc,
    panel_data,
    view_of,
)
from dashboard import briefing_tables as tables
from dashboard import i18n
from dashboard.briefing import BriefingView, filter_lines, to_search, view_from_controls
from dashboard.filters import FilterError, KpiFilter, make_filter
from dashboard.reference import kecamatan_by_code
from data_sources.geo import boundaries as geo
from data_sources.kpi.cache import ComputationsBusy
from data_sources.views import briefing as briefing_data
from data_sources.views import briefing_personal
from layouts import briefing as view_layout
from layouts import briefing_figures as figures
from layouts import briefing_panels as panels
from layouts.briefing import ids
from layouts.briefing_ppid import ids as ppid_ids

log = logging.getLogger(__name__)
FORMATS = ("csv", "xlsx")
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="briefing")


def page(**query) -> dash.html.Div:
    """The briefing page for the URL's query parameters; officers are offered the personal-data panels."""
    if not flask.has_request_context():  # Dash validating the layout
        return view_layout.layout(query)
    return view_layout.layout(query, current_services().settings, allowed(PERSONAL))


def register() -> None:
    briefing_alerts.register()
    dash.callback(
        Output(ids.url, "search"),
        Output(ids.dates_box, "hidden"),
        Input(ids.period, "value"),
        Input(ids.dates, "start_date"),
        Input(ids.dates, "end_date"),
        Input(ids.opd, "value"),
        Input(ids.kec, "value"),
        Input(ids.channel, "value"),
        Input(ids.category, "value"),
        Input(ids.incident, "value"),
        State(ids.url, "search"),
        prevent_initial_call=True,
    )(controls_to_url)
    dash.callback(
        Output(ids.kec, "value", allow_duplicate=True),
        Input({"type": ids.map_graph, "key": ALL}, "clickData"),
        State(ids.kec, "value"),
        prevent_initial_call=True,
    )(map_click)
    dash.callback(
        Output(ids.opd, "value", allow_duplicate=True),
        Input(ids.league, "cellClicked"),
        State(ids.opd, "value"),
        prevent_initial_call=True,
    )(league_click)
    dash.callback(
        Output(ids.print_filters, "children"),
        Output(ids.lang_link, "href"),
        Output(ids.errors, "children"),
        Output(ids.errors, "hidden"),
        Input(ids.url, "search"),
    )(describe)
    dash.callback(Output(ids.opd, "options"), Input(ids.url, "search"))(opd_options)
    dash.callback(
        Output(ids.tiles, "children"),
        Output(ids.segments, "rowData"),
        Output(ids.incident_categories, "rowData"),
        Output(ids.data_time, "children"),
        Input(ids.url, "search"),
    )(headline)
    dash.callback(Output(ids.map, "children"), Input(ids.url, "search"))(kecamatan_map)
    dash.callback(Output(ids.league, "rowData"), Input(ids.url, "search"))(league)
    dash.callback(Output(ids.trend, "figure"), Output(ids.trend_note, "children"), Input(ids.url, "search"))(trend)
    dash.callback(
        Output(ids.egov, "columnDefs"),
        Output(ids.egov, "rowData"),
        Output(ids.egov_trend, "figure"),
        Input(ids.url, "search"),
    )(egov)
    dash.callback(Output(ids.complaints, "rowData"), Output(ids.complaints_note, "children"), Input(ids.url, "search"))(
        complaints
    )
    dash.callback(Output(ppid_ids.league, "rowData"), Input(ids.url, "search"))(ppid_league)
    dash.callback(
        Output(ppid_ids.requests, "rowData"), Output(ppid_ids.requests_note, "children"), Input(ids.url, "search")
    )(info_requests)
    dash.callback(
        Output(ids.history, "children"),
        Input(ids.complaints, "selectedRows"),
        State(ids.url, "search"),
        prevent_initial_call=True,
    )(history)
    dash.callback(
        Output(ids.download, "data"),
        Input({"type": ids.export, "table": ALL, "fmt": ALL}, "n_clicks"),
        State(ids.url, "search"),
        prevent_initial_call=True,
    )(export)
    dash.clientside_callback(
        ClientsideFunction("briefing", "print"),
        Output(ids.print_done, "data"),
        Input(ids.print_button, "n_clicks"),
        prevent_initial_call=True,
    )


# --- helpers ---------------------------------------------------------------------------------------------


def table_rows(table: str, view: BriefingView, now: dt.datetime, purpose: str = "complaint_list") -> list[dict]:
    """The rows of a table, the same for the grid and for the file. Personal rows only for officers, and
    their read is audited as `purpose` (the list, or an export)."""
    lang, f = view.lang, view.filter
    if table == "league":
        return tables.league_rows(panel_data("league", f, now), lang)
    if table == "segments":
        return tables.segment_rows(panel_data("headline", f, now)["incidents"], lang)
    if table == "incident_categories":
        return tables.incident_category_rows(panel_data("headline", f, now)["incidents"], lang)
    if table == "egov":
        return tables.egov_rows(panel_data("egov", KpiFilter(opd=f.opd), now)["latest"], lang)
    if table in ("alerts", "alert_history"):
        return briefing_alerts.table_rows(table, lang)
    if table == "complaints":
        reader = guard(PERSONAL)
        items = briefing_personal.complaint_list(current_services().engine, f, reader, purpose=purpose)["items"]
        return tables.complaint_rows(items, lang)
    if table == "ppid":  # keyed by its own scope: the channel and category filters do not apply to it
        return tables.ppid_rows(panel_data("ppid", briefing_data.ppid_scope(f), now), lang)
    if table == "info_requests":
        reader = guard(PERSONAL)
        items = briefing_personal.info_request_list(current_services().engine, f, reader, now, purpose=purpose)["items"]
        return tables.info_request_rows(items, lang)
    raise PreventUpdate


# --- the filter bar and the URL ---------------------------------------------------------------------------


def controls_to_url(period, start, end, opd, kec, channel, category, incident, search):
    guard()
    lang = view_of(search, now_utc()).lang
    now = now_utc()
    view = view_from_controls(
        period,
        start,
        end,
        lang,
        now,
        known_codes(now),
        opd=opd,
        kec=kec,
        channel=channel,
        category=category,
        incident=incident,
    )
    new = to_search(view)
    return (dash.no_update if new == search else new), view.period != "custom"


def map_click(_clicks: Any, current: Any):
    guard()
    click = ctx.triggered[0].get("value") if ctx.triggered else None
    try:
        code = click["points"][0]["location"]
    except (KeyError, IndexError, TypeError):
        raise PreventUpdate from None
    if not isinstance(code, str) or code not in kecamatan_by_code():
        raise PreventUpdate
    return [] if current == [code] else [code]  # a second click on the same kecamatan clears the filter


def league_click(cell: Any, current: Any):
    """A click on a department's name in the league drills down to it (a second click clears it)."""
    guard()
    if not isinstance(cell, dict) or cell.get("colId") != "opd" or not isinstance(cell.get("value"), str):
        raise PreventUpdate
    try:
        code = make_filter(opd=cell.get("value"), known=known_codes(now_utc())).opd
    except FilterError:
        raise PreventUpdate from None
    if len(code) != 1:
        raise PreventUpdate
    return [] if current == list(code) else list(code)


def describe(search):
    guard()
    view = view_of(search, now_utc())
    other = "en" if view.lang == "id" else "id"
    lines = [dash.html.Li(f"{label}: {value}") for label, value in filter_lines(view, view.lang)]
    errors = i18n.t("briefing.filter.invalid", view.lang, errors="; ".join(view.errors))
    return dash.html.Ul(lines), "/briefing" + to_search(view, lang=other), errors, not view.errors


def opd_options(search):
    guard()
    try:
        codes = panel_data("opds", KpiFilter(), now_utc())
    except FAILURES:
        raise PreventUpdate from None
    view = view_of(search, now_utc())
    values = sorted(set(codes) | set(view.filter.opd))
    return [{"label": v, "value": v} for v in values]


# --- panels ---------------------------------------------------------------------------------------------------


def headline(search):
    guard()
    now = now_utc()
    view = view_of(search, now)
    app = current_services()
    try:
        # the period before is a cache entry of its own, computed beside this one (its own connection)
        previous = _POOL.submit(panel_data, "previous", view.filter, now, app)
        data = {"current": panel_data("headline", view.filter, now, app), "previous": previous.result()}
    except FAILURES as exc:
        log.warning("briefing: headline unavailable (%s)", type(exc).__name__)
        message = i18n.t("briefing.busy" if isinstance(exc, ComputationsBusy) else "briefing.error", view.lang)
        return [dash.html.Div(message, className="alert alert-danger")], [], [], ""
    incidents = data["current"]["incidents"]
    stamp = f"{i18n.t('briefing.data_time', view.lang)} {i18n.format_datetime(now, view.lang)}"
    return (
        panels.tiles(data, view.lang),
        tables.segment_rows(incidents, view.lang),
        tables.incident_category_rows(incidents, view.lang),
        stamp,
    )


def kecamatan_map(search):
    guard()
    now = now_utc()
    view = view_of(search, now)
    app = current_services()
    key = uuid.uuid4().hex[:12]
    try:
        data = panel_data("headline", view.filter, now)
    except FAILURES:
        return view_layout.map_graph(figures.empty_figure(i18n.t("briefing.error", view.lang)), key)
    boundaries = geo.boundaries_for(app.settings, "kecamatan")
    figure = figures.map_figure(
        data["complaints_by_kecamatan"],
        geo.browser_geojson(boundaries),
        schematic=boundaries.schematic,
        style=app.settings.map_style,
        lang=view.lang,
        selected=view.filter.kecamatan,
    )
    return view_layout.map_graph(figure, key)


def league(search):
    guard()
    now = now_utc()
    try:
        return table_rows("league", view_of(search, now), now)
    except FAILURES:
        return []


def trend(search):
    guard()
    now = now_utc()
    view = view_of(search, now)
    try:
        data = panel_data("trend", view.filter, now)
    except FAILURES:
        return figures.empty_figure(i18n.t("briefing.error", view.lang)), ""
    note = i18n.t("briefing.trend.weekly" if data["weekly"] else "briefing.trend.daily", view.lang)
    return figures.trend_figure(data, view.lang), note


def egov(search):
    guard()
    now = now_utc()
    view = view_of(search, now)
    try:
        data = panel_data("egov", KpiFilter(opd=view.filter.opd), now)
    except FAILURES:
        return dash.no_update, [], figures.empty_figure(i18n.t("briefing.error", view.lang))
    columns, rows = panels.egov_pivot(data["latest"], view.lang)
    return columns, rows, figures.egov_trend_figure(data, view.lang)


def complaints(search):
    reader = guard(PERSONAL)
    now = now_utc()
    view = view_of(search, now)
    try:
        listing = briefing_personal.complaint_list(current_services().engine, view.filter, reader)
    except FAILURES:
        return [], i18n.t("briefing.error", view.lang)
    note = (
        i18n.t(
            "briefing.panel.complaints_truncated",
            view.lang,
            n=i18n.format_number(briefing_personal.LIST_LIMIT, view.lang),
        )
        if listing["truncated"]
        else ""
    )
    return tables.complaint_rows(listing["items"], view.lang), note


def ppid_league(search):
    guard()
    now = now_utc()
    try:
        return table_rows("ppid", view_of(search, now), now)
    except FAILURES:
        return []


def info_requests(search):
    reader = guard(PERSONAL)
    now = now_utc()
    view = view_of(search, now)
    try:
        listing = briefing_personal.info_request_list(current_services().engine, view.filter, reader, now)
    except FAILURES:
        return [], i18n.t("briefing.error", view.lang)
    limit = i18n.format_number(briefing_personal.LIST_LIMIT, view.lang)
    note = i18n.t("briefing.panel.info_requests_truncated", view.lang, n=limit) if listing["truncated"] else ""
    return tables.info_request_rows(listing["items"], view.lang), note


def history(selected, search):
    reader = guard(PERSONAL)
    view = view_of(search, now_utc())
    if not isinstance(selected, list) or not selected or not isinstance(selected[0], dict):
        raise PreventUpdate
    cid = briefing_personal.valid_complaint_id(selected[0].get("complaint_id"))
    if cid is None:
        return panels.history(None, view.lang)
    try:
        data = briefing_personal.complaint_history(current_services().engine, cid, reader)
    except FAILURES:
        return [dash.html.P(i18n.t("briefing.error", view.lang))]
    return panels.history(data, view.lang)


def export(_clicks, search):
    guard()
    trigger = ctx.triggered_id
    clicks = ctx.triggered[0].get("value") if ctx.triggered else None
    if not isinstance(trigger, dict) or type(clicks) is not int or clicks < 1:
        raise PreventUpdate
    table, fmt = trigger.get("table"), trigger.get("fmt")
    if table not in tables.TABLES or fmt not in FORMATS:
        raise PreventUpdate
    if table in tables.PERSONAL_TABLES:
        guard(PERSONAL)
    now = now_utc()
    view = view_of(search, now)
    rows = table_rows(table, view, now, purpose=f"export_{fmt}")
    name = tables.file_name(table, now, fmt)
    if fmt == "csv":
        return dcc.send_bytes(tables.to_csv(table, rows, view.lang), name)
    body = tables.to_xlsx(
        table,
        rows,
        view.lang,
        title=i18n.t(f"briefing.panel.{table}", view.lang),
        data_time=now,
        filters=filter_lines(view, view.lang),
    )
    return dcc.send_bytes(body, name)
