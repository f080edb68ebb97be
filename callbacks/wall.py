"""Callbacks of the Media Center wall.

Push or poll: a short poll. Server-sent events on Flask hold a server thread for every open screen for as
long as it is open (waitress and gunicorn's sync workers have no other way to wait), so ten walls would
take every thread of a default waitress and starve the other pages unless the server ran on gevent or an
async backend; the stream also needs its own reconnect and proxy-buffering care.

The poll is a pulse outside Dash: every 0.5 s after its last answer the browser (assets/wall.js) fetches
/_wall/pulse, whose answer is the data version and the server's clock (one Redis MGET at most, a
millisecond of the server's time). Only when the version moved, or what the screen shows is due for a look
(the clock minute, the feed's health, a waiting map), does the browser ask Dash for the refresh below, one
at a time. Why not a dcc.Interval driving the refresh callback, as before: every Dash callback is a dozen
store updates in the browser, and each update re-runs a selector in every component of the page (0.9 ms a
dispatch with the wall's few hundred). Three callbacks a poll kept an idle wall's browser 15% busy on a
PC without a GPU, and ten walls on the bench's two cores were saturated before any event came; the pulse
costs the page nothing in Dash. A new event reaches the screen within the ingest time plus at most half a
second plus one refresh (bench/wall.py measures it with 1 and 10 walls open).

Only what changed is sent: the browser's `known` store keeps a short digest of every row it shows (the
tiles, the ticker, the SLA board, the e-government cards, the feed health). When the data version moves the
callback renders the panels from the shared snapshot (computed once per data version for every wall, see
data_sources.views.wall and the KPI cache), compares digests, and answers with a dash.Patch per panel: a new
112 incident is one Insert (and one Delete of the row that falls off the end), a changed tile one Assign.
A panel whose structure changed (language, empty to rows) is sent whole. The map's figure is built once per
version, language and screen size class; a changed map is sent at most every MAP_REFRESH, as a patch of
its incident layers and legend (the boundaries stay), and the first one only after the first figures.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from typing import Any

import dash
import flask
import orjson
import plotly.utils
import redis
from dash import ClientsideFunction, Input, Output, Patch, State
from sqlalchemy.exc import SQLAlchemyError

from callbacks.access import current_services
from callbacks.live import language_of
from dashboard import i18n
from data_sources.geo.boundaries import boundaries_for
from data_sources.kpi.cache import KpiCache, cache_for
from data_sources.services import Services
from data_sources.stream.health import stream_health
from data_sources.views.wall import next_refresh_at, shared_wall_snapshot, wall_map_key
from layouts import wall as view
from layouts import wall_panels
from layouts.wall import PULSE_PATH, ids
from layouts.wall_map import MAP_SCALES, wall_map

log = logging.getLogger(__name__)

# Pending counts and stream ages move without a data change (a stuck ingestor): look again this often.
HEALTH_REFRESH = dt.timedelta(seconds=15)
MAP_REFRESH = dt.timedelta(seconds=15)
MAP_FIRST_DELAY = dt.timedelta(seconds=1)
MAX_VERSION_CHARS = 64
MAX_ROWS = 32  # more rows claimed than any panel has: a forged claim, answered with whole panels
PANELS = ("tiles", "ticker", "sla", "ppid", "egov", "health")
HEALTH_READ_S = 1.0
_health: dict[int, tuple[Any, float, dict[str, Any]]] = {}
_health_guard = threading.Lock()


def page(**query) -> dash.html.Div:
    """The wall page for the URL's query parameters (each checked against its allowlist by the layout)."""
    default = current_services().settings.default_language if flask.has_app_context() else i18n.DEFAULT_LANGUAGE
    return view.layout(query, default)


