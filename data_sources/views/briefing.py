"""The briefing's panel data: the KPI engine's figures for one filter, each panel computed once per
(filter, data version, clock minute) for every viewer through the KpiCache.

Panels are separate cache entries so that the page's parallel callbacks do not wait for each other: the
headline (which also feeds the 112 segments and the map), the OPD league, the trends, the
e-government panel and the PPID league. Everything here is aggregates: no personal_* table is read (see briefing_personal).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from sqlalchemy import DateTime, Float, Integer, and_, column, func, literal, select, text, true, values
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from dashboard import kpi
from dashboard.briefing import previous_filter
from dashboard.filters import KpiFilter
from data_sources.kpi import column_figures, columns
from data_sources.kpi import complaints as kpi_complaints
from data_sources.kpi import egov as kpi_egov
from data_sources.kpi import info_requests as kpi_info
from data_sources.kpi.cache import KpiCache, clock_bucket
from data_sources.kpi.complaints import QS, C, complaint_where, sla_parts
from data_sources.kpi.headline import headline, period_figures
from data_sources.kpi.incidents import I, incident_where
from data_sources.kpi.queries import UNASSIGNED, is_postgres, percentile_sets, scaled, tune_for_periods
from data_sources.store.models import InfoRequest

CLOCK_BUCKET_S = 60  # SLA rates and backlog ages move with the clock: a result is good for a minute
WEEKLY_FROM_DAYS = 92  # longer periods are drawn per week
EGOV_TREND_PERIODS = 12
PANELS = ("headline", "previous", "league", "trend", "egov", "opds", "codes", "ppid")
UNBOUNDED = ("opds", "codes")  # one fixed key each: no storm of filters can multiply them


def cached(cache: KpiCache, panel: str, f: KpiFilter, now: dt.datetime, compute: Callable[[], Any]) -> Any:
    if panel not in PANELS:
        raise ValueError(panel)
    key = f"{f.key()}&bucket={clock_bucket(now, CLOCK_BUCKET_S)}"
    return cache.get_or_compute(f"briefing.{panel}", key, compute, bounded=panel not in UNBOUNDED)


@contextmanager
def column_copy(conn: Connection, settings=None):
    """The current column copy (kpi.columns) held for the panel's computation, or None: the SQL path, for
    which the transaction is tuned for long periods (tune_for_periods)."""
    store = columns.current(conn, settings)
    if store is None:
        tune_for_periods(conn, settings)
    try:
        yield store
    finally:
        if store is not None:
            store.lock.release()


def headline_panel(conn: Connection, f: KpiFilter, now: dt.datetime, settings=None) -> dict:
    """kpi_queries.headline of the period (the tiles, the 112 segments and the map read it)."""
    with column_copy(conn, settings) as store:
        return headline(conn, f, now, settings, columns=store)


def previous_panel(conn: Connection, f: KpiFilter, now: dt.datetime, settings=None) -> dict:
    """The complaint and 112 figures of the period of equal length before `f`'s: a cache entry of its own,
    computed beside the headline's rather than after it."""
    prev = previous_filter(f)
    with column_copy(conn, settings) as store:
        before, incidents = period_figures(conn, prev, now, columns=store, groups=False)
    before.pop("by_kecamatan", None)
    return {"complaints": before, "incidents": incidents, "filters": prev.as_dict()}


