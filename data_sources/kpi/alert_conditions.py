"""What the alert rules ask of the store, at a time `now`: the KPI engine's own definitions (SLA states,
112 response, e-government RAG), with every subject instead of the wall's first fifty.

Public columns only: the numbers, codes and times that messages may carry.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.engine import Connection

from dashboard import kpi
from dashboard.sla import SlaPolicy
from data_sources.kpi import egov
from data_sources.kpi.complaints import awaiting_response
from data_sources.kpi.queries import epoch_seconds, percentile_sets
from data_sources.store.models import Complaint, DeadLetter, Incident, ProcessedEvent

C = Complaint.__table__.c
I = Incident.__table__.c


def aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def sla_watch(conn: Connection, now: dt.datetime, policy: SlaPolicy) -> list[dict]:
    """Every complaint awaiting its first response that is at risk or worse at `now`, with its state (the
    same states as complaints.open_sla_states, on the same partial index), most urgent first."""
    where = [awaiting_response(), func.coalesce(C.created_at, C.created_at) <= now]
    if policy.mode == "calendar":
        created_s, due_s = epoch_seconds(conn, C.created_at), epoch_seconds(conn, C.due_at)
        # used >= AT_RISK_FROM * span, with used = now - created and span = due - created
        where.append(or_(C.due_at <= now, now.timestamp() - created_s >= kpi.AT_RISK_FROM * (due_s - created_s)))
    rows = conn.execute(select(*_WATCH_COLUMNS).where(*where).order_by(C.due_at, C.complaint_id)).all()
    return [w for w in (watch_row(r, now, policy) for r in rows) if w is not None]


_WATCH_COLUMNS = (C.complaint_id, C.category, C.opd, C.kecamatan_code, C.created_at, C.due_at)


def watch_row(r, now: dt.datetime, policy: SlaPolicy) -> dict | None:
    """A complaint row awaiting its first response as the alert rules see it at `now`: None while on track."""
    created, due = aware(r.created_at), aware(r.due_at)
    if created > now:
        return None
    state = "breached" if due <= now else kpi.sla_state(policy.used_fraction(created, due, now))
    if state == "on_track":
        return None
    return {
        "complaint_id": r.complaint_id,
        "category": r.category,
        "opd": r.opd,
        "kecamatan_code": r.kecamatan_code,
        "due_at": due,
        "state": state,
    }


def events_since(conn: Connection, since: dt.datetime | None) -> list[tuple[str, str, str, dt.datetime]]:
    """(event_id, type, subject, processed_at) of the events stored after `since` (all if None), on the
    processed_at index: what changed since the last evaluation (a complaint event's subject is its number),
    without reading the tables whole."""
    pe = ProcessedEvent.__table__.c
    query = select(pe.event_id, pe.type, pe.subject, pe.processed_at)
    if since is not None:
        query = query.where(pe.processed_at > since)
    return [(e, kind, s, aware(at)) for e, kind, s, at in conn.execute(query)]


EVENT_OVERLAP = dt.timedelta(seconds=10)  # an ingest batch stamped before another may commit after it


def events_after(watermark: dt.datetime | None) -> dt.datetime | None:
    """Where a reader of events_since that has read up to `watermark` reads from again: the overlap before it."""
    return watermark - EVENT_OVERLAP if watermark is not None else None


def advance_window(
    watermark: dt.datetime | None, seen: dict[str, dt.datetime], events
) -> tuple[dt.datetime | None, dict[str, dt.datetime]]:
    """The watermark and the event ids read inside the overlap, after reading `events` (events_since's rows
    not seen before): the next read takes the overlap again and skips only those ids."""
    seen = dict(seen)
    for event_id, _, _, processed_at in events:
        seen[event_id] = processed_at
        if watermark is None or processed_at > watermark:
            watermark = processed_at
    if watermark is not None:
        floor = watermark - EVENT_OVERLAP
        seen = {e: at for e, at in seen.items() if at > floor}
    return watermark, seen


def last_processed_at(conn: Connection) -> dt.datetime | None:
    value = conn.execute(select(func.max(ProcessedEvent.processed_at))).scalar_one()
    return aware(value) if value is not None else None


def awaiting_rows_by_id(conn: Connection, ids) -> list:
    """The rows (as sla_watch reads them) of those of these complaints that still await an answer."""
    ids, rows = sorted(set(ids)), []
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        rows += conn.execute(select(*_WATCH_COLUMNS).where(C.complaint_id.in_(chunk), awaiting_response())).all()
    return rows


def awaiting_span_max(conn: Connection) -> dt.timedelta:
    """The longest SLA span (deadline minus creation) among the complaints still awaiting an answer, from
    the awaiting index alone: how far ahead of its deadline a complaint can reach at-risk."""
    created_s, due_s = epoch_seconds(conn, C.created_at), epoch_seconds(conn, C.due_at)
    value = conn.execute(select(func.max(due_s - created_s)).where(awaiting_response())).scalar_one()
    return dt.timedelta(seconds=float(value or 0))


def sla_stage_moments(created: dt.datetime, due: dt.datetime, policy: SlaPolicy, escalate: dt.timedelta) -> tuple:
    """The moments a waiting complaint becomes at risk, critical, breached and escalated. Breached also when
    its clock's time is used up (the working clock's end of `due - created`: before `due` if the deadline was
    set on another clock than today's policy's)."""
    at_risk, critical, used_up = policy.threshold_times(created, due, (kpi.AT_RISK_FROM, kpi.CRITICAL_FROM, 1.0))
    return at_risk, critical, min(used_up, due), due, due + escalate


def sla_changes_between(
    conn: Connection,
    start: dt.datetime,
    end: dt.datetime,
    policy: SlaPolicy,
    escalate: dt.timedelta,
    span_max: dt.timedelta,
) -> list:
    """The complaints awaiting an answer that change stage in (start, end]: an indexed range of deadlines on
    the awaiting index (at-risk comes at most (1 - AT_RISK_FROM) x the longest span before a deadline, the
    escalation `escalate` after it), narrowed in SQL to the exact moments on the calendar clock."""
    # on the working clock a share of the working time can fall anywhere in the span's wall time
    lead = (span_max * (1 - kpi.AT_RISK_FROM) if policy.mode == "calendar" else span_max) + dt.timedelta(seconds=1)
    where = [awaiting_response(), C.due_at > start - escalate, C.due_at <= end + lead, C.created_at <= end]
    if policy.mode == "calendar":
        created_s, due_s = epoch_seconds(conn, C.created_at), epoch_seconds(conn, C.due_at)
        span, a, b = due_s - created_s, start.timestamp(), end.timestamp()
        moments = (
            created_s + kpi.AT_RISK_FROM * span,
            created_s + kpi.CRITICAL_FROM * span,
            due_s,
            due_s + escalate.total_seconds(),
        )
        # a margin of a millisecond either way (SQLite's julianday arithmetic); Python decides exactly
        where.append(or_(*[and_(m > a - 0.001, m <= b + 0.001) for m in moments]))
    return conn.execute(select(*_WATCH_COLUMNS).where(*where)).all()


def opd_breach_shares(conn: Connection, now: dt.datetime, day_start: dt.datetime) -> list[dict]:
    """Per OPD, of the complaints whose deadline fell today (from `day_start`, 00:00 WIB, up to `now`), how
    many had no first response by it."""
    missed = or_(C.first_response_at.is_(None), C.first_response_at > C.due_at)
    rows = conn.execute(
        select(C.opd, func.count(), func.count().filter(missed))
        # is_open either way: it lets the (is_open, due_at) index serve today's deadlines, not a table scan
        .where(C.is_open.in_([True, False]), C.due_at >= day_start, C.due_at <= now, C.opd.isnot(None))
        .group_by(C.opd)
        .order_by(C.opd)
    ).all()
    return [{"opd": opd, "total": int(total), "breached": int(n)} for opd, total, n in rows]


def priority_one_waiting(conn: Connection, now: dt.datetime, dispatch_min: float, arrival_min: float) -> list[dict]:
    """Active priority-1 incidents of the last day with no unit dispatched `dispatch_min` after the report
    ("dispatch"), or dispatched but no unit arrived `arrival_min` after it ("arrival")."""
    late_dispatch = and_(I.first_dispatched_at.is_(None), I.reported_at <= now - dt.timedelta(minutes=dispatch_min))
    late_arrival = and_(
        I.first_dispatched_at.isnot(None),
        I.first_arrived_at.is_(None),
        I.reported_at <= now - dt.timedelta(minutes=arrival_min),
    )
    rows = conn.execute(
        select(I.incident_id, I.category, I.kecamatan_code, I.reported_at, I.first_dispatched_at)
        .where(
            I.is_active.is_(True),
            I.reported_at > now - dt.timedelta(days=1),
            I.priority == 1,
            or_(late_dispatch, late_arrival),
        )
        .order_by(I.reported_at, I.incident_id)
    ).all()
    out = []
    for r in rows:
        reported = aware(r.reported_at)
        out.append(
            {
                "incident_id": r.incident_id,
                "category": r.category,
                "kecamatan_code": r.kecamatan_code,
                "reported_at": reported.isoformat(),
                "minutes": round((now - reported).total_seconds() / 60, 1),
                "waiting_for": "dispatch" if r.first_dispatched_at is None else "arrival",
            }
        )
    return out


def response_p90_last_hour(conn: Connection, now: dt.datetime) -> tuple[float | None, int]:
    """(p90 of report-to-arrival minutes, incidents measured) of the incidents reported in the last hour that
    have a unit on scene by `now`; clock errors (arrival before report) left out, as on the screens."""
    response = I.response_s  # the generated column (data_sources.store.durations), as the screens read it
    where = [
        I.reported_at > now - dt.timedelta(hours=1),
        I.reported_at <= now,
        I.first_arrived_at <= now,
        response >= 0,
    ]
    n = conn.execute(select(func.count()).select_from(Incident.__table__).where(*where)).scalar_one()
    if not n:
        return None, 0
    p90 = percentile_sets(conn, [("r", response, where, None)], (0.9,))["r"].get(None, [None])[0]
    return (None if p90 is None else round(float(p90) / 60, 2)), int(n)


def dead_letters_since(conn: Connection, since: dt.datetime) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(DeadLetter.__table__).where(DeadLetter.created_at >= since)
        ).scalar_one()
    )


def egov_red(conn: Connection, settings) -> list[dict]:
    """The e-government metrics whose latest reading is red, per OPD (and the city's own)."""
    return [
        {"opd": r["opd"], "domain": r["domain"], "metric": r["metric"], "value": r["value"], "target": r["target"]}
        for r in egov.latest(conn, settings=settings)
        if r["rag"] == "red" and r["value"] is not None and r["target"] is not None
    ]


def firing_alerts(conn: Connection) -> dict:
    """The wall's alert tile: alerts firing now, and how many of them nobody has acknowledged yet."""
    from data_sources.store.alert_models import AlertRecord

    a = AlertRecord.__table__.c
    total, open_ = conn.execute(
        select(func.count(), func.count().filter(a.acknowledged_at.is_(None))).where(a.status == "firing")
    ).one()
    return {"firing": int(total), "unacknowledged": int(open_)}


def next_sla_change(
    conn: Connection, now: dt.datetime, policy: SlaPolicy, escalate_after_h: float
) -> dt.datetime | None:
    """The next moment after `now` at which a waiting complaint changes stage (at risk, critical, breached,
    escalated), so the evaluator wakes then rather than on its interval: a breach is told within seconds.
    Reads the awaiting index only (created_at, due_at), over the complaints not due or breached recently."""
    escalate = dt.timedelta(hours=escalate_after_h)
    where = [awaiting_response(), C.due_at > now - escalate, func.coalesce(C.created_at, C.created_at) <= now]
    if policy.mode == "calendar":
        now_s = now.timestamp()
        created_s, due_s = epoch_seconds(conn, C.created_at), epoch_seconds(conn, C.due_at)
        span = due_s - created_s
        moments = [created_s + kpi.AT_RISK_FROM * span, created_s + kpi.CRITICAL_FROM * span, due_s]
        row = conn.execute(
            select(*[func.min(case((m > now_s, m))) for m in moments], func.min(C.due_at)).where(*where)
        ).one()
        # up to the next millisecond: SQLite's julianday arithmetic lands microseconds early
        candidates = [
            dt.datetime.fromtimestamp(math.ceil(float(v) * 1000) / 1000, dt.UTC) for v in row[:3] if v is not None
        ]
        if row[3] is not None and aware(row[3]) + escalate > now:
            candidates.append(aware(row[3]) + escalate)
    else:
        candidates = []
        for created, due in conn.execute(select(C.created_at, C.due_at).where(*where)):
            created, due = aware(created), aware(due)
            times = (*policy.threshold_times(created, due, (kpi.AT_RISK_FROM, kpi.CRITICAL_FROM)), due, due + escalate)
            candidates += [m for m in times if m > now]
    return min(candidates, default=None)
