"""Public-information request figures (PPID, UU KIP 14/2008) of a period, city-wide and per OPD.

The cohort is the requests received in the period (and by `now`); every figure counts only what had
happened by `now`: an answer, extension or objection stamped later is not there yet. The deadline at `now`
is the extended one only when the extension had been made by then (dashboard/ppid.py has the rules).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.engine import Connection

from dashboard import kpi, ppid
from dashboard.filters import KpiFilter
from data_sources.kpi.queries import in_values, percentile_sets, period_bounds
from data_sources.store.models import InfoRequest

R = InfoRequest.__table__.c
QS = (0.5, 0.9)
ANSWER_COUNTS = ("granted", "partially_granted", "rejected", "not_held")


def request_where(f: KpiFilter, now: dt.datetime) -> list:
    """The cohort: received in the period and by `now`, of the chosen OPDs (and channels, where they apply)."""
    conds = period_bounds(R.received_at, f) + [R.received_at <= now]
    if f.opd:
        conds.append(in_values(R.opd, f.opd))
    if f.channel:
        conds.append(R.channel.in_(f.channel))
    return conds


def clock_parts(now: dt.datetime) -> dict:
    """The conditions of the figures at `now` (SQL expressions over info_requests)."""
    answered = and_(R.answered_at.isnot(None), R.answered_at <= now)
    extended = and_(R.extended_at.isnot(None), R.extended_at <= now)
    due = case((extended, R.extended_due_at), else_=R.original_due_at)
    unanswered = or_(R.answered_at.is_(None), R.answered_at > now)
    objection = and_(R.objection_filed_at.isnot(None), R.objection_filed_at <= now)
    objection_answered = and_(objection, R.objection_answered_at.isnot(None), R.objection_answered_at <= now)
    return {
        "answered": answered,
        "within": and_(answered, R.answered_at <= due),
        "overdue": and_(unanswered, due < now),
        "open": unanswered,
        "extended": extended,
        "objections": objection,
        "objections_answered": objection_answered,
        "objections_within": and_(objection_answered, R.objection_answered_at <= R.objection_due_at),
        "objections_overdue": and_(objection, ~objection_answered, R.objection_due_at < now),
        "disputes": and_(R.dispute_filed_at.isnot(None), R.dispute_filed_at <= now),
    }


def _count(cond):
    return func.count().filter(cond)


def _counts(now: dt.datetime) -> list[tuple[str, object]]:
    parts = clock_parts(now)
    counts = [("received", func.count())] + [(name, _count(cond)) for name, cond in parts.items()]
    counts += [(name, _count(and_(parts["answered"], R.answer == name))) for name in ANSWER_COUNTS]
    return counts


def _figures(values: dict, exemptions: dict[str, int], wd: list | None) -> dict:
    measured = values["answered"] + values["overdue"]
    objections_measured = values["objections_answered"] + values["objections_overdue"]
    return {
        "received": values["received"],
        "answered": values["answered"],
        "answered_within_deadline": values["within"],
        "unanswered_past_deadline": values["overdue"],
        "measured": measured,
        "answered_within_deadline_pct": kpi.pct(values["within"], measured),
        "open": values["open"],
        "extended": values["extended"],
        **{name: values[name] for name in ANSWER_COUNTS},
        "rejected_by_exemption": dict(sorted(exemptions.items())),
        "objections": values["objections"],
        "objections_answered": values["objections_answered"],
        "objections_answered_within_deadline": values["objections_within"],
        "objections_past_deadline": values["objections_overdue"],
        "objections_answered_within_deadline_pct": kpi.pct(values["objections_within"], objections_measured),
        "disputes": values["disputes"],
        "working_days_to_answer_p50": None if not wd else round(wd[0], 2),
        "working_days_to_answer_p90": None if not wd else round(wd[1], 2),
    }


def figures_by_opd(conn: Connection, f: KpiFilter, now: dt.datetime) -> tuple[dict, dict[str, dict]]:
    """(city-wide figures, {opd: figures}) in three statements: counts, exemptions, percentiles."""
    where = request_where(f, now)
    counts = _counts(now)
    names = [name for name, _ in counts]
    per_opd: dict[str, dict] = {}
    totals = dict.fromkeys(names, 0)
    for row in conn.execute(select(R.opd, *[expr for _, expr in counts]).where(*where).group_by(R.opd)):
        values = dict(zip(names, row[1:]))
        per_opd[row[0]] = values
        for name in names:
            totals[name] += values[name] or 0
    answered = clock_parts(now)["answered"]
    exemptions: dict[str, dict[str, int]] = {}
    total_exemptions: dict[str, int] = {}
    for opd, exemption, n in conn.execute(
        select(R.opd, R.exemption, func.count())
        .where(*where, answered, R.answer == "rejected")
        .group_by(R.opd, R.exemption)
    ):
        exemption = exemption or "unknown"
        exemptions.setdefault(opd, {})[exemption] = n
        total_exemptions[exemption] = total_exemptions.get(exemption, 0) + n
    wd_where = where + [answered]
    wd = percentile_sets(
        conn, [("all", R.answer_working_days, wd_where, None), ("opd", R.answer_working_days, wd_where, R.opd)], QS
    )
    city = _figures(totals, total_exemptions, wd["all"].get(None))
    return city, {
        opd: _figures(values, exemptions.get(opd, {}), wd["opd"].get(opd)) for opd, values in sorted(per_opd.items())
    }


def period_figures(conn: Connection, f: KpiFilter, now: dt.datetime) -> dict:
    """The `info_requests` object of `kpi --json`."""
    return figures_by_opd(conn, f, now)[0]


def league(conn: Connection, f: KpiFilter, now: dt.datetime, min_sample: int = kpi.DEFAULT_MIN_SAMPLE) -> dict:
    """The PPID league: OPDs ranked by the lower Wilson bound of their share answered by the deadline."""
    city, per_opd = figures_by_opd(conn, f, now)
    table = kpi.league_table(
        [(opd, v["answered_within_deadline"], v["measured"]) for opd, v in per_opd.items()], min_sample
    )
    rows = []
    rank = 0
    for r in table:
        rank += r.ranked
        rows.append(
            dict(
                per_opd[r.opd],
                opd=r.opd,
                rank=rank if r.ranked else None,
                ci_low_pct=r.ci_low_pct,
                ci_high_pct=r.ci_high_pct,
                ranked=r.ranked,
            )
        )
    return {"city": city, "rows": rows, "min_sample": min_sample, "definitions": ppid.DEFINITIONS}


def due_requests(conn: Connection, now: dt.datetime, calendar, limit: int = 40, opd: tuple[str, ...] = ()) -> dict:
    """Unanswered requests due today or overdue at `now`, most overdue first, with working-day countdowns.

    Also the counts of the next days, so the wall can say how many fall due soon.
    """
    parts = clock_parts(now)
    due = case((parts["extended"], R.extended_due_at), else_=R.original_due_at)
    end_today = ppid.end_of_day(ppid.wib_date(now))
    conds = [R.received_at <= now, parts["open"]]
    if opd:
        conds.append(R.opd.in_(opd))
    rows = conn.execute(
        select(
            R.request_id, R.opd, R.channel, R.information_kind, R.received_at, due.label("due_at"), parts["extended"]
        )
        .where(*conds, due <= end_today)
        .order_by(due, R.request_id)
        .limit(limit)
    ).all()
    counted = conn.execute(
        select(_count(due < now), _count(and_(due >= now, due <= end_today)), func.count()).where(*conds)
    ).one()
    items = [
        dict(
            request_id=r.request_id,
            opd=r.opd,
            channel=r.channel,
            information_kind=r.information_kind,
            received_at=r.received_at.isoformat(),
            due_at=r.due_at.isoformat() if isinstance(r.due_at, dt.datetime) else str(r.due_at),
            extended=bool(r[6]),
            working_days_left=ppid.working_days_left(now, _as_utc(r.due_at), calendar),
            overdue=_as_utc(r.due_at) < now,
        )
        for r in rows
    ]
    return {"items": items, "overdue": counted[0], "due_today": counted[1], "open": counted[2]}


def _as_utc(value) -> dt.datetime:
    """A CASE over two UTC columns comes back untyped on SQLite (text); the column type reads it on PostgreSQL."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)
