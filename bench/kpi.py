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
from dashboard.events import CHANNELS, COMPLAINT_CATEGORIES
from dashboard.filters import KpiFilter, today_filter
from dashboard.settings import Settings
from data_sources.kpi import columns
from data_sources.kpi import complaints as kpi_complaints
from data_sources.kpi import egov as kpi_egov
from data_sources.kpi import incidents as kpi_incidents
from data_sources.store.database import make_engine, upgrade
from data_sources.views import briefing as briefing_data

NOW = dt.datetime(2026, 11, 27, 5, 0, tzinfo=dt.UTC)  # 12:00 WIB
SPAN_DAYS = 365
COLUMNS_ON = Settings(kpi_columns=True)  # the briefing's settings: its panels read the column copy
CHUNK_ROWS = 1_000_000
CATEGORIES = COMPLAINT_CATEGORIES
OPDS = ("DSDABM", "DISPENDIK", "DINKES", "DLH", "DKRTH", "DISHUB", "DINSOS", "DPRKPP", "DISKOMINFO", "DISPENDUK")
INCIDENT_CATEGORIES = (
    "fire",
    "flood",
    "traffic_accident",
    "medical",
    "social",
    "missing_person",
    "infrastructure",
    "other",
)


def _pick(values, r: str) -> str:
    return "CASE " + " ".join(f"WHEN {r} < {(i + 1) / len(values)!r} THEN '{v}'" for i, v in enumerate(values)) + " END"


def span_days(n_complaints: int) -> int:
    """The days the generated complaints span: a year at 1,000,000 and below, longer beyond at the same daily
    rate (about 2,700 a day): 10,000,000 are ten years of a city, a decade of history."""
    return max(SPAN_DAYS, round(SPAN_DAYS * n_complaints / 1_000_000))


def _chunks(n: int) -> list[tuple[int, int]]:
    """Rows 1..n in statements of at most CHUNK_ROWS: each a transaction's worth the server holds easily."""
    return [(lo, min(n, lo + CHUNK_ROWS - 1)) for lo in range(1, n + 1, CHUNK_ROWS)]


