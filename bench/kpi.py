"""KPI queries over 1,000,000 complaints and 200,000 incidents (--quick: 100,000 / 20,000).

Rows are generated inside the database (generate_series on PostgreSQL, a recursive CTE on SQLite), so
generation takes seconds. Every query behind the wall and the briefing is timed on both databases
(p50, p95 in ms), and the cache hit beside them. Target: wall queries <= 25 ms p95 on PostgreSQL.
python -m bench.kpi [--quick]
"""
from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from bench.common import summary
from dashboard.filters import KpiFilter, today_filter
from data_sources import kpi_complaints, kpi_egov, kpi_incidents
from data_sources.database import make_engine, upgrade

NOW = dt.datetime(2026, 11, 27, 5, 0, tzinfo=dt.timezone.utc)  # 12:00 WIB
SPAN_DAYS = 365
CHANNELS = ("phone", "sms", "whatsapp", "email", "app", "web", "twitter", "instagram", "facebook", "walk_in")
CATEGORIES = ("jalan_rusak", "banjir_genangan", "sampah", "penerangan_jalan", "administrasi_kependudukan",
              "kesehatan", "pendidikan", "perizinan", "ketertiban_umum", "lainnya")
OPDS = ("DSDABM", "DISPENDIK", "DINKES", "DLH", "DKRTH", "DISHUB", "DINSOS", "DPRKPP", "DISKOMINFO", "DISPENDUK")
INCIDENT_CATEGORIES = ("fire", "flood", "traffic_accident", "medical", "social", "missing_person", "infrastructure", "other")


def _pick(values, r: str) -> str:
    return "CASE " + " ".join(f"WHEN {r} < {(i + 1) / len(values)!r} THEN '{v}'" for i, v in enumerate(values)) + " END"


def _sql(dialect: str, n_complaints: int, n_incidents: int) -> list[str]:
    if dialect == "postgresql":
        series = "SELECT g AS i, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5 FROM generate_series(1, {n}) g"
        def ts(days):
            return f"(TIMESTAMPTZ '{NOW.isoformat()}' - ({days}) * interval '1 day')"
        kec = "'35.78.' || lpad(((i % 31) + 1)::text, 2, '0')"
        idtext = "i::text"
        true, false = "true", "false"
    else:
        rnd = "((random() & 1048575) / 1048576.0)"
        series = ("WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {n}) "
                  f"SELECT i, {rnd} AS r1, {rnd} AS r2, {rnd} AS r3, {rnd} AS r4, {rnd} AS r5 FROM g")
        naive = NOW.replace(tzinfo=None).isoformat(sep=" ")
        def ts(days):
            return f"(strftime('%Y-%m-%d %H:%M:%S', julianday('{naive}') - ({days})) || '.000000')"
        kec = "'35.78.' || substr('0' || ((i % 31) + 1), -2)"
        idtext = "CAST(i AS TEXT)"
        true, false = "1", "0"
    age = f"(r1 * {SPAN_DAYS})"  # days before NOW
    responded = f"(r2 < 0.93 AND {age} > r3 * 1.5)"
    resolved = f"({responded} AND r4 < 0.85 AND {age} > r3 * 1.5 + r4 * 4)"
    complaints = f"""
    INSERT INTO complaints (complaint_id, created_event_id, channel, category, created_opd, opd, kecamatan_code,
        kelurahan_code, location_method, lat, lon, sla_hours, created_at, due_at, status, status_at,
        first_response_at, first_response_channel, resolved_at, reopened_count, is_open, updated_at)
    SELECT 'c' || {idtext}, 'c' || {idtext}, {_pick(CHANNELS, 'r5')}, {_pick(CATEGORIES, 'r3')},
        {_pick(OPDS, 'r4')}, {_pick(OPDS, 'r4')}, CASE WHEN r5 < 0.97 THEN {kec} END, NULL,
        'code', NULL, NULL, 24, {ts(age)}, {ts(f'{age} - 1')},
        CASE WHEN {resolved} THEN 'resolved' WHEN {responded} THEN 'responded' ELSE 'received' END, {ts(age)},
        CASE WHEN {responded} THEN {ts(f'{age} - r3 * 1.5')} END,
        CASE WHEN {responded} THEN CASE WHEN r2 < 0.6 THEN {_pick(CHANNELS, 'r5')} ELSE 'phone' END END,
        CASE WHEN {resolved} THEN {ts(f'{age} - r3 * 1.5 - r4 * 4')} END,
        CASE WHEN r2 < 0.03 THEN 1 ELSE 0 END,
        CASE WHEN {resolved} THEN {false} ELSE {true} END, {ts(age)}
    FROM ({series.format(n=n_complaints)}) s"""
    iage = f"(r1 * {SPAN_DAYS})"
    arrived = f"({iage} > 0.05 AND r2 < 0.95)"
    incidents = f"""
    INSERT INTO incidents (incident_id, reported_event_id, category, priority, kecamatan_code, kelurahan_code,
        location_method, lat, lon, reported_at, call_answered_at, first_dispatched_at, first_arrived_at, closed_at,
        outcome, status, units_dispatched, is_active, updated_at)
    SELECT 'i' || {idtext}, 'i' || {idtext}, {_pick(INCIDENT_CATEGORIES, 'r3')}, 1 + CAST(r4 * 3 AS INTEGER),
        CASE WHEN r5 < 0.98 THEN {kec} END, NULL, 'code', NULL, NULL, {ts(iage)},
        {ts(f'{iage} - r5 * 25 / 86400.0')}, {ts(f'{iage} - r4 * 3 / 1440.0')},
        CASE WHEN {arrived} THEN {ts(f'{iage} - (2 + r3 * 10 + r2 * 4) / 1440.0')} END,
        CASE WHEN {arrived} AND {iage} > 0.1 THEN {ts(f'{iage} - (20 + r5 * 60) / 1440.0')} END,
        NULL, CASE WHEN {arrived} AND {iage} > 0.1 THEN 'closed' ELSE 'dispatched' END, 1,
        CASE WHEN {arrived} AND {iage} > 0.1 THEN {false} ELSE {true} END, {ts(iage)}
    FROM ({series.format(n=n_incidents)}) s"""
    egov = f"""
    INSERT INTO egov_readings (domain, metric, opd, period, value, target, unit, occurred_at, event_id)
    SELECT 'budgeting', 'apbd_realization_pct', {_pick(OPDS, '((i % 10) + 0.5) / 10.0')},
        '2026-' || substr('0' || ((i / 10) % 12 + 1), -2), r1 * 100, 80, 'pct', {ts('0')}, 'e' || {idtext}
    FROM ({series.format(n=120)}) s"""
    return [complaints, incidents, egov]


