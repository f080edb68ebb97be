"""GET /metrics in the Prometheus exposition format, and the request hooks that time Dash callbacks and
count the embeds' answers. The metrics themselves are defined in data_sources/metrics.py.

/metrics answers 404 while PANTAU_METRICS_TOKEN is unset (the endpoint does not exist), 403 to an address
outside PANTAU_METRICS_ALLOW (the client's address as PANTAU_PROXY_COUNT's ProxyFix sees it), 401 without
`Authorization: Bearer <token>`. It carries no cookie and nothing personal: counts by stream, panel and view.
"""

from __future__ import annotations

import time

import flask
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from callbacks.access import current_services
from data_sources import metrics
from data_sources.stream.stream_state import StreamCollector
from web.gate import output_ids

METRICS_PATH = "/metrics"
MAIN_CALLBACK = "/_dash-update-component"
EMBED_CALLBACK = "/embed/_dash-update-component"
EMBED_STATIC = ("/embed/_dash-component-suites/", "/embed/assets/", "/embed/_favicon.ico")
_REFUSALS = {404: "Not found\n", 403: "Forbidden\n", 401: "Unauthorized\n"}
_VIEW_PREFIXES = {"live": "live", "wall": "wall", "briefing": "briefing", "_pages": "pages"}


def serve_metrics() -> flask.Response:
    services = current_services()
    settings = services.settings
    refusal = metrics.scrape_refusal(
        flask.request.headers.get("Authorization"),
        flask.request.remote_addr,
        settings.metrics_token,
        settings.metrics_allow,
    )
    if refusal is not None:
        response = flask.Response(_REFUSALS[refusal], refusal, mimetype="text/plain")
        if refusal == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="pantau-metrics"'
    else:
        registry = metrics.registry_for_scrape(StreamCollector(services.redis, settings))
        response = flask.Response(generate_latest(registry), 200, content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def view_of_callback(body: object) -> str:
    """The view a main-app callback belongs to, from its output ids (`wall-tiles` -> wall): a bounded label."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return "other"
    first = output_ids(body["output"])[0]
    for prefix, view in _VIEW_PREFIXES.items():
        if first.startswith(prefix + ("_" if prefix == "_pages" else "-")):
            return view
    return "other"


def _started() -> None:
    flask.g.pantau_started = time.perf_counter()


def _finished(response: flask.Response) -> flask.Response:
    path = flask.request.path
    if path in (MAIN_CALLBACK, EMBED_CALLBACK):
        started = getattr(flask.g, "pantau_started", None)
        if started is not None:
            view = "embed" if path == EMBED_CALLBACK else view_of_callback(flask.request.get_json(silent=True))
            metrics.CALLBACK_DURATION.labels(view).observe(time.perf_counter() - started)
    if path == "/embed" or path.startswith("/embed/"):
        kind = "widget_data" if path == EMBED_CALLBACK else "static" if path.startswith(EMBED_STATIC) else "page"
        metrics.EMBED_REQUESTS.labels(kind, str(response.status_code)).inc()
    return response


def init_app(server: flask.Flask) -> None:
    """Call last in create_app: the timer starts before the gate, the count sees the final status (a 304
    made by the embed guard, a 429, a 401 of the gate)."""
    server.add_url_rule(METRICS_PATH, "pantau_metrics", serve_metrics, methods=["GET"])
    server.before_request_funcs.setdefault(None, []).insert(0, _started)
    server.after_request_funcs.setdefault(None, []).insert(0, _finished)
