"""Alerts: rule evaluation per data version at 1,000,000 complaints on PostgreSQL (--quick: 100,000; or
--complaints N), beside one wall refresh measured in the same run, and the time from a complaint's breach
instant to the SMTP server's receipt of its message (aiosmtpd in this process, the evaluator in a thread on
the real clock). Goals: evaluation under 50 ms p95, below one wall refresh; breach to receipt under 5 s.

Figures: `alerts.evaluation` is the full evaluation (every rule over the whole backlog: what a pass cost
before, and what the evaluator still runs on taking the lock and every 5 minutes); `alerts.evaluation_changes*`
are the evaluator's passes per data version over what changed, the clock one second further at each: with
nothing new stored, and with CHANGES_PER_VERSION complaint events (new complaints, answers to firing ones)
stored as the ingestor stores them.

python -m bench.alerts [--quick] [--complaints N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import threading
import time
import uuid

from sqlalchemy import delete, insert, select, update

from bench.common import summary
from bench.kpi import NOW, _generate
from dashboard.alert_rules import AlertConfig, config_from_settings
from dashboard.settings import Settings
from data_sources.alerts.changes import ChangeWatch, evaluate_changes, evaluate_full
from data_sources.alerts.evaluator import Evaluator, evaluate, findings_at
from data_sources.redis_keys import data_version_key
from data_sources.store.alert_models import AlertDelivery, AlertLogEntry, AlertRecord
from data_sources.store.database import make_engine, upgrade
from data_sources.store.models import Complaint, ProcessedEvent
from data_sources.stream.connection import connect
from data_sources.views.wall import wall_snapshot

CHANGES_PER_VERSION = 10  # complaint events per data version: a busy minute's share of one commit


def _timed(fn, repeats: int) -> dict:
    fn()  # warm the plans and the page cache
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    s = summary(times)
    return {"p50_ms": round(s["p50"], 2), "p95_ms": round(s["p95"], 2)}


def breach_to_inbox(engine, redis_url: str, samples: int) -> list[float]:
    """Seconds from each breach instant to the receipt of its e-mail, the evaluator running as `alerts run`."""
    from tests.support.alert_receivers import SmtpServer

    latencies = []
    with SmtpServer() as smtp:
        settings = Settings(
            redis_url=redis_url,
            database_url=engine.url.render_as_string(hide_password=False),
            stream_prefix=f"bench-{uuid.uuid4().hex[:8]}",
            smtp_url=smtp.url,
            alert_email_from="pantau@surabaya.go.id",
            alert_email_to="mc@surabaya.go.id",
        )
        client = connect(settings)
        evaluator = Evaluator(engine, client, settings, config_from_settings(settings))
        stop = threading.Event()
        thread = threading.Thread(target=evaluator.run, args=(stop,), daemon=True)
        thread.start()
        try:
            time.sleep(3)  # the backlog's first messages go out first
            for i in range(samples):
                seen = len(smtp.inbox)
                breach = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)
                row = _complaint(f"bench-breach-{uuid.uuid4().hex[:8]}", breach - dt.timedelta(hours=24), breach)
                with engine.begin() as conn:
                    conn.execute(insert(Complaint.__table__), [row])
                    conn.execute(insert(ProcessedEvent.__table__), [_processed(row["complaint_id"], "created")])
                client.incr(data_version_key(settings))  # as the ingestor does after its commit
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    got = [m for m in smtp.inbox[seen:] if row["complaint_id"] in m.body and "lewat batas" in m.subject]
                    if got:
                        latencies.append(
                            got[0].at - time.monotonic() + (dt.datetime.now(dt.UTC) - breach).total_seconds()
                        )
                        break
                    time.sleep(0.01)
        finally:
            stop.set()
            thread.join(10)
            for key in client.scan_iter(f"{settings.stream_prefix}:*"):
                client.delete(key)
            client.close()
    return latencies


def _processed(cid: str, kind: str, at: dt.datetime | None = None) -> dict:
    """The row the ingestor stores beside each event it accepts: what tells the evaluator what changed."""
    at = at or dt.datetime.now(dt.UTC)
    return dict(
        event_id=f"{cid}-{kind}",
        type=f"complaint.{kind}",
        subject=cid,
        stream="complaints",
        entry_id="0-0",
        fingerprint="-",
        occurred_at=at,
        processed_at=at,
    )


def passes_over_changes(engine, settings, config, versions: int, changes: int) -> dict:
    """p50/p95 of the evaluator's pass per data version (evaluate_changes), the clock one second on at each;
    with `changes`, that many complaint events stored before each (half new complaints, half answers to
    complaints whose alerts fire: a resolved message each), rows and processed_events as the ingestor
    writes them."""
    watch = ChangeWatch()
    now = NOW + dt.timedelta(seconds=1)
    evaluate_full(engine, None, settings, config, now, watch)
    times, touched, messages = [], 0, 0
    tag = uuid.uuid4().hex[:6]
    for version in range(versions + 1):
        now += dt.timedelta(seconds=1)
        if changes:
            with engine.begin() as conn:
                firing = (
                    conn.execute(
                        select(AlertRecord.subject)
                        .where(AlertRecord.status == "firing", AlertRecord.rule == "complaint_sla")
                        .limit(changes - changes // 2)
                    )
                    .scalars()
                    .all()
                )
                fresh = [f"bench-{tag}-{version}-{i}" for i in range(changes // 2)]
                rows = [_complaint(cid, now, now + dt.timedelta(hours=24)) for cid in fresh]
                conn.execute(insert(Complaint.__table__), rows)
                conn.execute(update(Complaint).where(Complaint.complaint_id.in_(firing)).values(first_response_at=now))
                conn.execute(
                    insert(ProcessedEvent.__table__),
                    [_processed(c, "created", now) for c in fresh]
                    + [_processed(c, f"status-{tag}-{version}", now) for c in firing],
                )
        started = time.perf_counter()
        result = evaluate_changes(engine, None, settings, config, now, watch)
        if version:  # the first pass warms the plans
            times.append((time.perf_counter() - started) * 1000)
            touched, messages = touched + result["touched"], messages + result["messages"]
    s = summary(times)
    return {
        "p50_ms": round(s["p50"], 2),
        "p95_ms": round(s["p95"], 2),
        "versions": versions,
        "touched_per_version": round(touched / versions, 1),
        "messages_per_version": round(messages / versions, 2),
    }


def _complaint(cid: str, created: dt.datetime, due: dt.datetime) -> dict:
    return dict(
        complaint_id=cid,
        created_event_id=cid,
        channel="app",
        category="sampah",
        created_opd="DLH",
        opd="DLH",
        kecamatan_code="35.78.05",
        kelurahan_code=None,
        location_method="code",
        lat=None,
        lon=None,
        sla_hours=24.0,
        created_at=created,
        due_at=due,
        status="received",
        status_at=created,
        first_response_at=None,
        first_response_channel=None,
        resolved_at=None,
        reopened_count=0,
        is_open=True,
        updated_at=created,
    )


def run(quick: bool = False, redis_url: str | None = None, complaints: int | None = None) -> dict:
    from tests.support.services import PostgresDatabase, shared_redis_url

    n = complaints or (100_000 if quick else 1_000_000)
    repeats = 20 if quick else 40
    figures: dict = {"alerts.complaints": n}
    handle = None
    if redis_url is None:
        redis_url, handle = shared_redis_url()
    database = PostgresDatabase()
    try:
        engine = make_engine(database.url)
        upgrade(engine)
        figures["alerts.generate_s"] = round(_generate(engine, n, n // 5), 1)
        settings = Settings(redis_url=redis_url, database_url=database.url)
        config = AlertConfig()
        figures["alerts.wall_refresh"] = _timed(lambda: wall_snapshot(engine, settings, NOW), repeats)
        started = time.perf_counter()
        first = evaluate(engine, None, settings, config, NOW)  # the backlog: every alert opens at once
        figures["alerts.first_evaluation_ms"] = round((time.perf_counter() - started) * 1000, 1)
        figures["alerts.backlog_alerts"] = first["opened"]
        figures["alerts.backlog_messages"] = first["messages"]
        figures["alerts.queries"] = _timed(lambda: findings_at(engine, None, settings, config, NOW), repeats)
        # a data version with nothing new: the findings, the plan against the firing alerts, no message
        figures["alerts.evaluation"] = _timed(lambda: evaluate(engine, None, settings, config, NOW), repeats)
        wall_p95 = figures["alerts.wall_refresh"]["p95_ms"]
        figures["alerts.evaluation_over_wall_refresh_p95"] = round(figures["alerts.evaluation"]["p95_ms"] / wall_p95, 2)
        versions = 60 if quick else 120
        figures["alerts.evaluation_changes"] = passes_over_changes(engine, settings, config, versions, 0)
        figures["alerts.evaluation_changes_busy"] = passes_over_changes(
            engine, settings, config, versions, CHANGES_PER_VERSION
        )
        for name in ("alerts.evaluation_changes", "alerts.evaluation_changes_busy"):
            figures[f"{name}_over_wall_refresh_p95"] = round(figures[name]["p95_ms"] / wall_p95, 2)
        figures["alerts.wall_refresh_after"] = _timed(lambda: wall_snapshot(engine, settings, NOW), repeats)
        with engine.begin() as conn:  # the breach test starts from no alert at all, as after installation
            for table in (AlertRecord, AlertDelivery, AlertLogEntry):
                conn.execute(delete(table))
        latencies = breach_to_inbox(engine, redis_url, 3 if quick else 5)
        figures["alerts.breach_to_smtp_s"] = {
            "samples": len(latencies),
            "p50": round(summary(latencies)["p50"], 2) if latencies else None,
            "max": round(max(latencies), 2) if latencies else None,
        }
        engine.dispose()
    finally:
        database.drop()
        if handle is not None:
            handle.close()
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.alerts")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--complaints", type=int)
    args = parser.parse_args()
    result = run(args.quick, complaints=args.complaints)
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