def register() -> None:
    dash.callback(
        Output(ids.tiles, "children"),
        Output(ids.ticker, "children"),
        Output(ids.sla, "children"),
        Output(ids.ppid, "children"),
        Output(ids.egov, "children"),
        Output(ids.health, "children"),
        Output(ids.map, "children"),
        Output(ids.known, "data"),
        Output(ids.feed, "data"),
        Output(ids.heartbeat, "data"),
        Input(ids.poll, "data"),
        Input(ids.url, "search"),
        State(ids.known, "data"),
    )(refresh)
    dash.clientside_callback(
        ClientsideFunction("wall", "answered"),  # no output: it tells the pulse (assets/wall.js)
        Input(ids.heartbeat, "data"),
        State(ids.known, "data"),
        State(ids.feed, "data"),
    )
    # The pulse and the per-second clock, rotation and countdowns run on the browser's own timers. Its
    # output is never set (it answers no_update): Dash 4.4 makes no initial call of a callback without one.
    dash.clientside_callback(ClientsideFunction("wall", "start"), Output(ids.poll, "data"), Input(ids.config, "data"))


def register_routes(server: flask.Flask) -> None:
    server.add_url_rule(PULSE_PATH, "pantau_wall_pulse", pulse, methods=["GET"])


def pulse() -> flask.Response:
    """The wall's idle check: the data version (the cache's copy, the key the refresh looks the snapshot up
    under) and the server's clock, which the browser uses for its clock and to tell when what it shows is
    due. Behind the gate like every wall request."""
    now = dt.datetime.now(dt.UTC)
    try:
        body = {"ok": True, "version": cache_for(current_services()).version(), "server_ms": _ms(now)}
    except (redis.RedisError, ValueError) as exc:
        log.warning("wall: data version unavailable (%s)", type(exc).__name__)
        body = {"ok": False, "server_ms": _ms(now)}
    response = flask.jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def refresh(poll: Any, search: Any, known: Any):
    """(tiles, ticker, sla, ppid, egov, health, map, known, feed, heartbeat); all but the heartbeat stay as they
    are unless the data changed, and then as patches of what changed."""
    app = current_services()
    now = dt.datetime.now(dt.UTC)
    lang = language_of(search, app.settings.default_language)
    keep = (dash.no_update,) * (len(PANELS) + 3)
    cache = cache_for(app)
    try:
        # The cache's copy of the version (at most 100 ms old), not a fresh read: the snapshot is looked up
        # under the same version the browser is told, so a wall can never be told "version N" while it was
        # given version N-1's snapshot (it would then wait for the next change), and N walls share one key.
        version = cache.version()
    except (redis.RedisError, ValueError) as exc:
        log.warning("wall: data version unavailable (%s)", type(exc).__name__)
        return *keep, heartbeat(False, now)
    if still_current(known, version, lang, now):
        return *keep, heartbeat(True, now)
    try:
        snapshot = shared_wall_snapshot(app.redis, app.engine, app.settings, now, cache)
        scale = screen_scale(poll)
        newest_map = wall_map_key(snapshot, lang, scale)
        map_key, map_at, map_due = _map_state(known, newest_map, lang, now)
        figure, map_traces = dash.no_update, known.get("map_traces") if isinstance(known, dict) else None
        map_traces = map_traces if type(map_traces) is int else None  # echoed back: never a forged object
        if map_due:
            figure, map_traces = map_update(
                shared_wall_map(app.redis, app.settings, snapshot, lang, cache, scale), known, map_key, lang, scale
            )
        health = _health_of(app)
    except (redis.RedisError, SQLAlchemyError) as exc:
        # Keep what the screen shows; the browser marks it as delayed.
        log.warning("wall: figures unavailable (%s)", type(exc).__name__)
        return *keep, heartbeat(False, now)
    shown = known.get("shown") if isinstance(known, dict) and known.get("lang") == lang else None
    shown = shown if isinstance(shown, dict) else {}
    panels = {
        "tiles": wall_panels.tiles(snapshot, lang),
        "ticker": wall_panels.ticker(snapshot, lang),
        "sla": wall_panels.sla_board(snapshot, lang),
        "ppid": wall_panels.ppid_board(snapshot, lang, _ms(now)),
        "egov": wall_panels.egov_strip(snapshot, lang),
        "health": wall_panels.health_line(health, lang),
    }
    outputs, new_shown = [], {}
    for name in PANELS:
        output, new_shown[name] = panel_update(panels[name], shown.get(name))
        outputs.append(output)
    valid_until = min(next_refresh_at(now), now + HEALTH_REFRESH)
    if map_key != newest_map:  # a newer map waits its turn: come back for it then
        valid_until = min(valid_until, _moment(map_at) + MAP_REFRESH)
    known = {
        "version": version,
        "lang": lang,
        "map": map_key,
        "map_at": map_at,
        "until_ms": _ms(valid_until),
        "map_traces": map_traces,
        "scale": scale,
        "shown": new_shown,
    }
    return (*outputs, figure, known, {"p1": snapshot.get("newest_p1")}, heartbeat(True, now))


