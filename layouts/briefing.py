"""The leadership briefing (`/briefing`): a period's figures per OPD and kecamatan, for a meeting room.

`layout(**query)` draws the filter bar set from the URL (validated by dashboard.briefing.parse_view) and
an empty frame per panel; each panel is filled by its own callback (callbacks/briefing.py), so the panels
load side by side. The printed page (assets/briefing-print.css) keeps the city's header, the date and
the filters, and drops the controls. The figures and grids themselves are drawn in briefing_panels.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from dash import dcc, html

from dashboard import i18n
from dashboard.briefing import PERIODS, BriefingView, filter_lines, parse_view, to_search
from dashboard.events import CHANNELS, COMPLAINT_CATEGORIES, INCIDENT_CATEGORIES
from dashboard.i18n import t
from dashboard.reference import kecamatan
from dashboard.settings import Settings
from layouts import briefing_figures as figures
from layouts import briefing_panels as panels
from layouts import briefing_ppid as ppid
from layouts.briefing_alerts import alerts_section


class ids:
    url = "briefing-url"
    page = "briefing-page"
    errors = "briefing-errors"
    period = "briefing-period"
    dates = "briefing-dates"
    dates_box = "briefing-dates-box"
    opd = "briefing-opd"
    kec = "briefing-kec"
    channel = "briefing-channel"
    category = "briefing-category"
    incident = "briefing-incident"
    reset = "briefing-reset"
    filters = "briefing-filters"
    filter_toggle = "briefing-filter-toggle"  # narrow screens: opens the folded filter bar (assets/briefing.js)
    lang_link = "briefing-lang"
    print_button = "briefing-print-button"
    print_done = "briefing-print-done"
    print_filters = "briefing-print-filters"
    data_time = "briefing-data-time"
    tiles = "briefing-tiles"
    league = "briefing-league"
    league_note = "briefing-league-note"
    segments = "briefing-segments"
    incident_categories = "briefing-incident-categories"
    trend = "briefing-trend"
    trend_note = "briefing-trend-note"
    map = "briefing-map"  # the map's box; the graph inside is new at every update (see map_graph)
    map_graph = "briefing-map-graph"  # pattern-matching: {"type": map_graph, "key": ...}
    egov = "briefing-egov"
    egov_trend = "briefing-egov-trend"
    complaints = "briefing-complaints"
    complaints_note = "briefing-complaints-note"
    history = "briefing-history"
    download = "briefing-download"
    export = "briefing-export"  # pattern-matching: {"type": export, "table": ..., "fmt": "csv"|"xlsx"}


GRIDS = {
    "league": ids.league,
    "segments": ids.segments,
    "incident_categories": ids.incident_categories,
    "egov": ids.egov,
    "complaints": ids.complaints,
    "ppid": ppid.ids.league,
    "info_requests": ppid.ids.requests,
    "alerts": "briefing-alerts",
    "alert_history": "briefing-alert-history",
}


def layout(query: Mapping[str, Any], settings: Settings | None = None, officer: bool = False) -> html.Div:
    """The briefing page for the URL's query parameters; `officer` adds the personal-data panels (what the
    page offers only: every callback checks the role again)."""
    now = dt.datetime.now(dt.UTC)
    view = parse_view(query, now, i18n.language(getattr(settings, "default_language", None)))
    lang = view.lang
    other = "en" if lang == "id" else "id"
    return html.Div(
        id=ids.page,
        className="briefing-page",
        lang=lang,
        children=[
            dcc.Location(id=ids.url, refresh=False),
            dcc.Download(id=ids.download),
            dcc.Store(id=ids.print_done),
            html.Header(
                className="briefing-header",
                children=[
                    html.Div(
                        className="briefing-brand",
                        children=[
                            html.Div(t("briefing.print.city", lang), className="briefing-city"),
                            html.H1(
                                [t("app.title", lang), html.Span(" · "), t("briefing.title", lang)],
                                className="briefing-title",
                            ),
                        ],
                    ),
                    html.Div(
                        className="briefing-meta",
                        children=[
                            html.Div(i18n.format_date_long(now, lang), className="briefing-date"),
                            html.Div("", id=ids.data_time, className="briefing-data-time"),
                        ],
                    ),
                    html.Div(
                        className="briefing-actions no-print",
                        children=[
                            html.A(
                                t("briefing.language", lang),
                                id=ids.lang_link,
                                className="btn btn-outline-secondary btn-sm",
                                href="/briefing" + to_search(view, lang=other),
                            ),
                            html.Button(
                                t("briefing.print", lang), id=ids.print_button, className="btn btn-primary btn-sm"
                            ),
                        ],
                    ),
                ],
            ),
            html.Div(
                html.Ul([html.Li(line) for line in _filter_text(view, lang)]),
                id=ids.print_filters,
                className="briefing-print-filters",
            ),
            html.Button(
                t("briefing.filter.toggle", lang),
                id=ids.filter_toggle,
                className="btn btn-outline-primary btn-sm briefing-filter-toggle no-print",
                **{"aria-expanded": "false", "aria-controls": ids.filters},
            ),
            filter_bar(view, lang),
            html.Div(
                t("briefing.filter.invalid", lang, errors="; ".join(view.errors)),
                id=ids.errors,
                className="alert alert-warning no-print",
                hidden=not view.errors,
            ),
            html.Main(
                className="briefing-body",
                children=[
                    html.Section(id=ids.tiles, className="briefing-tiles", children=panels.tiles(None, lang)),
                    html.Div(
                        className="briefing-row",
                        children=[
                            _panel(
                                "league",
                                t("briefing.panel.league", lang),
                                [
                                    panels.grid(ids.league, "league", lang, auto_height=True),
                                    html.P(
                                        t(
                                            "briefing.panel.league_note",
                                            lang,
                                            n=getattr(settings, "kpi_min_sample", 30),
                                        ),
                                        id=ids.league_note,
                                        className="briefing-note",
                                    ),
                                ],
                                lang,
                                wide=True,
                            ),
                        ],
                    ),
                    html.Div(
                        className="briefing-row",
                        children=[
                            _panel(
                                "segments",
                                t("briefing.panel.segments", lang),
                                [
                                    panels.grid(ids.segments, "segments", lang, auto_height=True),
                                    html.P(
                                        t("briefing.panel.segments_note", lang, n=i18n.format_number(7.4, lang, 1)),
                                        className="briefing-note",
                                    ),
                                    html.Div(
                                        className="briefing-panel-head",
                                        children=[
                                            html.H3(
                                                t("briefing.panel.incident_categories", lang),
                                                className="briefing-subtitle",
                                            ),
                                            export_buttons("incident_categories", lang),
                                        ],
                                    ),
                                    panels.grid(ids.incident_categories, "incident_categories", lang, auto_height=True),
                                ],
                                lang,
                            ),
                            _panel(
                                "map",
                                t("briefing.panel.map", lang),
                                [
                                    html.P(t("briefing.panel.map_hint", lang), className="briefing-note no-print"),
                                    html.Div(
                                        className="briefing-map",
                                        children=[
                                            html.Div(map_graph(figures.empty_figure(), "empty"), id=ids.map),
                                            html.Img(className="briefing-map-print", alt=t("briefing.panel.map", lang)),
                                        ],
                                    ),
                                ],
                                lang,
                                export=False,
                            ),
                        ],
                    ),
                    html.Div(
                        className="briefing-row",
                        children=[
                            _panel(
                                "trend",
                                t("briefing.panel.trend", lang),
                                [
                                    html.P("", id=ids.trend_note, className="briefing-note"),
                                    dcc.Graph(
                                        id=ids.trend,
                                        className="briefing-trend",
                                        figure=figures.empty_figure(),
                                        config={"displayModeBar": False},
                                    ),
                                ],
                                lang,
                                wide=True,
                                export=False,
                            ),
                        ],
                    ),
                    html.Div(
                        className="briefing-row",
                        children=[
                            _panel(
                                "egov",
                                t("briefing.panel.egov", lang),
                                [
                                    dcc.Graph(
                                        id=ids.egov_trend,
                                        className="briefing-egov-trend",
                                        figure=figures.empty_figure(),
                                        config={"displayModeBar": False},
                                    ),
                                    html.P(t("briefing.egov.note", lang), className="briefing-note"),
                                    panels.grid(ids.egov, "egov", lang, auto_height=True),
                                ],
                                lang,
                                wide=True,
                            ),
                        ],
                    ),
                    ppid.ppid_row(lang, getattr(settings, "ppid_min_sample", 10), _panel),
                    alerts_section(lang, officer, export_buttons),
                    *([officer_section(lang), ppid.officer_row(lang, _panel)] if officer else []),
                ],
            ),
        ],
    )


def map_graph(figure: dict, key: str) -> dcc.Graph:
    # A new graph per map update: Plotly's in-place update of a map re-applies its style object, and
    # MapLibre then re-adds the sources it has already ("Map error"); a fresh mount costs the same.
    return dcc.Graph(
        id={"type": ids.map_graph, "key": key},
        className="briefing-map-graph",
        figure=figure,
        config={"displayModeBar": False, "scrollZoom": False},
    )


def _filter_text(view: BriefingView, lang: str) -> list[str]:
    return [f"{label}: {value}" for label, value in filter_lines(view, lang)]


def export_buttons(table: str, lang: str) -> html.Div:
    return html.Div(
        [
            html.Button(
                t(f"briefing.export.{fmt}", lang),
                id={"type": ids.export, "table": table, "fmt": fmt},
                className="btn btn-outline-secondary btn-sm",
            )
            for fmt in ("csv", "xlsx")
        ],
        className="briefing-exports no-print",
    )


def _panel(name: str, title: str, body: list, lang: str, *, wide: bool = False, export: bool = True) -> html.Section:
    return html.Section(
        className=f"briefing-panel is-{name}{' is-wide' if wide else ''}",
        children=[
            html.Div(
                className="briefing-panel-head",
                children=[
                    html.H2(title, className="briefing-panel-title"),
                    export_buttons(name, lang) if export else None,
                ],
            ),
            *body,
        ],
    )


def _options(values, kind: str | None, lang: str) -> list[dict]:
    return [{"label": i18n.label(kind, v, lang) if kind else v, "value": v} for v in values]


def filter_bar(view: BriefingView, lang: str) -> html.Section:
    f = view.filter
    kec_options = [{"label": k.name, "value": k.code} for k in sorted(kecamatan(), key=lambda k: k.name)]
    kec_options.append({"label": t("place.unknown", lang), "value": "unknown"})
    all_text = t("briefing.filter.all", lang)

    def field(label_key: str, control) -> html.Div:
        return html.Div(className="briefing-field", children=[html.Label(t(label_key, lang)), control])

    return html.Section(
        id=ids.filters,
        className="briefing-filters no-print",
        children=[
            field(
                "briefing.filter.period",
                dcc.RadioItems(
                    id=ids.period,
                    value=view.period,
                    inline=True,
                    className="briefing-periods",
                    options=[{"label": t(f"briefing.period.{p}", lang), "value": p} for p in PERIODS],
                ),
            ),
            html.Div(
                id=ids.dates_box,
                hidden=view.period != "custom",
                className="briefing-field",
                children=[
                    html.Label(t("briefing.filter.from_to", lang)),
                    dcc.DatePickerRange(
                        id=ids.dates,
                        start_date=f.date_from.isoformat(),
                        end_date=(f.date_to - dt.timedelta(days=1)).isoformat(),
                        display_format="D MMM YYYY",
                        first_day_of_week=1,
                        clearable=False,
                    ),
                ],
            ),
            # OPD choices come from the data (a callback fills them); the URL's own values are kept meanwhile
            field(
                "briefing.filter.opd",
                dcc.Dropdown(
                    id=ids.opd, multi=True, value=list(f.opd), placeholder=all_text, options=_options(f.opd, None, lang)
                ),
            ),
            field(
                "briefing.filter.kecamatan",
                dcc.Dropdown(
                    id=ids.kec, multi=True, value=list(f.kecamatan), placeholder=all_text, options=kec_options
                ),
            ),
            field(
                "briefing.filter.channel",
                dcc.Dropdown(
                    id=ids.channel,
                    multi=True,
                    value=list(f.channel),
                    placeholder=all_text,
                    options=_options(CHANNELS, "channel", lang),
                ),
            ),
            field(
                "briefing.filter.category",
                dcc.Dropdown(
                    id=ids.category,
                    multi=True,
                    value=list(f.category),
                    placeholder=all_text,
                    options=_options(sorted(set(COMPLAINT_CATEGORIES) | set(f.category)), "complaint_category", lang),
                ),
            ),
            field(
                "briefing.filter.incident_category",
                dcc.Dropdown(
                    id=ids.incident,
                    multi=True,
                    value=list(f.incident_category),
                    placeholder=all_text,
                    options=_options(INCIDENT_CATEGORIES, "incident_category", lang),
                ),
            ),
            html.A(
                t("briefing.filter.reset", lang),
                id=ids.reset,
                className="btn btn-link btn-sm briefing-reset",
                href="/briefing" + ("?lang=en" if lang == "en" else ""),
            ),
        ],
    )


def officer_section(lang: str) -> html.Div:
    return html.Div(
        className="briefing-row is-officer is-stacked",
        children=[
            _panel(
                "complaints",
                t("briefing.panel.complaints", lang),
                [
                    html.P("", id=ids.complaints_note, className="briefing-note"),
                    panels.grid(ids.complaints, "complaints", lang, auto_height=False),
                ],
                lang,
                wide=True,
            ),
            html.Section(
                className="briefing-panel is-history is-wide",
                children=[
                    html.H2(t("briefing.panel.history", lang), className="briefing-panel-title"),
                    html.Div(t("briefing.panel.history_hint", lang), id=ids.history, className="briefing-history"),
                ],
            ),
        ],
    )
