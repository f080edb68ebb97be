"""The Media Center wall (`/wall`): a kiosk view, read from five metres, that nobody touches.

Four scenes (overview, complaints SLA board, 112 live, e-government) share one page; the browser rotates
them (assets/wall.js), so a scene change costs no server round trip. Every panel is in the page from the
first paint; the page's `scene-*` class says which ones a scene shows (assets/wall.css). Countdowns,
elapsed times and feed ages carry epoch milliseconds in data attributes and tick in the browser.

URL: `?scene=overview|sla|112|egov` pins a scene, `?rotate=<seconds>` (10..600, else 20) sets the period,
`?lang=en` speaks English. Anything else falls back to the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dash import dcc, html

from dashboard import i18n
from dashboard.i18n import t
from layouts.wall_html import ROWS, to_html
from layouts.wall_panels import Panel, egov_strip, health_line, ppid_board, sla_board, ticker, tiles

SCENES = ("overview", "sla", "112", "egov")
# The pulse: the data-version check while the push is down or refused (callbacks/wall.py). A wall that
# polls waits half of it on average for a change: 0.25 s keeps ten walls, most of them polling on a
# waitress of 8 threads, within a second (bench/wall.py); a pulse costs the server one cached read.
REFRESH_MS = 250
PUSH_HEARTBEAT_MS = 1_000  # the push's word when nothing changed (web/wall_push.py), so silence means trouble
STALE_AFTER_MS = 2_000  # no word for this long: "data tertunda" (two push heartbeats, eight pulses missed)
POLL_TIMEOUT_MS = 5_000  # a pulse or a refresh unanswered this long is given up and the next one sent
DEFAULT_ROTATE_S = 20
ROTATE_RANGE_S = (10, 600)


PULSE_PATH = "/_wall/pulse"  # the wall's data-version check (callbacks/wall.py, pulse; web/gate.py lets it through)
PUSH_QUERY = "push"  # /_wall/pulse?push=1: the same answer pushed as Server-Sent Events (web/wall_push.py)
PANELS = ("tiles", "ticker", "sla", "ppid", "egov", "health")


class ids:
    url = "wall-url"
    config = "wall-config"  # pinned scene, rotation period, texts: fixed for the page's life
    poll = "wall-poll"  # a refresh asked of the server when the data moved, with what the browser shows
    view = "wall-view"  # the refresh's answer: changed panels (HTML), the map (SVG), feed and heartbeat
    page = "wall-page"
    status = "wall-status"
    scene_title = "wall-scene-title"
    clock = "wall-clock"
    date = "wall-date"
    tiles = "wall-tiles"
    map = "wall-map"
    ticker = "wall-ticker"
    sla = "wall-sla"
    ppid = "wall-ppid"
    egov = "wall-egov"
    health = "wall-health"


def scene_of(value: Any) -> str | None:
    """A pinned scene from the URL, or None (rotate) for anything not on the allowlist."""
    return value if isinstance(value, str) and value in SCENES else None


def rotate_seconds(value: Any) -> int:
    """The rotation period from the URL: whole seconds within 10..600, else the default 20."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 4:
        seconds = int(value)
        if ROTATE_RANGE_S[0] <= seconds <= ROTATE_RANGE_S[1]:
            return seconds
    return DEFAULT_ROTATE_S


def language_of(value: Any, default: str = i18n.DEFAULT_LANGUAGE) -> str:
    return value if isinstance(value, str) and value in i18n.LANGUAGES else i18n.language(default)


