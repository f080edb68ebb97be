"""The event API for producers: /api/v1/events, /api/v1/health, /api/v1/openapi.json.

Authentication is an `Authorization: Bearer <key>` header and nothing else: no cookie is read or set on
/api/ (web/gate.py lets these paths past the login, web/login.py sets no session cookie on them), so there
is no CSRF surface. The order of checks on POST /api/v1/events costs a refusal as little as possible:
the declared size (413), the key (401), the content type (415), the body read up to its limit (413), the
JSON (400), the shape (400, 413 over 500 events), the key's rate limit in events (429 with Retry-After),
then each event (data_sources/stream/gateway.py). Nothing is acknowledged before Redis confirmed its XADD.
"""

from __future__ import annotations

import logging
from typing import Any

import flask
import orjson
import redis
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from callbacks.access import current_services
from dashboard.api_contract import openapi_document
from dashboard.producers import MAX_BATCH, Scope
from data_sources import redis_keys
from data_sources.store.producers import verify
from data_sources.stream.gateway import Gateway, health
from web.rate_limit import RateLimiter

log = logging.getLogger(__name__)

PREFIX = "/api/"
ENDPOINT_PREFIX = "pantau_api_"
STATE_KEY = "pantau_api"


class _State:
    """Per app: the gateway (its locator loads once) and the rate limiter."""

    def __init__(self):
        self.gateway: Gateway | None = None
        self.limiter: RateLimiter | None = None


def _state() -> _State:
    return flask.current_app.extensions[STATE_KEY]


def gateway() -> Gateway:
    state, services = _state(), current_services()
    if state.gateway is None:
        state.gateway = Gateway(services.settings, services.redis)
    return state.gateway


def _limiter() -> RateLimiter:
    state, services = _state(), current_services()
    if state.limiter is None:
        limit, window = services.settings.api_rate_limit
        state.limiter = RateLimiter(services.redis, services.settings, limit, window, key=redis_keys.api_rate_key)
    return state.limiter


def error(status: int, code: str, reason: str, **headers: str) -> flask.Response:
    response = flask.Response(orjson.dumps({"error": code, "reason": reason}), status, mimetype="application/json")
    response.headers.update(headers)
    return response


class Refusal(Exception):
    def __init__(self, response: flask.Response):
        self.response = response


def bearer_scope() -> Scope:
    """The scope of the request's key, else Refusal (401)."""
    header = flask.request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Refusal(
            error(
                401,
                "missing_key",
                "send the API key as `Authorization: Bearer <key>`",
                **{"WWW-Authenticate": 'Bearer realm="pantau"'},
            )
        )
    try:
        scope = verify(current_services().engine, key.strip())
    except SQLAlchemyError as exc:
        log.warning("api: producers table unavailable (%s)", type(exc).__name__)
        raise Refusal(
            error(503, "unavailable", "the key cannot be checked now; retry shortly", **{"Retry-After": "5"})
        ) from None
    if scope is None:
        raise Refusal(
            error(
                401,
                "invalid_key",
                "the API key is unknown or has been revoked",
                **{"WWW-Authenticate": 'Bearer realm="pantau", error="invalid_token"'},
            )
        )
    return scope


def read_body(limit: int) -> bytes:
    """The request body, at most `limit` bytes, else Refusal (413)."""
    body = flask.request.stream.read(limit + 1)  # a declared length over the limit was refused before
    if len(body) > limit:
        raise Refusal(error(413, "body_too_large", f"the body is over {limit} bytes"))
    return body


def rate_limit(scope: Scope, cost: int) -> None:
    try:
        allowed, retry = _limiter().hit(scope.name, cost)
    except redis.RedisError:
        raise Refusal(
            error(503, "unavailable", "Redis is unavailable; retry shortly", **{"Retry-After": "5"})
        ) from None
    if not allowed:
        limit, window = current_services().settings.api_rate_limit
        raise Refusal(
            error(
                429,
                "rate_limited",
                f"this key may publish {limit} events per {window} s",
                **{"Retry-After": str(retry)},
            )
        )