def _sql(dialect: str, n_complaints: int, n_incidents: int) -> list[str]:
    if dialect == "postgresql":
        series = "SELECT g AS i, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5 FROM generate_series({lo}, {hi}) g"

        def ts(days):
            return f"(TIMESTAMPTZ '{NOW.isoformat()}' - ({days}) * interval '1 day')"

        kec = "'35.78.' || lpad(((i % 31) + 1)::text, 2, '0')"
        idtext = "i::text"
        true, false = "true", "false"
    else:
        rnd = "((random() & 1048575) / 1048576.0)"
        # MATERIALIZED: else SQLite flattens the subquery and draws random() anew at every reference of
        # r1..r5, and a row's fields disagree with each other (answered but without a response time, ...).
        series = (
            "WITH RECURSIVE g(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM g WHERE i < {hi}), "
            f"m AS MATERIALIZED (SELECT i, {rnd} AS r1, {rnd} AS r2, {rnd} AS r3, {rnd} AS r4, {rnd} AS r5 "
            "FROM g) SELECT * FROM m"
        )
        naive = NOW.replace(tzinfo=None).isoformat(sep=" ")

        def ts(days):
            return f"(strftime('%Y-%m-%d %H:%M:%S', julianday('{naive}') - ({days})) || '.000000')"

        kec = "'35.78.' || substr('0' || ((i % 31) + 1), -2)"
        idtext = "CAST(i AS TEXT)"
        true, false = "1", "0"
    # Days before NOW. Rows are inserted oldest first, as a live store fills in arrival order (so a day's
    # complaints share heap pages, as they would), spaced evenly with a random jitter of one row's gap.
    days = span_days(n_complaints)
    age = f"((({n_complaints} - i) + r1) * {days} / {n_complaints}.0)"
    # Every complaint is answered and then closed in the end, as in a working city: the backlog is the
    # recent days plus a thinning tail, not a share of every year frozen open. Days from creation to the
    # first response: 93 % within 1.5 days, the rest 2 to 30 days. Days from that to the closing: 85 %
    # within 3.4 days, the rest up to about 2 months.
    response_days = "(CASE WHEN r2 < 0.93 THEN r3 * 1.5 ELSE 2 + r3 * 28 END)"
    closing_days = "(CASE WHEN r4 < 0.85 THEN r4 * 4 ELSE 3.4 + (r4 - 0.85) * 400 END)"
    responded = f"({age} > {response_days})"
    resolved = f"({age} > {response_days} + {closing_days})"
    complaints = f"""
    INSERT INTO complaints (complaint_id, created_event_id, channel, category, created_opd, opd, kecamatan_code,
        kelurahan_code, location_method, lat, lon, sla_hours, created_at, due_at, status, status_at,
        first_response_at, first_response_channel, resolved_at, reopened_count, is_open, updated_at)
    SELECT 'c' || {idtext}, 'c' || {idtext}, {_pick(CHANNELS, "r5")}, {_pick(CATEGORIES, "r3")},
        {_pick(OPDS, "r4")}, {_pick(OPDS, "r4")}, CASE WHEN r5 < 0.97 THEN {kec} END, NULL,
        'code', NULL, NULL, 24, {ts(age)}, {ts(f"{age} - 1")},
        CASE WHEN {resolved} THEN 'resolved' WHEN {responded} THEN 'responded' ELSE 'received' END, {ts(age)},
        CASE WHEN {responded} THEN {ts(f"{age} - {response_days}")} END,
        CASE WHEN {responded} THEN CASE WHEN r2 < 0.6 THEN {_pick(CHANNELS, "r5")} ELSE 'phone' END END,
        CASE WHEN {resolved} THEN {ts(f"{age} - {response_days} - {closing_days}")} END,
        CASE WHEN r2 < 0.03 THEN 1 ELSE 0 END,
        CASE WHEN {resolved} THEN {false} ELSE {true} END, {ts(age)}
    FROM ({series}) s"""
    iage = f"((({n_incidents} - i) + r1) * {days} / {n_incidents}.0)"
    arrived = f"({iage} > 0.05 AND r2 < 0.95)"
    # Every incident is closed 20-80 minutes after its report, the 5 % without an arrival too (cancelled,
    # false alarm): the active incidents are the last hours' ones, not 5 % of a year's.
    closed = f"({iage} > 0.1)"
    incidents = f"""
    INSERT INTO incidents (incident_id, reported_event_id, category, priority, kecamatan_code, kelurahan_code,
        location_method, lat, lon, reported_at, call_answered_at, first_dispatched_at, first_arrived_at, closed_at,
        outcome, status, units_dispatched, is_active, updated_at)
    SELECT 'i' || {idtext}, 'i' || {idtext}, {_pick(INCIDENT_CATEGORIES, "r3")}, 1 + CAST(r4 * 3 AS INTEGER),
        CASE WHEN r5 < 0.98 THEN {kec} END, NULL, 'code', NULL, NULL, {ts(iage)},
        {ts(f"{iage} - r5 * 25 / 86400.0")}, {ts(f"{iage} - r4 * 3 / 1440.0")},
        CASE WHEN {arrived} THEN {ts(f"{iage} - (2 + r3 * 10 + r2 * 4) / 1440.0")} END,
        CASE WHEN {closed} THEN {ts(f"{iage} - (20 + r5 * 60) / 1440.0")} END,
        NULL, CASE WHEN {closed} THEN 'closed' WHEN {arrived} THEN 'on_scene' ELSE 'dispatched' END, 1,
        CASE WHEN {closed} THEN {false} ELSE {true} END, {ts(iage)}
    FROM ({series}) s"""
    egov = f"""
    INSERT INTO egov_readings (domain, metric, opd, period, value, target, unit, occurred_at, event_id)
    SELECT 'budgeting', 'apbd_realization_pct', {_pick(OPDS, "((i % 10) + 0.5) / 10.0")},
        '2026-' || substr('0' || ((i / 10) % 12 + 1), -2), r1 * 100, 80, 'pct', {ts("0")}, 'e' || {idtext}
    FROM ({series.format(lo=1, hi=120)}) s"""
    return (
        [complaints.format(lo=lo, hi=hi) for lo, hi in _chunks(n_complaints)]
        + [incidents.format(lo=lo, hi=hi) for lo, hi in _chunks(n_incidents)]
        + [egov]
    )