# --- what changed ------------------------------------------------------------------------------------


def digest(component: Any) -> str:
    """A short name of what a component shows, to tell a changed row from an unchanged one."""
    body = orjson.dumps(component, default=plotly.utils.PlotlyJSONEncoder().default)
    return hashlib.blake2b(body, digest_size=6).hexdigest()


def panel_state(panel: wall_panels.Panel) -> dict[str, Any]:
    return {
        "head": [digest(part) for part in panel.head],
        "rows": None if panel.rows is None else [[key, digest(row)] for key, row in panel.rows],
        "empty": None if panel.rows is not None else digest(panel.empty),
    }


def panel_update(panel: wall_panels.Panel, shown: Any) -> tuple[Any, dict[str, Any]]:
    """(what to send for this panel, its new state): no_update, a Patch of the changed parts, or the whole
    panel when the browser's claim does not fit it (first answer, another language, a forged claim)."""
    state = panel_state(panel)
    if (
        not _valid_state(shown)
        or len(shown["head"]) != len(state["head"])
        or (shown["rows"] is None) != (state["rows"] is None)
    ):
        return panel.children(), state
    if shown == state:
        return dash.no_update, state
    patch = Patch()
    for i, (old, new) in enumerate(zip(shown["head"], state["head"])):
        if old != new:
            patch[i] = panel.head[i]
    if panel.rows is None:
        if shown["empty"] != state["empty"]:
            patch[len(panel.head)] = panel.empty
        return patch, state
    operations = row_operations([tuple(r) for r in shown["rows"]], [tuple(r) for r in state["rows"]])
    path, offset = panel.rows_location()
    if operations is None:
        if panel.wrap is None:
            return panel.children(), state
        patch[len(panel.head)] = panel.children()[len(panel.head)]
        return patch, state
    rows = Patch(location=list(path), parent=patch) if path else patch
    for kind, index in operations:
        if kind == "delete":
            del rows[offset + index]
        elif kind == "insert":
            rows.insert(offset + index, panel.rows[index][1])
        else:
            rows[offset + index] = panel.rows[index][1]
    return patch, state


def row_operations(old: list[tuple[str, str]], new: list[tuple[str, str]]) -> list[tuple[str, int]] | None:
    """Deletes (old indices, from the end), inserts and assigns (new indices, in order) that turn the rows
    `old` into `new`, both lists of (key, digest); None when the rows that stay changed their order, or
    when most rows change anyway (then the whole list is smaller than its patch)."""
    old_keys, new_keys = [k for k, _ in old], [k for k, _ in new]
    if len(set(old_keys)) != len(old_keys) or len(set(new_keys)) != len(new_keys):
        return None
    staying = set(old_keys) & set(new_keys)
    if [k for k in old_keys if k in staying] != [k for k in new_keys if k in staying]:
        return None
    old_digest = dict(old)
    operations: list[tuple[str, int]] = [("delete", i) for i in reversed(range(len(old))) if old_keys[i] not in staying]
    operations += [("insert", j) for j, key in enumerate(new_keys) if key not in staying]
    operations += [("assign", j) for j, (key, d) in enumerate(new) if key in staying and old_digest[key] != d]
    changed = sum(1 for kind, _ in operations if kind != "delete")
    return None if new and changed > len(new) // 2 + 1 else operations


