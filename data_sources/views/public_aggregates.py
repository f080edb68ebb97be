"""The only queries behind the public embeds: aggregates of public columns, nothing finer.

Privacy by construction: every column comes through `public_column`, which knows a short allowlist of
non-personal columns of the public tables (complaints, incidents, info_requests, egov_readings) and refuses anything
else, so no statement built here can name a personal_* table, dead_letters, users, an identifier, a
coordinate or free text. Every statement groups: by kecamatan or coarser, by WIB month or by category,
and returns counts and percentiles only, never a row or the time of a single event. Small counts are
suppressed after this (dashboard.disclosure), where the figures are published.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, func, literal, select
from sqlalchemy.engine import Connection

from data_sources.kpi.queries import is_postgres, percentile_sets, seconds_between, utc_param
from data_sources.store.models import PRIVATE_TABLES, Base

# table -> the columns a public figure may be computed from
PUBLIC_COLUMNS: dict[str, frozenset[str]] = {
    "complaints": frozenset({"category", "kecamatan_code", "created_at", "due_at", "first_response_at"}),
    "incidents": frozenset({"category", "reported_at", "first_arrived_at"}),
    # the PPID's outcomes, never the requester or what was asked (personal_info_* tables)
    "info_requests": frozenset(
        {"opd", "received_at", "answer", "answered_at", "exemption", "answer_working_days", "objection_filed_at"}
    ),
}
# 112 categories that may point at a person even in a district's count: city-wide monthly counts only
SENSITIVE_INCIDENT_CATEGORIES = ("social", "missing_person")
WIB_ZONE = "Asia/Jakarta"


class PrivacyError(LookupError):
    """A public figure asked for a column it may not read."""


def public_column(table: str, column: str):
    if table in PRIVATE_TABLES or column not in PUBLIC_COLUMNS.get(table, ()):
        raise PrivacyError(f"{table}.{column} is not a public column")
    return Base.metadata.tables[table].c[column]


def month_of(conn: Connection, column):
    """The WIB month (YYYY-MM) of a stored UTC time, computed in the database."""
    if is_postgres(conn):
        return func.to_char(func.timezone(WIB_ZONE, column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+7 hours")


def _between(conn: Connection, column, start: dt.datetime, end: dt.datetime) -> list:
    return [column >= utc_param(conn, start), column < utc_param(conn, end)]


def _sla_parts(conn: Connection, now: dt.datetime):
    """(answered within SLA, measured) as the KPI engine defines them (kpi_complaints.sla_parts)."""
    first, due = public_column("complaints", "first_response_at"), public_column("complaints", "due_at")
    now_p = utc_param(conn, now)
    answered = and_(first.isnot(None), first <= now_p)
    within = and_(answered, first <= due)
    overdue = and_(first.is_(None) | (first > now_p), due <= now_p)
    return within, answered | overdue


def complaint_summary(conn: Connection, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> dict:
    """City-wide: complaints received in [start, end), answered within their SLA, and measured."""
    created = public_column("complaints", "created_at")
    within, measured = _sla_parts(conn, now)
    row = conn.execute(
        select(func.count(), func.count().filter(within), func.count().filter(measured))
        .select_from(created.table)
        .where(*_between(conn, created, start, end))
    ).one()
    return {"received": int(row[0]), "within": int(row[1]), "measured": int(row[2])}


def complaints_by(conn: Connection, key: str, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """Complaints received in [start, end) per category or per kecamatan ("unknown": no location)."""
    if key not in ("category", "kecamatan_code"):
        raise PrivacyError(f"complaints may not be grouped by {key!r}")
    created = public_column("complaints", "created_at")
    group = func.coalesce(public_column("complaints", key), literal("unknown"))
    rows = conn.execute(select(group, func.count()).where(*_between(conn, created, start, end)).group_by(group))
    return {str(k): int(n) for k, n in rows}


def complaint_sla_by_month(conn: Connection, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> dict:
    """{WIB month: {received, within, measured}} of the complaints created in [start, end)."""
    created = public_column("complaints", "created_at")
    within, measured = _sla_parts(conn, now)
    month = month_of(conn, created)
    rows = conn.execute(
        select(month, func.count(), func.count().filter(within), func.count().filter(measured))
        .where(*_between(conn, created, start, end))
        .group_by(month)
    )
    return {str(m): {"received": int(a), "within": int(b), "measured": int(c)} for m, a, b, c in rows}


def incidents_by_month(conn: Connection, start: dt.datetime, end: dt.datetime) -> dict:
    """{WIB month: {reported, measured, p50_s, p90_s, sensitive: {category: count}}}, city-wide, of the 112
    incidents reported in [start, end); response is report to first arrival (as kpi_incidents)."""
    reported = public_column("incidents", "reported_at")
    arrived = public_column("incidents", "first_arrived_at")
    category = public_column("incidents", "category")
    month = month_of(conn, reported)
    where = _between(conn, reported, start, end)
    response = seconds_between(conn, arrived, reported)
    valid = and_(arrived.isnot(None), response >= 0)
    sensitive = [func.count().filter(category == c) for c in SENSITIVE_INCIDENT_CATEGORIES]
    rows = conn.execute(
        select(month, func.count(), func.count().filter(valid), *sensitive).where(*where).group_by(month)
    ).all()
    pcts = percentile_sets(conn, [("r", response, where + [valid], month)], (0.5, 0.9))["r"]
    out = {}
    for m, n, measured, *per_category in rows:
        p = pcts.get(str(m), [None, None])
        out[str(m)] = {
            "reported": int(n),
            "measured": int(measured),
            "p50_s": p[0],
            "p90_s": p[1],
            "sensitive": dict(zip(SENSITIVE_INCIDENT_CATEGORIES, (int(x) for x in per_category))),
        }
    return out


INFO_ANSWERS = ("granted", "partially_granted", "rejected", "not_held")


def info_requests_by_opd(
    conn: Connection, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> tuple[dict[str, dict], float | None]:
    """({opd: {received, granted, partially_granted, rejected, not_held, objections, answered, exemptions:
    {code: n}, median_working_days}}, the city's median working days) of the information requests received in
    [start, end) and by `now`; an answer or objection counts once it had happened by `now` (as
    kpi_info.figures_by_opd counts them)."""
    received = public_column("info_requests", "received_at")
    opd = public_column("info_requests", "opd")
    answer, answered_at = public_column("info_requests", "answer"), public_column("info_requests", "answered_at")
    exemption = public_column("info_requests", "exemption")
    days = public_column("info_requests", "answer_working_days")
    objection = public_column("info_requests", "objection_filed_at")
    now_p = utc_param(conn, now)
    where = _between(conn, received, start, end) + [received <= now_p]
    answered = and_(answered_at.isnot(None), answered_at <= now_p)
    counts = [func.count().filter(and_(answered, answer == a)) for a in INFO_ANSWERS]
    rows = conn.execute(
        select(
            opd,
            func.count(),
            func.count().filter(answered),
            func.count().filter(and_(objection.isnot(None), objection <= now_p)),
            *counts,
        )
        .where(*where)
        .group_by(opd)
    ).all()
    cited = conn.execute(
        select(opd, exemption, func.count()).where(*where, answered, answer == "rejected").group_by(opd, exemption)
    ).all()
    medians = percentile_sets(
        conn, [("d", days, where + [answered], opd), ("city", days, where + [answered], None)], (0.5,)
    )
    out: dict[str, dict] = {}
    for code, n, n_answered, objections, *outcomes in rows:
        out[str(code)] = {
            "received": int(n),
            "answered": int(n_answered),
            "objections": int(objections),
            **{a: int(v) for a, v in zip(INFO_ANSWERS, outcomes)},
            "exemptions": {},
            "median_working_days": (medians["d"].get(str(code)) or [None])[0],
        }
    for code, exemption_code, n in cited:
        out[str(code)]["exemptions"][str(exemption_code or "unknown")] = int(n)
    return out, (medians["city"].get(None) or [None])[0]


def egov_city_latest(conn: Connection, settings=None) -> list[dict]:
    """The city-wide e-government indicators (latest period per metric) from the KPI engine: aggregates of
    department readings, no person in them."""
    from data_sources.kpi import egov as kpi_egov

    keep = ("domain", "metric", "period", "value", "target", "unit", "previous", "rag")
    return [{k: r[k] for k in keep} for r in kpi_egov.latest(conn, settings=settings) if r["opd"] == kpi_egov.CITY]
