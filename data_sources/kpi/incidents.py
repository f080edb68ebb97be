"""112 incident figures of a period: answer, dispatch, response and on-scene times, active incidents.

An interval whose end is stamped before its start (an arrival before its report: clock skew between
systems) is a data error: it is counted in `*_negative` and left out of that interval's statistics.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from dashboard import kpi
from dashboard.filters import KpiFilter
from data_sources.kpi.queries import (
    UNKNOWN,
    combine_groups,
    in_values,
    percentile_sets,
    percentile_sets_statement,
    period_bounds,
    scaled,
)
from data_sources.store.models import Incident

I = Incident.__table__.c
QS = (0.5, 0.9)
CITY_SECONDS = kpi.CITY_RESPONSE_MINUTES * 60


def incident_where(f: KpiFilter) -> list:
    conds = period_bounds(I.reported_at, f)
    if f.incident_category:
        conds.append(I.category.in_(f.incident_category))
    if f.kecamatan:
        conds.append(in_values(I.kecamatan_code, f.kecamatan, unknown=UNKNOWN))
    return conds


def _count(cond):
    """count(*) FILTER (WHERE cond): PostgreSQL and SQLite (3.30+) both take the FILTER clause."""
    return func.count().filter(cond)


_STATEMENTS: dict = {}  # (dialect, filter, groups) -> (grouped counts statement, percentile statement, decoder)
_STATEMENTS_MAX = 64


def _statements(conn: Connection, f: KpiFilter, groups: bool):
    """The two statements of period_figures, built once per (dialect, filter): building them costs more
    Python time than the database takes to answer them for a day (they depend on the filter, not on now)."""
    key = (conn.dialect.name, f, groups)
    found = _STATEMENTS.get(key)
    if found is not None:
        return found
    where = incident_where(f)
    response = I.response_s
    answer = I.answer_s
    r2d = I.dispatch_s
    d2a = I.travel_s
    scene = I.on_scene_s
    valid_response = and_(I.first_arrived_at.isnot(None), response >= 0)
    valid_answer = and_(I.call_answered_at.isnot(None), answer >= 0)
    kec = func.coalesce(I.kecamatan_code, UNKNOWN)
    counts = (
        select(
            I.category,
            kec,
            func.count(),
            _count(I.first_arrived_at.isnot(None)),
            _count(valid_response),
            _count(response < 0),
            func.sum(response).filter(valid_response),
            _count(and_(valid_response, response <= CITY_SECONDS)),
            _count(valid_answer),
            _count(answer < 0),
            _count(and_(valid_answer, answer <= 15)),
            _count(and_(valid_answer, answer <= 20)),
            _count(I.is_active.is_(True)),
        )
        .where(*where)
        .group_by(I.category, kec)
    )
    specs = [
        ("response", response, where + [I.first_arrived_at.isnot(None), response >= 0], None),
        ("answer", answer, where + [I.call_answered_at.isnot(None), answer >= 0], None),
        ("dispatch", r2d, where + [I.first_dispatched_at.isnot(None), r2d >= 0], None),
        ("travel", d2a, where + [I.first_dispatched_at.isnot(None), I.first_arrived_at.isnot(None), d2a >= 0], None),
        ("scene", scene, where + [I.first_arrived_at.isnot(None), I.closed_at.isnot(None), scene >= 0], None),
    ]
    if groups:
        specs += [
            ("by_category", response, where + [valid_response], I.category),
            ("by_kecamatan", response, where + [valid_response], kec),
        ]
    found = (counts, *percentile_sets_statement(conn, specs, QS))
    if len(_STATEMENTS) >= _STATEMENTS_MAX:
        _STATEMENTS.clear()  # a wall asks for one filter a day; many filters are the briefing's, rarely repeated
    _STATEMENTS[key] = found
    return found


NAMES = (
    "reported",
    "with_arrival",
    "measured",
    "response_negative",
    "response_sum",
    "within_city",
    "answered",
    "answer_negative",
    "within_15",
    "within_20",
    "active",
)
PERCENTILE_SETS = ("response", "answer", "dispatch", "travel", "scene")


def period_figures(conn: Connection, f: KpiFilter, now: dt.datetime, groups: bool = True) -> dict:
    """The period's figures in two round trips: the counts grouped by (category, kecamatan), summed here into
    the totals and the two splits; then every percentile, overall and per group, in one statement."""
    counts, percentile_stmt, decode = _statements(conn, f, groups)
    totals, (by_category, by_kec) = combine_groups(conn.execute(counts).all(), 2)
    row = dict(zip(NAMES, totals or [0] * len(NAMES)))
    sets = decode(conn.execute(percentile_stmt))
    return figures_of(row, sets, by_category, by_kec, groups)


def figures_of(row: dict, sets: dict, by_category: dict, by_kec: dict, groups: bool) -> dict:
    """The period's figures from its counts (`row`, by NAMES), percentile sets ({set: {group or None: [p50,
    p90]}}) and the counts per category and kecamatan: from SQL here, from the column copy in column_figures."""

    def overall(name):
        return sets[name].get(None, [None, None])

    resp, ans, disp, travel, on_scene = (overall(n) for n in PERCENTILE_SETS)
    measured, answered = int(row["measured"]), int(row["answered"])
    figures = {
        "reported": int(row["reported"]),
        "with_arrival": int(row["with_arrival"]),
        "response_measured": measured,
        "response_negative": int(row["response_negative"]),
        "response_mean_min": scaled(_mean(row["response_sum"], measured), 60),
        "city_response_mean_min": kpi.CITY_RESPONSE_MINUTES,
        "response_p50_min": scaled(resp[0], 60),
        "response_p90_min": scaled(resp[1], 60),
        "within_7_4_min_pct": kpi.pct(int(row["within_city"]), measured),
        "answered_calls": answered,
        "answer_negative": int(row["answer_negative"]),
        "answer_p50_s": scaled(ans[0], 1, 3),
        "answer_p90_s": scaled(ans[1], 1, 3),
        "answered_within_15s_pct": kpi.pct(int(row["within_15"]), answered),
        "answered_within_20s_pct": kpi.pct(int(row["within_20"]), answered),
        "report_to_dispatch_p50_min": scaled(disp[0], 60),
        "report_to_dispatch_p90_min": scaled(disp[1], 60),
        "dispatch_to_arrival_p50_min": scaled(travel[0], 60),
        "dispatch_to_arrival_p90_min": scaled(travel[1], 60),
        "on_scene_p50_min": scaled(on_scene[0], 60),
        "on_scene_p90_min": scaled(on_scene[1], 60),
        "active": int(row["active"]),
    }
    if groups:
        figures["by_category"] = _grouped_figures(by_category, sets["by_category"], NAMES)
        figures["by_kecamatan"] = _grouped_figures(by_kec, sets["by_kecamatan"], NAMES)
    return figures


def _grouped_figures(sums: dict, pcts: dict, names) -> dict:
    """Response figures per category or kecamatan: count, measured, mean, p50, p90, share within 7.4 min."""
    out = {}
    for k in sorted(sums):
        v = dict(zip(names, sums[k]))
        measured = int(v["measured"])
        p = pcts.get(k, [None, None])
        out[k] = {
            "reported": int(v["reported"]),
            "response_measured": measured,
            "response_mean_min": scaled(_mean(v["response_sum"], measured), 60),
            "response_p50_min": scaled(p[0], 60),
            "response_p90_min": scaled(p[1], 60),
            "within_7_4_min_pct": kpi.pct(int(v["within_city"]), measured),
        }
    return out


def grouped(conn: Connection, f: KpiFilter, key) -> dict:
    """Response figures per category or kecamatan (a single split; period_figures computes both at once)."""
    where = incident_where(f)
    response = I.response_s
    valid = and_(I.first_arrived_at.isnot(None), response >= 0)
    names = ("reported", "measured", "response_sum", "within_city")
    rows = conn.execute(
        select(
            key.label("k"),
            func.count(),
            _count(valid),
            func.sum(response).filter(valid),
            _count(and_(valid, response <= CITY_SECONDS)),
        )
        .where(*where)
        .group_by(key)
    ).all()
    pcts = percentile_sets(conn, [("g", response, where + [valid], key)], QS)["g"]
    return _grouped_figures({r[0]: [0 if x is None else x for x in r[1:]] for r in rows}, pcts, names)


def _mean(total, n: int):
    return None if not n or total is None else float(total) / n


def _active_where(f: KpiFilter, now: dt.datetime) -> list:
    """Reported by `now` and not closed yet; any period (an incident open since last week is active)."""
    where = incident_where(KpiFilter(kecamatan=f.kecamatan, incident_category=f.incident_category))
    return where + [I.is_active.is_(True), I.reported_at <= now]


def active_counts(conn: Connection, f: KpiFilter, now: dt.datetime) -> dict:
    """How many incidents are active at `now`, and per category (most first): the live page's card."""
    rows = conn.execute(
        select(I.category, func.count())
        .where(*_active_where(f, now))
        .group_by(I.category)
        .order_by(func.count().desc(), I.category)
    ).all()
    by_category = {category: int(n) for category, n in rows}
    return {"active": sum(by_category.values()), "by_category": by_category}


