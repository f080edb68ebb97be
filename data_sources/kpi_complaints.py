"""Complaint figures of a period under a filter, the SLA states of open complaints, the OPD league."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.engine import Connection

from dashboard import kpi
from dashboard.filters import KpiFilter
from dashboard.sla import SlaPolicy, policy_from_settings
from data_sources.kpi_queries import (
    epoch_seconds, in_values, percentiles, period_bounds, scaled, seconds_between,
)
from data_sources.models import Complaint

C = Complaint.__table__.c
QS = (0.5, 0.9)


def complaint_where(f: KpiFilter, with_period: bool = True) -> list:
    conds = period_bounds(C.created_at, f) if with_period else []
    if f.opd:
        conds.append(C.opd.in_(f.opd))
    if f.kecamatan:
        conds.append(in_values(C.kecamatan_code, f.kecamatan, unknown="unknown"))
    if f.channel:
        conds.append(C.channel.in_(f.channel))
    if f.category:
        conds.append(C.category.in_(f.category))
    return conds


def _count(cond):
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def sla_parts(now: dt.datetime):
    """(answered within SLA, measured) conditions, as of `now` (see dashboard.kpi.DEFINITIONS['sla_rate'])."""
    answered = and_(C.first_response_at.isnot(None), C.first_response_at <= now)
    within = and_(answered, C.first_response_at <= C.due_at)
    overdue_unanswered = and_(or_(C.first_response_at.is_(None), C.first_response_at > now), C.due_at <= now)
    return answered, within, overdue_unanswered


def period_figures(conn: Connection, f: KpiFilter, now: dt.datetime) -> dict:
    where = complaint_where(f)
    answered, within, overdue = sla_parts(now)
    bucket_cols = []
    for name, low, high in kpi.BACKLOG_BUCKETS:
        cond = [C.is_open.is_(True), C.created_at <= now - dt.timedelta(hours=low)]
        if high is not None:
            cond.append(C.created_at > now - dt.timedelta(hours=high))
        bucket_cols.append(_count(and_(*cond)).label(f"b_{name}"))
    row = conn.execute(select(
        func.count().label("received"),
        _count(answered).label("answered"),
        _count(within).label("within"),
        _count(overdue).label("overdue"),
        _count(C.reopened_count > 0).label("reopened"),
        _count(C.status == "rejected").label("rejected"),
        _count(C.first_response_at.isnot(None)).label("responded"),
        _count(and_(C.first_response_at.isnot(None), C.first_response_channel == C.channel)).label("same_channel"),
        _count(C.is_open.is_(True)).label("open"),
        *bucket_cols,
    ).where(*where)).one()._mapping

    response = seconds_between(conn, C.first_response_at, C.created_at)
    first = percentiles(conn, response, where + [answered, response >= 0], QS).get((), [None, None])
    resolution = seconds_between(conn, C.resolved_at, C.created_at)
    resolved = percentiles(conn, resolution, where + [C.resolved_at <= now, resolution >= 0], QS).get((), [None, None])

    channel_mix = {ch: n for ch, n in conn.execute(
        select(C.channel, func.count()).where(*where).group_by(C.channel).order_by(C.channel))}
    kec = func.coalesce(C.kecamatan_code, "unknown")
    by_kecamatan = {k: n for k, n in conn.execute(select(kec, func.count()).where(*where).group_by(kec).order_by(kec))}

    received = int(row["received"])
    measured = int(row["answered"]) + int(row["overdue"])
    return {
        "received": received,
        "answered": int(row["answered"]),
        "answered_within_sla": int(row["within"]),
        "overdue_unanswered": int(row["overdue"]),
        "sla_measured": measured,
        "responded_within_sla_pct": kpi.pct(int(row["within"]), measured),
        "first_response_p50_h": scaled(first[0], 3600),
        "first_response_p90_h": scaled(first[1], 3600),
        "resolution_p50_h": scaled(resolved[0], 3600),
        "resolution_p90_h": scaled(resolved[1], 3600),
        "open": int(row["open"]),
        "open_backlog_by_age": {name: int(row[f"b_{name}"]) for name, _, _ in kpi.BACKLOG_BUCKETS},
        "reopened_pct": kpi.pct(int(row["reopened"]), received),
        "rejected_pct": kpi.pct(int(row["rejected"]), received),
        "same_channel_reply_pct": kpi.pct(int(row["same_channel"]), int(row["responded"])),
        "channel_mix": channel_mix,
        "channel_mix_pct": {ch: kpi.pct(n, received) for ch, n in channel_mix.items()},
        "by_kecamatan": by_kecamatan,
    }


def open_sla_states(conn: Connection, f: KpiFilter, now: dt.datetime, *, settings=None,
                    policy: SlaPolicy | None = None, limit: int = 50) -> dict:
    """Open complaints by SLA state, and the `limit` most urgent with deadline, state switch times, time left.

    The period filter does not apply: every open complaint is on the clock. In calendar mode the states
    are counted in SQL; in working mode the state needs the working calendar, so the open complaints'
    (created, due) pairs are read and classified with dashboard.sla (open complaints only).
    """
    policy = policy or (policy_from_settings(settings) if settings is not None else SlaPolicy())
    where = complaint_where(f, with_period=False) + [C.is_open.is_(True), C.created_at <= now]
    counts = dict.fromkeys(kpi.SLA_STATES, 0)
    if policy.mode == "calendar":
        now_s = now.timestamp()
        created_s, due_s = epoch_seconds(conn, C.created_at), epoch_seconds(conn, C.due_at)
        used, span = now_s - created_s, due_s - created_s
        state = case(
            (C.due_at <= now, "breached"),
            (used >= kpi.CRITICAL_FROM * span, "critical"),
            (used >= kpi.AT_RISK_FROM * span, "at_risk"),
            else_="on_track")
        for name, n in conn.execute(select(state.label("s"), func.count()).where(*where).group_by(state)):
            counts[name] = int(n)
    else:
        for created, due in conn.execute(select(C.created_at, C.due_at).where(*where)):
            counts[kpi.sla_state(policy.used_fraction(_aware(created), _aware(due), now))] += 1
    urgent = []
    if limit:
        rows = conn.execute(
            select(C.complaint_id, C.category, C.opd, C.kecamatan_code, C.channel, C.created_at, C.due_at)
            .where(*where).order_by(C.due_at, C.complaint_id).limit(limit)).all()
        for r in rows:
            created, due = _aware(r.created_at), _aware(r.due_at)
            at_risk, critical = policy.threshold_times(created, due, (kpi.AT_RISK_FROM, kpi.CRITICAL_FROM))
            urgent.append({
                "complaint_id": r.complaint_id, "category": r.category, "opd": r.opd,
                "kecamatan_code": r.kecamatan_code, "channel": r.channel,
                "created_at": created.isoformat(), "due_at": due.isoformat(),
                "at_risk_at": at_risk.isoformat(), "critical_at": critical.isoformat(),
                "state": kpi.sla_state(policy.used_fraction(created, due, now)),
                "seconds_left": round((due - now).total_seconds(), 3),
            })
    return {"counts": counts, "open": sum(counts.values()), "urgent": urgent, "mode": policy.mode}


def opd_league(conn: Connection, f: KpiFilter, now: dt.datetime, min_sample: int = kpi.DEFAULT_MIN_SAMPLE):
    """The OPD league on the SLA rate with Wilson intervals; OPDs under the minimum sample unranked."""
    _, within, overdue = sla_parts(now)
    answered = and_(C.first_response_at.isnot(None), C.first_response_at <= now)
    opd = func.coalesce(C.opd, "unassigned")
    rows = conn.execute(
        select(opd, _count(within), _count(answered) + _count(overdue))
        .where(*complaint_where(f)).group_by(opd).order_by(opd)).all()
    return [asdict(row) for row in kpi.league_table([(o, int(w), int(m)) for o, w, m in rows if m], min_sample)]


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
