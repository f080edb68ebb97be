"""Callbacks of the Media Center wall.

How a change reaches the screen: the ingestor's commit moves the data version and announces it; the
server pushes the new version to every open wall (Server-Sent Events, web/wall_push.py), and a wall
whose push connection is down asks the pulse (/_wall/pulse, the data version and the server's clock, one
Redis read) every REFRESH_MS (0.25 s) instead. Either way, only when the version moved, or what the screen shows is due
for a look (the clock minute, the feed's health), does the browser (assets/wall.js) ask Dash for the
refresh below, one at a time.

The refresh answers with one value, the `view` store: the panels that changed, as HTML text drawn by one
clientside render (assets/wall.js), which reuses every row whose text did not change; and the map, an SVG
image, when its incidents changed (at most every MAP_REFRESH). No panel is a tree of Dash components: with a few hundred of them in
the page, each store update re-ran a selector in every one (0.9 ms a dispatch), which kept a wall PC
without a GPU a quarter of a core busy (issue 19 item 2). The page now holds a dozen components.

The browser sends back what it shows (`known`: the data version, language, map, a digest per panel, and
until when it holds), so ten walls polling an unchanged version cost one Redis read each, and a change
costs one shared snapshot (data_sources.views.wall and the KPI cache) and one map for all of them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from typing import Any

import dash
import flask
import orjson
import redis
from dash import ClientsideFunction, Input, Output, State
from sqlalchemy.exc import SQLAlchemyError

from callbacks.access import current_services
from callbacks.live import language_of
from dashboard import i18n
from data_sources.geo.boundaries import boundaries_for
from data_sources.kpi.cache import KpiCache, cache_for
from data_sources.services import Services
from data_sources.stream.health import stream_health
from data_sources.stream.version import data_version
from data_sources.views.wall import next_refresh_at, shared_wall_snapshot, wall_map_key
from layouts import wall as view
from layouts import wall_panels
from layouts.wall import ids
from layouts.wall_map import wall_map

log = logging.getLogger(__name__)

# Pending counts and stream ages move without a data change (a stuck ingestor): look again this often.
HEALTH_REFRESH = dt.timedelta(seconds=15)
MAP_REFRESH = dt.timedelta(seconds=5)
MAX_VERSION_CHARS = 64
MAX_DIGEST_CHARS = 32
PANELS = view.PANELS
HEALTH_READ_S = 1.0
_health: dict[int, tuple[Any, float, dict[str, Any]]] = {}
_health_guard = threading.Lock()
DRAWN_KEPT = 8  # drawings kept per process: a few versions in two languages
_drawn: OrderedDict[tuple, tuple[dict, dict, dict, dict]] = OrderedDict()
_drawn_guard = threading.Lock()


def page(**query) -> dash.html.Div:
    """The wall page for the URL's query parameters (each checked against its allowlist by the layout)."""
    default = current_services().settings.default_language if flask.has_app_context() else i18n.DEFAULT_LANGUAGE
    return view.layout(query, default)


def register() -> None:
    dash.callback(Output(ids.view, "data"), Input(ids.poll, "data"), Input(ids.url, "search"))(refresh)
    # The render draws the view; on its first call it starts the push, the pulse and the per-second clock
    # on the browser's own timers. Its output is never set (it answers no_update): Dash 4.4 makes no
    # initial call of a callback without one.
    dash.clientside_callback(
        ClientsideFunction("wall", "render"),
        Output(ids.poll, "data"),
        Input(ids.view, "data"),
        State(ids.config, "data"),
    )


def version_answer() -> dict[str, Any]:
    """What the pulse and the push tell a wall: the data version and the server's clock (the browser's
    clock and its "live" state follow the server's), or not ok when Redis cannot be read."""
    now = dt.datetime.now(dt.UTC)
    try:
        return {"ok": True, "version": cache_for(current_services()).version(), "server_ms": _ms(now)}
    except (redis.RedisError, ValueError) as exc:
        log.warning("wall: data version unavailable (%s)", type(exc).__name__)
        return {"ok": False, "server_ms": _ms(now)}


