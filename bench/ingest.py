"""Ingest throughput: XADD'ed simulated events to committed and acknowledged, against the raw insert ceiling.

The ceiling is plain SQLAlchemy Core executemany of one row per event (event id, type, time, body) into a
scratch table of the same database, in the same batch size: what any ingestor must at least pay.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import orjson
from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, func, insert, select

from dashboard.settings import Settings
from data_sources.database import make_engine, session_factory, upgrade
from data_sources.health import collect_stats
from data_sources.ingest import Ingestor
from data_sources.models import ProcessedEvent
from data_sources.redis_connection import connect
from data_sources.simulator import Simulator, publish_events


def raw_insert_rows_per_s(engine, events: list[dict], batch: int) -> float:
    metadata = MetaData()
    scratch = Table(f"bench_raw_{uuid.uuid4().hex[:8]}", metadata,
                    Column("event_id", String(128), primary_key=True), Column("type", String(32)),
                    Column("occurred_at", DateTime(timezone=True)), Column("body", Text))
    metadata.create_all(engine)
    rows = [{"event_id": e["event_id"], "type": e["type"], "body": orjson.dumps(e).decode(),
             "occurred_at": dt.datetime.fromisoformat(e["occurred_at"])} for e in events]
    try:
        started = time.perf_counter()
        for i in range(0, len(rows), batch):
            with engine.begin() as c:
                c.execute(insert(scratch), rows[i:i + batch])
        return len(rows) / (time.perf_counter() - started)
    finally:
        metadata.drop_all(engine)


def run(database_url: str, redis_url: str | None, count: int, data_dir, label: str) -> dict:
    settings = Settings(redis_url=redis_url, database_url=database_url, data_dir=data_dir,
                        stream_prefix=f"bench-{uuid.uuid4().hex[:8]}", block_ms=200)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    client = connect(settings)
    events = Simulator(seed=7).generate(count, dt.datetime.now(dt.timezone.utc))
    valid = [e for e in events if isinstance(e, dict)]
    publish_events(client, settings, events)

    worker = Ingestor(settings, client, session_factory(engine))
    started = time.perf_counter()
    worker.run(threading.Event(), until_idle=True)
    elapsed = time.perf_counter() - started
    stats = collect_stats(settings, engine, client)
    with engine.connect() as c:
        stored = c.scalar(select(func.count()).select_from(ProcessedEvent))
    distinct_ids = len({e["event_id"] for e in valid})
    ceiling = raw_insert_rows_per_s(engine, valid, settings.batch_size)
    for key in client.scan_iter(f"{settings.stream_prefix}:*"):
        client.delete(key)
    engine.dispose()
    return {
        f"ingest.{label}.events": len(events),
        f"ingest.{label}.stored_exactly_once": stored == distinct_ids and stats["pending"] == 0,
        f"ingest.{label}.events_per_s": round(len(events) / elapsed, 1),
        f"ingest.{label}.raw_insert_rows_per_s": round(ceiling, 1),
        f"ingest.{label}.ratio_to_ceiling": round(len(events) / elapsed / ceiling, 3),
    }
