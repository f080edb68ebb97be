"""Callbacks of the Media Center wall.

Every second the browser asks one cheap question (has the data version moved?) and gets the panels only
when it has, or when the clock minute behind "today" and the SLA states has run out. The snapshot is
computed once per data version for every wall (data_sources.wall_feed through the KPI cache), the map's
figure dict once per version and language, and the map is resent only when its incidents changed.
Scene rotation, countdowns, elapsed times and the clock run in the browser (assets/wall.js).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from typing import Any

import dash
import orjson
import redis
from dash import ClientsideFunction, Input, Output, State
from sqlalchemy.exc import SQLAlchemyError

from callbacks.live import language_of
from data_sources import services
from data_sources.health import stream_health
from data_sources.ingest import data_version
from data_sources.kpi_cache import KpiCache
from data_sources.wall_feed import next_refresh_at, shared_wall_map, shared_wall_snapshot
from layouts import wall as view
from layouts.wall import ids

log = logging.getLogger(__name__)

# Pending counts and stream ages move without a data change (a stuck ingestor): look again this often.
HEALTH_REFRESH = dt.timedelta(seconds=15)
MAX_VERSION_CHARS = 64
_caches: dict[int, KpiCache] = {}
_caches_guard = threading.Lock()


def register() -> None:
    dash.callback(
        Output(ids.tiles, "children"), Output(ids.ticker, "children"), Output(ids.sla, "children"),
        Output(ids.egov, "children"), Output(ids.health, "children"), Output(ids.map, "children"),
        Output(ids.known, "data"), Output(ids.feed, "data"), Output(ids.heartbeat, "data"),
        Input(ids.refresh, "n_intervals"), Input(ids.url, "search"), State(ids.known, "data"),
    )(refresh)
    dash.clientside_callback(
        ClientsideFunction("wall", "received"),
        Output(ids.received, "data"), Input(ids.heartbeat, "data"),
    )
    dash.clientside_callback(
        ClientsideFunction("wall", "tick"),
        Output(ids.clock, "children"), Output(ids.date, "children"), Output(ids.status, "children"),
        Output(ids.status, "className"), Output(ids.page, "className"), Output(ids.scene_title, "children"),
        Output(ids.rotation, "data"),
        Input(ids.tick, "n_intervals"), State(ids.received, "data"), State(ids.feed, "data"),
        State(ids.config, "data"), State(ids.rotation, "data"),
    )


def refresh(_n_intervals: Any, search: Any, known: Any):
    """(tiles, ticker, sla, egov, health, map, known, feed, heartbeat); all but the heartbeat stay as they
    are unless the data changed."""
    app = services.current()
    now = dt.datetime.now(dt.timezone.utc)
    lang = language_of(search, app.settings.default_language)
    keep = (dash.no_update,) * 8
    try:
        version = data_version(app.redis, app.settings)
    except (redis.RedisError, ValueError) as exc:
        log.warning("wall: data version unavailable (%s)", type(exc).__name__)
        return *keep, heartbeat(False, now)
    if still_current(known, version, lang, now):
        return *keep, heartbeat(True, now)
    try:
        cache = _cache_of(app)
        snapshot = shared_wall_snapshot(app.redis, app.engine, app.settings, now, cache)
        map_key = _map_key(snapshot, lang)
        figure = (dash.no_update if isinstance(known, dict) and known.get("map") == map_key
                  else view.map_graph(shared_wall_map(app.redis, app.settings, snapshot, lang, cache), map_key))
        health = stream_health(app.settings, app.redis)
    except (redis.RedisError, SQLAlchemyError) as exc:
        # Keep what the screen shows; the browser marks it as delayed.
        log.warning("wall: figures unavailable (%s)", type(exc).__name__)
        return *keep, heartbeat(False, now)
    valid_until = min(next_refresh_at(now), now + HEALTH_REFRESH)
    known = {"version": version, "lang": lang, "map": map_key, "until_ms": _ms(valid_until)}
    return (view.tiles(snapshot, lang), view.ticker(snapshot, lang), view.sla_board(snapshot, lang),
            view.egov_strip(snapshot, lang), view.health_line(health, lang), figure, known,
            {"p1": snapshot.get("newest_p1")}, heartbeat(True, now))


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


def _map_key(snapshot: dict[str, Any], lang: str) -> str:
    """Names what the map shows, so a screen whose incidents did not change is not sent the map again."""
    body = orjson.dumps([lang, snapshot.get("map_incidents")])
    return hashlib.sha256(body).hexdigest()[:20]


def _cache_of(app: services.Services) -> KpiCache:
    # one cache per app, so its in-process layer serves every screen this worker answers
    with _caches_guard:
        cache = _caches.get(id(app))
        if cache is None or cache.client is not app.redis:
            cache = _caches[id(app)] = KpiCache(app.redis, app.settings)
        return cache


def heartbeat(ok: bool, now: dt.datetime) -> dict[str, Any]:
    return {"ok": ok, "server_ms": _ms(now)}


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)
