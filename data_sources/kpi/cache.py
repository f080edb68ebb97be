"""KPI results cached by data version, shared by every server worker through Redis.

Key: (query name, normalised filter, clock bucket, data version). The ingestor bumps the version after
each commit, so a result stays valid until the data changes. A short lock (SET NX PX) makes one worker
compute while the others wait for its result: N viewers cost one computation per change. A small
in-process LRU sits on top, checked against the same version.

Computations a user's filter can multiply (the briefing's panels: `bounded=True`) are limited: at most
`kpi_max_computations_per_process` at once in a worker (a semaphore: the other threads keep serving
cached answers) and `kpi_max_computations` across every worker (slots in a Redis sorted set, each with
an expiry so that a dead worker's slot comes back). A computation that finds no slot within
`kpi_busy_wait_s` raises ComputationsBusy, which the page shows as "busy, try again": no queue that
ties up every thread.

Each worker keeps its own copy of the data version for VERSION_TTL_S (100 ms) before asking Redis again,
so a repeated hit costs no round trip at all (a few microseconds). The price: a worker may serve the
previous version's result for up to 100 ms after the ingestor's commit, which the wall (refreshed every
few seconds) cannot tell from the commit landing 100 ms later.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import orjson
import redis

from data_sources import metrics, redis_keys
from data_sources.stream.version import data_version

LOCK_MS = 10_000
WAIT_S = 10.0
TTL_S = 3600
VERSION_TTL_S = 0.1  # how long a worker trusts its copy of the data version

SLOT_MS = 60_000  # a computation slot's expiry: longer than any computation, short enough to come back
_ACQUIRE_SLOT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
    redis.call('ZADD', KEYS[1], ARGV[4], ARGV[3])
    redis.call('PEXPIRE', KEYS[1], ARGV[5])
    return 1
end
return 0
"""
_semaphores: dict[int, threading.BoundedSemaphore] = {}
_semaphores_guard = threading.Lock()


class ComputationsBusy(RuntimeError):
    """Every computation slot is taken: the answer is "busy, try again", not a wait in a queue."""


def _process_semaphore(limit: int) -> threading.BoundedSemaphore:
    with _semaphores_guard:
        if limit not in _semaphores:
            _semaphores[limit] = threading.BoundedSemaphore(limit)
        return _semaphores[limit]


_per_app: dict[int, KpiCache] = {}
_per_app_guard = threading.Lock()


def cache_for(app) -> KpiCache:
    """The cache of this app (its Services): one per app, so its in-process layer serves every view and screen
    this worker answers; a new Redis client (a test's restart) gets a new cache."""
    with _per_app_guard:
        cache = _per_app.get(id(app))
        if cache is None or cache.client is not app.redis:
            cache = _per_app[id(app)] = KpiCache(app.redis, app.settings)
        return cache


class KpiCache:
    def __init__(self, client: redis.Redis, settings, *, local_size: int = 256):
        self.client = client
        self.settings = settings
        self._local: OrderedDict[str, object] = OrderedDict()
        self._local_size = local_size
        self._guard = threading.Lock()
        self.computations = 0
        self.ttl_s = TTL_S
        self._version: str | None = None
        self._version_until = 0.0  # time.monotonic() after which the copy is asked for again

    def version(self) -> str:
        """The data version, from the local copy while it is younger than VERSION_TTL_S, else from Redis."""
        now = time.monotonic()
        with self._guard:
            if self._version is not None and now < self._version_until:
                return self._version
        version = data_version(self.client, self.settings)
        with self._guard:
            self._version, self._version_until = version, now + VERSION_TTL_S
        return version

    def key(self, name: str, filter_key: str, version: str) -> str:
        digest = hashlib.sha256(filter_key.encode()).hexdigest()[:24]
        return redis_keys.kpi_entry_key(self.settings, name, digest, version)

    def get_or_compute(
        self, name: str, filter_key: str, compute: Callable[[], object], *, version: str = "", bounded: bool = False
    ):
        """The cached result for `version` (default: the current data version), computing it (once across
        workers) if absent; `bounded`: within the limits of concurrent computations (ComputationsBusy)."""
        if bounded:
            compute = self._bounded(compute)
        version = version or self.version()
        key = self.key(name, filter_key, version)
        with self._guard:
            if key in self._local:
                self._local.move_to_end(key)
                metrics.KPI_CACHE_HITS.labels(name, "local").inc()
                return self._local[key]
        raw = self.client.get(key)
        if raw is None:
            metrics.KPI_CACHE_MISSES.labels(name).inc()
            raw = self._compute_once(key, lambda: _timed(name, compute))
        else:
            metrics.KPI_CACHE_HITS.labels(name, "redis").inc()
        value = orjson.loads(raw)
        with self._guard:
            self._local[key] = value
            while len(self._local) > self._local_size:
                self._local.popitem(last=False)
        return value

    def _bounded(self, compute: Callable[[], object]) -> Callable[[], object]:
        settings = self.settings
        wait_s = float(getattr(settings, "kpi_busy_wait_s", 2.0))
        local = _process_semaphore(int(getattr(settings, "kpi_max_computations_per_process", 2)))
        limit = int(getattr(settings, "kpi_max_computations", 8))
        slots = redis_keys.kpi_computing_key(settings)

        def run():
            if not local.acquire(timeout=wait_s):
                raise ComputationsBusy("every computation slot of this worker is taken")
            try:
                token = os.urandom(8).hex()
                deadline = time.monotonic() + wait_s
                while True:
                    now_ms = int(time.time() * 1000)
                    args = (now_ms, limit, token, now_ms + SLOT_MS, SLOT_MS)
                    if self.client.eval(_ACQUIRE_SLOT, 1, slots, *args):
                        break
                    if time.monotonic() >= deadline:
                        raise ComputationsBusy("every computation slot of the servers is taken")
                    time.sleep(0.05)
                try:
                    return compute()
                finally:
                    self.client.zrem(slots, token)
            finally:
                local.release()

        return run

    def _compute_once(self, key: str, compute: Callable[[], object]) -> bytes:
        lock = f"{key}:lock"
        deadline = time.monotonic() + WAIT_S
        while True:
            if self.client.set(lock, b"1", nx=True, px=LOCK_MS):
                try:
                    raw = self.client.get(key)  # another worker may have finished just before
                    if raw is None:
                        self.computations += 1
                        raw = orjson.dumps(compute(), option=orjson.OPT_NON_STR_KEYS)
                        self.client.set(key, raw, ex=self.ttl_s)
                    return raw
                finally:
                    self.client.delete(lock)
            raw = self.client.get(key)
            if raw is not None:
                return raw
            if time.monotonic() > deadline:
                # The computing worker died or is very slow: compute here rather than show nothing.
                self.computations += 1
                return orjson.dumps(compute(), option=orjson.OPT_NON_STR_KEYS)
            time.sleep(0.02)


def _timed(panel: str, compute: Callable[[], object]) -> object:
    with metrics.KPI_COMPUTE_DURATION.labels(panel).time():
        return compute()


def clock_bucket(now, seconds: int = 60) -> str:
    """Figures that depend on the clock (SLA states, ages) are cached per `seconds` of it."""
    return str(int(now.timestamp()) // seconds * seconds)