def pulse() -> flask.Response:
    """The wall's idle check while its push connection is down. Behind the gate like every wall request."""
    response = flask.jsonify(version_answer())
    response.headers["Cache-Control"] = "no-store"
    return response


def refresh(poll: Any, search: Any) -> dict[str, Any]:
    """The `view` store: {heartbeat} alone while what the browser shows is current, else also the changed
    panels (HTML), the map when it changed (SVG), the new `known`, and the newest priority-1 incident."""
    app = current_services()
    now = dt.datetime.now(dt.UTC)
    lang = language_of(search, app.settings.default_language)
    known = poll.get("known") if isinstance(poll, dict) else None
    wanted = poll.get("want") if isinstance(poll, dict) else None
    cache = cache_for(app)
    try:
        version = cache.version()
        if isinstance(wanted, str) and wanted != version and len(wanted) <= MAX_VERSION_CHARS:
            # The push told this wall of a version newer than this worker's copy (at most 0.1 s old): read it
            # now rather than answer with the old one and wait for the next word.
            version = data_version(app.redis, app.settings)
    except (redis.RedisError, ValueError) as exc:
        log.warning("wall: data version unavailable (%s)", type(exc).__name__)
        return {"heartbeat": heartbeat(False, now)}
    if still_current(known, version, lang, now):
        return {"heartbeat": heartbeat(True, now)}
    shown = known if isinstance(known, dict) and known.get("lang") == lang else {}
    try:
        # Looked up under the version the browser is told: a wall is never told "version N" while given
        # version N-1's snapshot (it would then wait for the next change), and N walls share one key.
        snapshot = shared_wall_snapshot(app.redis, app.engine, app.settings, now, cache, version=version)
        map_key = wall_map_key(snapshot, lang)
        map_shown, map_at, send_map = map_state(shown, map_key, now)
        svg = shared_wall_map(app.redis, app.settings, snapshot, lang, cache, version=version) if send_map else None
        health = _health_of(app)
    except (redis.RedisError, SQLAlchemyError) as exc:
        # Keep what the screen shows; the browser marks it as delayed.
        log.warning("wall: figures unavailable (%s)", type(exc).__name__)
        return {"heartbeat": heartbeat(False, now)}
    drawn, digests = drawn_panels(app, version, snapshot, health, lang)
    claimed = shown_digests(shown.get("shown"))
    valid_until = min(next_refresh_at(now), now + HEALTH_REFRESH)
    if map_shown != map_key:  # a newer map waits its turn: come back for it then
        valid_until = min(valid_until, _moment(map_at) + MAP_REFRESH)
    return {
        "panels": {name: drawn[name] for name in PANELS if claimed.get(name) != digests[name]},
        "map": None if svg is None else {"key": map_key, "svg": svg},
        "known": {
            "version": version,
            "lang": lang,
            "map": map_shown,
            "map_at": map_at,
            "until_ms": _ms(valid_until),
            "shown": digests,
        },
        "feed": {"p1": snapshot.get("newest_p1")},
        "heartbeat": heartbeat(True, now),
    }


def map_state(shown: dict[str, Any], newest: str, now: dt.datetime) -> tuple[str, int, bool]:
    """(key of the map the screen will show, when it was sent, whether to send it now). A changed map is
    sent at most once per MAP_REFRESH: decoding and drawing the image is the largest part of a wall's
    work per change (10-25 ms on a PC without a GPU), while the ticker beside it has the news at once."""
    key, sent_at = shown.get("map"), shown.get("map_at")
    if not isinstance(key, str) or type(sent_at) is not int:
        return newest, _ms(now), True  # the first answer (or another language, or a forged claim)
    if key == newest:
        return key, sent_at, False
    if _ms(now) - sent_at >= MAP_REFRESH.total_seconds() * 1000:
        return newest, _ms(now), True
    return key, sent_at, False


