"""What a batch of the ingestor is made of (accepted events, refused entries, the result) and the row
helpers every table's writer uses: dialect upserts, bulk inserts, updates by key."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import any_, bindparam, cast, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dashboard import events as ev


@dataclass(frozen=True)
class Accepted:
    """A stream entry whose event passed validation."""

    stream: str
    entry_id: str
    event: ev.Event
    fingerprint: str


@dataclass(frozen=True)
class Refused:
    """A stream entry that goes to the dead-letter stream."""

    stream: str
    entry_id: str
    raw: str
    reason: str


@dataclass
class BatchResult:
    stored: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    duplicates: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refused: list[Refused] = field(default_factory=list)


def dialect_insert(session: Session, model):
    """An INSERT with the dialect's ON CONFLICT clauses, on the model's table (Core, not the ORM)."""
    return (postgresql.insert if _on_postgresql(session) else sqlite.insert)(model.__table__)


def personal_values(**values) -> dict | None:
    return values if any(v is not None for v in values.values()) else None


def insert_rows(session: Session, model, rows: list[dict]) -> None:
    """A Core executemany on the model's table (the ORM's bulk path would issue a statement per row here;
    multi-row VALUES statements cost more to compile than they save, measured on both databases)."""
    session.execute(insert(model.__table__), rows)


def _on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _array(column, values: list):
    """The values as one PostgreSQL array parameter of the column's type."""
    return cast(bindparam(None, values, type_=postgresql.ARRAY(column.type)), postgresql.ARRAY(column.type))


def plan_for_current_tables(session: Session) -> None:
    """On PostgreSQL, plan this transaction's statements for its arguments and the tables as they are now.

    The driver prepares a statement run often, and the server may then keep one generic plan for it. A plan
    kept while a table was small (a new database, before autovacuum's first ANALYZE) scans the whole table
    for every batch long after it has grown; planning a batch's few lookups afresh costs far less.
    """
    if _on_postgresql(session):
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def key_in(session: Session, column, values) -> object:
    """`column IN (values)`; on PostgreSQL `column = ANY(array)`: one parameter and one statement text for
    every batch, which the server parses and plans once, instead of a parameter per value."""
    if _on_postgresql(session):
        return column == any_(_array(column, list(values)))
    return column.in_(values)


def update_by_key(session: Session, table, key: str, rows: list[dict]) -> None:
    """Update rows by key; the rows carry the key and the new values. On PostgreSQL one UPDATE ... FROM the
    rows as arrays (one statement for the batch); on SQLite, in process, an executemany."""
    if not rows:
        return
    if _on_postgresql(session):
        new = select(*(func.unnest(_array(table.c[name], [row[name] for row in rows])).label(name) for name in rows[0]))
        new = new.subquery("new")
        statement = (
            update(table)
            .where(table.c[key] == new.c[key])
            .values({name: new.c[name] for name in rows[0] if name != key})
        )
        session.execute(statement)
        return
    statement = (
        update(table)
        .where(table.c[key] == bindparam(f"new_{key}"))
        .values({name: bindparam(f"new_{name}") for name in rows[0] if name != key})
    )
    session.execute(statement, [{f"new_{k}": v for k, v in row.items()} for row in rows])