def _declared_size_check() -> None:
    limit = current_services().settings.api_max_body_bytes
    declared = flask.request.content_length
    if declared is not None and declared > limit:
        raise Refusal(error(413, "body_too_large", f"the body is {declared} bytes; at most {limit} are accepted"))


def post_events():
    settings = current_services().settings
    try:
        _declared_size_check()
        scope = bearer_scope()
        if flask.request.mimetype != "application/json":
            raise Refusal(error(415, "unsupported_media_type", "send the events with Content-Type: application/json"))
        body = read_body(settings.api_max_body_bytes)
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise Refusal(error(400, "malformed_json", f"the body is not valid UTF-8 JSON: {exc}")) from None
        single = isinstance(document, dict)
        if not single and not isinstance(document, list):
            raise Refusal(error(400, "invalid_body", "send one event (a JSON object) or a batch (a JSON array)"))
        documents: list[Any] = [document] if single else document
        if not documents:
            raise Refusal(error(400, "invalid_body", "the batch is empty"))
        if len(documents) > MAX_BATCH:
            raise Refusal(
                error(
                    413, "too_many_events", f"a batch holds at most {MAX_BATCH} events; this one has {len(documents)}"
                )
            )
        rate_limit(scope, len(documents))
        try:
            results = gateway().submit(scope, documents)
        except redis.RedisError as exc:
            log.warning("api: XADD failed for %s (%s)", scope.name, type(exc).__name__)
            raise Refusal(
                error(
                    503,
                    "unavailable",
                    "Redis is unavailable: no event of this request is confirmed; send it again "
                    "(an event_id sent twice is stored once)",
                    **{"Retry-After": "5"},
                )
            ) from None
    except Refusal as refusal:
        return refusal.response
    accepted = sum(1 for r in results if r.status == 202)
    answer = {"accepted": accepted, "refused": len(results) - accepted, "results": [r.as_json() for r in results]}
    if single:
        status = results[0].status
    else:
        status = 202 if accepted == len(results) else 207
    if accepted < len(results):
        log.info("api: %s had %d of %d events refused", scope.name, len(results) - accepted, len(results))
    return flask.Response(orjson.dumps(answer), status, mimetype="application/json")


def get_health():
    answer = health(current_services().redis)
    return flask.Response(orjson.dumps(answer), 200 if answer["can_publish"] else 503, mimetype="application/json")


def get_openapi():
    settings = current_services().settings
    document = openapi_document(settings.api_max_body_bytes, settings.api_rate_limit)
    return flask.Response(orjson.dumps(document), 200, mimetype="application/json")


def guard():
    """Under /api/: a path or method of ours, else a JSON 404 or 405 (Dash's catch-all page route must not
    answer here with its HTML shell)."""
    request = flask.request
    if not request.path.startswith(PREFIX):
        return None
    if request.endpoint and request.endpoint.startswith(ENDPOINT_PREFIX):
        return None
    adapter = flask.current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("GET", "POST"):
        try:
            rule, _ = adapter.match(method=method, return_rule=True)
        except HTTPException:  # NotFound, MethodNotAllowed, RequestRedirect
            continue
        if rule.endpoint.startswith(ENDPOINT_PREFIX):
            allowed.append(method)
    if allowed:
        return error(405, "method_not_allowed", f"use {', '.join(allowed)}", Allow=", ".join(allowed))
    return error(404, "not_found", "no such resource; see /api/v1/openapi.json")


def after(response: flask.Response) -> flask.Response:
    if flask.request.path.startswith(PREFIX):
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Set-Cookie", None)
    return response


def install(server: flask.Flask) -> None:
    server.extensions[STATE_KEY] = _State()
    server.add_url_rule("/api/v1/events", f"{ENDPOINT_PREFIX}events", post_events, methods=["POST"])
    server.add_url_rule("/api/v1/health", f"{ENDPOINT_PREFIX}health", get_health, methods=["GET"])
    server.add_url_rule("/api/v1/openapi.json", f"{ENDPOINT_PREFIX}openapi", get_openapi, methods=["GET"])
    # right after the gate (first in line), before anything Dash registered
    server.before_request_funcs.setdefault(None, []).insert(1, guard)
    server.after_request(after)
