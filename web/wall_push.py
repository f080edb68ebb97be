"""The wall's push: /_wall/pulse?push=1 answers with Server-Sent Events, the pulse's answer (the data version
and the server's clock) at once, at every data change, and once a second when nothing changes (silence
then means trouble: the wall turns stale within two seconds, as with the pulse).

Why it is built this way, on waitress (the demo, `app.py serve`) and gunicorn's gthread workers alike:
- One Redis subscription per process, not per wall: a listener thread waits on the ingestor's change
  channel, reads the version once per change (and once a second), and wakes every open stream.
- A stream holds a server thread while it is open, and neither server has another way to wait. So a
  process has threads for its pages and refreshes (PAGE_THREADS) and as many again as it has push slots
  (max_streams(): waitress is started with both, cli/run.py; a gthread worker's slots follow its --threads),
  a wall over the limit gets a 503 and keeps its pulse, and every stream ends after STREAM_LIFE_S (the
  browser opens a new one at once): a thread is never held forever, a restart waits for no stream longer
  than that, and a worker recycled by gunicorn lets its walls go to the others.
- Behind nginx the answer must not be buffered: `X-Accel-Buffering: no` says so per response, and
  deploy/nginx/pantau.conf has a location for the path with proxy_buffering off.
The pulse (the same path without `push`) stays: a browser without EventSource, a stream refused or lost,
a proxy that buffers anyway (the wall hears nothing for two heartbeats) all fall back to it.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Iterator

import flask
import orjson
import redis

from callbacks import wall as wall_callbacks
from callbacks.access import current_services
from data_sources.redis_keys import changes_channel
from data_sources.services import Services
from data_sources.stream.version import data_version
from layouts.wall import PULSE_PATH, PUSH_HEARTBEAT_MS, PUSH_QUERY

log = logging.getLogger(__name__)

STREAM_LIFE_S = 30.0
# Threads a process keeps for pages and refreshes, whatever its streams hold.
PAGE_THREADS = {"waitress": 8, "gunicorn": 4}
# waitress (`app.py serve`, the demo) runs PAGE_THREADS + WAITRESS_PUSH_SLOTS threads: a push for each of
# the Media Center's ten walls and two more (measured: bench/wall.py, README's benchmark table).
WAITRESS_PUSH_SLOTS = 12
WAITRESS_THREADS = PAGE_THREADS["waitress"] + WAITRESS_PUSH_SLOTS
_gunicorn_threads = 4  # a gthread worker's --threads, told by gunicorn.conf.py (gunicorn's default here)
HEARTBEAT_S = PUSH_HEARTBEAT_MS / 1000
RETRY_AFTER_S = 30
STUCK_AFTER_S = 3 * HEARTBEAT_S
LISTEN_BACKOFF_S = (0.5, 5.0)
IDLE_STOP_S = 5.0  # no stream open this long: the listener stops (the next stream starts it again)


class VersionHub:
    """The data version of one process's Services, as the pulse would answer it, kept current by one
    listener thread and handed to every open stream of the process."""

    def __init__(self, services: Services):
        self.services = services
        self._changed = threading.Condition()
        self._answer: dict = {}
        self._read_at = 0.0
        self._sequence = 0
        self._streams = 0
        self._thread: threading.Thread | None = None
        self._idle_since: float | None = None
        self.closing = threading.Event()

    # --- streams ---

    def take_slot(self, limit: int) -> bool:
        with self._changed:
            if self._streams >= limit:
                return False
            self._streams += 1
        self._start()
        return True

    def free_slot(self) -> None:
        with self._changed:
            self._streams -= 1

    def next_answer(self, seen: int, timeout: float) -> tuple[int, dict]:
        """(sequence, answer) once the answer is newer than `seen`, or after `timeout` seconds whatever; an
        answer the listener has not renewed for STUCK_AFTER_S is not ok (Redis or the listener is stuck)."""
        with self._changed:
            self._changed.wait_for(lambda: self._sequence != seen or self.closing.is_set(), timeout)
            answer = self._answer
            if answer and time.monotonic() - self._read_at > STUCK_AFTER_S:
                answer = {"ok": False}
            return self._sequence, answer

    def close(self) -> None:
        self.closing.set()
        with self._changed:
            self._changed.notify_all()

    # --- the listener ---

    def _start(self) -> None:
        with self._changed:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._listen, name="wall-push", daemon=True)
        self._read()
        self._thread.start()

    def _read(self) -> None:
        """The current answer (one Redis GET), and every stream woken with it."""
        try:
            answer = {"ok": True, "version": data_version(self.services.redis, self.services.settings)}
        except (redis.RedisError, ValueError) as exc:
            log.warning("wall push: data version unavailable (%s)", type(exc).__name__)
            answer = {"ok": False}
        with self._changed:
            self._answer, self._read_at = answer, time.monotonic()
            self._sequence += 1
            self._changed.notify_all()

    def _listen(self) -> None:
        failures = 0
        while not self.closing.is_set():
            pubsub = None
            try:
                pubsub = self.services.redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(changes_channel(self.services.settings))
                failures = 0
                while not self.closing.is_set():
                    # a change, or a second without one: either way every stream hears the version now
                    pubsub.get_message(timeout=HEARTBEAT_S)
                    self._read()
                    if self._stopped_when_idle():
                        return
            except Exception as exc:  # any: a listener that died would leave every wall on its pulse
                failures += 1
                log.warning("wall push: change channel unavailable (%s)", type(exc).__name__)
                self._read()  # says "not ok" to the walls at once
                self.closing.wait(min(LISTEN_BACKOFF_S[1], LISTEN_BACKOFF_S[0] * 2**failures))
                if self._stopped_when_idle():
                    return
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:  # a connection already broken
                        pass

    def _stopped_when_idle(self) -> bool:
        """True once no stream has been open for IDLE_STOP_S: the listener then ends, so a process with no
        wall listening holds no subscription and reads nothing (and an app's hub outlives no test)."""
        with self._changed:
            if self._streams > 0:
                self._idle_since = None
                return False
            now = time.monotonic()
            if self._idle_since is None:
                self._idle_since = now
            if now - self._idle_since < IDLE_STOP_S:
                return False
            self._thread, self._idle_since = None, None
            return True


_hubs: dict[int, VersionHub] = {}
_hubs_guard = threading.Lock()


def hub_for(services: Services) -> VersionHub:
    with _hubs_guard:
        hub = _hubs.get(id(services))
        if hub is None or hub.services is not services:
            hub = _hubs[id(services)] = VersionHub(services)
        return hub


@atexit.register
def _close_all() -> None:
    with _hubs_guard:
        for hub in _hubs.values():
            hub.close()


def events(hub: VersionHub, life_s: float = STREAM_LIFE_S) -> Iterator[bytes]:
    """The stream's events until its life ends or the process closes: at every new answer, and at least
    once a heartbeat, each with the server's clock."""
    yield b"retry: 1000\n\n"
    ends = time.monotonic() + life_s
    seen = -1
    while not hub.closing.is_set():
        left = ends - time.monotonic()
        if left <= 0:
            return
        seen, answer = hub.next_answer(seen, min(HEARTBEAT_S, left))
        if answer:
            yield b"data: " + orjson.dumps({**answer, "server_ms": int(time.time() * 1000)}) + b"\n\n"


class Stream:
    """The response body of one push: its slot is freed once, however it ends (its life over, or the client
    gone: the server then closes the body at its next write, also before its first)."""

    def __init__(self, hub: VersionHub, life_s: float = STREAM_LIFE_S):
        self.hub = hub
        self._events = events(hub, life_s)
        self._freed = threading.Event()

    def __iter__(self) -> Iterator[bytes]:
        return self._events

    def close(self) -> None:
        self._events.close()
        if not self._freed.is_set():
            self._freed.set()
            self.hub.free_slot()


def pulse_or_push() -> flask.Response:
    """/_wall/pulse: the pulse's JSON answer, or with ?push=1 the same answers as a stream."""
    if flask.request.args.get(PUSH_QUERY) != "1":
        return wall_callbacks.pulse()
    hub = hub_for(current_services())
    if hub.closing.is_set() or not hub.take_slot(max_streams(flask.request.environ)):
        response = flask.jsonify({"error": "push_busy"})
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        response.headers["Cache-Control"] = "no-store"
        return response
    response = flask.Response(Stream(hub), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def max_streams(environ: dict) -> int:
    """How many streams this process may hold: under waitress its push slots; in a gthread worker the threads
    beyond PAGE_THREADS, and at least half of them (4 threads: 2 streams, 8 threads: 4)."""
    software = str(environ.get("SERVER_SOFTWARE", "")).lower()
    if not software.startswith("gunicorn"):
        return WAITRESS_PUSH_SLOTS
    return max(_gunicorn_threads // 2, _gunicorn_threads - PAGE_THREADS["gunicorn"])


def set_gunicorn_threads(threads: int) -> None:
    """A gthread worker's thread count (gunicorn.conf.py, post_worker_init), which bounds its streams."""
    global _gunicorn_threads
    _gunicorn_threads = max(1, int(threads))


def install(server: flask.Flask) -> None:
    server.add_url_rule(PULSE_PATH, "pantau_wall_pulse", pulse_or_push, methods=["GET"])
