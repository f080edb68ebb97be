"""The widget-data answers of the public embeds, kept per publication and served in front of Flask.

    server.wsgi_app = EmbedAnswers(server.wsgi_app, guard, state.version, default_lang)  # embed_app.create

A widget's figures change once per publication (hourly by default), and every reader of a widget sends
the same callback body, so nearly every POST /embed/_dash-update-component repeats one answered before.
Flask's request handling of it (request context, session, thirteen hooks, a Response object) costs about
0.5 ms of CPU; this WSGI layer, between the proxy rule (web/proxy.py) and Flask, answers a repeat with the
bytes and headers that the whole stack produced for it the first time, in a few hundredths of that
(`python -m bench.embed` measures both).

What it keeps (in this worker, bounded, oldest out first):
- callback body -> widget query key, for bodies that passed the guard's allowlist (`query_of_payload`);
  a body that fails it goes to Flask, which answers 400, and is not kept.
- "query key|publication" -> (headers, body) of a 200 that the guard marked as a published answer
  (web/embed_guard.py, Guard.after): its headers are the final ones (Cache-Control, ETag, the embeds' CSP,
  nosniff, no cookie), set by every after-request hook. An error body (figures unavailable) is not kept,
  and the answers of a publication are dropped once one of the next publication is kept.
What it still does for every request it answers: the rate limit (the guard's Redis window, counted in
batches: BatchedAllowance; a refusal goes to Flask, which answers the 429 without counting the request
again) and the embed metrics. A new body, a
new publication, an unknown path: Flask, as before.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterable

import orjson
import redis

from data_sources import metrics
from web import embed_guard
from web.rate_limit import RateLimiter

ANSWER_LIMIT = 256  # published answers kept: widgets x languages x themes x periods asked for


class EmbedAnswers:
    def __init__(self, app, guard: embed_guard.Guard, version: Callable[[], str], default_lang: str):
        self.app = app
        self.guard = guard
        self.version = version
        self.default_lang = default_lang
        self._queries: dict[bytes, str] = {}
        self._answers: dict[str, tuple[tuple[tuple[str, str], ...], bytes]] = {}
        self._newest_version = ""
        self._lock = threading.Lock()
        self._allowance = BatchedAllowance(guard.limiter, guard.settings.embed_rate_limit[0])
        self._duration = metrics.CALLBACK_DURATION.labels("embed")
        self._answered = metrics.EMBED_REQUESTS.labels("widget_data", "200")

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != embed_guard.CALLBACK_PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        started = time.perf_counter()
        body = _read_body(environ)
        if body is None:
            return self.app(environ, start_response)
        query_key = self._queries.get(body) or self._learn(body)
        if query_key is None:
            return self._through_flask(environ, start_response)
        answer = self._answers.get(f"{query_key}|{self.version()}")
        if answer is None:
            return self._through_flask(environ, start_response)
        decision = self._allowance.hit(environ.get("REMOTE_ADDR") or "unknown")
        if not decision[0]:
            environ[embed_guard.RATE_DECISION] = decision
            return self.app(environ, start_response)
        headers, content = answer
        start_response("200 OK", list(headers))
        self._answered.inc()
        self._duration.observe(time.perf_counter() - started)
        return [content]

    def _learn(self, body: bytes) -> str | None:
        """The query key of a body never seen, if the guard's allowlist accepts it (kept for next time)."""
        try:
            key = embed_guard.query_of_payload(orjson.loads(body), self.default_lang).key()
        except Exception:  # not JSON, refused, or a shape nobody foresaw: the guard in Flask answers it (400)
            return None
        with self._lock:
            _bounded_put(self._queries, body, key, ANSWER_LIMIT * 4)
        return key

    def _through_flask(self, environ: dict, start_response) -> Iterable[bytes]:
        """Flask answers; a published answer (marked by the guard) is kept with its final headers."""
        captured: list = []

        def capture(status, headers, exc_info=None):
            captured[:] = [status, headers]
            return start_response(status, headers, exc_info)

        result = self.app(environ, capture)
        key = environ.get(embed_guard.PUBLISHED_ANSWER)
        if key is None or not captured or not captured[0].startswith("200 "):
            return result
        try:
            content = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        version = key.rsplit("|", 1)[1]
        with self._lock:
            if version > self._newest_version:  # ISO instants in UTC: text order is time order
                # a new publication: the last one's answers will not be asked for again in this worker
                self._answers = {k: v for k, v in self._answers.items() if k.endswith("|" + version)}
                self._newest_version = version
            _bounded_put(self._answers, key, (tuple(captured[1]), content), ANSWER_LIMIT)
        return [content]


class BatchedAllowance:
    """The guard's rate limit (one Redis window per client, shared by every worker), counted in batches.

    A client allowed at its last trip to Redis may send up to `batch` - 1 more requests, within SYNC_S,
    counted here; the next trip adds them all (INCRBY) and decides again. So a busy client costs one round
    trip per `batch` requests or per SYNC_S, not one per request, and the shared count is never short by
    more than `batch` - 1 per worker (about 1.5 % of the limit; a limit under 128 is counted exactly). A
    client refused at its last trip goes to Redis every time, as in the guard.
    """

    SYNC_S = 1.0
    CLIENTS_KEPT = 4096

    def __init__(self, limiter: Callable[[], RateLimiter], limit: int):
        self._limiter = limiter
        self.batch = max(1, limit // 64)
        self._clients: dict[str, list] = {}  # client -> [monotonic time of the last trip, requests since]
        self._lock = threading.Lock()

    def hit(self, who: str) -> tuple[bool, int]:
        """(allowed, seconds until the window ends when refused), as RateLimiter.hit."""
        now = time.monotonic()
        with self._lock:
            state = self._clients.pop(who, None)
            if state is not None and now - state[0] < self.SYNC_S and state[1] + 1 < self.batch:
                state[1] += 1
                self._clients[who] = state
                return True, 0
        try:
            allowed, retry = self._limiter().hit(who, 1 + (state[1] if state else 0))
        except redis.RedisError:
            return True, 0  # as the guard: a Redis outage must not take the public figures down with it
        if allowed:
            with self._lock:
                _bounded_put(self._clients, who, [now, 0], self.CLIENTS_KEPT)
        return allowed, retry


def _read_body(environ: dict) -> bytes | None:
    """The request body (put back for Flask to read again), or None when it is missing or too large."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 < length <= embed_guard.MAX_BODY:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body if len(body) == length else None


def _bounded_put(store: dict, key, value, limit: int) -> None:
    store[key] = value
    while len(store) > limit:
        del store[next(iter(store))]
