"""SQL building blocks of the KPI queries, the same numbers on PostgreSQL and SQLite, and the headline.

Durations are seconds rounded to the millisecond (SQLite's clock resolution) on both databases, so
that both see identical inputs. Percentiles interpolate linearly between ranks: PostgreSQL's
percentile_cont; on SQLite the same arithmetic over row_number() and count() windows.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, Integer, case, cast, extract, func, literal, select
from sqlalchemy.engine import Connection

from dashboard.filters import KpiFilter

JULIAN_UNIX_EPOCH = 2440587.5


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def seconds_between(conn: Connection, later, earlier):
    """later - earlier in seconds, rounded to the millisecond, as a float on both databases."""
    if is_postgres(conn):
        return cast(func.round(extract("epoch", later - earlier), 3), Float)
    return func.round((func.julianday(later) - func.julianday(earlier)) * 86400.0, 3)


def epoch_seconds(conn: Connection, column):
    """Seconds since 1970 of a stored time (for comparing shares of an SLA span in SQL)."""
    if is_postgres(conn):
        return cast(extract("epoch", column), Float)
    return (func.julianday(column) - JULIAN_UNIX_EPOCH) * 86400.0


def utc_param(conn: Connection, value: dt.datetime):
    """A time bound as the column type stores it (naive UTC text on SQLite, timestamptz on PostgreSQL)."""
    from data_sources.models import UTCDateTime

    return literal(value, UTCDateTime())


def percentiles(conn: Connection, value, where, qs: tuple[float, ...], group_by=()) -> dict:
    """{group key (tuple): [percentile per q]} of `value` over the rows of `where`, non-null values only.

    `value` is a column expression over one table (the FROM follows from it); `group_by` are columns.
    """
    where = list(where) + [value.isnot(None)]
    if is_postgres(conn):
        cols = [func.percentile_cont(q).within_group(value) for q in qs]
        stmt = select(*group_by, *cols).where(*where)
        if group_by:
            stmt = stmt.group_by(*group_by)
        rows = conn.execute(stmt).all()
        return {tuple(r[:len(group_by)]): [_num(x) for x in r[len(group_by):]] for r in rows if r[-1] is not None}

    partition = list(group_by) or None
    ranked = select(
        *[g.label(f"g{i}") for i, g in enumerate(group_by)],
        value.label("v"),
        (func.row_number().over(partition_by=partition, order_by=value) - 1).label("rn"),
        func.count().over(partition_by=partition).label("n"),
    ).where(*where).subquery()
    picks = []
    for i, q in enumerate(qs):
        pos = (ranked.c.n - 1) * q
        low = cast(pos, Integer)
        picks += [
            func.max(case((ranked.c.rn == low, ranked.c.v))).label(f"lo{i}"),
            func.max(case((ranked.c.rn == low + 1, ranked.c.v))).label(f"hi{i}"),
            func.max(pos - low).label(f"fr{i}"),
        ]
        # NB: pos - low is the same float8 arithmetic percentile_cont does.
    groups = [ranked.c[f"g{i}"] for i in range(len(group_by))]
    inner = select(*groups, *picks)
    if groups:
        inner = inner.group_by(*groups)
    inner = inner.subquery()
    outs = [inner.c[f"lo{i}"] + (func.coalesce(inner.c[f"hi{i}"], inner.c[f"lo{i}"]) - inner.c[f"lo{i}"]) * inner.c[f"fr{i}"]
            for i in range(len(qs))]
    rows = conn.execute(select(*[inner.c[f"g{i}"] for i in range(len(group_by))], *outs)).all()
    return {tuple(r[:len(group_by)]): [_num(x) for x in r[len(group_by):]] for r in rows if r[-1] is not None}


def _num(x):
    return None if x is None else float(x)


def scaled(value: float | None, divisor: float, digits: int = 4) -> float | None:
    return None if value is None else round(value / divisor, digits)


def period_bounds(column, f: KpiFilter) -> list:
    conds = []
    if f.start_utc is not None:
        conds.append(column >= f.start_utc)
    if f.end_utc is not None:
        conds.append(column < f.end_utc)
    return conds


def in_values(column, values: tuple[str, ...], unknown: str | None = None):
    """column IN values; the token `unknown` (where allowed) matches NULL."""
    known = [v for v in values if v != unknown]
    conds = [column.in_(known)] if known else []
    if unknown is not None and unknown in values:
        conds.append(column.is_(None))
    from sqlalchemy import or_

    return or_(*conds) if len(conds) > 1 else conds[0]


def headline(conn: Connection, f: KpiFilter, now: dt.datetime, settings=None) -> dict:
    """Every headline figure of the period as one nested object (the `kpi --json` document).

    Dotted names (complaints.received, incidents.response_p50_min, ...) are paths into it.
    """
    from data_sources import kpi_complaints, kpi_incidents

    complaints = kpi_complaints.period_figures(conn, f, now)
    by_kecamatan = complaints.pop("by_kecamatan")
    return {
        "period": {"from": f.as_dict()["from"], "to": f.as_dict()["to"], "timezone": "Asia/Jakarta",
                   "to_is_exclusive": True, "now": now.isoformat()},
        "filters": f.as_dict(),
        "complaints": complaints,
        "complaints_by_kecamatan": by_kecamatan,
        "sla_watch": kpi_complaints.open_sla_states(conn, f, now, settings=settings, limit=0)["counts"],
        "incidents": kpi_incidents.period_figures(conn, f, now),
    }
