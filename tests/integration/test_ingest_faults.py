"""A killed ingestor, an emptied Redis and long blocking reads: nothing lost, nothing doubled."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from data_sources import redis_keys
from data_sources.store.database import session_factory
from data_sources.store.models import Complaint, ProcessedEvent
from data_sources.stream.connection import connect
from data_sources.stream.health import collect_stats
from data_sources.stream.ingest import Ingestor
from data_sources.stream.producer import publish, publish_many
from data_sources.stream.version import data_version
from tests.conftest import make_event
from tests.support.services import RedisProcess

ROOT = Path(__file__).resolve().parents[2]


def complaint_events(n: int, prefix: str = "e") -> list[dict]:
    return [
        make_event(
            f"{prefix}-{i}",
            "complaint.created",
            {"complaint_id": f"{prefix}-C{i}", "channel": "sms", "category": "sampah"},
        )
        for i in range(n)
    ]


def stored(engine, model=ProcessedEvent) -> int:
    with engine.connect() as c:
        return c.scalar(select(func.count()).select_from(model))


def wait_for(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def env_for(settings) -> dict[str, str]:
    env = dict(
        os.environ,
        PANTAU_REDIS_URL=settings.redis_url,
        PANTAU_DATABASE_URL=settings.database_url,
        PANTAU_STREAM_PREFIX=settings.stream_prefix,
        PANTAU_BATCH_SIZE="20",
        PANTAU_BLOCK_MS="100",
        PANTAU_CONSUMER_NAME="doomed",
        PANTAU_DATA_DIR=str(settings.data_dir),
        PYTHONPATH=str(ROOT),
    )
    return env


@pytest.mark.parametrize("crash_point", ["before_commit", "after_commit"])
def test_an_ingestor_killed_mid_batch_loses_nothing_and_doubles_nothing(
    settings, engine, redis_client, ingest_until_idle, crash_point
):
    publish_many(redis_client, settings, complaint_events(50))
    bad = redis_client.xadd(redis_keys.stream_key(settings, "complaints"), {"event": b"{broken"})
    publish_many(redis_client, settings, complaint_events(10, prefix="late"))

    crashed = subprocess.run(
        [sys.executable, "-m", "tests.support.crashing_ingestor", crash_point],
        cwd=ROOT,
        env=env_for(settings),
        capture_output=True,
        timeout=60,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr.decode()[-2000:]
    committed_by_the_dead = stored(engine)
    assert committed_by_the_dead == (20 if crash_point == "after_commit" else 0)
    assert collect_stats(settings, engine, redis_client)["pending"] == 20  # left pending by the dead consumer

    # A live ingestor takes over the dead consumer's entries once they have been idle claim_idle_ms.
    ingest_until_idle()
    assert stored(engine) == 60 and stored(engine, Complaint) == 60
    stats = collect_stats(settings, engine, redis_client)
    assert stats["pending"] == 0 and stats["dead_letters"] == 1
    letters = redis_client.xrange(redis_keys.deadletter_key(settings))
    assert [fields[b"entry_id"] for _, fields in letters] == [bad]
    assert stats["streams"]["complaints"]["duplicates"] == committed_by_the_dead


def test_a_dead_letter_is_written_once_even_if_the_ingestor_dies_before_acknowledging(
    settings, engine, redis_client, ingest_until_idle
):
    for _ in range(3):
        redis_client.xadd(redis_keys.stream_key(settings, "egov"), {"event": b"not json"})
    crashed = subprocess.run(
        [sys.executable, "-m", "tests.support.crashing_ingestor", "after_commit"],
        cwd=ROOT,
        env=env_for(settings),
        capture_output=True,
        timeout=60,
    )
    assert crashed.returncode == -signal.SIGKILL
    assert redis_client.xlen(redis_keys.deadletter_key(settings)) == 0  # committed in SQL, not yet on the stream
    ingest_until_idle()
    assert redis_client.xlen(redis_keys.deadletter_key(settings)) == 3
    assert collect_stats(settings, engine, redis_client)["dead_letters"] == 3


@pytest.fixture
def private_redis():
    server = RedisProcess().start()
    yield server
    server.close()


def test_redis_restarted_empty_group_is_recreated_and_ingestion_resumes(settings, engine, private_redis, caplog):
    settings = settings.with_overrides(redis_url=private_redis.url)
    client = connect(settings)
    stop = threading.Event()
    worker = Ingestor(settings, connect(settings), session_factory(engine))
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    caplog.set_level(logging.INFO, logger="data_sources.stream.ingest")
    thread.start()
    try:
        publish_many(client, settings, complaint_events(10, "before"))
        wait_for(lambda: stored(engine) == 10, what="the first 10 events")
        version_before = data_version(client, settings)

        private_redis.stop()
        time.sleep(1.0)  # the ingestor meets a dead Redis and backs off
        private_redis.wipe()
        private_redis.start()  # empty: no streams, no consumer group
        publish_many(client, settings, complaint_events(10, "after"))
        wait_for(lambda: stored(engine) == 20, timeout=60, what="the 10 events published after the restart")
        assert thread.is_alive()
        # the counter starts again from 0, but under a new epoch: no cache can mistake it for an old version
        version_after = data_version(client, settings)
        assert version_after.split(":")[0] != version_before.split(":")[0]
    finally:
        stop.set()
        thread.join(10)
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "Redis unreachable" in messages
    assert "consumer group missing" in messages or "created consumer group" in messages


def test_blocking_reads_outlive_redis_py_default_socket_timeout(settings, engine, redis_client, caplog):
    """redis-py 8 times sockets out after 5 s; a 6 s BLOCK must not turn into a timeout-and-retry loop."""
    settings = settings.with_overrides(block_ms=6000)
    stop = threading.Event()
    worker = Ingestor(settings, connect(settings), session_factory(engine))
    caplog.set_level(logging.WARNING, logger="data_sources.stream.ingest")
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        time.sleep(7.0)  # one whole empty BLOCK and part of the next
        publish(redis_client, settings, complaint_events(1)[0])
        wait_for(lambda: stored(engine) == 1, timeout=15, what="the event after a long idle block")
    finally:
        stop.set()
        thread.join(15)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_database_outage_is_retried_with_backoff_not_crashed(settings, engine, redis_client, caplog, tmp_path):
    """The database goes away under a running ingestor; it logs, backs off, and stores everything once back."""
    from sqlalchemy import text

    from data_sources.store.database import make_engine, upgrade

    if engine.dialect.name == "postgresql":
        name = engine.url.database
        admin = make_engine(engine.url.set(database="postgres").render_as_string(hide_password=False))

        def outage():
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
                c.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :n AND pid <> pg_backend_pid()"
                    ),
                    {"n": name},
                )

        def recovery():
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))

        target = engine
    else:
        # a SQLite file in a folder that does not exist yet cannot be opened, even by root
        from sqlalchemy import create_engine

        folder = tmp_path / "mounted-later"
        target = create_engine(f"sqlite:///{folder / 'pantau.db'}")  # make_engine would create the folder

        def outage():
            pass

        def recovery():
            folder.mkdir()
            upgrade(target)

    outage()
    publish_many(redis_client, settings, complaint_events(5))
    caplog.set_level(logging.WARNING, logger="data_sources.stream.ingest")
    stop = threading.Event()
    worker = Ingestor(settings, redis_client, session_factory(target))
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for(lambda: any("database unavailable" in r.getMessage() for r in caplog.records), what="a logged outage")
        time.sleep(2.0)
        attempts = sum("database unavailable" in r.getMessage() for r in caplog.records)
        recovery()
        wait_for(lambda: stored(target) == 5, what="the events after the database came back")
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(10)
        recovery() if engine.dialect.name == "postgresql" else None
    assert attempts <= 4  # about 0.5 + 1 + 2 s of backoff in 2 s: waiting, not a busy loop
    assert collect_stats(settings, target, redis_client)["pending"] == 0
