"""What stands in front of every /embed request: rate limit, strict callback payloads, CSP, HTTP caching.

- Rate limit: a fixed window per client address in Redis, shared by every worker and server
  (web/rate_limit.py). Over the limit: 429 with Retry-After.
- Callback payloads: the embed app has one callback with three inputs. Any body that is not exactly that
  shape (other output, ids, properties, extra state, values of the wrong type or an unknown widget or
  parameter) gets 400 before Dash sees it.
- A validated payload names a (widget, lang, theme, period) query; its 200 is marked as the published
  answer of that query (PUBLISHED_ANSWER), which web/embed_answers.py keeps and serves to every repeat of
  the request in this worker before Flask sees it.
- Headers on every /embed response: Cache-Control and ETag, and no cookie. The Content-Security-Policy
  (frame-ancestors from PANTAU_EMBED_ORIGINS) is built here and set by web/security_headers.py.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

import flask
import orjson
import redis

from dashboard.embed_widgets import EmbedParamError, EmbedQuery, make_query, parse_search, widget_of
from data_sources import redis_keys
from layouts.embed import ids
from web.rate_limit import RateLimiter

log = logging.getLogger(__name__)
PREFIX = "/embed"
CALLBACK_PATH = "/embed/_dash-update-component"
OUTPUT = f"{ids.body}.children"
INPUTS = ((ids.url, "pathname"), (ids.url, "search"), (ids.refresh, "n_intervals"))
ALLOWED_KEYS = {"output", "outputs", "inputs", "changedPropIds", "parsedChangedPropsIds", "state"}
CHANGED = {f"{i}.{p}" for i, p in INPUTS}
STATIC = ("/embed/_dash-component-suites/", "/embed/assets/", "/embed/_favicon.ico")
MAX_BODY = 4096
# request environ keys shared with web/embed_answers.py
RATE_DECISION = "pantau.embed.rate_decision"  # (allowed, retry_s): this request was counted already
PUBLISHED_ANSWER = "pantau.embed.published_answer"  # this 200 is the published answer of that key


class PayloadError(ValueError):
    pass


def query_of_payload(body: Any, default_lang: str) -> EmbedQuery:
    """The widget query a callback payload asks for, or PayloadError: the payload's allowlist."""
    if not isinstance(body, dict) or not set(body) <= ALLOWED_KEYS:
        raise PayloadError("unexpected payload")
    if body.get("output") != OUTPUT:
        raise PayloadError("unknown output")
    if body.get("outputs", {"id": ids.body, "property": "children"}) != {"id": ids.body, "property": "children"}:
        raise PayloadError("unknown output")
    if body.get("state") not in (None, []):
        raise PayloadError("unexpected state")
    for key in ("changedPropIds", "parsedChangedPropsIds"):
        changed = body.get(key, [])
        if (
            not isinstance(changed, list)
            or len(changed) > 3
            or not all(isinstance(c, str) and c in CHANGED for c in changed)
        ):
            raise PayloadError("unknown trigger")
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or len(inputs) != len(INPUTS):
        raise PayloadError("unexpected inputs")
    values = []
    for item, (id_, prop) in zip(inputs, INPUTS):
        if not isinstance(item, dict) or not set(item) <= {"id", "property", "value"}:
            raise PayloadError("unexpected input")
        if item.get("id") != id_ or item.get("property") != prop:
            raise PayloadError("unknown input")
        values.append(item.get("value"))
    pathname, search, n_intervals = values
    if n_intervals is not None and (type(n_intervals) is not int or not 0 <= n_intervals < 10**9):
        raise PayloadError("bad n_intervals")
    if search is not None and not isinstance(search, str):
        raise PayloadError("bad search")
    try:
        return make_query(widget_of(pathname), parse_search(search), default_lang)
    except EmbedParamError as exc:
        raise PayloadError(str(exc)) from None


def content_security_policy(origins: tuple[str, ...], script_hashes: list[str]) -> str:
    ancestors = " ".join(("'self'",) + origins)
    scripts = " ".join(["'self'", *script_hashes])  # csp_hashes() come quoted
    # Plotly writes <style> elements and MapLibre runs its workers from blob: URLs.
    return (
        "default-src 'self'; "
        f"script-src {scripts}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; "
        "font-src 'self' data:; "
        "connect-src 'self'; "
        "worker-src 'self' blob:; child-src 'self' blob:; "
        "frame-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {ancestors}"
    )


