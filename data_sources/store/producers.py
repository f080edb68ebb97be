"""The producers table: add, list, revoke, rotate, and find the producer of an API key on each request.

A key is shown once, when it is made (add, rotate); the table keeps its SHA-256 (dashboard/producers.py).
`verify` is a single indexed lookup by digest with no cache, so a revocation stops the key at its next
request in every worker.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard.producers import (
    ProducerError,
    Scope,
    check_name,
    check_source,
    key_digest,
    key_hint,
    looks_like_key,
    new_key,
    parse_types,
)
from data_sources.store.models import Producer


class UnknownProducer(ProducerError):
    """No producer of that name (or it was revoked)."""


@dataclass(frozen=True)
class ProducerInfo:
    name: str
    types: tuple[str, ...]
    source: str
    open311: bool
    key_hint: str
    created_at: dt.datetime
    key_created_at: dt.datetime
    revoked_at: dt.datetime | None

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "types": list(self.types),
            "source": self.source,
            "open311": self.open311,
            "key_hint": self.key_hint,
            "created_at": self.created_at.isoformat(),
            "key_created_at": self.key_created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _info(row: Producer) -> ProducerInfo:
    return ProducerInfo(
        row.name,
        tuple(row.types.split(",")),
        row.source,
        row.open311,
        row.key_hint,
        row.created_at,
        row.key_created_at,
        row.revoked_at,
    )


def add_producer(engine: Engine, name: str, types: str, source: str, open311: bool = False) -> tuple[ProducerInfo, str]:
    """Register a producer; returns it and its API key (the only time the key is seen)."""
    name, patterns, source = check_name(name), parse_types(types), check_source(source)
    if open311 and not any(p in ("*", "complaint.*", "complaint.created") for p in patterns):
        raise ProducerError("--open311 needs complaint.created in --types (Open311 requests become complaints)")
    key, now = new_key(), _now()
    row = Producer(
        name=name,
        key_digest=key_digest(key),
        key_hint=key_hint(key),
        types=",".join(patterns),
        source=source,
        open311=open311,
        created_at=now,
        key_created_at=now,
    )
    with Session(engine) as session:
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            raise ProducerError(f"a producer named {name!r} exists already (revoked ones keep their name)") from None
        return _info(row), key


def list_producers(engine: Engine) -> list[ProducerInfo]:
    with Session(engine) as session:
        return [_info(row) for row in session.scalars(select(Producer).order_by(Producer.name))]


def revoke_producer(engine: Engine, name: str) -> ProducerInfo:
    name = name.strip().lower()
    with Session(engine) as session:
        result = session.execute(
            update(Producer).where(Producer.name == name, Producer.revoked_at.is_(None)).values(revoked_at=_now())
        )
        if result.rowcount != 1:
            raise UnknownProducer(f"there is no active producer named {name!r}")
        session.commit()
        return _info(session.scalars(select(Producer).where(Producer.name == name)).one())


def rotate_key(engine: Engine, name: str) -> tuple[ProducerInfo, str]:
    """A new key for an active producer; the old one stops working at once."""
    name = name.strip().lower()
    key = new_key()
    with Session(engine) as session:
        result = session.execute(
            update(Producer)
            .where(Producer.name == name, Producer.revoked_at.is_(None))
            .values(key_digest=key_digest(key), key_hint=key_hint(key), key_created_at=_now())
        )
        if result.rowcount != 1:
            raise UnknownProducer(f"there is no active producer named {name!r}")
        session.commit()
        return _info(session.scalars(select(Producer).where(Producer.name == name)).one()), key


# Built once: every request of the event API runs it.
_ACTIVE_BY_DIGEST = select(Producer.name, Producer.types, Producer.source, Producer.open311, Producer.key_digest).where(
    Producer.key_digest == bindparam("digest"), Producer.revoked_at.is_(None)
)


def verify(engine: Engine, key: object) -> Scope | None:
    """The scope of an active producer holding `key`, else None (unknown, malformed or revoked key)."""
    if not looks_like_key(key):
        return None
    digest = key_digest(key)
    with engine.connect() as conn:
        row = conn.execute(_ACTIVE_BY_DIGEST, {"digest": digest}).first()
    if row is None or not hmac.compare_digest(row.key_digest, digest):
        return None
    return Scope(row.name, tuple(row.types.split(",")), row.source, bool(row.open311))
