"""E-government KPIs: every metric a producer sends, per OPD and city-wide, latest value against target,
the trend over periods and a red/amber/green state (thresholds from the settings)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.engine import Connection

from dashboard import kpi
from data_sources.store.models import EgovReading

E = EgovReading.__table__.c
CITY = "ALL"


def _city_rows():
    """Readings sent for the whole city (opd ALL), plus a derived city row where none was sent:
    sums for counts and rupiah, means for percentages and days."""
    sent = select(E.domain, E.metric, E.opd, E.period, E.value, E.target, E.unit, literal(False).label("derived"))
    has_city = select(E.domain, E.metric, E.period).where(E.opd == CITY).subquery()
    additive = E.unit.in_(("count", "idr"))
    derived = (
        select(
            E.domain,
            E.metric,
            literal(CITY).label("opd"),
            E.period,
            case((additive, func.sum(E.value)), else_=func.avg(E.value)).label("value"),
            case((additive, func.sum(E.target)), else_=func.avg(E.target)).label("target"),
            E.unit,
            literal(True).label("derived"),
        )
        .where(E.opd != CITY)
        .where(
            ~select(has_city.c.metric)
            .where(has_city.c.domain == E.domain, has_city.c.metric == E.metric, has_city.c.period == E.period)
            .exists()
        )
        .group_by(E.domain, E.metric, E.period, E.unit)
    )
    return union_all(sent, derived).subquery()


def latest(
    conn: Connection, *, domain: str | None = None, opd: tuple[str, ...] = (), settings=None, now=None
) -> list[dict]:
    """Per (domain, metric, opd), the latest period's value and target, the previous value, and its RAG at
    `now` (default: the current time) with the yardstick it was judged against (dashboard.kpi.egov_judgement)."""
    now = now or dt.datetime.now(dt.UTC)
    rows = _city_rows()
    part = (rows.c.domain, rows.c.metric, rows.c.opd)
    ranked = select(
        rows,
        func.row_number().over(partition_by=part, order_by=rows.c.period.desc()).label("rn"),
        func.lead(rows.c.value).over(partition_by=part, order_by=rows.c.period.desc()).label("previous"),
    )
    if domain:
        ranked = ranked.where(rows.c.domain == domain)
    if opd:
        ranked = ranked.where(rows.c.opd.in_(tuple(opd) + (CITY,)))
    ranked = ranked.subquery()
    green = float(getattr(settings, "egov_rag_green", None) or kpi.DEFAULT_RAG_GREEN)
    amber = float(getattr(settings, "egov_rag_amber", None) or kpi.DEFAULT_RAG_AMBER)
    # PANTAU_EGOV_LOWER_IS_BETTER is a comma-separated list of metric codes
    lower = {m.strip() for m in (getattr(settings, "egov_lower_is_better", None) or "").split(",") if m.strip()}
    out = []
    for r in conn.execute(
        select(ranked).where(ranked.c.rn == 1).order_by(ranked.c.domain, ranked.c.metric, ranked.c.opd)
    ).mappings():
        lower_better = r["unit"] in kpi.LOWER_IS_BETTER_UNITS or r["metric"] in lower
        out.append(
            {
                "domain": r["domain"],
                "metric": r["metric"],
                "opd": r["opd"],
                "period": r["period"],
                "value": r["value"],
                "target": r["target"],
                "unit": r["unit"],
                "previous": r["previous"],
                "derived": bool(r["derived"]),
                **kpi.egov_judgement(
                    r["metric"],
                    r["unit"],
                    r["value"],
                    r["target"],
                    str(r["period"]),
                    now,
                    lower_is_better=lower_better,
                    green=green,
                    amber=amber,
                ),
            }
        )
    return out


def trend(conn: Connection, domain: str, metric: str, opd: str = CITY, periods: int = 24) -> list[dict]:
    """The last `periods` readings of one metric for one OPD (or the city), oldest first."""
    rows = _city_rows()
    recent = (
        select(rows.c.period, rows.c.value, rows.c.target)
        .where(rows.c.domain == domain, rows.c.metric == metric, rows.c.opd == opd)
        .order_by(rows.c.period.desc())
        .limit(periods)
        .subquery()
    )
    return [dict(r) for r in conn.execute(select(recent).order_by(recent.c.period)).mappings()]
