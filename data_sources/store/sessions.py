"""Login sessions kept on the server, so that logout (or an idle lifetime) ends a session for good.

The signed cookie alone cannot be taken back: a copy saved before logout stays valid until it expires, and
every request renews it. So the cookie also carries a random session id, and every request looks it up
here, in the same query that reads the user's role. Why the database and not Redis: the request already
reads the users table, so the check costs no extra round trip; sessions survive a Redis restart; and a
Redis outage keeps open sessions working, as the login promises (only new logins need the throttle).

The table holds only the id's SHA-256. `last_seen_at` is written at most every TOUCH_EVERY, not on every
request, so a polling wall costs a write a few times an hour.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine

from data_sources.store.models import UserAccount, UserSession
from data_sources.store.users import Account

TOUCH_EVERY = dt.timedelta(minutes=5)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def open_session(engine: Engine, user_id: int, max_idle: dt.timedelta) -> str:
    """A new session of the user; returns the id for the cookie. The user's idle sessions are dropped."""
    session_id, now = secrets.token_urlsafe(32), _now()
    with engine.begin() as conn:
        conn.execute(
            delete(UserSession).where(UserSession.user_id == user_id, UserSession.last_seen_at < now - max_idle)
        )
        conn.execute(
            UserSession.__table__.insert().values(
                id_hash=_hash(session_id), user_id=user_id, created_at=now, last_seen_at=now
            )
        )
    return session_id


def session_account(engine: Engine, user_id: int, session_id: str, max_idle: dt.timedelta) -> Account | None:
    """The account of a live session (its row exists, belongs to `user_id`, was seen within `max_idle`)."""
    now, id_hash = _now(), _hash(session_id)
    with engine.connect() as conn:
        row = conn.execute(
            select(
                UserAccount.id,
                UserAccount.name,
                UserAccount.role,
                UserAccount.session_generation,
                UserSession.last_seen_at,
            )
            .join(UserSession, UserSession.user_id == UserAccount.id)
            .where(UserSession.id_hash == id_hash, UserAccount.id == user_id)
        ).first()
    if row is None or row.last_seen_at < now - max_idle:
        return None
    if row.last_seen_at < now - TOUCH_EVERY:
        with engine.begin() as conn:
            conn.execute(update(UserSession).where(UserSession.id_hash == id_hash).values(last_seen_at=now))
    return Account(row.id, row.name, row.role, row.session_generation)


def close_session(engine: Engine, session_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(UserSession).where(UserSession.id_hash == _hash(session_id)))


def close_user_sessions(engine: Engine, user_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(delete(UserSession).where(UserSession.user_id == user_id))
