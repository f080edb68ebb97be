"""Bulk statements of the store's writers: Core executemany, one statement per table and batch."""

from __future__ import annotations

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session


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