def league_panel(conn: Connection, f: KpiFilter, now: dt.datetime, settings=None) -> list[dict]:
    """kpi_complaints.opd_league, each OPD with its complaints received, first-response p50/p90 (hours) and
    its backlog: complaints open now (any creation date, same value filters) and those past their deadline
    unanswered."""
    min_sample = int(getattr(settings, "kpi_min_sample", None) or kpi.DEFAULT_MIN_SAMPLE)
    with column_copy(conn, settings) as store:
        if store is not None:
            counts = column_figures.opd_counts(store, f, now)
            times = column_figures.opd_response_times(store, f, now)
            backlog = column_figures.opd_backlog(store, f, now)
        else:
            counts, times, backlog = _league_sql(conn, f, now)
    league = kpi_complaints.opd_league(conn, f, now, min_sample, counts)
    received = {o: n for o, _, _, n in counts}
    # Complaints not yet given to a department are shown, last and unranked: "unassigned" is no OPD.
    league = [r for r in league if r["opd"] != UNASSIGNED] + [
        {**r, "ranked": False} for r in league if r["opd"] == UNASSIGNED
    ]
    out, rank = [], 0
    for row in league:
        if row["ranked"]:
            rank += 1
        p = times.get(row["opd"], [None, None])
        open_now, overdue = backlog.get(row["opd"], (0, 0))
        out.append(
            {
                **row,
                "rank": rank if row["ranked"] else None,
                "received": int(received.get(row["opd"], 0)),
                "first_response_p50_h": scaled(p[0], 3600),
                "first_response_p90_h": scaled(p[1], 3600),
                "open": open_now,
                "overdue_open": overdue,
            }
        )
    return out


def _league_sql(conn: Connection, f: KpiFilter, now: dt.datetime):
    """The league's counts per OPD (one pass over the period), first-response [p50, p90] per OPD and backlog
    per OPD ({OPD: (open now, past the deadline unanswered)}), from the table."""
    opd = func.coalesce(C.opd, UNASSIGNED)
    answered, _, _ = sla_parts(now)
    counts = kpi_complaints.opd_counts(conn, f, now)
    response = C.first_response_s
    times = percentile_sets(conn, [("first", response, complaint_where(f) + [answered, response >= 0], opd)], QS)
    awaiting = and_(C.first_response_at.is_(None), C.due_at <= now)
    backlog = {
        r[0]: (int(r[1]), int(r[2]))
        for r in conn.execute(
            select(opd, func.count(), func.count().filter(awaiting))
            .where(*complaint_where(f, with_period=False), C.is_open.is_(True))
            .group_by(opd)
        ).all()
    }
    return counts, times["first"], backlog


def ppid_scope(f: KpiFilter) -> KpiFilter:
    """The PPID panel's filter: the period and the OPDs. A request has no kecamatan or complaint category,
    and its channels (letter, walk-in, ...) are not the complaints' that the channel filter offers."""
    return KpiFilter(f.date_from, f.date_to, opd=f.opd)


def ppid_panel(conn: Connection, f: KpiFilter, now: dt.datetime, settings=None) -> dict:
    """kpi_info.league of the period: every OPD's PPID figures, ranked by the lower Wilson bound of its
    share answered by the deadline, and the city's figures."""
    min_sample = int(getattr(settings, "ppid_min_sample", None) or kpi.DEFAULT_MIN_SAMPLE)
    return kpi_info.league(conn, ppid_scope(f), now, min_sample)


def _bucket(column, weekly: bool):
    """SQLite: the WIB day (or the Monday of its week) of a stored UTC time, as YYYY-MM-DD."""
    if weekly:
        return func.date(column, "+7 hours", "weekday 0", "-6 days")
    return func.date(column, "+7 hours")


def trend_panel(conn: Connection, f: KpiFilter, now: dt.datetime, settings=None) -> dict:
    """Per day (per week beyond WEEKLY_FROM_DAYS): complaints received, SLA rate, first-response p50 (h),
    112 reports and response p50/p90 (min), by the same rules as the period figures."""
    weekly = (f.date_to - f.date_from).days > WEEKLY_FROM_DAYS
    with column_copy(conn, settings) as store:
        if store is not None:
            complaints, first = column_figures.complaint_trend(store, f, now, weekly)
            reported, ipct = column_figures.incident_trend(store, f, weekly)
        else:
            trend = _trend_by_ranges if is_postgres(conn) else _trend_grouped
            complaints, first, reported, ipct = trend(conn, f, now, weekly)
    buckets = _all_buckets(f, weekly)
    series = []
    for b in buckets:
        received, w, measured = complaints.get(b, (0, 0, 0))
        fp = first.get(b, [None, None])
        rp = ipct.get(b, [None, None])
        series.append(
            {
                "bucket": b,
                "received": received,
                "within": w,
                "sla_measured": measured,
                "sla_pct": kpi.pct(w, measured),
                "first_response_p50_h": scaled(fp[0], 3600),
                "incidents": int(reported.get(b, 0)),
                "response_p50_min": scaled(rp[0], 60),
                "response_p90_min": scaled(rp[1], 60),
            }
        )
    return {"weekly": weekly, "series": series}