def drawn_panels(
    app: Services, version: str, snapshot: dict[str, Any], health: dict[str, Any], lang: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The panels as HTML and their digests, drawn once per worker for every wall that asks after the
    same change (the snapshot and the health read are shared objects: the KPI cache's local copy, and
    _health_of's): ten walls cost one drawing, not ten, on the two cores they share with ten browsers."""
    key = (id(app), version, lang, id(snapshot), snapshot.get("computed_ms"), id(health))
    with _drawn_guard:
        held = _drawn.get(key)
        if held is not None and held[0] is snapshot and held[1] is health:
            return held[2], held[3]
    panels = {
        "tiles": wall_panels.tiles(snapshot, lang),
        "ticker": wall_panels.ticker(snapshot, lang),
        "sla": wall_panels.sla_board(snapshot, lang),
        # due or overdue as at the snapshot (its minute): the browser ticks each row on from there
        "ppid": wall_panels.ppid_board(snapshot, lang),
        "egov": wall_panels.egov_strip(snapshot, lang),
        "health": wall_panels.health_line(health, lang),
    }
    drawn = {name: view.panel_view(panel) for name, panel in panels.items()}
    digests = {name: digest(drawn[name]) for name in PANELS}
    with _drawn_guard:
        _drawn[key] = (snapshot, health, drawn, digests)
        while len(_drawn) > DRAWN_KEPT:
            _drawn.popitem(last=False)
    return drawn, digests


def digest(value: Any) -> str:
    """A short name of what a panel shows, to tell a changed panel from an unchanged one."""
    return hashlib.blake2b(orjson.dumps(value), digest_size=8).hexdigest()


def shown_digests(claim: Any) -> dict[str, str]:
    """The browser's claim of what each panel shows, checked: anything forged or damaged counts as nothing
    shown, and gets the whole panel."""
    if not isinstance(claim, dict) or len(claim) > len(PANELS):
        return {}
    return {k: v for k, v in claim.items() if k in PANELS and isinstance(v, str) and len(v) <= MAX_DIGEST_CHARS}


def shared_wall_map(
    client: redis.Redis, settings, snapshot: dict[str, Any], lang: str, cache: KpiCache | None = None, version: str = ""
) -> str:
    """The map's image (SVG text), built once per set of incidents and language for every screen."""
    cache = cache or KpiCache(client, settings)
    # Keyed by what the map shows, so a new clock minute with the same incidents builds no new map.
    key = f"map={wall_map_key(snapshot, lang)}"
    return cache.get_or_compute(
        "wall-map",
        key,
        lambda: wall_map(snapshot["map_incidents"], boundaries_for(settings, "kecamatan"), lang),
        version=version,
    )


def still_current(known: Any, version: str, lang: str, now: dt.datetime) -> bool:
    """Whether what the browser says it shows is still right; a malformed claim is simply not."""
    if not isinstance(known, dict):
        return False
    claimed_version, claimed_until = known.get("version"), known.get("until_ms")
    if not isinstance(claimed_version, str) or len(claimed_version) > MAX_VERSION_CHARS:
        return False
    if type(claimed_until) is not int:
        return False
    return claimed_version == version and known.get("lang") == lang and _ms(now) < claimed_until


def _health_of(app: Services) -> dict[str, Any]:
    """The feed's health, read once a second per worker: ten Redis round trips per read, and every wall
    of this worker would otherwise read it again after each data change."""
    now = time.monotonic()
    with _health_guard:
        held = _health.get(id(app))
    if held is not None and held[0] is app.redis and now - held[1] < HEALTH_READ_S:
        return held[2]
    health = stream_health(app.settings, app.redis)
    with _health_guard:
        _health[id(app)] = (app.redis, now, health)
    return health


def heartbeat(ok: bool, now: dt.datetime) -> dict[str, Any]:
    return {"ok": ok, "server_ms": _ms(now)}


def _moment(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)
