"""112 incident figures of a period: answer, dispatch, response and on-scene times, active incidents.

An interval whose end is stamped before its start (an arrival before its report: clock skew between
systems) is a data error: it is counted in `*_negative` and left out of that interval's statistics.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Connection

from dashboard import kpi
from dashboard.filters import KpiFilter
from data_sources.kpi_queries import in_values, percentiles, period_bounds, scaled, seconds_between
from data_sources.models import Incident

I = Incident.__table__.c
QS = (0.5, 0.9)
CITY_SECONDS = kpi.CITY_RESPONSE_MINUTES * 60


def incident_where(f: KpiFilter) -> list:
    conds = period_bounds(I.reported_at, f)
    if f.incident_category:
        conds.append(I.category.in_(f.incident_category))
    if f.kecamatan:
        conds.append(in_values(I.kecamatan_code, f.kecamatan, unknown="unknown"))
    return conds


def _count(cond):
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def period_figures(conn: Connection, f: KpiFilter, now: dt.datetime, groups: bool = True) -> dict:
    where = incident_where(f)
    response = seconds_between(conn, I.first_arrived_at, I.reported_at)
    answer = seconds_between(conn, I.call_answered_at, I.reported_at)
    r2d = seconds_between(conn, I.first_dispatched_at, I.reported_at)
    d2a = seconds_between(conn, I.first_arrived_at, I.first_dispatched_at)
    scene = seconds_between(conn, I.closed_at, I.first_arrived_at)
    valid_response = and_(I.first_arrived_at.isnot(None), response >= 0)
    valid_answer = and_(I.call_answered_at.isnot(None), answer >= 0)
    row = conn.execute(select(
        func.count().label("reported"),
        _count(I.first_arrived_at.isnot(None)).label("with_arrival"),
        _count(valid_response).label("measured"),
        _count(response < 0).label("response_negative"),
        func.avg(case((valid_response, response))).label("mean"),
        _count(and_(valid_response, response <= CITY_SECONDS)).label("within_city"),
        _count(valid_answer).label("answered"),
        _count(answer < 0).label("answer_negative"),
        _count(and_(valid_answer, answer <= 15)).label("within_15"),
        _count(and_(valid_answer, answer <= 20)).label("within_20"),
        _count(I.is_active.is_(True)).label("active"),
    ).where(*where)).one()._mapping

    def pcts(expr, cond):
        return percentiles(conn, expr, where + [cond, expr >= 0], QS).get((), [None, None])

    resp = pcts(response, I.first_arrived_at.isnot(None))
    ans = pcts(answer, I.call_answered_at.isnot(None))
    disp = pcts(r2d, I.first_dispatched_at.isnot(None))
    travel = pcts(d2a, and_(I.first_dispatched_at.isnot(None), I.first_arrived_at.isnot(None)))
    on_scene = pcts(scene, and_(I.first_arrived_at.isnot(None), I.closed_at.isnot(None)))
    measured, answered = int(row["measured"]), int(row["answered"])
    figures = {
        "reported": int(row["reported"]),
        "with_arrival": int(row["with_arrival"]),
        "response_measured": measured,
        "response_negative": int(row["response_negative"]),
        "response_mean_min": scaled(_float(row["mean"]), 60),
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
        figures["by_category"] = grouped(conn, f, I.category)
        figures["by_kecamatan"] = grouped(conn, f, func.coalesce(I.kecamatan_code, "unknown"))
    return figures


def grouped(conn: Connection, f: KpiFilter, key) -> dict:
    """Response figures per category or kecamatan: count, measured, mean, p50, p90, share within 7.4 min."""
    where = incident_where(f)
    response = seconds_between(conn, I.first_arrived_at, I.reported_at)
    valid = and_(I.first_arrived_at.isnot(None), response >= 0)
    rows = conn.execute(select(
        key.label("k"), func.count(), _count(valid), func.avg(case((valid, response))),
        _count(and_(valid, response <= CITY_SECONDS)),
    ).where(*where).group_by(key).order_by(key)).all()
    pcts = percentiles(conn, response, where + [valid], QS, group_by=(key,))
    out = {}
    for k, reported, measured, mean, within in rows:
        p = pcts.get((k,), [None, None])
        out[k] = {"reported": int(reported), "response_measured": int(measured),
                  "response_mean_min": scaled(_float(mean), 60), "response_p50_min": scaled(p[0], 60),
                  "response_p90_min": scaled(p[1], 60), "within_7_4_min_pct": kpi.pct(int(within), int(measured))}
    return out


def active_incidents(conn: Connection, f: KpiFilter, now: dt.datetime, limit: int = 200) -> dict:
    """Active incidents (no closing yet) with their elapsed time at `now`, oldest first; any period."""
    where = incident_where(KpiFilter(kecamatan=f.kecamatan, incident_category=f.incident_category))
    where += [I.is_active.is_(True), I.reported_at <= now]
    total = conn.execute(select(func.count()).where(*where).select_from(Incident.__table__)).scalar_one()
    rows = conn.execute(
        select(I.incident_id, I.category, I.priority, I.kecamatan_code, I.status, I.reported_at,
               I.first_dispatched_at, I.first_arrived_at)
        .where(*where).order_by(I.reported_at, I.incident_id).limit(limit)).all()
    items = []
    for r in rows:
        reported = r.reported_at if r.reported_at.tzinfo else r.reported_at.replace(tzinfo=dt.timezone.utc)
        items.append({
            "incident_id": r.incident_id, "category": r.category, "priority": r.priority,
            "kecamatan_code": r.kecamatan_code, "status": r.status, "reported_at": reported.isoformat(),
            "dispatched": r.first_dispatched_at is not None, "arrived": r.first_arrived_at is not None,
            "elapsed_s": round((now - reported).total_seconds(), 3),
        })
    return {"active": int(total), "incidents": items}


def _float(x):
    return None if x is None else float(x)