def active_incidents(conn: Connection, f: KpiFilter, now: dt.datetime, limit: int = 200) -> dict:
    """Active incidents (no closing yet) with their elapsed time at `now`, oldest first; any period."""
    where = _active_where(f, now)
    rows = conn.execute(
        select(
            I.incident_id,
            I.category,
            I.priority,
            I.kecamatan_code,
            I.status,
            I.reported_at,
            I.first_dispatched_at,
            I.first_arrived_at,
            func.count().over().label("total"),
        )
        .where(*where)
        .order_by(I.reported_at, I.incident_id)
        .limit(limit)
    ).all()
    # The window counts every matching row before LIMIT: one round trip for the list and the total.
    total = rows[0].total if rows else 0
    if limit == 0:
        total = conn.execute(select(func.count()).where(*where).select_from(Incident.__table__)).scalar_one()
    items = []
    for r in rows:
        reported = r.reported_at if r.reported_at.tzinfo else r.reported_at.replace(tzinfo=dt.UTC)
        items.append(
            {
                "incident_id": r.incident_id,
                "category": r.category,
                "priority": r.priority,
                "kecamatan_code": r.kecamatan_code,
                "status": r.status,
                "reported_at": reported.isoformat(),
                "dispatched": r.first_dispatched_at is not None,
                "arrived": r.first_arrived_at is not None,
                "elapsed_s": round((now - reported).total_seconds(), 3),
            }
        )
    return {"active": int(total), "incidents": items}


def _float(x):
    return None if x is None else float(x)
