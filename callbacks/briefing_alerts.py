"""Callbacks of the briefing's alerts: the firing alerts (anyone logged in), acknowledge and silence and the
history (officers: the server checks the role in every callback; a refused request gets no update)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import dash
from dash import Input, Output, State, ctx
from dash.exceptions import PreventUpdate

from callbacks.access import AccessDenied, User, current_services, require
from dashboard import alert_tables, i18n
from dashboard.alert_rules import RULES
from dashboard.briefing import parse_search
from data_sources.alerts import store
from data_sources.views import briefing_personal
from layouts import briefing_panels as panels
from layouts.briefing import ids as briefing_ids
from layouts.briefing_alerts import ids

log = logging.getLogger(__name__)
AGGREGATES, PERSONAL = "view_aggregates", "view_personal"
HISTORY_ROWS = 1000


def _guard(permission: str) -> User:
    try:
        return require(permission)
    except AccessDenied:
        raise PreventUpdate from None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _lang(search: Any) -> str:
    query = parse_search(search)
    return i18n.language(query.get("lang") or current_services().settings.default_language)


def register() -> None:
    dash.callback(
        Output(ids.summary, "children"),
        Output(ids.grid, "rowData"),
        Input(briefing_ids.url, "search"),
        Input(ids.refresh, "n_intervals"),
        Input(ids.changed, "data"),
    )(firing)
    dash.callback(
        Output(ids.history, "rowData"),
        Input(briefing_ids.url, "search"),
        Input(ids.refresh, "n_intervals"),
        Input(ids.changed, "data"),
    )(history)
    dash.callback(
        Output(ids.feedback, "children"),
        Output(ids.changed, "data"),
        Input(ids.ack, "n_clicks"),
        Input(ids.silence, "n_clicks"),
        State(ids.grid, "selectedRows"),
        State(ids.scope, "value"),
        State(ids.hours, "value"),
        State(ids.reason, "value"),
        State(briefing_ids.url, "search"),
        prevent_initial_call=True,
    )(act)
    dash.callback(
        Output(ids.linked, "children"),
        Input(briefing_ids.url, "search"),
    )(complaint_from_link)


def complaint_from_link(search):
    """An alert's link, /briefing?complaint=ID, shows that complaint's history above the alerts (officers)."""
    reader = _guard(PERSONAL)
    cid = briefing_personal.valid_complaint_id(parse_search(search).get("complaint"))
    if cid is None:
        raise PreventUpdate
    data = briefing_personal.complaint_history(current_services().engine, cid, reader)
    return panels.history(data, _lang(search))


def table_rows(table: str, lang: str) -> list[dict]:
    """The rows of the alert tables, for the grids and the exports."""
    engine, now = current_services().engine, _now()
    if table == "alerts":
        listing = store.listing(engine, now)
        return alert_tables.alert_rows(listing["firing"], listing["silences"], now, lang)
    _guard(PERSONAL)
    return alert_tables.history_rows(store.history(engine, HISTORY_ROWS), lang)


def firing(search, _tick, _changed):
    _guard(AGGREGATES)
    lang, now = _lang(search), _now()
    listing = store.listing(current_services().engine, now)
    rows = alert_tables.alert_rows(listing["firing"], listing["silences"], now, lang)
    summary = (
        i18n.t("alerts.firing", lang, n=i18n.format_number(len(rows), lang)) if rows else i18n.t("alerts.none", lang)
    )
    failing = [d for d in listing["pending_deliveries"] if d["attempts"]]
    if failing:
        summary += " · " + i18n.t("alerts.deliveries_failing", lang, n=len(failing))
    return summary, rows


def history(search, _tick, _changed):
    _guard(PERSONAL)
    return table_rows("alert_history", _lang(search))


def act(_ack, _silence, selected, scope, hours, reason, search):
    user = _guard(PERSONAL)
    lang, now = _lang(search), _now()
    if not isinstance(selected, list) or not selected or not isinstance(selected[0], dict):
        return i18n.t("alerts.select_first", lang), dash.no_update
    row = selected[0]
    alert_id = row.get("alert_id")
    if type(alert_id) is not int:
        raise PreventUpdate
    engine = current_services().engine
    # what the silence covers comes from the stored alert, never from the browser's row
    alert = next((a for a in store.listing(engine, now)["firing"] if a["id"] == alert_id), None)
    if alert is None:
        return i18n.t("alerts.select_first", lang), now.isoformat()
    try:
        if ctx.triggered_id == ids.ack:
            store.acknowledge(engine, alert_id, user.name, now)
        elif ctx.triggered_id == ids.silence:
            if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 0.25 <= hours <= 720:
                return i18n.t("alerts.hours_bad", lang), dash.no_update
            if not isinstance(reason, str) or not reason.strip():
                return i18n.t("alerts.reason_needed", lang), dash.no_update
            what = {
                "subject": {"rule": alert["rule"], "subject": alert["subject"]},
                "group": {"group": alert["group_key"]},
                "rule": {"rule": alert["rule"]},
            }.get(scope if isinstance(scope, str) else "")
            if what is None or what.get("rule", RULES[0]) not in RULES:
                raise PreventUpdate
            store.silence(
                engine,
                until=now + dt.timedelta(hours=float(hours)),
                reason=reason[:400],
                actor=user.name,
                now=now,
                **what,
            )
        else:
            raise PreventUpdate
    except store.AlertActionError as exc:
        return str(exc), dash.no_update
    return i18n.t("alerts.done", lang), now.isoformat()
