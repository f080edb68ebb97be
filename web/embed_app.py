"""The public embeds: a Dash app of their own at /embed/, on the main app's Flask server.

    embed_app.create(server, settings)    # from web/factory.py create_app, after the main app is bound

The widget's callback is callbacks/embed.py (render); its layouts are layouts/embed.py.

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
import hashlib
import hmac
import logging
import threading
from pathlib import Path
from typing import Any

import dash
import flask
import redis

from callbacks import embed as embed_callbacks
from dashboard import i18n
from dashboard.embed_widgets import EmbedParamError, make_query, parse_search, period_bounds, widget_of
from data_sources.services import EXTENSION_KEY
from data_sources.views.embed import PublishedCache
from layouts import embed as view
from layouts import embed_gallery
from web import embed_guard, login
from web.embed_answers import EmbedAnswers

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


def content_security_policy(app: dash.Dash, settings) -> str:
    return embed_guard.content_security_policy(settings.embed_origins, app.csp_hashes())


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
        meta_tags=[
            {"name": "viewport", "content": "width=device-width, initial-scale=1"},
            {"name": "referrer", "content": "no-referrer"},
        ],
    )
    app.layout = view.layout
    embed_callbacks.register(app)
    with server.app_context():
        app._setup_server()

    state = EmbedState(server, settings)
    guard = embed_guard.Guard(settings, state.redis, state.version, lambda path: _page(path, settings))
    guard.install(server)
    # a repeated widget-data request is answered here, before Flask (web/embed_answers.py); create_app puts
    # the proxy rule (web/proxy.py) in front of it, so the rate limit counts the real client
    server.wsgi_app = EmbedAnswers(server.wsgi_app, guard, state.version, settings.default_language)
    # /embed without the slash: the gallery too (Dash's own routes start at /embed/)
    server.add_url_rule("/embed", endpoint="embed_gallery_bare", view_func=lambda: _gallery(settings))
    server.extensions[embed_callbacks.STATE_KEY] = state
    return app


def disclosure_secret(settings) -> bytes:
    """The secret of the published figures' cell keys: derived from the app's key, the same on every worker."""
    return hmac.new(login.secret_key(settings).encode(), b"pantau-embed-cell-keys", hashlib.sha256).digest()


class EmbedState:
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
                self._cache = PublishedCache(self.redis(), self.settings, secret=disclosure_secret(self.settings))
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
        period_bounds(query, dt.datetime.now(dt.UTC))  # a month still to come: refused here too
        flask.g.embed_page_query = query
    except EmbedParamError as exc:
        return flask.Response(f"{title}: {exc}\n", 400, mimetype="text/plain")
    return None


def _gallery(settings) -> flask.Response:
    lang = flask.request.args.get("lang")
    lang = lang if lang in i18n.LANGUAGES else settings.default_language
    # the snippet's address is configured, never the request's Host or X-Forwarded-Host: the page is cached
    # publicly, and a forged Host would hand the portal's webmasters a snippet pointing elsewhere
    page = embed_gallery.gallery_html(
        settings.public_base_url, lang, "/embed/assets/embed.css", "/embed/assets/gallery.js"
    )
    return flask.Response(page, 200, mimetype="text/html")