def _generate(engine, n_complaints: int, n_incidents: int) -> float:
    from data_sources.store.models import Complaint, Incident

    started = time.perf_counter()
    indexes = [ix for t in (Complaint.__table__, Incident.__table__) for ix in t.indexes]
    with engine.begin() as conn:
        # Bulk load without the secondary indexes, then build them in one sorted pass each: minutes faster.
        for ix in indexes:
            ix.drop(conn)
        for statement in _sql(engine.dialect.name, n_complaints, n_incidents):
            conn.execute(text(statement))
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        for ix in indexes:
            ix.create(conn)
    # Statistics and, on PostgreSQL, the visibility map: what autovacuum keeps up on a live database.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
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
        # the briefing's panels, as its callbacks compute them (each once per filter and data version)
        "briefing.panel_headline_30d": lambda c: briefing_data.headline_panel(c, month, now, COLUMNS_ON),
        "briefing.panel_previous_30d": lambda c: briefing_data.previous_panel(c, month, now, COLUMNS_ON),
        "briefing.panel_league_30d": lambda c: briefing_data.league_panel(c, month, now, COLUMNS_ON),
        "briefing.panel_trend_30d": lambda c: briefing_data.trend_panel(c, month, now, COLUMNS_ON),
        "briefing.panel_egov": lambda c: briefing_data.egov_panel(c, KpiFilter()),
        "briefing.panel_opds": lambda c: briefing_data.opd_codes(c),
    }


# The briefing's panels over a day, a quarter, a year and two years, and over a year with a filter of three
# values on each of two dimensions (issue 19 item 1: any period from a day to two years, any filter).
LONG_PERIODS = {"1d": 1, "90d": 90, "365d": 365, "730d": 730}
PANELS = ("headline", "previous", "league", "trend")


def period_queries(now: dt.datetime) -> dict:
    def last(days: int, **values) -> KpiFilter:
        return KpiFilter(
            date_from=now.date() - dt.timedelta(days=days - 1), date_to=now.date() + dt.timedelta(days=1), **values
        )

    filters = {name: last(days) for name, days in LONG_PERIODS.items()}
    filters["365d_filtered"] = last(365, channel=CHANNELS[:3], category=CATEGORIES[:3])
    out = {}
    for name, f in filters.items():
        for panel in PANELS:
            compute = getattr(briefing_data, f"{panel}_panel")
            # as the briefing computes it (its column copy), and beside it the SQL path (the copy switched off)
            out[f"briefing.panel_{panel}_{name}"] = lambda c, f=f, compute=compute: compute(c, f, now, COLUMNS_ON)
            out[f"briefing.panel_{panel}_{name}_sql"] = lambda c, f=f, compute=compute: compute(c, f, now)
    return out


def _load_columns(engine, figures: dict, name: str) -> None:
    """The briefing's column copy loaded as a server process loads it, its time and size as figures."""
    started = time.perf_counter()
    store = columns.ColumnStore.load(engine)
    figures[f"kpi.{name}.columns_load_s"] = round(time.perf_counter() - started, 1)
    figures[f"kpi.{name}.columns_mb"] = round(store.nbytes / 1e6, 1)
    columns.install(engine, store)


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


def _cached_p95(engine, redis_url: str, repeats: int = 200) -> dict:
    """p95 of a cache hit: in the worker that holds the result (its local LRU; the data version from its
    local copy, asked of Redis again every VERSION_TTL_S), and in another worker that must GET the shared
    result from Redis (its LRU emptied before each call)."""
    import uuid

    from dashboard.settings import Settings
    from data_sources.kpi.cache import KpiCache
    from data_sources.stream.connection import connect

    settings = Settings(redis_url=redis_url, stream_prefix=f"bench-{uuid.uuid4().hex[:8]}")
    client = connect(settings)
    cache, other = KpiCache(client, settings), KpiCache(client, settings)
    fn = queries(NOW)["wall.complaints_today"]

    def compute():
        with engine.connect() as conn:
            return fn(conn)

    local, shared = [], []
    try:
        cache.get_or_compute("wall.complaints_today", "bench", compute)
        other.get_or_compute("wall.complaints_today", "bench", compute)
        for _ in range(repeats):
            started = time.perf_counter()
            cache.get_or_compute("wall.complaints_today", "bench", compute)
            local.append((time.perf_counter() - started) * 1000)
            other._local.clear()
            started = time.perf_counter()
            other.get_or_compute("wall.complaints_today", "bench", compute)
            shared.append((time.perf_counter() - started) * 1000)
            time.sleep(0.002)  # spread the calls over several version TTLs
    finally:
        for key in client.scan_iter(f"{settings.stream_prefix}:*"):
            client.delete(key)
        client.close()
    return {
        "kpi.cached_p95_ms": round(summary(local)["p95"], 3),
        "kpi.cached_other_worker_p95_ms": round(summary(shared)["p95"], 3),
    }


