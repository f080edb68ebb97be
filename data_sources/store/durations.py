"""Durations kept beside the times they come from: generated columns, computed by the database itself.

The KPI percentiles sort these values. Computed at query time, the same arithmetic on every row of a period
cost most of a percentile's time on PostgreSQL (numeric epoch arithmetic per row, once per aggregate that
names it). A generated column is computed once, when the row is written or its times change, and cannot
disagree with them: PostgreSQL stores it (STORED), SQLite computes it on read (VIRTUAL, the only kind
ALTER TABLE can add there).

The value is seconds rounded to the millisecond (tests/integration/test_kpi_queries.py checks it against the
same arithmetic done at query time).
"""

from __future__ import annotations

from sqlalchemy import Computed, Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement


class DurationSeconds(ColumnElement):
    """`later - earlier` in seconds, rounded to the millisecond, as a generated column's expression."""

    inherit_cache = True
    type = Float()

    def __init__(self, later: str, earlier: str):
        self.later, self.earlier = later, earlier


@compiles(DurationSeconds, "postgresql")
def _postgresql(element: DurationSeconds, compiler, **kw) -> str:
    # extract(epoch FROM interval) and round(numeric, int) are immutable, as a generated column needs
    return f"CAST(round(EXTRACT(epoch FROM ({element.later} - {element.earlier})), 3) AS DOUBLE PRECISION)"


@compiles(DurationSeconds, "sqlite")
def _sqlite(element: DurationSeconds, compiler, **kw) -> str:
    return f"round((julianday({element.later}) - julianday({element.earlier})) * 86400.0, 3)"


class GeneratedDuration(Computed):
    """STORED on PostgreSQL (also on 18, whose default became VIRTUAL), VIRTUAL on SQLite (ALTER TABLE can add
    nothing else there, so a new database gets what a migrated one has)."""

    inherit_cache = True


@compiles(GeneratedDuration, "postgresql")
def _stored(generated: GeneratedDuration, compiler, **kw) -> str:
    expression = compiler.sql_compiler.process(generated.sqltext, include_table=False, literal_binds=True)
    return f"GENERATED ALWAYS AS ({expression}) STORED"


@compiles(GeneratedDuration, "sqlite")
def _virtual(generated: GeneratedDuration, compiler, **kw) -> str:
    expression = compiler.sql_compiler.process(generated.sqltext, include_table=False, literal_binds=True)
    return f"GENERATED ALWAYS AS ({expression}) VIRTUAL"


def duration_seconds(later: str, earlier: str) -> Computed:
    """A generated column's definition: `later - earlier` in seconds, to the millisecond."""
    return GeneratedDuration(DurationSeconds(later, earlier), persisted=True)
