"""SQL building blocks of the KPI queries, the same numbers on PostgreSQL and SQLite, and the headline.

Durations are seconds rounded to the millisecond (SQLite's clock resolution) on both databases, so
that both see identical inputs. Percentiles interpolate linearly between ranks: PostgreSQL's
percentile_cont; on SQLite the same arithmetic in Python over the values of one scan (percentile_sets).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, String, and_, case, cast, extract, func, literal, null, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from dashboard.filters import KpiFilter
from dashboard.settings import Settings

JULIAN_UNIX_EPOCH = 2440587.5
UNKNOWN = "unknown"  # a kecamatan that is NULL: the filter's token and the group's name
UNASSIGNED = "unassigned"  # an OPD that is NULL (a complaint not yet given to a department)


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


DEFAULT_WORK_MEM_MB = Settings.model_fields["kpi_work_mem_mb"].default


def tune_for_periods(conn: Connection, settings=None) -> None:
    """PostgreSQL, for the rest of this transaction: a period's sorts in memory, and no JIT compilation.

    At the server's 4 MB a year's percentile sorts spill to disk, and the planner, costing a lossy bitmap,
    reads the whole table for the deadline cohort. JIT compiles every statement over a long period anew
    (tens of ms per process), more than it saves on these aggregates. SQLite: nothing to set.
    """
    if not is_postgres(conn):
        return
    mb = int(getattr(settings, "kpi_work_mem_mb", None) or DEFAULT_WORK_MEM_MB)
    conn.execute(select(func.set_config("work_mem", f"{mb}MB", True), func.set_config("jit", "off", True)))


def epoch_seconds(conn: Connection, column):
    """Seconds since 1970 of a stored time (for comparing shares of an SLA span in SQL)."""
    if is_postgres(conn):
        return cast(extract("epoch", column), Float)
    return (func.julianday(column) - JULIAN_UNIX_EPOCH) * 86400.0


def utc_param(conn: Connection, value: dt.datetime):
    """A time bound as the column type stores it (naive UTC text on SQLite, timestamptz on PostgreSQL)."""
    from data_sources.store.models import UTCDateTime

    return literal(value, UTCDateTime())


def percentiles(conn: Connection, value, where, qs: tuple[float, ...], group_by=()) -> dict:
    """{group key (tuple): [percentile per q]} of `value` over the rows of `where`, non-null values only.

    `value` is a column expression over one table (the FROM follows from it); `group_by` are columns.
    """
    if len(group_by) > 1:
        raise ValueError("percentiles: at most one grouping column")
    key = group_by[0] if group_by else None
    found = percentile_sets(conn, [("v", value, where, key)], qs)["v"]
    return {((k,) if group_by else ()): v for k, v in found.items()}


def percentile_sets(conn: Connection, specs, qs: tuple[float, ...]) -> dict:
    stmt, decode = percentile_sets_statement(conn, specs, qs)
    return decode(conn.execute(stmt))


def percentile_sets_statement(conn: Connection, specs, qs: tuple[float, ...]):
    """Several percentile sets in one statement (one round trip), as (statement, decode(result) ->
    {name: {group key: [percentile per q]}}): built once, executed as often as wanted.

    `specs` are (name, value, where, group key or None): the percentiles `qs` of `value` over the rows of
    `where` (non-null values only), per distinct group key, or once (key None) without one; every spec over
    the same table. PostgreSQL: percentile_cont over an array of qs per set; SQLite: one scan returning
    every set's values, interpolated in Python (interpolated_percentiles).
    """
    parts = []
    for name, value, where, key in specs:
        conds = list(where) + [value.isnot(None)]
        k = cast(key, String) if key is not None else cast(null(), String)
        parts.append((literal(name, String()).label("s"), k.label("k"), value.label("v"), conds, key))
    if is_postgres(conn):
        # One SELECT: the sets without a group key as aggregates over the rows of their shared conditions
        # (the same objects in every set's `where`), each with FILTER (the rest); each grouped set as a
        # scalar subquery returning its groups as a JSON array.
        plain = [p for p in parts if p[4] is None]
        grouped = [p for p in parts if p[4] is not None]
        shared = _shared_conditions(plain)
        # percentile_cont(ARRAY[q, ..]): every q of a set from one sort of its values, not one sort per q
        wanted = postgresql.array([literal(q, Float()) for q in qs])
        cols = []
        for s_, k, v, conds, key in plain:
            rest = [c for c in conds if not any(c is d for d in shared)]
            agg = func.percentile_cont(wanted).within_group(v.element)
            cols.append(agg.filter(and_(*rest)) if rest else agg)
        for s_, k, v, conds, key in grouped:
            # Each group's values gathered by a hash aggregate (array_agg), then sorted alone: an ordered-set
            # aggregate under GROUP BY first sorts every row of the period by the key (spilling over a year).
            per_group = select(k, func.array_agg(v.element).label("a")).where(*conds).group_by(key).subquery()
            x = func.unnest(per_group.c.a).column_valued("x")
            p = select(func.percentile_cont(wanted).within_group(x)).scalar_subquery()
            cols.append(select(func.json_agg(func.json_build_array(per_group.c.k, p))).scalar_subquery())
        stmt = select(*cols).where(*shared)

        def to_rows(result):
            values = result.one()
            rows = []
            for j, (s_, *_rest) in enumerate(plain):
                rows.append((s_.element.value, None, *(values[j] or [None] * len(qs))))
            for j, (s_, *_rest) in enumerate(grouped):
                rows += [(s_.element.value, g[0], *(g[1] or [None] * len(qs))) for g in (values[len(plain) + j] or [])]
            return rows
    else:
        # SQLite has no percentile_cont: one scan of the rows of the shared conditions returns every set's value
        # (NULL where the set's own conditions fail) and its group key, and the percentiles are taken here by
        # percentile_cont's own interpolation (interpolated_percentiles). Ranking each set with window functions
        # in SQL cost more than the scan: a month's headline at 1,000,000 complaints went from 1.1 s to 0.75 s.
        shared = _shared_conditions(parts)
        cols = []
        for i, (s_, k, v, conds, key) in enumerate(parts):
            rest = [c for c in conds if not any(c is d for d in shared)]
            cols.append((case((and_(*rest), v.element)) if rest else v.element).label(f"v{i}"))
            cols.append(k.element.label(f"k{i}") if key is not None else literal(None, String()).label(f"k{i}"))
        stmt = select(*cols).where(*shared)

        def to_rows(result):
            columns = list(zip(*result.all())) or [()] * (2 * len(parts))
            rows = []
            for i, (s_, *_rest, key) in enumerate(parts):
                values, keys = columns[2 * i], columns[2 * i + 1]
                sets: dict = {}
                if key is None:
                    sets[None] = [v for v in values if v is not None]
                else:
                    for v, k in zip(values, keys):
                        if v is not None:
                            sets.setdefault(k, []).append(v)
                rows += [
                    (s_.element.value, k, *interpolated_percentiles(found, qs)) for k, found in sets.items() if found
                ]
            return rows

    names = [name for name, *_ in specs]

    def decode(result) -> dict:
        out: dict = {name: {} for name in names}
        for r in to_rows(result):
            if r[-1] is not None:
                out[r[0]][r[1]] = [_num(x) for x in r[2:]]
        return out

    return stmt, decode


def _shared_conditions(parts) -> list:
    """The conditions (the same objects) in every part's `where`: the statement's WHERE; the rest filter."""
    if not parts:
        return []
    return [c for c in parts[0][3] if all(any(c is d for d in p[3]) for p in parts[1:])]


def interpolated_percentiles(values: list[float], qs: tuple[float, ...]) -> list[float]:
    """percentile_cont's result for each q: linear between the ranks around (n - 1) * q, in the same float8
    arithmetic as PostgreSQL's (lo + (hi - lo) * fraction)."""
    ordered = sorted(values)
    n = len(ordered)
    out = []
    for q in qs:
        pos = (n - 1) * q
        low = int(pos)
        lo = ordered[low]
        hi = ordered[low + 1] if low + 1 < n else lo
        out.append(lo + (hi - lo) * (pos - low))
    return out


def combine_groups(rows, n_keys: int) -> tuple[list, dict]:
    """Totals and per-key sums of counts grouped by several keys: one grouped query instead of one per key.

    `rows` are (key1, .., keyN, value1, ..); returns (totals, [{key value: [sums]} per key]).
    """
    totals: list = []
    per_key: list[dict] = [{} for _ in range(n_keys)]
    for r in rows:
        values = [0 if v is None else v for v in r[n_keys:]]
        totals = values if not totals else [a + b for a, b in zip(totals, values)]
        for i in range(n_keys):
            acc = per_key[i].get(r[i])
            per_key[i][r[i]] = values if acc is None else [a + b for a, b in zip(acc, values)]
    return totals, per_key


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
