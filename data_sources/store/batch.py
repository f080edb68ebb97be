"""What a batch of the ingestor is made of (accepted events, refused entries, the result) and the row
helpers every table's writer uses: dialect upserts, bulk inserts, updates by key."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import bindparam, insert, update
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
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(model.__table__)


def personal_values(**values) -> dict | None:
    return values if any(v is not None for v in values.values()) else None


def insert_rows(session: Session, model, rows: list[dict]) -> None:
    """A Core executemany on the model's table (the ORM's bulk path would issue a statement per row here;
    multi-row VALUES statements cost more to compile than they save, measured on both databases)."""
    session.execute(insert(model.__table__), rows)


def update_by_key(session: Session, table, key: str, rows: list[dict]) -> None:
    """One executemany UPDATE ... WHERE key = ?; the rows carry the key and the new values."""
    if not rows:
        return
    statement = (
        update(table)
        .where(table.c[key] == bindparam(f"new_{key}"))
        .values({name: bindparam(f"new_{name}") for name in rows[0] if name != key})
    )
    session.execute(statement, [{f"new_{k}": v for k, v in row.items()} for row in rows])
