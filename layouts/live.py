"""The live page (`/`): what a wall screen shows from across the room.

`layout()` is the page's skeleton with placeholder values, so every id the callbacks update exists from
the first paint; `body()` draws the figures and is what the refresh callback sends when the data changed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dash import dcc, html

from dashboard import figures, i18n
from dashboard.i18n import format_number, format_time, label, t
from data_sources.views.live import FeedEvent, LiveSnapshot

REFRESH_MS = 2_000  # the cheap data-version check
TICK_MS = 1_000  # the browser's clock; no server round trip
HEALTH_STREAMS = ("complaints", "incidents", "egov")


class ids:
    url = "live-url"
    refresh = "live-refresh"
    tick = "live-tick"
    known = "live-known"  # what the browser shows: data version, language, valid until
    heartbeat = "live-heartbeat"  # the server's last answer: reachable or not, and its clock
    received = "live-received"  # when the browser got that answer, by its own clock
    feed = "live-feed"  # the newest event's time and the texts the ticking clock needs
    page = "live-page"
    status = "live-status"
    clock = "live-clock"
    date = "live-date"
    body = "live-body"
    last_event_ago = "live-last-event-ago"


def layout(default_language: str = i18n.DEFAULT_LANGUAGE) -> html.Div:
    # The refresh callback reads and checks the URL's query parameters itself.
    lang = i18n.language(default_language)
    return html.Div(
        id=ids.page,
        className="pantau-page",
        **{"data-bs-theme": "dark"},
        children=[
            dcc.Location(id=ids.url, refresh=False),
            dcc.Interval(id=ids.refresh, interval=REFRESH_MS),
            dcc.Interval(id=ids.tick, interval=TICK_MS),
            dcc.Store(id=ids.known),
            dcc.Store(id=ids.heartbeat),
            dcc.Store(id=ids.received),
            dcc.Store(id=ids.feed, data=feed_data(None, lang)),
            html.Header(
                className="pantau-header",
                children=[
                    html.Div(
                        className="pantau-brand",
                        children=[
                            html.H1(t("app.title", lang), className="pantau-title"),
                            html.Div(t("app.subtitle", lang), className="pantau-subtitle"),
                        ],
                    ),
                    html.Div(t("status.loading", lang), id=ids.status, className="pantau-status is-loading"),
                    html.Div(
                        className="pantau-clock-box",
                        children=[
                            html.Div("--.--.--", id=ids.clock, className="pantau-clock"),
                            html.Div("", id=ids.date, className="pantau-date"),
                        ],
                    ),
                ],
            ),
            html.Main(id=ids.body, className="pantau-body", children=body(None, None, lang)),
        ],
    )


def feed_data(snapshot: LiveSnapshot | None, lang: str) -> dict[str, Any]:
    last = snapshot.last_event_at if snapshot else None
    return {"last_event_ms": int(last.timestamp() * 1000) if last else None, "texts": i18n.browser_clock_texts(lang)}


def body(snapshot: LiveSnapshot | None, health: dict[str, Any] | None, lang: str) -> list:
    """The figures; with no snapshot yet, the same structure with placeholders."""
    return [
        html.Section(
            className="pantau-cards",
            children=[
                _complaints_card(snapshot, lang),
                _incidents_card(snapshot, lang),
                _last_event_card(snapshot, lang),
            ],
        ),
        _events_table(snapshot, lang),
        _health_line(health, lang),
    ]


def _card(title: str, value: str, detail, modifier: str, figure: str | None = None, lang: str = "id") -> html.Div:
    return html.Div(
        className=f"pantau-card {modifier}",
        **(figures.mark(figure, lang) if figure else {}),
        children=[
            html.Div(title, className="pantau-card-title"),
            html.Div(value, className="pantau-card-value"),
            html.Div(detail, className="pantau-card-detail"),
        ],
    )


def _complaints_card(s: LiveSnapshot | None, lang: str) -> html.Div:
    title = figures.label("complaints_open", lang)
    if s is None:
        return _card(title, "–", "", "is-complaints")
    # of the open ones: those still without a first response, and of those the ones past their deadline
    detail = [
        html.Span(
            figures.count("awaiting_first_response", format_number(s.awaiting_complaints, lang), lang),
            **figures.mark("awaiting_first_response", lang),
        ),
        " · ",
        html.Span(
            figures.count("overdue_unanswered", format_number(s.overdue_complaints, lang), lang),
            className="is-alert" if s.overdue_complaints else "",
            **figures.mark("overdue_unanswered", lang),
        ),
    ]
    return _card(title, format_number(s.open_complaints, lang), detail, "is-complaints", "complaints_open", lang)


def _incidents_card(s: LiveSnapshot | None, lang: str) -> html.Div:
    title = figures.label("incidents_active", lang)
    if s is None:
        return _card(title, "–", "", "is-incidents")
    chips = [
        html.Span([label("incident_category", category, lang), html.B(format_number(n, lang))], className="pantau-chip")
        for category, n in s.active_incidents_by_category.items()
    ]
    return _card(
        title,
        format_number(s.active_incidents, lang),
        chips or t("card.no_incidents", lang),
        "is-incidents",
        "incidents_active",
        lang,
    )


def _last_event_card(s: LiveSnapshot | None, lang: str) -> html.Div:
    last = s.last_event_at if s else None
    value = format_time(last, lang, seconds=True) if last else "–"
    detail = [
        html.Span(_ago(last, s.computed_at, lang) if last else t("card.no_events", lang), id=ids.last_event_ago),
        html.Span(f" · {i18n.format_date(last, lang)}" if last else "", className="pantau-muted"),
    ]
    return _card(t("card.last_event", lang), value, detail, "is-last-event")


def _ago(moment: dt.datetime, now: dt.datetime, lang: str) -> str:
    return i18n.format_ago((now - moment).total_seconds(), lang)


def _event_row(e: FeedEvent, now: dt.datetime, lang: str) -> html.Tr:
    family = e.type.split(".", 1)[0]
    kind = {"complaint": "complaint_category", "incident": "incident_category"}.get(family, "egov_domain")
    same_day = i18n.to_wib(e.occurred_at).date() == i18n.to_wib(now).date()
    when = format_time(e.occurred_at, lang, seconds=True) if same_day else i18n.format_datetime(e.occurred_at, lang)
    place = i18n.kecamatan_name(e.kecamatan_code, lang) if family != "egov" else "–"
    return html.Tr(
        className=f"is-{family}",
        children=[
            html.Td(when, className="pantau-when"),
            html.Td(html.Span(label("event_type", e.type, lang), className=f"pantau-type is-{family}")),
            html.Td(label(kind, e.category, lang)),
            html.Td(place, className="" if e.kecamatan_code or family == "egov" else "pantau-muted"),
            html.Td(e.subject, title=e.subject, className="pantau-subject"),
        ],
    )


def _events_table(s: LiveSnapshot | None, lang: str) -> html.Section:
    head = html.Thead(
        html.Tr(
            [
                html.Th(t(k, lang))
                for k in ("events.time", "events.type", "events.category", "events.place", "events.subject")
            ]
        )
    )
    if s is None:
        rows = [html.Tr(html.Td(t("status.loading", lang), colSpan=5, className="pantau-muted"))]
    elif not s.newest_events:
        rows = [html.Tr(html.Td(t("events.empty", lang), colSpan=5, className="pantau-muted"))]
    else:
        rows = [_event_row(e, s.computed_at, lang) for e in s.newest_events]
    return html.Section(
        className="pantau-events",
        children=[
            html.H2(t("events.title", lang), className="pantau-section-title"),
            html.Table(className="table pantau-table", children=[head, html.Tbody(rows)]),
        ],
    )


def _health_line(health: dict[str, Any] | None, lang: str) -> html.Footer:
    parts: list = [html.Span(t("health.title", lang), className="pantau-health-title")]
    for source in HEALTH_STREAMS:
        stream = (health or {}).get("streams", {}).get(source)
        if stream is None:
            continue
        read = stream.get("last_read_at")
        read_text = (
            t("health.last_read", lang, time=format_time(dt.datetime.fromisoformat(read), lang, seconds=True))
            if read
            else t("health.never_read", lang)
        )
        refused = stream.get("dead_lettered", 0)
        parts.append(
            html.Span(
                className="pantau-health-stream",
                children=[
                    html.B(t(f"stream.{source}", lang)),
                    f" {t('health.pending', lang, n=format_number(stream.get('pending', 0), lang))} · {read_text} · ",
                    html.Span(
                        t("health.dead_letters", lang, n=format_number(refused, lang)),
                        className="is-alert" if refused else "",
                    ),
                ],
            )
        )
    return html.Footer(parts, className="pantau-health")
