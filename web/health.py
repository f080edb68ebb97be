"""/healthz and /readyz, for the load balancer and the orchestrator: no login, no cookie, no personal data,
no secrets (a failing check names its cause by exception class, never a URL or a message that could hold
one), cheap enough to be probed every second.

- GET /healthz (liveness): the process answers. Touches nothing else, so a Redis outage does not make an
  orchestrator restart healthy workers.
- GET /readyz (readiness): 200 when every check passes, else 503 with `Retry-After`; the JSON names each
  check and its state:
    redis       PING answered
    database    a connection, and the migrations' version table read
    migrations  the database is at the newest migration (`app.py init-db`)
    ingest_lag  no stream's oldest unacknowledged entry is older than PANTAU_READY_MAX_LAG_S (0: skipped)
  A probe costs one PING, one small query and a few Redis reads per stream: about 2 ms.
"""

from __future__ import annotations

import time
from typing import Any

import flask
import redis
from sqlalchemy.exc import SQLAlchemyError

from callbacks.access import current_services
from data_sources.store.database import current_revisions, head_revisions
from data_sources.stream.stream_state import all_stream_states

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
PATHS = frozenset({HEALTH_PATH, READY_PATH})


def _json(body: dict[str, Any], status: int) -> flask.Response:
    response = flask.jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response


def healthz() -> flask.Response:
    return _json({"status": "ok"}, 200)


def _failed(exc: Exception) -> dict[str, Any]:
    return {"ok": False, "error": type(exc).__name__}


def readiness_checks(services) -> dict[str, dict[str, Any]]:
    settings = services.settings
    checks: dict[str, dict[str, Any]] = {}
    try:
        services.redis.ping()
        checks["redis"] = {"ok": True}
    except redis.RedisError as exc:
        checks["redis"] = _failed(exc)
    try:
        with services.engine.connect() as connection:
            current = current_revisions(connection)
        checks["database"] = {"ok": True}
        heads = head_revisions()
        checks["migrations"] = {"ok": current == heads, "current": sorted(current or ()), "expected": sorted(heads)}
    except SQLAlchemyError as exc:
        checks["database"] = _failed(exc)
        checks["migrations"] = {"ok": False, "error": "database unavailable"}
    limit = settings.ready_max_lag_s
    if limit <= 0:
        checks["ingest_lag"] = {"ok": True, "skipped": True}
    elif not checks["redis"]["ok"]:
        checks["ingest_lag"] = {"ok": False, "error": "redis unavailable"}
    else:
        try:
            now_ms = int(time.time() * 1000)
            lags = {s.source: round(s.lag_seconds(now_ms), 1) for s in all_stream_states(services.redis, settings)}
            checks["ingest_lag"] = {"ok": max(lags.values()) <= limit, "seconds": lags, "threshold": limit}
        except redis.RedisError as exc:
            checks["ingest_lag"] = _failed(exc)
    return checks


def readyz() -> flask.Response:
    checks = readiness_checks(current_services())
    failing = [name for name, check in checks.items() if not check["ok"]]
    body = {"status": "ready" if not failing else "not_ready", "failing": failing, "checks": checks}
    return _json(body, 200 if not failing else 503)


def init_app(server: flask.Flask) -> None:
    server.add_url_rule(HEALTH_PATH, "pantau_healthz", healthz, methods=["GET"])
    server.add_url_rule(READY_PATH, "pantau_readyz", readyz, methods=["GET"])