def _valid_state(shown: Any) -> bool:
    """The browser's claim about a panel, checked: a forged or damaged claim gets the whole panel."""
    if not isinstance(shown, dict) or set(shown) != {"head", "rows", "empty"}:
        return False
    head, rows = shown["head"], shown["rows"]
    if not isinstance(head, list) or len(head) > MAX_ROWS or not all(isinstance(h, str) for h in head):
        return False
    if rows is None:
        return isinstance(shown["empty"], str)
    return (
        isinstance(rows, list)
        and len(rows) <= MAX_ROWS
        and all(
            isinstance(r, list) and len(r) == 2 and all(isinstance(x, str) and len(x) <= 200 for x in r) for r in rows
        )
    )


# --- keeping up --------------------------------------------------------------------------------------


def map_update(figure: dict, known: Any, key: str, lang: str, scale: int) -> tuple[Any, int]:
    """(what to send for the map, its number of traces). A map of the same language, size class and
    traces is patched in place: the incident layers, the hover points, the legend; the city's boundaries
    (the first trace) stay as they are, so MapLibre redraws markers instead of building a new map.
    Anything else mounts a new graph."""
    traces = len(figure["data"])
    same_frame = (
        isinstance(known, dict)
        and known.get("lang") == lang
        and known.get("scale") == scale
        and known.get("map_traces") == traces
        and isinstance(known.get("map"), str)
        and known["map"]
    )
    if not same_frame:
        return view.map_graph(figure, key), traces
    patch = Patch()
    target = patch[0]["props"]["figure"]
    for i in range(1, traces):
        target["data"][i] = figure["data"][i]
    for name in ("layers",):
        target["layout"]["map"][name] = figure["layout"]["map"][name]
    target["layout"]["annotations"] = figure["layout"]["annotations"]
    target["layout"]["shapes"] = figure["layout"]["shapes"]
    return patch, traces


def shared_wall_map(
    client: redis.Redis, settings, snapshot: dict[str, Any], lang: str, cache: KpiCache | None = None, scale: int = 1
) -> dict:
    """The map's figure dict, built once per snapshot, language and screen scale for every screen."""
    cache = cache or KpiCache(client, settings)
    # Keyed by what the map shows, so a new clock minute with the same incidents builds no new map.
    key = f"map={wall_map_key(snapshot, lang, scale)}"
    return cache.get_or_compute(
        "wall-map",
        key,
        lambda: wall_map(
            snapshot["map_incidents"], boundaries_for(settings, "kecamatan"), settings.map_style, lang, scale
        ),
    )


def screen_scale(poll: Any) -> int:
    """The screen's size class that the browser sends with its poll: 2 on a 4K wall, else 1."""
    scale = poll.get("scale") if isinstance(poll, dict) else None
    return scale if type(scale) is int and scale in MAP_SCALES else 1


def _map_state(known: Any, newest_key: str, lang: str, now: dt.datetime) -> tuple[str, int, bool]:
    """(key of the map the screen will show, when it was sent, whether to send it now). A changed map is
    sent at most once per MAP_REFRESH: each one is a fresh WebGL map in the browser (see layouts.wall.
    map_graph), hundreds of milliseconds of a wall PC's time, while the ticker beside it has the news."""
    shown = known.get("map") if isinstance(known, dict) and known.get("lang") == lang else None
    sent_at = known.get("map_at") if isinstance(known, dict) else None
    if not isinstance(shown, str) or type(sent_at) is not int:
        # the first answer (or another language): the figures now, the map at the next poll but one
        return "", _ms(now - MAP_REFRESH + MAP_FIRST_DELAY), False
    if shown == newest_key:
        return shown, sent_at, False
    if _ms(now) - sent_at >= MAP_REFRESH.total_seconds() * 1000:
        return newest_key, _ms(now), True
    return shown, sent_at, False


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
