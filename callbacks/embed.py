"""The public embeds: a Dash app of their own at /embed/, on the main app's Flask server.

    embed.create(server, settings)    # from app.create_app, after the main app is bound

Why a second Dash app: its /embed/_dash-update-component knows the embed callback and nothing else, so
the main app's callback endpoint can require a login while every path under /embed stays anonymous.

Why `embed_app.callback` and not `dash.callback` + `register()` as the other views do: dash.callback
collects into a process-wide registry that whichever app next runs `_setup_server` takes. Bound with
app.callback, the embed callback belongs to this app from the start and cannot land in the main app (or
the main app's in this one) whatever order apps are built or first requested in; several create_app calls
in one process each get their own.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path
from typing import Any

import dash
import flask
import redis
from dash import Input, Output
from sqlalchemy.exc import SQLAlchemyError

from callbacks import embed_guard
from dashboard import i18n
from dashboard.embed_widgets import EmbedParamError, make_query, parse_search, period_bounds, widget_of
from data_sources.embed_data import PublishedCache, widget_data
from data_sources.services import EXTENSION_KEY
from layouts import embed as view

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "embed_assets"  # not under assets/: the main app would load these too
URL_BASE = "/embed/"


class EmbedDash(dash.Dash):
    """Dash, with the widget's language and theme written into <html> by the server (no flash)."""

    def interpolate_index(self, **kwargs: Any) -> str:
        page = super().interpolate_index(**kwargs)
        query = getattr(flask.g, "embed_page_query", None)
        lang, theme = (query.lang, query.theme) if query else (i18n.DEFAULT_LANGUAGE, "light")
        return page.replace("<html>", f'<html lang="{lang}" class="embed-theme-{theme}">', 1)


def create(server: flask.Flask, settings) -> dash.Dash:
    app = EmbedDash(
        "pantau_embed",
        server=server,
        url_base_pathname=URL_BASE,
        title="Pantau Surabaya",
        update_title=None,
        serve_locally=True,
        assets_folder=str(ASSETS),
        assets_ignore=r"gallery\.js",  # the gallery's copy buttons, not the widgets'
        compress=False,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"},
                   {"name": "referrer", "content": "no-referrer"}],
    )
    app.layout = view.layout
    app.callback(
        Output(view.ids.body, "children"),
        Input(view.ids.url, "pathname"), Input(view.ids.url, "search"), Input(view.ids.refresh, "n_intervals"),
    )(render)
    with server.app_context():
        app._setup_server()

    state = _State(server, settings)
    csp = embed_guard.content_security_policy(settings.embed_origins, app.csp_hashes())
    guard = embed_guard.Guard(settings, state.redis, state.version, lambda path: _page(path, settings),
                              lambda: csp)
    guard.install(server)
    # /embed without the slash: the gallery too (Dash's own routes start at /embed/)
    server.add_url_rule("/embed", endpoint="embed_gallery_bare", view_func=lambda: _gallery(settings))
    server.extensions["pantau_embed"] = state
    return app


class _State:
    """Per server: the published-figures cache (one per server, shared by its threads)."""

    def __init__(self, server: flask.Flask, settings):
        self.server, self.settings = server, settings
        self._cache: PublishedCache | None = None
        self._lock = threading.Lock()

    def services(self):
        return self.server.extensions[EXTENSION_KEY]

    def redis(self) -> redis.Redis:
        return self.services().redis

    def cache(self) -> PublishedCache:
        with self._lock:
            if self._cache is None:
                self._cache = PublishedCache(self.redis(), self.settings, refresh_s=self.settings.embed_refresh_s)
            return self._cache

    def version(self) -> str:
        return self.cache().version()


def _page(path: str, settings) -> flask.Response | None:
    """GET of a page: the gallery, a valid widget (Dash serves it), or a clear 404/400."""
    if path in ("/embed", "/embed/"):
        return _gallery(settings)
    if path.startswith(embed_guard.STATIC) or path.rsplit("/", 1)[-1].startswith("_"):
        return None  # Dash's own routes (layout, dependencies, component suites)
    lang = flask.request.args.get("lang")
    title = i18n.t("embed.error.title", lang if lang in i18n.LANGUAGES else settings.default_language)
    try:
        widget = widget_of(path)
    except EmbedParamError:
        return flask.Response(f"{title}: unknown widget; /embed lists them\n", 404, mimetype="text/plain")
    try:
        args = parse_search(flask.request.query_string.decode("utf-8", "replace"))
        query = make_query(widget, args, settings.default_language)
        period_bounds(query, dt.datetime.now(dt.timezone.utc))  # a month still to come: refused here too
        flask.g.embed_page_query = query
    except EmbedParamError as exc:
        return flask.Response(f"{title}: {exc}\n", 400, mimetype="text/plain")
    return None


def _gallery(settings) -> flask.Response:
    lang = flask.request.args.get("lang")
    lang = lang if lang in i18n.LANGUAGES else settings.default_language
    page = view.gallery_html(flask.request.host_url, lang, "/embed/assets/embed.css", "/embed/assets/gallery.js")
    return flask.Response(page, 200, mimetype="text/html")


def render(pathname: Any, search: Any, _n_intervals: Any):
    """The widget's body for its URL; the guard has already refused anything outside the allowlist,
    this checks again so that the callback is safe on its own."""
    settings = flask.current_app.extensions[EXTENSION_KEY].settings
    lang = settings.default_language
    try:
        query = make_query(widget_of(pathname), parse_search(search), settings.default_language)
        lang = query.lang
        state: _State = flask.current_app.extensions["pantau_embed"]
        data = widget_data(query, state.services().engine, state.cache(), settings)
        return view.body(query, data)
    except EmbedParamError as exc:
        flask.g.embed_cache_key = None
        return view.error_body(str(exc), lang)
    except (redis.RedisError, SQLAlchemyError) as exc:
        log.warning("embed: figures unavailable (%s)", type(exc).__name__)
        flask.g.embed_cache_key = None  # not kept: the next request tries again
        return view.error_body(i18n.t("embed.error.unavailable", lang), lang)
