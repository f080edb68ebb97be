"""The app factory: `create_app(settings)` builds the Dash app and its Flask server; tests build their own."""

from __future__ import annotations

from pathlib import Path

import dash
import flask

from callbacks import briefing as briefing_callbacks
from callbacks import live as live_callbacks
from callbacks import wall as wall_callbacks
from dashboard.settings import Settings, load_settings
from data_sources.services import EXTENSION_KEY, Services
from web import api, embed_app, health, login, metrics, open311, proxy, security_headers, wall_push

ROOT = Path(__file__).resolve().parent.parent


def create_app(settings: Settings | None = None, *, engine=None, redis_client=None) -> dash.Dash:
    settings = settings or load_settings()
    server = flask.Flask("app", root_path=str(ROOT))
    server.extensions[EXTENSION_KEY] = Services(settings, engine, redis_client)
    app = dash.Dash(
        "app",
        server=server,
        title="Pantau Surabaya",
        update_title=None,
        serve_locally=True,  # wall screens may have no internet: every script and style from here
        assets_folder=str(ROOT / "assets"),
        suppress_callback_exceptions=True,
        use_pages=True,
        pages_folder="",  # views are registered below, one module per view, not discovered from a folder
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    login.init_app(app)  # the login, the session cookie and the gate in front of everything but /embed
    api.install(server)  # /api/v1: producers publish with a Bearer key
    open311.install(server)  # /open311/v2: GeoReport v2 for civic apps
    dash.register_page("live", path="/", layout=live_callbacks.page, title="Pantau Surabaya")
    live_callbacks.register()
    dash.register_page("wall", path="/wall", layout=wall_callbacks.page, title="Pantau Surabaya — Wall")
    wall_callbacks.register()
    wall_push.install(server)  # /_wall/pulse: the wall's data version, polled or pushed (Server-Sent Events)
    dash.register_page("briefing", path="/briefing", layout=briefing_callbacks.page, title="Pantau Surabaya — Briefing")
    briefing_callbacks.register()
    # dash.callback collects callbacks in a process-wide registry that the first app to serve a request
    # takes; bind them to this app now, so that every app built in one process gets its own.
    with server.app_context():
        app._setup_server()
    embed = embed_app.create(server, settings)  # the public embeds: a Dash app of its own at /embed/
    # PANTAU_PROXY_COUNT: which forwarded headers to believe, decided here for waitress and gunicorn alike;
    # outermost, so that the embeds' cached answers (web/embed_answers.py) see the real client too
    server.wsgi_app = proxy.trust_proxies(server.wsgi_app, settings.proxy_count)

    # Dash pages adds its inline scripts (the page title's clientside callback) on the first request, so
    # the main app's script hashes are read per response (a few microseconds), not once here.
    embed_csp = embed_app.content_security_policy(embed, settings)
    security_headers.install(server, lambda: security_headers.app_policy(tuple(app.csp_hashes())), lambda: embed_csp)
    health.init_app(server)  # /healthz, /readyz
    metrics.init_app(server)  # /metrics, and the timing of every request (last: it sees the final answer)
    return app
