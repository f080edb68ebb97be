"""The only queries behind the public embeds: aggregates of public columns, nothing finer.

Privacy by construction: every column comes through `public_column`, which knows a short allowlist of
non-personal columns of the public tables (complaints, incidents, info_requests, egov_readings) and refuses anything
else, so no statement built here can name a personal_* table, dead_letters, users, an identifier, a
coordinate or free text. Every statement groups: by kecamatan or coarser, by WIB month or by category,
and returns counts and percentiles only, never a row or the time of a single event. Each count comes with
the sum of its records' secret keys (a cell, `(count, key_sum)`), from which dashboard.disclosure rounds
it where the figures are published; a key is a keyed hash of a record's time, computed in the database.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, and_, case, cast, extract, func, literal, or_, select
from sqlalchemy.engine import Connection

from dashboard.coarse_location import SENSITIVE_INCIDENT_CATEGORIES  # city-wide monthly counts only
from dashboard.disclosure import KEY_MODULUS
from data_sources.kpi.queries import JULIAN_UNIX_EPOCH, is_postgres, percentile_sets, utc_param
from data_sources.store.models import PRIVATE_TABLES, Base

# table -> the columns a public figure may be computed from
PUBLIC_COLUMNS: dict[str, frozenset[str]] = {
    "complaints": frozenset({"category", "kecamatan_code", "created_at", "due_at", "first_response_at"}),
    "incidents": frozenset({"category", "reported_at", "first_arrived_at", "response_s"}),
    # the PPID's outcomes, never the requester or what was asked (personal_info_* tables)
    "info_requests": frozenset(
        {"opd", "received_at", "answer", "answered_at", "exemption", "answer_working_days", "objection_filed_at"}
    ),
}


class PrivacyError(LookupError):
    """A public figure asked for a column it may not read."""


def public_column(table: str, column: str):
    if table in PRIVATE_TABLES or column not in PUBLIC_COLUMNS.get(table, ()):
        raise PrivacyError(f"{table}.{column} is not a public column")
    return Base.metadata.tables[table].c[column]


def record_key(conn: Connection, column, params: tuple[int, int]):
    """A record's secret key in [0, KEY_MODULUS): (its time in ms * multiplier + offset) mod KEY_MODULUS."""
    if is_postgres(conn):
        ms = cast(func.floor(extract("epoch", column) * 1000), BigInteger)
    else:
        ms = cast(func.round((func.julianday(column) - JULIAN_UNIX_EPOCH) * 86_400_000.0), BigInteger)
    multiplier, offset = params
    return ((ms % KEY_MODULUS) * multiplier + offset) % KEY_MODULUS


def _cell(key, where=None) -> list:
    """count and key sum of the rows (matching `where`), as two select columns."""
    if where is None:
        return [func.count(), func.coalesce(func.sum(key), 0)]
    return [func.count().filter(where), func.coalesce(func.sum(case((where, key), else_=0)), 0)]


def _pairs(values) -> list[tuple[int, int]]:
    values = list(values)
    return [(int(values[i]), int(values[i + 1])) for i in range(0, len(values), 2)]


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


def complaint_summary(
    conn: Connection, start: dt.datetime, end: dt.datetime, now: dt.datetime, keys: tuple[int, int]
) -> dict[str, tuple[int, int]]:
    """City-wide cells: complaints received in [start, end), answered within their SLA by `now`, measured."""
    created = public_column("complaints", "created_at")
    key = record_key(conn, created, keys)
    within, measured = _sla_parts(conn, now)
    row = conn.execute(
        select(*_cell(key), *_cell(key, within), *_cell(key, measured))
        .select_from(created.table)
        .where(*_between(conn, created, start, end))
    ).one()
    return dict(zip(("received", "within", "measured"), _pairs(row)))


def complaints_by(
    conn: Connection, key: str, start: dt.datetime, end: dt.datetime, keys: tuple[int, int]
) -> dict[str, tuple[int, int]]:
    """Cells of the complaints received in [start, end) per category or kecamatan ("unknown": no location)."""
    if key not in ("category", "kecamatan_code"):
        raise PrivacyError(f"complaints may not be grouped by {key!r}")
    created = public_column("complaints", "created_at")
    group = func.coalesce(public_column("complaints", key), literal("unknown"))
    rows = conn.execute(
        select(group, *_cell(record_key(conn, created, keys)))
        .where(*_between(conn, created, start, end))
        .group_by(group)
    )
    return {str(k): (int(n), int(s)) for k, n, s in rows}