def _trend_grouped(conn: Connection, f: KpiFilter, now: dt.datetime, weekly: bool):
    """SQLite: the period's rows grouped by their bucket (a text date computed per row), then the
    percentiles per bucket from one scan (percentile_sets)."""
    answered, within, overdue = sla_parts(now)
    day = _bucket(C.created_at, weekly)
    cwhere = complaint_where(f)
    counts = conn.execute(
        select(
            day,
            func.count(),
            func.count().filter(within),
            func.count().filter(answered) + func.count().filter(overdue),
        )
        .where(*cwhere)
        .group_by(day)
    ).all()
    response = C.first_response_s
    first = percentile_sets(conn, [("f", response, cwhere + [answered, response >= 0], day)], QS)["f"]
    iday = _bucket(I.reported_at, weekly)
    iwhere = incident_where(f)
    iresp = I.response_s
    reported = dict(conn.execute(select(iday, func.count()).where(*iwhere).group_by(iday)).all())
    ipct = percentile_sets(conn, [("r", iresp, iwhere + [I.first_arrived_at.isnot(None), iresp >= 0], iday)], QS)["r"]
    return {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in counts}, first, reported, ipct


def _trend_by_ranges(conn: Connection, f: KpiFilter, now: dt.datetime, weekly: bool):
    """PostgreSQL: each bucket's figures from its own range of the time index (a LATERAL subquery per
    bucket, its counts and percentiles in one pass over its rows).

    Grouping by a bucket computed per row cost a timezone conversion per row and a sort of the whole
    period (spilling to disk over a year) before the percentiles' own sorts; a bucket's range is its
    rows in time order already, and its values are sorted alone. The range of WIB day D is
    [D 00:00, D+1 00:00) in Asia/Jakarta, converted by PostgreSQL itself: exactly the rows whose WIB
    date is D (the zone has kept one offset, without daylight saving, since 1964).
    """
    answered, within, overdue = sla_parts(now)
    step = dt.timedelta(days=7 if weekly else 1)
    starts = [dt.datetime.fromisoformat(b) for b in _all_buckets(f, weekly)]
    ranges = values(column("k", Integer), column("lo", DateTime()), column("hi", DateTime()), name="buckets").data(
        [(i, start, start + step) for i, start in enumerate(starts)]
    )
    lo, hi = func.timezone("Asia/Jakarta", ranges.c.lo), func.timezone("Asia/Jakarta", ranges.c.hi)
    wanted = postgresql.array([literal(q, Float()) for q in QS])
    response, iresp = C.first_response_s, I.response_s
    complaints = (
        select(
            func.count().label("n"),
            func.count().filter(within).label("within"),
            (func.count().filter(answered) + func.count().filter(overdue)).label("measured"),
            func.percentile_cont(wanted)
            .within_group(response)
            .filter(and_(answered, response >= 0, response.isnot(None)))
            .label("p"),
        )
        .where(*complaint_where(f), C.created_at >= lo, C.created_at < hi)
        .lateral("c")
    )
    valid = and_(I.first_arrived_at.isnot(None), iresp >= 0, iresp.isnot(None))
    incidents = (
        select(func.count().label("n"), func.percentile_cont(wanted).within_group(iresp).filter(valid).label("p"))
        .where(*incident_where(f), I.reported_at >= lo, I.reported_at < hi)
        .lateral("i")
    )
    rows = conn.execute(
        select(ranges.c.k, complaints.c.n, complaints.c.within, complaints.c.measured, complaints.c.p)
        .select_from(ranges.join(complaints, true()))
        .order_by(ranges.c.k)
    ).all()
    irows = conn.execute(
        select(ranges.c.k, incidents.c.n, incidents.c.p)
        .select_from(ranges.join(incidents, true()))
        .order_by(ranges.c.k)
    ).all()
    names = [start.date().isoformat() for start in starts]
    counts = {names[r.k]: (int(r.n), int(r.within), int(r.measured)) for r in rows if r.n}
    first = {names[r.k]: [float(x) for x in r.p] for r in rows if r.p is not None}
    reported = {names[r.k]: int(r.n) for r in irows if r.n}
    ipct = {names[r.k]: [float(x) for x in r.p] for r in irows if r.p is not None}
    return counts, first, reported, ipct


