"""The briefing's alerts: the firing alerts for everyone logged in; for officers, acknowledge and silence
(for a time, with a reason), and the history of alerts, deliveries, acknowledgements and silences."""

from __future__ import annotations

from dash import dcc, html

from dashboard.i18n import t
from layouts import briefing_panels as panels


class ids:
    summary = "briefing-alerts-summary"
    grid = "briefing-alerts"
    refresh = "briefing-alerts-refresh"
    changed = "briefing-alerts-changed"
    scope = "briefing-alerts-scope"
    hours = "briefing-alerts-hours"
    reason = "briefing-alerts-reason"
    ack = "briefing-alerts-ack"
    silence = "briefing-alerts-silence"
    feedback = "briefing-alerts-feedback"
    history = "briefing-alert-history"
    linked = "briefing-alert-complaint"  # the complaint an alert's link names (?complaint=ID), for officers


def _head(name: str, title: str, lang: str, export_buttons) -> html.Div:
    return html.Div(
        className="briefing-panel-head",
        children=[html.H2(title, className="briefing-panel-title"), export_buttons(name, lang)],
    )


def actions(lang: str) -> html.Div:
    return html.Div(
        className="briefing-alert-actions no-print",
        children=[
            html.Button(t("alerts.acknowledge", lang), id=ids.ack, className="btn btn-outline-primary btn-sm"),
            html.Label(t("alerts.scope", lang), htmlFor=ids.scope, className="briefing-alert-label"),
            dcc.Dropdown(
                id=ids.scope,
                options=[{"label": t(f"alerts.scope.{s}", lang), "value": s} for s in ("subject", "group", "rule")],
                value="subject",
                clearable=False,
                className="briefing-alert-scope",
            ),
            html.Label(t("alerts.silence_hours", lang), htmlFor=ids.hours, className="briefing-alert-label"),
            dcc.Input(
                id=ids.hours, type="number", min=0.25, max=720, step=0.25, value=2, className="briefing-alert-hours"
            ),
            dcc.Input(
                id=ids.reason,
                type="text",
                maxLength=400,
                placeholder=t("alerts.reason", lang),
                className="form-control",
            ),
            html.Button(t("alerts.silence", lang), id=ids.silence, className="btn btn-outline-secondary btn-sm"),
            html.Span("", id=ids.feedback, className="briefing-note", role="status"),
        ],
    )


def alerts_section(lang: str, officer: bool, export_buttons) -> html.Div:
    """`export_buttons(table, lang)` is the briefing's own (layouts.briefing), passed in."""
    grid = panels.grid(ids.grid, "alerts", lang, auto_height=False)
    grid.dashGridOptions["paginationPageSize"] = 20
    panels_ = [
        html.Section(
            className="briefing-panel is-alerts is-wide",
            children=[
                _head("alerts", t("briefing.panel.alerts", lang), lang, export_buttons),
                html.P(t("status.loading", lang), id=ids.summary, className="briefing-alert-summary"),
                *([html.Div(id=ids.linked, className="briefing-history"), actions(lang)] if officer else []),
                grid,
                dcc.Interval(id=ids.refresh, interval=30_000),
                dcc.Store(id=ids.changed),
            ],
        )
    ]
    if officer:
        history = panels.grid(ids.history, "alert_history", lang, auto_height=False)
        history.dashGridOptions["paginationPageSize"] = 20
        panels_.append(
            html.Section(
                className="briefing-panel is-alert-history is-wide no-print",
                children=[
                    _head("alert_history", t("briefing.panel.alert_history", lang), lang, export_buttons),
                    history,
                ],
            )
        )
    return html.Div(className="briefing-row is-stacked", children=panels_)
