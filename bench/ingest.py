"""Ingest throughput: XADD'ed simulated events to committed and acknowledged, against the raw insert ceiling.

The ceiling is plain SQLAlchemy Core executemany of the same rows the ingestor stored (every table), the
fastest of three runs, into a fresh database of the same kind on the same server, in as many transactions as
the ingestor committed: what any ingestor storing these rows must at least pay. The ratio compares events
per second on both sides; a second ratio compares with the same rows stored by the ingestor's own insert
method (COPY on PostgreSQL), the cost of storing alone.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import os
import threading
import time
import uuid

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from dashboard.settings import Settings
from data_sources.simulator.publish import publish_events
from data_sources.simulator.traffic import Simulator
from data_sources.store.batch import insert_rows
from data_sources.store.database import make_engine, session_factory, upgrade
from data_sources.store.models import Base, ProcessedEvent
from data_sources.stream.connection import connect
from data_sources.stream.health import collect_stats
from data_sources.stream.ingest import Ingestor

CEILING_RUNS = 3
DATABASES = ("postgresql", "sqlite")


def raw_insert_ceiling(source_engine, scratch_url: str, batches: int) -> dict:
    """Plain Core executemany of exactly the rows the ingestor stored, into a fresh database of the same kind.

    Every table's rows (read back once from the ingest run) go in as many transactions as the ingestor
    committed batches, each transaction carrying its share of every table: what any ingestor storing these
    rows pays, without reading Redis, validating, deriving lifecycles or acknowledging. `seconds`: the fastest
    of CEILING_RUNS; `ingest_method_seconds`: the same rows by the ingestor's own insert method
    (store.batch.insert_rows: COPY on PostgreSQL, the driver's executemany on SQLite), the cost of storing alone.
    """
    tables = Base.metadata.sorted_tables
    with source_engine.connect() as c:
        # generated columns (data_sources.store.durations) are the database's to compute, on both sides
        stored = {t.name: [col for col in t.columns if col.computed is None] for t in tables}
        rows = {t.name: [dict(r._mapping) for r in c.execute(select(*stored[t.name]))] for t in tables}
    plan = _batch_plan(tables, rows, batches)
    scratch = make_engine(scratch_url)
    fastest = {}
    try:
        for method in ("core", "ingest_method"):
            runs = []
            # the fastest of CEILING_RUNS into empty tables: a ceiling slowed by a neighbour's load would flatter
            for _ in range(CEILING_RUNS):
                Base.metadata.drop_all(scratch)
                Base.metadata.create_all(scratch)
                started = time.perf_counter()
                for i in range(batches):
                    with Session(scratch) as session, session.begin():
                        for table in tables:
                            if not plan[table.name][i]:
                                continue
                            if method == "ingest_method":
                                insert_rows(session, table, plan[table.name][i])
                            else:
                                session.connection().execute(insert(table), plan[table.name][i])
                runs.append(time.perf_counter() - started)
            fastest[method] = min(runs)
    finally:
        scratch.dispose()
    total = sum(len(r) for r in rows.values())
    return {"rows": total, "seconds": fastest["core"], "ingest_method_seconds": fastest["ingest_method"]}


def _batch_plan(tables, rows: dict, batches: int) -> dict:
    """Each table's rows split over the batches; a child row goes in the batch of the row it references."""
    batch_of: dict[tuple[str, str], dict] = {}  # (table, column) -> value -> batch index
    plan = {}
    for table in tables:
        part = rows[table.name]
        fk = next(iter(table.foreign_keys), None)
        chunks: list[list] = [[] for _ in range(batches)]
        for n, row in enumerate(part):
            if fk is not None:
                index = batch_of[(fk.column.table.name, fk.column.name)][row[fk.parent.name]]
            else:
                index = n * batches // len(part)
            chunks[index].append(row)
        for column in table.primary_key.columns:
            batch_of[(table.name, column.name)] = {
                row[column.name]: i for i, chunk in enumerate(chunks) for row in chunk
            }
        plan[table.name] = chunks
    return plan


def run(database_url: str, scratch_url: str, redis_url: str | None, count: int, data_dir, label: str) -> dict:
    settings = Settings(
        redis_url=redis_url,
        database_url=database_url,
        data_dir=data_dir,
        stream_prefix=f"bench-{uuid.uuid4().hex[:8]}",
        block_ms=200,
    )
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    client = connect(settings)
    events = Simulator(seed=7).generate(count, dt.datetime.now(dt.UTC))
    valid = [e for e in events if isinstance(e, dict)]
    publish_events(client, settings, events)

    # The clock stops when the last batch is committed and acknowledged, not when the worker, finding the
    # streams empty, has waited out one more blocking read (block_ms) to be sure: that wait is not ingest.
    acknowledged = [0.0]
    worker = Ingestor(
        settings, client, session_factory(engine), on_commit=lambda _: acknowledged.__setitem__(0, time.perf_counter())
    )
    _ = worker.locator  # the boundary map loads once per process, not inside the measured run
    profile_to = os.environ.get("PANTAU_BENCH_PROFILE")
    profiler = cProfile.Profile() if profile_to else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    worker.run(threading.Event(), until_idle=True)
    elapsed = acknowledged[0] - started
    if profiler:
        profiler.disable()
        profiler.dump_stats(f"{profile_to}.{label}")
    stats = collect_stats(settings, engine, client)
    with engine.connect() as c:
        stored = c.scalar(select(func.count()).select_from(ProcessedEvent))
    distinct_ids = len({e["event_id"] for e in valid})
    ceiling = raw_insert_ceiling(engine, scratch_url, worker.processed_batches)
    for key in client.scan_iter(f"{settings.stream_prefix}:*"):
        client.delete(key)
    engine.dispose()
    ingest_per_s = len(events) / elapsed
    ceiling_events_per_s = len(events) / ceiling["seconds"]
    return {
        f"ingest.{label}.events": len(events),
        f"ingest.{label}.stored_exactly_once": stored == distinct_ids and stats["pending"] == 0,
        f"ingest.{label}.events_per_s": round(ingest_per_s, 1),
        f"ingest.{label}.rows_per_event": round(ceiling["rows"] / len(events), 2),
        f"ingest.{label}.raw_insert_rows_per_s": round(ceiling["rows"] / ceiling["seconds"], 1),
        f"ingest.{label}.raw_insert_events_per_s": round(ceiling_events_per_s, 1),
        f"ingest.{label}.ratio_to_ceiling": round(ingest_per_s / ceiling_events_per_s, 3),
        # beside it: the ceiling of the ingestor's own insert method (COPY on PostgreSQL)
        f"ingest.{label}.raw_insert_ingest_method_events_per_s": round(
            len(events) / ceiling["ingest_method_seconds"], 1
        ),
        f"ingest.{label}.ratio_to_ingest_method_ceiling": round(
            ingest_per_s * ceiling["ingest_method_seconds"] / len(events), 3
        ),
    }


def run_databases(redis_url: str | None, events: int, runs: int = 3, only: tuple[str, ...] = DATABASES) -> dict:
    """`run` on each database `runs` times over, each time into new databases; the figures of the run with the
    median ratio, and every run's ratio beside them (ingest.<db>.ratio_to_ceiling_runs): on a shared machine
    one run's ratio moves by a tenth either way."""
    import statistics
    import tempfile
    from pathlib import Path

    from tests.support.services import PostgresDatabase

    figures: dict = {}
    for label in only:
        results = []
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as tmp:
                if label == "postgresql":
                    database, scratch = PostgresDatabase(), PostgresDatabase()
                    try:
                        results.append(run(database.url, scratch.url, redis_url, events, Path(tmp), label))
                    finally:
                        database.drop()
                        scratch.drop()
                else:
                    urls = (f"sqlite:///{tmp}/bench.db", f"sqlite:///{tmp}/raw.db")
                    results.append(run(*urls, redis_url, events, Path(tmp), label))
        ratios = [r[f"ingest.{label}.ratio_to_ceiling"] for r in results]
        median = statistics.median_low(ratios)
        figures.update(results[ratios.index(median)])
        figures[f"ingest.{label}.ratio_to_ceiling_runs"] = ratios
        figures[f"ingest.{label}.stored_exactly_once"] = all(r[f"ingest.{label}.stored_exactly_once"] for r in results)
    return figures


def main() -> None:
    """python -m bench.ingest [--events N] [--runs N] [--only postgresql|sqlite] [--profile]: the ingest pair alone."""
    import argparse
    import json

    from tests.support.services import shared_redis_url

    parser = argparse.ArgumentParser(prog="python -m bench.ingest")
    parser.add_argument("--events", type=int, default=20_000, help="events per database (the suite's --quick)")
    parser.add_argument("--runs", type=int, default=3, help="runs per database; the median ratio's is reported")
    parser.add_argument("--only", choices=DATABASES, help="one database instead of both")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the ingestor's run to FILE.<db>")
    args = parser.parse_args()
    if args.profile:
        os.environ["PANTAU_BENCH_PROFILE"] = args.profile
    redis_url, redis_handle = shared_redis_url()
    figures: dict = {"load_average": os.getloadavg()}
    try:
        figures.update(run_databases(redis_url, args.events, args.runs, (args.only,) if args.only else DATABASES))
    finally:
        if redis_handle is not None:
            redis_handle.close()
    figures["load_average_after"] = os.getloadavg()
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
