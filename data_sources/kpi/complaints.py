"""Complaint figures of a period under a filter, the SLA states of open complaints, the OPD league."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from dashboard import kpi
from dashboard.filters import KpiFilter
from dashboard.sla import SlaPolicy, policy_from_settings
from data_sources.kpi.queries import (
    UNASSIGNED,
    UNKNOWN,
    combine_groups,
    epoch_seconds,
    in_values,
    percentile_sets,
    period_bounds,
    scaled,
)
from data_sources.store.models import Complaint

C = Complaint.__table__.c
QS = (0.5, 0.9)


def complaint_where(f: KpiFilter, with_period: bool = True, indexed: bool = True) -> list:
    """The filter's conditions; `indexed=False`: the value filters checked per row, never as an index's
    bounds (coalesce(x, x) is x, but no index is on it), for a query another index should drive."""

    def col(column):
        return column if indexed else func.coalesce(column, column)

    conds = period_bounds(C.created_at, f) if with_period else []
    if f.opd:
        conds.append(col(C.opd).in_(f.opd))
    if f.kecamatan:
        conds.append(in_values(col(C.kecamatan_code), f.kecamatan, unknown=UNKNOWN))
    if f.channel:
        conds.append(col(C.channel).in_(f.channel))
    if f.category:
        conds.append(col(C.category).in_(f.category))
    return conds


def _count(cond):
    """count(*) FILTER (WHERE cond): PostgreSQL and SQLite (3.30+) both take the FILTER clause."""
    return func.count().filter(cond)


def sla_parts(now: dt.datetime):
    """(answered within SLA, measured) conditions, as of `now` (see dashboard.kpi.DEFINITIONS['sla_rate'])."""
    answered = and_(C.first_response_at.isnot(None), C.first_response_at <= now)
    within = and_(answered, C.first_response_at <= C.due_at)
    overdue_unanswered = and_(or_(C.first_response_at.is_(None), C.first_response_at > now), C.due_at <= now)
    return answered, within, overdue_unanswered


def period_figures(conn: Connection, f: KpiFilter, now: dt.datetime) -> dict:
    """The period's figures in two round trips: the counts grouped by (channel, kecamatan), summed here into
    the totals, the channel mix and the kecamatan split; then all percentiles in one statement."""
    where = complaint_where(f)
    answered, within, overdue = sla_parts(now)
    counts = [
        ("received", func.count()),
        ("answered", _count(answered)),
        ("within", _count(within)),
        ("overdue", _count(overdue)),
        ("reopened", _count(C.reopened_count > 0)),
        ("rejected", _count(C.status == "rejected")),
        ("responded", _count(C.first_response_at.isnot(None))),
        ("same_channel", _count(and_(C.first_response_at.isnot(None), C.first_response_channel == C.channel))),
        ("open", _count(C.is_open.is_(True))),
    ]
    for name, low, high in kpi.BACKLOG_BUCKETS:
        cond = [C.is_open.is_(True), C.created_at <= now - dt.timedelta(hours=low)]
        if high is not None:
            cond.append(C.created_at > now - dt.timedelta(hours=high))
        counts.append((f"b_{name}", _count(and_(*cond))))
    kec = func.coalesce(C.kecamatan_code, UNKNOWN)
    grouped = conn.execute(
        select(C.channel, kec, *[expr for _, expr in counts]).where(*where).group_by(C.channel, kec)
    ).all()
    totals, (by_channel, by_kec) = combine_groups(grouped, 2)
    row = dict(zip([name for name, _ in counts], totals or [0] * len(counts)))

    response = C.first_response_s
    resolution = C.resolution_s
    sets = percentile_sets(
        conn,
        [
            ("first", response, where + [answered, response >= 0], None),
            ("resolved", resolution, where + [C.resolved_at <= now, resolution >= 0], None),
        ],
        QS,
    )
    first = sets["first"].get(None, [None, None])
    resolved = sets["resolved"].get(None, [None, None])

    due, due_in_time = deadline_cohort(conn, f, now)
    received_by_channel = {ch: int(v[0]) for ch, v in by_channel.items()}
    received_by_kecamatan = {k: int(v[0]) for k, v in by_kec.items()}
    return figures_of(row, received_by_channel, received_by_kecamatan, first, resolved, (due, due_in_time))


def figures_of(row: dict, by_channel: dict, by_kecamatan: dict, first, resolved, cohort: tuple[int, int]) -> dict:
    """The period's figures from its counts (`row`: received, answered, within, overdue, ...), complaints
    received per channel and per kecamatan, the first-response and resolution [p50, p90] (seconds) and the
    deadline cohort: from SQL here, from the column copy in column_figures."""
    received = int(row["received"])
    measured = int(row["answered"]) + int(row["overdue"])
    due, due_in_time = cohort
    channel_mix = dict(sorted(by_channel.items()))
    return {
        "received": received,
        "answered": int(row["answered"]),
        "answered_within_sla": int(row["within"]),
        "overdue_unanswered": int(row["overdue"]),
        "sla_measured": measured,
        "responded_within_sla_pct": kpi.pct(int(row["within"]), measured),
        "due_in_period": due,
        "answered_by_deadline": due_in_time,
        "responded_by_deadline_pct": kpi.pct(due_in_time, due),
        "first_response_p50_h": scaled(first[0], 3600),
        "first_response_p90_h": scaled(first[1], 3600),
        "resolution_p50_h": scaled(resolved[0], 3600),
        "resolution_p90_h": scaled(resolved[1], 3600),
        "open": int(row["open"]),
        "open_backlog_by_age": {name: int(row[f"b_{name}"]) for name, _, _ in kpi.BACKLOG_BUCKETS},
        "reopened_pct": kpi.pct(int(row["reopened"]), received),
        "rejected_pct": kpi.pct(int(row["rejected"]), received),
        "responded": int(row["responded"]),
        "same_channel_reply_pct": kpi.pct(int(row["same_channel"]), int(row["responded"])),
        "channel_mix": channel_mix,
        "channel_mix_pct": {ch: kpi.pct(n, received) for ch, n in channel_mix.items()},
        "by_kecamatan": dict(sorted(by_kecamatan.items())),
    }


def deadline_cohort(conn: Connection, f: KpiFilter, now: dt.datetime) -> tuple[int, int]:
    """(complaints whose deadline fell in the period up to `now`, those answered by their deadline): see
    dashboard.kpi.DEFINITIONS['sla_rate_by_deadline']. Every one of them has its outcome, so a period still
    running is measured as fairly as a closed one.

    ix_complaints_due_response (due_at, first_response_at) holds all it reads without a value filter: an
    index-only scan on PostgreSQL, a covering index on SQLite; with one, the index drives the table's rows.
    """
    closed = f.end_utc is not None and f.end_utc <= now
    # a deadline at `now` has passed (the SLA watch counts it breached); a closed period's end is exclusive
    fell = C.due_at < f.end_utc if closed else C.due_at <= now
    if f.start_utc is not None and f.start_utc > (f.end_utc if closed else now):
        return 0, 0
    conds = [fell, *complaint_where(f, with_period=False)]
    if f.start_utc is not None:
        conds.append(C.due_at >= f.start_utc)
    row = conn.execute(
        select(func.count(), _count(and_(C.first_response_at.isnot(None), C.first_response_at <= C.due_at))).where(
            *conds
        )
    ).one()
    return int(row[0]), int(row[1])


def open_now(conn: Connection, f: KpiFilter, now: dt.datetime) -> dict:
    """Complaints open now (any creation date, answered or not; the filter's values apply, not its period),
    and the next deadline of those awaiting their first response: until then the SLA watch's breached
    count holds."""
    where = complaint_where(f, with_period=False)
    row = conn.execute(
        select(
            _count(C.is_open.is_(True)),
            func.min(C.due_at).filter(awaiting_response(), C.due_at > now, C.created_at <= now),
        ).where(*where)
    ).one()
    return {"open": int(row[0]), "next_due_at": _as_utc(row[1])}


def awaiting_response():
    """Open and not yet answered: the complaints whose SLA clock (first response) still runs.

    Present state, like is_open itself (a replay's `now` does not reopen what was closed since). The
    partial index ix_complaints_awaiting_due (migration 0003) holds exactly these rows, by (due_at,
    created_at): the SLA watch reads it alone, without visiting the table.
    """
    return and_(C.is_open.is_(True), C.first_response_at.is_(None))


def open_sla_states(
    conn: Connection, f: KpiFilter, now: dt.datetime, *, settings=None, policy: SlaPolicy | None = None, limit: int = 50
) -> dict:
    """Open complaints awaiting their first response by SLA state, and the `limit` most urgent with deadline,
    state switch times and time left (see dashboard.kpi.DEFINITIONS['sla_state']); `open` is their number (the
    wall's backlog tile).

    The period filter does not apply: every waiting complaint is on the clock. A complaint already answered
    has met or missed its SLA for good (the SLA rate counts it) and leaves the watch. Breached ones are
    counted by an indexed comparison (due_at <= now); only the complaints not yet due, created within the
    last SLA span, are classified by time arithmetic: in SQL in calendar mode, with dashboard.sla in
    working mode. The switch times are computed for the returned rows only. Two round trips.
    """
    policy = policy or (policy_from_settings(settings) if settings is not None else SlaPolicy())
    # created_at <= now (a replay's future rows) and the value filters are checked per row, not as index
    # bounds: the scan must be driven by the awaiting index, which SQLite would otherwise pass over for
    # created_at's, or for a (channel, created_at) index holding every complaint of the channel (0.3 s at
    # a million).
    filters = complaint_where(f, with_period=False, indexed=False)
    where = filters + [awaiting_response(), func.coalesce(C.created_at, C.created_at) <= now]
    counts = dict.fromkeys(kpi.SLA_STATES, 0)
    not_due = C.due_at > now
    if policy.mode == "calendar":
        now_s = now.timestamp()
        created_s, due_s = epoch_seconds(conn, C.created_at), epoch_seconds(conn, C.due_at)
        used, span = now_s - created_s, due_s - created_s
        critical = and_(not_due, used >= kpi.CRITICAL_FROM * span)
        at_risk = and_(not_due, used < kpi.CRITICAL_FROM * span, used >= kpi.AT_RISK_FROM * span)
        row = conn.execute(
            select(
                func.count().filter(C.due_at <= now),
                func.count().filter(critical),
                func.count().filter(at_risk),
                func.count().filter(not_due),
            ).where(*where)
        ).one()
        counts.update(
            breached=int(row[0]),
            critical=int(row[1]),
            at_risk=int(row[2]),
            on_track=int(row[3]) - int(row[1]) - int(row[2]),
        )
    else:
        counts["breached"] = int(
            conn.execute(
                select(func.count()).select_from(Complaint.__table__).where(*where, C.due_at <= now)
            ).scalar_one()
        )
        for created, due in conn.execute(select(C.created_at, C.due_at).where(*where, not_due)):
            counts[kpi.sla_state(policy.used_fraction(_aware(created), _aware(due), now))] += 1
    urgent = []
    if limit:
        rows = conn.execute(
            select(C.complaint_id, C.category, C.opd, C.kecamatan_code, C.channel, C.created_at, C.due_at)
            .where(*where)
            .order_by(C.due_at, C.complaint_id)
            .limit(limit)
        ).all()
        for r in rows:
            created, due = _aware(r.created_at), _aware(r.due_at)
            at_risk_at, critical_at = policy.threshold_times(created, due, (kpi.AT_RISK_FROM, kpi.CRITICAL_FROM))
            urgent.append(
                {
                    "complaint_id": r.complaint_id,
                    "category": r.category,
                    "opd": r.opd,
                    "kecamatan_code": r.kecamatan_code,
                    "channel": r.channel,
                    "created_at": created.isoformat(),
                    "due_at": due.isoformat(),
                    "at_risk_at": at_risk_at.isoformat(),
                    "critical_at": critical_at.isoformat(),
                    "state": kpi.sla_state(policy.used_fraction(created, due, now)),
                    "seconds_left": round((due - now).total_seconds(), 3),
                }
            )
    return {"counts": counts, "open": sum(counts.values()), "urgent": urgent, "mode": policy.mode}


def opd_counts(conn: Connection, f: KpiFilter, now: dt.datetime) -> list[tuple[str, int, int, int]]:
    """(OPD, answered within SLA, SLA measured, received) per OPD of the period, in one pass."""
    _, within, overdue = sla_parts(now)
    answered = and_(C.first_response_at.isnot(None), C.first_response_at <= now)
    opd = func.coalesce(C.opd, UNASSIGNED)
    rows = conn.execute(
        select(opd, _count(within), _count(answered) + _count(overdue), func.count())
        .where(*complaint_where(f))
        .group_by(opd)
        .order_by(opd)
    ).all()
    return [(o, int(w), int(m), int(n)) for o, w, m, n in rows]


def opd_league(conn: Connection, f: KpiFilter, now: dt.datetime, min_sample: int = kpi.DEFAULT_MIN_SAMPLE, counts=None):
    """The OPD league on the SLA rate with Wilson intervals; OPDs under the minimum sample unranked.
    `counts`: opd_counts' rows when the caller has them already."""
    rows = opd_counts(conn, f, now) if counts is None else counts
    return [asdict(row) for row in kpi.league_table([(o, w, m) for o, w, m, _ in rows if m], min_sample)]


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _as_utc(value) -> dt.datetime | None:
    """An aggregate (min) bypasses the column type: SQLite hands back text, PostgreSQL an aware datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return _aware(value).astimezone(dt.UTC)
