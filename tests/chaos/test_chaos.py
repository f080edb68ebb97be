"""Proof under faults (issue 8): ingestors SIGKILLed at random points, Redis restarted, the database cut;
afterwards every confirmed event is stored exactly once and every poison entry is dead-lettered once.

The short form runs in the default suite (about 35 s per database). The long form:
    PANTAU_CHAOS_LONG=1 .venv/bin/python -m pytest tests/chaos/test_chaos.py -m chaos -s
or a single long run by hand: .venv/bin/python -m tests.chaos.harness --database postgresql --events 50000 --minutes 10
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
from datetime import UTC, datetime

import pytest
import redis
from sqlalchemy import delete, func, select

from dashboard.settings import Settings
from data_sources import redis_keys
from data_sources.simulator.traffic import Simulator
from data_sources.store.database import make_engine, upgrade
from data_sources.store.models import Complaint, ProcessedEvent
from tests.chaos.harness import ChaosConfig, ChaosRun, DurableRedis, Fleet, env_for, produce, run_chaos
from tests.chaos.ledger import verify

pytestmark = pytest.mark.chaos

LONG = os.environ.get("PANTAU_CHAOS_LONG", "").strip() not in ("", "0", "no", "false")
# Another seed draws other kill points, fault moments and traffic: PANTAU_CHAOS_RUN_SEED=123
SEED = int(os.environ.get("PANTAU_CHAOS_RUN_SEED", "8"))


SOURCES = ("complaints", "incidents", "egov")


def all_delivered(client: redis.Redis, settings: Settings) -> bool:
    """Every entry delivered to the group and acknowledged (works on Redis 6.2, which has no lag field)."""
    for source in SOURCES:
        key = redis_keys.stream_key(settings, source)
        newest = client.xrevrange(key, count=1)
        if not newest:
            continue
        group = next(
            (
                g
                for g in client.xinfo_groups(key)
                if g["name"] in (settings.consumer_group, settings.consumer_group.encode())
            ),
            None,
        )
        if group is None or group["pending"] or group["last-delivered-id"] != newest[0][0]:
            return False
    return True


def short_or_long(database: str) -> ChaosConfig:
    if LONG:
        return ChaosConfig(
            database=database,
            events=40_000,
            seconds=480,
            ingestors=4,
            min_kills=300,
            redis_restarts=12,
            db_cuts=12,
            drain_timeout_s=600,
            seed=SEED,
        )
    return ChaosConfig(
        database=database, events=2500, seconds=25, ingestors=3, min_kills=20, redis_restarts=3, db_cuts=3, seed=SEED
    )


def assert_clean(report: dict) -> None:
    assert report["problems"] == [], "\n".join(report["problems"])
    assert report["stats_agree"] == [], "\n".join(report["stats_agree"])
    assert report["lost"] == 0 and report["duplicated"] == 0 and report["pending"] == 0
    assert report["dead_letters"] == report["expected"]["dead_letters"] == report["dead_letter_rows"]


@pytest.mark.timeout(3600 if LONG else 300)
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_chaos_every_confirmed_event_is_stored_exactly_once(database):
    config = short_or_long(database)
    report = run_chaos(config, log=lambda line: print(line, flush=True))
    summary = {k: v for k, v in report.items() if k not in ("stats_cli", "tampered")}
    print(json.dumps(summary, indent=2))
    assert_clean(report)
    # the faults the issue asks for really happened
    assert report["kills_total"] >= config.min_kills
    assert all(
        report["kills"].get(point, 0) >= 1 for point in ("after_read", "mid_batch", "before_commit", "after_commit")
    )
    assert report["redis_restarts"] >= config.redis_restarts
    assert report["db_cuts"] >= 3
    assert report["poison_confirmed"] > 0 and report["events_confirmed"] == config.events
    assert report["trimmed_entries"] > 0  # the safe trimmer ran all along and deleted only acknowledged entries


def _copy_a_dead_letter(run: ChaosRun, engine, client: redis.Redis) -> None:
    entry_id, fields = client.xrange(redis_keys.deadletter_key(run.settings), count=1)[0]
    client.xadd(redis_keys.deadletter_key(run.settings), fields)


def _forget_a_stored_event(run: ChaosRun, engine, client: redis.Redis) -> None:
    with engine.begin() as c:
        victim = c.scalar(select(ProcessedEvent.event_id).where(ProcessedEvent.type == "complaint.created").limit(1))
        c.execute(delete(ProcessedEvent).where(ProcessedEvent.event_id == victim))
        c.execute(delete(Complaint).where(Complaint.created_event_id == victim))


def _leave_an_entry_pending(run: ChaosRun, engine, client: redis.Redis) -> None:
    key = redis_keys.stream_key(run.settings, "egov")
    client.xadd(key, {"event": b"{}"})
    client.xreadgroup(run.settings.consumer_group, "ghost", {key: ">"}, count=1)


def test_the_chaos_checks_can_fail():
    """Unsafe trimming, a doubled dead letter, a lost row and a left-over pending entry are all caught."""
    honest_then_tampered = run_chaos(
        ChaosConfig(
            events=400,
            seconds=3,
            ingestors=2,
            min_kills=3,
            redis_restarts=1,
            db_cuts=0,
            seed=3,
            tampers={
                "doubled dead letter": _copy_a_dead_letter,
                "lost row": _forget_a_stored_event,
                "pending entry": _leave_an_entry_pending,
            },
        )
    )
    assert_clean(honest_then_tampered)
    tampered = honest_then_tampered["tampered"]
    assert tampered["doubled dead letter"]["duplicated"] >= 1
    assert any("stats dead" in line for line in tampered["doubled dead letter"]["stats_agree"])
    assert tampered["lost row"]["lost"] == 1
    assert any("complaints" in line for line in tampered["lost row"]["stats_agree"])
    assert any("pending" in p for p in tampered["pending entry"]["problems"])
    assert any("pending" in line for line in tampered["pending entry"]["stats_agree"])

    unsafe = run_chaos(
        ChaosConfig(
            events=400,
            seconds=3,
            ingestors=2,
            min_kills=3,
            redis_restarts=0,
            db_cuts=0,
            seed=4,
            unsafe_trim=True,
            trim_every_s=0.2,
        )
    )
    assert unsafe["lost"] > 0 and unsafe["problems"]


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_several_ingestor_processes_share_one_group_exactly_once(database, tmp_path, request):
    """Scaling out: four ingestor processes (forked by `python -m tests.chaos.ingestor --fork-server`, no
    self-kills) in one consumer group share the work, and each event is still stored once."""
    server = DurableRedis().start()
    request.addfinalizer(server.close)
    if database == "postgresql":
        url = request.getfixturevalue("postgres_database").url
        engine = make_engine(url)
        from tests.conftest import _truncate

        _truncate(engine)
    else:
        url = f"sqlite:///{tmp_path / 'pantau.db'}"
        engine = make_engine(url)
        upgrade(engine)
    request.addfinalizer(engine.dispose)
    settings = Settings(
        redis_url=server.url,
        database_url=url,
        stream_prefix=f"scale-{uuid.uuid4().hex[:8]}",
        data_dir=tmp_path,
        block_ms=200,
        claim_idle_ms=30_000,
        batch_size=25,
    )
    run = ChaosRun(ChaosConfig(database=database, seconds=2), settings, tmp_path)
    fleet = Fleet(env_for(settings, tmp_path))
    names = [f"scale-{n}" for n in range(4)]
    try:
        for name in names:
            fleet.spawn(name, "none")  # no self-kills
        items = Simulator(11, invalid_share=0.02, duplicate_share=0.05).generate(
            2000, datetime(2026, 11, 27, 1, 30, tzinfo=UTC)
        )
        produce(run, items, threading.Event())
        client = redis.Redis.from_url(server.url)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if sum(client.xlen(redis_keys.stream_key(settings, s)) for s in SOURCES) >= len(items) and all_delivered(
                client, settings
            ):
                break
            time.sleep(0.1)
    finally:
        fleet.close()  # SIGTERM: each logs how many entries it ingested
    assert all(code == 0 for _, code in fleet.exits) and len(fleet.exits) == 4, fleet.exits
    report = verify(run, engine, client)
    assert report["problems"] == [] and report["lost"] == 0 and report["duplicated"] == 0
    text = (tmp_path / "ingestors.log").read_text()
    shares = {name: int(n) for name, n in re.findall(r"chaos ingestor (\S+): ingested (\d+) stream entries", text)}
    assert set(shares) == set(names) and all(n > 0 for n in shares.values()), shares
    assert sum(shares.values()) >= len(items)
    with engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(ProcessedEvent)) == report["distinct_valid_events"]