def config_data(scene: str | None, rotate_s: int, lang: str) -> dict[str, Any]:
    return {
        "pin": scene,
        "scenes": list(SCENES),
        "rotate_ms": rotate_s * 1000,
        "refresh_ms": REFRESH_MS,
        "pulse_url": PULSE_PATH,
        "push_url": f"{PULSE_PATH}?{PUSH_QUERY}=1",
        "push_heartbeat_ms": PUSH_HEARTBEAT_MS,
        "map_alt": t("wall.scene.112", lang),
        "stale_after_ms": STALE_AFTER_MS,
        "poll_timeout_ms": POLL_TIMEOUT_MS,
        "scene_titles": {s: t(f"wall.scene.{s}", lang) for s in SCENES},
        "texts": {
            **i18n.browser_clock_texts(lang),
            "over": t("wall.sla.overdue", lang),
            "over_days": t("wall.sla.overdue_days", lang, n="{n}"),
            "newest": t("wall.health.newest", lang, ago="{ago}"),
            "states": {s: t(f"wall.sla.state.{s}", lang) for s in ("on_track", "at_risk", "critical", "breached")},
            "ppid_late": t("wall.ppid.late", lang, n="{n}"),
            "ppid_late_one": t("wall.ppid.late.one", lang, n="{n}"),
        },
    }


def layout(query: Mapping[str, Any], default_language: str = i18n.DEFAULT_LANGUAGE) -> html.Div:
    """The wall page for the URL's query parameters (callbacks/wall.py's `page` passes them on).

    The panels are empty sections that the browser fills from the `view` store (assets/wall.js, render);
    the store starts with each panel's "loading" state, so the first paint is the same as before."""
    # Dash pages passes the URL's query parameters; each is checked against its allowlist here.
    scene = scene_of(query.get("scene"))
    lang = language_of(query.get("lang"), default_language)
    config = config_data(scene, rotate_seconds(query.get("rotate")), lang)
    first = scene or SCENES[0]
    loading = {
        "tiles": tiles(None, lang),
        "ticker": ticker(None, lang),
        "sla": sla_board(None, lang),
        "ppid": ppid_board(None, lang),
        "egov": egov_strip(None, lang),
        "health": health_line(None, lang),
    }
    first_view = {"panels": {name: panel_view(panel) for name, panel in loading.items()}}
    return html.Div(
        id=ids.page,
        className=f"wall-page scene-{first}",
        **{"data-bs-theme": "dark"},
        children=[
            dcc.Location(id=ids.url, refresh=False),
            dcc.Store(id=ids.config, data=config),
            dcc.Store(id=ids.poll),
            dcc.Store(id=ids.view, data=first_view),
            html.Header(
                className="wall-header",
                children=[
                    html.Div(
                        className="wall-brand",
                        children=[
                            html.Div(t("wall.title", lang), className="wall-title"),
                            html.Div(config["scene_titles"][first], id=ids.scene_title, className="wall-scene-title"),
                        ],
                    ),
                    html.Div(t("status.loading", lang), id=ids.status, className="wall-status is-loading"),
                    html.Div(
                        className="wall-clock-box",
                        children=[
                            html.Div("--.--.--", id=ids.clock, className="wall-clock"),
                            html.Div("", id=ids.date, className="wall-date"),
                        ],
                    ),
                ],
            ),
            # Dash renders these sections once and never gives them new props: the browser's render owns
            # what is inside them, and React leaves it alone.
            html.Main(
                className="wall-main",
                children=[
                    html.Section(id=ids.tiles, className="wall-tiles"),
                    html.Section(
                        html.Div(t("status.loading", lang), className="wall-empty"),
                        id=ids.map,
                        className="wall-panel wall-map-panel",
                    ),
                    html.Section(id=ids.ticker, className="wall-panel wall-ticker"),
                    html.Section(id=ids.sla, className="wall-panel wall-sla"),
                    html.Section(id=ids.ppid, className="wall-panel wall-ppid"),
                    html.Section(id=ids.egov, className="wall-panel wall-egov"),
                ],
            ),
            html.Footer(id=ids.health, className="wall-health"),
        ],
    )


def panel_view(panel: Panel) -> dict[str, Any]:
    """A panel as the browser's render takes it (assets/wall.js): its head and the wrapper of its rows as
    HTML, and its rows as [key, HTML] pairs (None: the `empty` message instead)."""
    if panel.rows is None:
        return {"head": to_html(panel.head), "shell": "", "rows": None, "empty": to_html(panel.empty)}
    return {
        "head": to_html(panel.head),
        "shell": to_html(panel.wrap([ROWS])) if panel.wrap else "",
        "rows": [[key, to_html(row)] for key, row in panel.rows],
        "empty": "",
    }