def incidents_of(
    conn: Connection, start: dt.datetime, end: dt.datetime, now: dt.datetime, keys: tuple[int, int], min_sample: int
) -> dict:
    """City-wide, of the 112 incidents reported in [start, end): cells `reported`, `measured` (a unit arrived
    by `now`) and per sensitive category, and the response percentiles (report to first arrival, as
    kpi_incidents) when at least `min_sample` were measured."""
    reported = public_column("incidents", "reported_at")
    arrived = public_column("incidents", "first_arrived_at")
    category = public_column("incidents", "category")
    key = record_key(conn, reported, keys)
    where = _between(conn, reported, start, end)
    response = public_column("incidents", "response_s")  # generated from the two times above
    valid = and_(arrived.isnot(None), arrived <= utc_param(conn, now), response >= 0)
    sensitive = [c for name in SENSITIVE_INCIDENT_CATEGORIES for c in _cell(key, category == name)]
    row = conn.execute(select(*_cell(key), *_cell(key, valid), *sensitive).where(*where)).one()
    cells = _pairs(row)
    out = {
        "reported": cells[0],
        "measured": cells[1],
        "sensitive": dict(zip(SENSITIVE_INCIDENT_CATEGORIES, cells[2:])),
        "p50_s": None,
        "p90_s": None,
    }
    if cells[1][0] >= min_sample:
        found = percentile_sets(conn, [("r", response, where + [valid], None)], (0.5, 0.9))["r"]
        out["p50_s"], out["p90_s"] = (next(iter(found.values()), [None, None]) + [None, None])[:2]
    return out


INFO_ANSWERS = ("granted", "partially_granted", "rejected", "not_held")
INFO_COUNTS = ("received", *INFO_ANSWERS, "in_process", "objections")


def info_requests_by_opd(
    conn: Connection, start: dt.datetime, end: dt.datetime, now: dt.datetime, keys: tuple[int, int], min_sample: int
) -> dict:
    """Of the information requests received in [start, end) and by `now`, keyed by their receipt time:
    {"opds": {opd: {count: cell for INFO_COUNTS, "answered": cell, "median_working_days"}}, "exemptions":
    {code: cell} (the city's refusals by the exemption cited), "city_median_working_days"}. An answer or
    objection counts once it had happened by `now` (as kpi_info.figures_by_opd counts them); a median only
    over at least `min_sample` answers."""
    received = public_column("info_requests", "received_at")
    opd = public_column("info_requests", "opd")
    answer, answered_at = public_column("info_requests", "answer"), public_column("info_requests", "answered_at")
    exemption = public_column("info_requests", "exemption")
    days = public_column("info_requests", "answer_working_days")
    objection = public_column("info_requests", "objection_filed_at")
    key = record_key(conn, received, keys)
    now_p = utc_param(conn, now)
    where = _between(conn, received, start, end) + [received <= now_p]
    answered = and_(answered_at.isnot(None), answered_at <= now_p)
    conditions = {
        **{a: and_(answered, answer == a) for a in INFO_ANSWERS},
        "in_process": or_(answered_at.is_(None), answered_at > now_p),
        "objections": and_(objection.isnot(None), objection <= now_p),
        "answered": answered,
    }
    cells = [c for cond in conditions.values() for c in _cell(key, cond)]
    opds: dict[str, dict] = {}
    for code, *values in conn.execute(select(opd, *_cell(key), *cells).where(*where).group_by(opd)):
        pairs = _pairs(values)
        opds[str(code)] = {"received": pairs[0], **dict(zip(conditions, pairs[1:])), "median_working_days": None}
    cited_code = func.coalesce(exemption, literal("unknown"))
    cited = conn.execute(
        select(cited_code, *_cell(key)).where(*where, answered, answer == "rejected").group_by(cited_code)
    )
    out = {"opds": opds, "exemptions": {str(c): (int(n), int(s)) for c, n, s in cited}}
    enough = [code for code, f in opds.items() if f["answered"][0] >= min_sample]
    city_enough = sum(f["answered"][0] for f in opds.values()) >= min_sample
    out["city_median_working_days"] = None
    if enough or city_enough:
        medians = percentile_sets(
            conn, [("d", days, where + [answered], opd), ("city", days, where + [answered], None)], (0.5,)
        )
        for code in enough:
            opds[code]["median_working_days"] = (medians["d"].get(code) or [None])[0]
        if city_enough:
            out["city_median_working_days"] = (medians["city"].get(None) or [None])[0]
    return out


def egov_city_latest(conn: Connection, settings=None, now: dt.datetime | None = None) -> list[dict]:
    """The city-wide e-government indicators (latest period per metric) from the KPI engine: aggregates of
    department readings, no person in them."""
    from data_sources.kpi import egov as kpi_egov

    keep = ("domain", "metric", "period", "value", "target", "unit", "previous", "rag", "yardstick", "yardstick_target")
    rows = kpi_egov.latest(conn, settings=settings, now=now)
    return [{k: r[k] for k in keep} for r in rows if r["opd"] == kpi_egov.CITY]