def _generate(engine, n_complaints: int, n_incidents: int) -> float:
    started = time.perf_counter()
    with engine.begin() as conn:
        for statement in _sql(engine.dialect.name, n_complaints, n_incidents):
            conn.execute(text(statement))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def queries(now: dt.datetime) -> dict:
    today = today_filter(now)
    month = KpiFilter(date_from=(now - dt.timedelta(days=30)).date(), date_to=now.date() + dt.timedelta(days=1))
    return {
        # the wall
        "wall.complaints_today": lambda c: kpi_complaints.period_figures(c, today, now),
        "wall.sla_watch": lambda c: kpi_complaints.open_sla_states(c, KpiFilter(), now, limit=50),
        "wall.incidents_today": lambda c: kpi_incidents.period_figures(c, today, now),
        "wall.active_incidents": lambda c: kpi_incidents.active_incidents(c, KpiFilter(), now, limit=100),
        # the briefing
        "briefing.complaints_30d": lambda c: kpi_complaints.period_figures(c, month, now),
        "briefing.incidents_30d": lambda c: kpi_incidents.period_figures(c, month, now),
        "briefing.opd_league_30d": lambda c: kpi_complaints.opd_league(c, month, now),
        "briefing.egov_latest": lambda c: kpi_egov.latest(c),
    }


def _time(engine, fn, repeats: int) -> dict:
    times = []
    with engine.connect() as conn:
        fn(conn)  # warm the plan and the page cache
        for _ in range(repeats):
            started = time.perf_counter()
            fn(conn)
            times.append((time.perf_counter() - started) * 1000)
    s = summary(times)
    return {"p50_ms": round(s["p50"], 2), "p95_ms": round(s["p95"], 2)}


def _cached_p95(engine, redis_url: str, repeats: int = 200) -> float:
    from dashboard.settings import Settings
    from data_sources.kpi_cache import KpiCache
    from data_sources.redis_connection import connect
    import uuid

    settings = Settings(redis_url=redis_url, stream_prefix=f"bench-{uuid.uuid4().hex[:8]}")
    client = connect(settings)
    cache = KpiCache(client, settings)
    fn = queries(NOW)["wall.complaints_today"]

    def compute():
        with engine.connect() as conn:
            return fn(conn)

    times = []
    try:
        cache.get_or_compute("wall.complaints_today", "bench", compute)
        for i in range(repeats):
            local = cache if i % 2 == 0 else KpiCache(client, settings)  # a worker without the local LRU
            started = time.perf_counter()
            local.get_or_compute("wall.complaints_today", "bench", compute)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        for key in client.scan_iter(f"{settings.stream_prefix}:*"):
            client.delete(key)
        client.close()
    return round(summary(times)["p95"], 3)


def run(quick: bool = False, *, database_url: str | None = None, sqlite_dir: Path | None = None,
        redis_url: str | None = None) -> dict:
    """Figures kpi.<query>.<database>.p50_ms / p95_ms, generation times and kpi.cached_p95_ms."""
    from tests.services import PostgresDatabase, shared_redis_url

    n_complaints, n_incidents = (100_000, 20_000) if quick else (1_000_000, 200_000)
    repeats = 20 if quick else 40
    figures: dict = {"kpi.complaints": n_complaints, "kpi.incidents": n_incidents}
    database = None if database_url else PostgresDatabase()
    handle = None
    if redis_url is None:
        redis_url, handle = shared_redis_url()
    tmp = tempfile.TemporaryDirectory()
    try:
        urls = {"postgresql": database_url or database.url,
                "sqlite": f"sqlite:///{(sqlite_dir or Path(tmp.name)) / 'kpi-bench.db'}"}
        for name, url in urls.items():
            engine = make_engine(url)
            upgrade(engine)
            figures[f"kpi.{name}.generate_s"] = round(_generate(engine, n_complaints, n_incidents), 1)
            for query, fn in queries(NOW).items():
                for stat, value in _time(engine, fn, repeats).items():
                    figures[f"kpi.{query}.{name}.{stat}"] = value
            if name == "postgresql":
                figures["kpi.cached_p95_ms"] = _cached_p95(engine, redis_url)
            engine.dispose()
    finally:
        tmp.cleanup()
        if database is not None:
            database.drop()
        if handle is not None:
            handle.close()
    return figures


if __name__ == "__main__":
    result = run(quick="--quick" in sys.argv)
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