def run(
    quick: bool = False,
    *,
    complaints: int | None = None,
    databases: tuple[str, ...] | None = None,
    database_url: str | None = None,
    sqlite_dir: Path | None = None,
    redis_url: str | None = None,
) -> dict:
    """Figures kpi.<query>.<database>.p50_ms / p95_ms, generation times and kpi.cached_p95_ms.

    `complaints`: how many (incidents a fifth of it); the default 1,000,000 (--quick 100,000). Beyond
    1,000,000 only PostgreSQL unless `databases` says otherwise (SQLite's goal is at 1,000,000)."""
    from tests.support.services import PostgresDatabase, shared_redis_url

    n_complaints = complaints or (100_000 if quick else 1_000_000)
    n_incidents = n_complaints // 5
    databases = databases or (("postgresql", "sqlite") if n_complaints <= 1_000_000 else ("postgresql",))
    repeats, long_repeats = (20, 5) if quick else (40, 7)
    figures: dict = {
        "kpi.complaints": n_complaints,
        "kpi.incidents": n_incidents,
        "kpi.span_days": span_days(n_complaints),
        "kpi.long_period_repeats": long_repeats,
    }
    database = None if database_url or "postgresql" not in databases else PostgresDatabase()
    handle = None
    if redis_url is None:
        redis_url, handle = shared_redis_url()
    tmp = tempfile.TemporaryDirectory()
    try:
        urls = {
            "postgresql": database_url or (database.url if database else None),
            "sqlite": f"sqlite:///{(sqlite_dir or Path(tmp.name)) / 'kpi-bench.db'}",
        }
        for name in databases:
            engine = make_engine(urls[name])
            upgrade(engine)
            figures[f"kpi.{name}.generate_s"] = round(_generate(engine, n_complaints, n_incidents), 1)
            print(f"kpi: {n_complaints:,} complaints generated on {name}", file=sys.stderr, flush=True)
            _load_columns(engine, figures, name)
            timed = [(q, fn, repeats) for q, fn in queries(NOW).items()]
            timed += [(q, fn, long_repeats) for q, fn in period_queries(NOW).items()]
            for query, fn, n in timed:
                for stat, value in _time(engine, fn, n).items():
                    figures[f"kpi.{query}.{name}.{stat}"] = value
            for query in period_queries(NOW):  # the column copy against the SQL path, measured in this run
                if not query.endswith("_sql"):
                    copy, sql = figures[f"kpi.{query}.{name}.p95_ms"], figures[f"kpi.{query}_sql.{name}.p95_ms"]
                    figures[f"kpi.{query}.{name}.sql_p95_over_copy_p95"] = round(sql / max(copy, 1e-3), 1)
            if name == "postgresql":
                figures.update(_cached_p95(engine, redis_url))
            columns.forget(engine)
            engine.dispose()
    finally:
        tmp.cleanup()
        if database is not None:
            database.drop()
        if handle is not None:
            handle.close()
    return figures


if __name__ == "__main__":  # python -m bench.kpi [--quick] [--complaints N] [--databases postgresql,sqlite]
    import argparse

    from bench.common import update_results

    parser = argparse.ArgumentParser(prog="python -m bench.kpi")
    parser.add_argument("--quick", action="store_true", help="100,000 complaints")
    parser.add_argument("--complaints", type=int, help="complaints to generate (incidents: a fifth)")
    parser.add_argument("--databases", help="postgresql,sqlite (default: both up to 1,000,000, else postgresql)")
    args = parser.parse_args()
    chosen = tuple(d.strip() for d in args.databases.split(",")) if args.databases else None
    result = run(args.quick, complaints=args.complaints, databases=chosen)
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    print(f"written to {update_results(result)}")
