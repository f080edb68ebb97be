"""The KPI cache: one computation per data version across concurrent viewers, real Redis."""

import threading
import time

import pytest

from data_sources.kpi.cache import KpiCache, clock_bucket
from data_sources.redis_keys import data_version_key
from data_sources.stream.connection import connect


# The cache needs Redis only: these override the conftest's database-parametrised fixtures, so each test
# runs once instead of once per database.
@pytest.fixture
def settings(redis_settings):
    return redis_settings


@pytest.fixture
def redis_client(settings):
    client = connect(settings)
    yield client
    keys = list(client.scan_iter(f"{settings.stream_prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_concurrent_viewers_cause_one_computation(settings, redis_client):
    calls = []

    def compute():
        calls.append(1)
        time.sleep(0.2)
        return {"received": 7, "by_kecamatan": {"35.78.01": 5}}

    caches = [KpiCache(redis_client, settings) for _ in range(8)]  # eight workers
    results = []
    threads = [
        threading.Thread(target=lambda c=c: results.append(c.get_or_compute("summary", "from=x", compute)))
        for c in caches
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert results == [{"received": 7, "by_kecamatan": {"35.78.01": 5}}] * 8

    redis_client.incr(data_version_key(settings))  # the ingestor committed
    assert caches[0].get_or_compute("summary", "from=x", lambda: {"received": 8}) == {"received": 8}
    assert caches[1].get_or_compute("summary", "from=y", lambda: {"received": 1}) == {"received": 1}


def test_cache_hits_compute_nothing(settings, redis_client):
    # How fast a hit is belongs to bench/ (python -m bench.kpi); here: a hit never computes again.
    cache = KpiCache(redis_client, settings)
    cache.get_or_compute("q", "k", lambda: {"x": list(range(100))})
    calls = []
    for _ in range(100):
        assert cache.get_or_compute("q", "k", lambda: calls.append(1)) == {"x": list(range(100))}
    assert calls == [] and cache.computations == 1


def test_clock_bucket():
    import datetime as dt

    t = dt.datetime(2026, 11, 27, 8, 0, 59, tzinfo=dt.UTC)
    assert clock_bucket(t) == clock_bucket(t.replace(second=0)) != clock_bucket(t.replace(minute=1))


def test_new_data_version_is_seen_within_the_version_ttl(settings, redis_client):
    """The local copy of the data version is trusted for VERSION_TTL_S at most: a commit is seen after it."""
    from data_sources.kpi.cache import VERSION_TTL_S

    cache = KpiCache(redis_client, settings)
    assert cache.get_or_compute("q", "k", lambda: {"v": 1}) == {"v": 1}
    redis_client.incr(data_version_key(settings))  # the ingestor committed
    deadline = time.monotonic() + VERSION_TTL_S
    time.sleep(VERSION_TTL_S)
    assert time.monotonic() >= deadline
    assert cache.get_or_compute("q", "k", lambda: {"v": 2}) == {"v": 2}
    assert cache.computations == 2


def test_local_hit_needs_no_round_trip(settings, redis_client, monkeypatch):
    """Within the version TTL a repeated hit touches neither Redis nor the database, in well under 1 ms."""
    cache = KpiCache(redis_client, settings)
    cache.get_or_compute("q", "k", lambda: {"x": list(range(100))})

    def no_redis(*args, **kwargs):
        raise AssertionError("a local hit went to Redis")

    times = []
    for _ in range(200):
        cache._version_until = time.monotonic() + 60  # keep the copy fresh: this test is about the hit path
        monkeypatch.setattr(redis_client, "get", no_redis)
        monkeypatch.setattr(redis_client, "mget", no_redis)
        start = time.perf_counter()
        value = cache.get_or_compute("q", "k", lambda: None)
        times.append(time.perf_counter() - start)
        monkeypatch.undo()
    assert value == {"x": list(range(100))}
    assert sorted(times)[int(len(times) * 0.95)] < 0.001