class Guard:
    """The before/after request hooks of the embed paths, bound to one server."""

    def __init__(
        self,
        settings,
        get_redis: Callable[[], redis.Redis],
        version: Callable[[], str],
        page: Callable[[str], flask.Response | None],
    ):
        self.settings = settings
        # browsers and proxies ask again within five minutes (as the widget does), whatever the cadence,
        # so a new publication reaches readers soon after its instant
        self.max_age_s = min(int(settings.embed_refresh_s), 300)
        self._get_redis = get_redis
        self._version = version
        self._page = page
        self._limiter: RateLimiter | None = None

    def limiter(self) -> RateLimiter:
        if self._limiter is None:
            limit, window = self.settings.embed_rate_limit
            self._limiter = RateLimiter(self._get_redis(), self.settings, limit, window, key=redis_keys.embed_rate_key)
        return self._limiter

    def install(self, server: flask.Flask) -> None:
        server.before_request(self.before)
        server.after_request(self.after)

    def before(self):
        request = flask.request
        path = request.path
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            return None
        if not path.startswith(STATIC):
            allowed, retry = request.environ.get(RATE_DECISION) or self._hit(request)
            if not allowed:
                response = flask.Response("Too many requests\n", 429, mimetype="text/plain")
                response.headers["Retry-After"] = str(retry)
                return response
        if path == CALLBACK_PATH:
            return self._callback(request)
        if request.method not in ("GET", "HEAD") and not path.startswith(STATIC):
            return flask.Response("Method not allowed\n", 405, mimetype="text/plain")
        return self._page(path)

    def _hit(self, request: flask.Request) -> tuple[bool, int]:
        try:
            # behind proxies: the client's address, read by web/proxy.py (PANTAU_PROXY_COUNT)
            return self.limiter().hit(request.remote_addr or "unknown")
        except redis.RedisError:
            return True, 0  # a Redis outage must not take the public figures down with it

    def _callback(self, request: flask.Request):
        if request.content_length is None or request.content_length > MAX_BODY:
            return _bad("payload missing or too large")
        try:
            body = orjson.loads(request.get_data(cache=True))
            query = query_of_payload(body, self.settings.default_language)
        except (orjson.JSONDecodeError, PayloadError) as exc:
            return _bad(str(exc) if isinstance(exc, PayloadError) else "payload is not JSON")
        except (TypeError, ValueError, KeyError):  # a shape the checks above did not foresee: still no
            log.warning("embed: unforeseen payload shape refused")
            return _bad("unexpected payload")
        flask.g.embed_query = query
        try:
            key = f"{query.key()}|{self._version()}"
        except redis.RedisError:
            return None  # the callback shows that the data is unavailable
        flask.g.embed_cache_key = key
        return None

    def after(self, response: flask.Response) -> flask.Response:
        request = flask.request
        path = request.path
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            return response
        response.headers.pop("Set-Cookie", None)  # the embeds need no cookie and set none
        key = getattr(flask.g, "embed_cache_key", None)
        if path == CALLBACK_PATH:
            if response.status_code == 200 and key:
                request.environ[PUBLISHED_ANSWER] = key
                response.headers["Cache-Control"] = f"public, max-age={self.max_age_s}"
                response.set_etag(hashlib.sha256(key.encode()).hexdigest()[:32], weak=True)
            else:
                response.headers["Cache-Control"] = "no-store"
        elif response.status_code == 200 and request.method in ("GET", "HEAD"):
            if not path.startswith(STATIC) or "Cache-Control" not in response.headers:
                max_age = 3600 if path.startswith(STATIC) else self.max_age_s
                response.headers["Cache-Control"] = f"public, max-age={max_age}"
            # Dash's index carries a per-request token (end_id), so a widget page has no stable ETag;
            # the layout, dependencies and files do.
            if getattr(flask.g, "embed_page_query", None) is None:
                if response.get_etag() == (None, None):
                    response.direct_passthrough = False
                    response.add_etag()
                response.make_conditional(request)
        elif response.status_code >= 400:
            response.headers["Cache-Control"] = "no-store"
        return response


def _bad(message: str) -> flask.Response:
    return flask.Response(orjson.dumps({"error": message}), 400, mimetype="application/json")
