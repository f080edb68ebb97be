"""The ingestor's own /metrics (PANTAU_INGEST_METRICS_PORT on PANTAU_INGEST_METRICS_HOST): the ingestor runs as
a process of its own, so its counters live there, not in the web workers. The same bearer token and address
allowlist as the web app's /metrics; no proxy in front, so the address is the socket's.
"""

from __future__ import annotations

import logging
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import redis
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from data_sources import metrics
from data_sources.stream.stream_state import StreamCollector

log = logging.getLogger(__name__)
_REASONS = {401: "401 Unauthorized", 403: "403 Forbidden", 404: "404 Not Found"}


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # a scrape every 15 s is not worth a log line
        pass


def metrics_app(settings, client: redis.Redis):
    def app(environ, start_response):
        if environ.get("PATH_INFO") != "/metrics":
            refusal = 404
        else:
            refusal = metrics.scrape_refusal(
                environ.get("HTTP_AUTHORIZATION"),
                environ.get("REMOTE_ADDR"),
                settings.metrics_token,
                settings.metrics_allow,
            )
        if refusal is not None:
            headers = [("Content-Type", "text/plain"), ("Cache-Control", "no-store")]
            if refusal == 401:
                headers.append(("WWW-Authenticate", 'Bearer realm="pantau-metrics"'))
            start_response(_REASONS[refusal], headers)
            return [_REASONS[refusal].encode() + b"\n"]
        body = generate_latest(metrics.registry_for_scrape(StreamCollector(client, settings)))
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Cache-Control", "no-store")])
        return [body]

    return app


def start_metrics_server(settings, client: redis.Redis) -> WSGIServer:
    """Serve in a daemon thread until the process ends (or server.shutdown())."""
    server = make_server(
        settings.ingest_metrics_host,
        settings.ingest_metrics_port,
        metrics_app(settings, client),
        server_class=_ThreadingServer,
        handler_class=_QuietHandler,
    )
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    log.info("ingestor metrics at http://%s:%d/metrics", settings.ingest_metrics_host, server.server_port)
    return server
