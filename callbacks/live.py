"""Callbacks of the live page.

Every 2 s the browser asks one cheap question (has the data version in Redis moved?) and gets the
figures only when it has. The snapshot behind them is computed once per data version and shared through
Redis, so ten wall screens cost one query, not ten. Clock and "how long ago" tick in the browser.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import parse_qs

import dash
import flask
import orjson
import redis
from dash import ClientsideFunction, Input, Output, State
from sqlalchemy.exc import SQLAlchemyError

from callbacks.access import current_services
from dashboard import i18n
from data_sources import redis_keys, services
from data_sources.stream.health import stream_health
from data_sources.stream.version import data_version
from data_sources.views.live import LiveSnapshot, live_snapshot
from layouts import live as view
from layouts.live import ids

log = logging.getLogger(__name__)

# Pending counts and last reads move without a data change (a stuck ingestor): look again this often.
HEALTH_REFRESH = dt.timedelta(seconds=15)
SNAPSHOT_TTL_S = 120
MAX_SEARCH_CHARS = 200


def page(**_query) -> dash.html.Div:
    """The live page (Dash pages calls this per request with the URL's query; the refresh callback checks
    those itself). Dash also calls it outside a request, to validate the layout."""
    default = current_services().settings.default_language if flask.has_app_context() else i18n.DEFAULT_LANGUAGE
    return view.layout(default)


def register() -> None:
    dash.callback(
        Output(ids.body, "children"),
        Output(ids.known, "data"),
        Output(ids.feed, "data"),
        Output(ids.heartbeat, "data"),
        Input(ids.refresh, "n_intervals"),
        Input(ids.url, "search"),
        State(ids.known, "data"),
    )(refresh)
    dash.clientside_callback(
        ClientsideFunction("pantau", "received"),
        Output(ids.received, "data"),
        Input(ids.heartbeat, "data"),
    )
    dash.clientside_callback(
        ClientsideFunction("pantau", "tick"),
        Output(ids.clock, "children"),
        Output(ids.date, "children"),
        Output(ids.last_event_ago, "children"),
        Output(ids.status, "children"),
        Output(ids.status, "className"),
        Output(ids.page, "className"),
        Input(ids.tick, "n_intervals"),
        State(ids.received, "data"),
        State(ids.feed, "data"),
    )


def refresh(_n_intervals: Any, search: Any, known: Any):
    """(body, known, feed, heartbeat); everything but the heartbeat stays as it is unless the data changed."""
    app = current_services()
    now = dt.datetime.now(dt.UTC)
    lang = language_of(search, app.settings.default_language)
    keep = dash.no_update
    try:
        # Epoch-qualified: after Redis comes back empty, a counter starting again never matches old figures.
        version = data_version(app.redis, app.settings)
    except (redis.RedisError, ValueError) as exc:
        log.warning("live page: data version unavailable (%s)", type(exc).__name__)
        return keep, keep, keep, heartbeat(False, now)
    if still_current(known, version, lang, now):
        return keep, keep, keep, heartbeat(True, now)
    try:
        snapshot = shared_snapshot(app, version, now)
        health = stream_health(app.settings, app.redis)
    except (redis.RedisError, SQLAlchemyError) as exc:
        # Keep what the screen shows; the browser marks it as delayed.
        log.warning("live page: figures unavailable (%s)", type(exc).__name__)
        return keep, keep, keep, heartbeat(False, now)
    valid_until = min(filter(None, (snapshot.next_due_at, now + HEALTH_REFRESH)))
    known = {"version": version, "lang": lang, "until_ms": _ms(valid_until)}
    return view.body(snapshot, health, lang), known, view.feed_data(snapshot, lang), heartbeat(True, now)


def language_of(search: Any, default: str) -> str:
    """?lang=en or ?lang=id; anything else, including a forged value, is the configured default."""
    if not isinstance(search, str) or len(search) > MAX_SEARCH_CHARS:
        return i18n.language(default)
    asked = parse_qs(search.lstrip("?")).get("lang", [None])[-1]
    return asked if asked in i18n.LANGUAGES else i18n.language(default)


def still_current(known: Any, version: str, lang: str, now: dt.datetime) -> bool:
    """Whether what the browser says it shows is still right; a malformed claim is simply not."""
    if not isinstance(known, dict):
        return False
    claimed_version, claimed_until = known.get("version"), known.get("until_ms")
    if type(claimed_version) is not str or type(claimed_until) is not int:
        return False
    return claimed_version == version and known.get("lang") == lang and _ms(now) < claimed_until


def shared_snapshot(app: services.Services, version: str, now: dt.datetime) -> LiveSnapshot:
    """The snapshot of this data version, from Redis when another worker already computed it."""
    key = redis_keys.live_snapshot_key(app.settings)
    cached = app.redis.get(key)
    if cached:
        try:
            entry = orjson.loads(cached)
            snapshot = LiveSnapshot.from_json(entry["snapshot"])
            if entry["version"] == version and (snapshot.next_due_at is None or now < snapshot.next_due_at):
                return snapshot
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            log.warning("live page: ignoring an unreadable cached snapshot")
    snapshot = live_snapshot(app.engine, now)
    app.redis.set(key, orjson.dumps({"version": version, "snapshot": snapshot.to_json()}), ex=SNAPSHOT_TTL_S)
    return snapshot


def heartbeat(ok: bool, now: dt.datetime) -> dict[str, Any]:
    return {"ok": ok, "server_ms": _ms(now)}


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)