def _all_buckets(f: KpiFilter, weekly: bool) -> list[str]:
    """Every day (or week) of the period, so a day without complaints shows as zero, not as a gap."""
    day = f.date_from - dt.timedelta(days=f.date_from.weekday()) if weekly else f.date_from
    step = dt.timedelta(days=7 if weekly else 1)
    out = []
    while day < f.date_to:
        out.append(day.isoformat())
        day += step
    return out


def egov_panel(conn: Connection, f: KpiFilter, settings=None, now: dt.datetime | None = None) -> dict:
    """kpi_egov.latest per OPD (the OPD filter applies; the city row stays) and each city metric's trend."""
    latest = kpi_egov.latest(conn, opd=f.opd, settings=settings, now=now)
    trends = {}
    for r in latest:
        if r["opd"] == kpi_egov.CITY:
            trends[f"{r['domain']}/{r['metric']}"] = kpi_egov.trend(
                conn, r["domain"], r["metric"], kpi_egov.CITY, EGOV_TREND_PERIODS
            )
    return {"latest": latest, "trends": trends}


def _skip_scan(column: str):
    """DISTINCT `column` of complaints by jumping from one value to the next in its index (PostgreSQL)."""
    return text(f"""
    WITH RECURSIVE o(v) AS (
        (SELECT {column} FROM complaints WHERE {column} IS NOT NULL ORDER BY {column} LIMIT 1)
        UNION ALL
        SELECT (SELECT c.{column} FROM complaints c WHERE c.{column} > o.v ORDER BY c.{column} LIMIT 1)
        FROM o WHERE o.v IS NOT NULL
    ) SELECT v FROM o WHERE v IS NOT NULL""")


_OPDS_SKIP_SCAN = _skip_scan("opd")
_CATEGORIES_SKIP_SCAN = _skip_scan("category")


def opd_codes(conn: Connection) -> list[str]:
    """Department codes seen in complaints, e-government readings and information requests: the OPD filter's
    choices (a PPID whose department has no complaint yet is still a department).

    PostgreSQL reads a DISTINCT by scanning the whole index; the recursive query jumps from one code to
    the next in ix_complaints_opd_created instead (a few dozen probes). SQLite skip-scans on its own."""
    if is_postgres(conn):
        found = {r[0] for r in conn.execute(_OPDS_SKIP_SCAN)}
    else:
        found = {r[0] for r in conn.execute(select(C.opd).where(C.opd.isnot(None)).distinct())}
    found |= {r[0] for r in conn.execute(select(kpi_egov.E.opd).distinct()) if r[0] != kpi_egov.CITY}
    found |= {r[0] for r in conn.execute(select(InfoRequest.opd).distinct())}
    return sorted(found)


def known_codes(conn: Connection) -> dict[str, list[str]]:
    """The department and complaint category codes the data holds: what a user's filter may name
    (dashboard.filters.KnownCodes)."""
    if is_postgres(conn):
        categories = {r[0] for r in conn.execute(_CATEGORIES_SKIP_SCAN)}
    else:
        categories = {r[0] for r in conn.execute(select(C.category).distinct())}
    return {"opd": opd_codes(conn), "category": sorted(categories)}
