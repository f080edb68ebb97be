"""The users table: add, remove, change, list, and check a password at login.

Passwords are hashed with argon2id (argon2-cffi's defaults: RFC 9106's low-memory profile). A hash made with
older parameters is replaced on the next successful login. A login for a name that does not exist still
costs one argon2 verification, so the time of an answer does not tell which names exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard.roles import CredentialError, check_name, check_password, check_role, normalize_name
from data_sources.store.models import UserAccount, UserSession

_hasher = PasswordHasher()
# Verified against when the name is unknown, so that case costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("pantau: no such user")


@dataclass(frozen=True)
class Account:
    """What a session holds on to: the row's id, name, role and session generation."""

    id: int
    name: str
    role: str
    session_generation: int
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


class UnknownUser(CredentialError):
    """No user of that name."""


def hash_password(password: str) -> str:
    return _hasher.hash(check_password(password))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _account(row: UserAccount) -> Account:
    return Account(row.id, row.name, row.role, row.session_generation, row.created_at, row.updated_at)


def add_user(engine: Engine, name: str, role: str, password: str) -> Account:
    name, role = check_name(name), check_role(role)
    password_hash = hash_password(password)
    now = _now()
    with Session(engine) as session:
        row = UserAccount(
            name=name, role=role, password_hash=password_hash, session_generation=1, created_at=now, updated_at=now
        )
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            raise CredentialError(f"a user named {name!r} exists already") from None
        return _account(row)


def _change(engine: Engine, name: str, **values) -> Account:
    """Apply `values` to the named user and end its sessions (the generation moves on)."""
    name = normalize_name(name)
    with Session(engine) as session:
        result = session.execute(
            update(UserAccount)
            .where(UserAccount.name == name)
            .values(session_generation=UserAccount.session_generation + 1, updated_at=_now(), **values)
        )
        if result.rowcount != 1:
            raise UnknownUser(f"there is no user named {name!r}")
        user_id = session.scalars(select(UserAccount.id).where(UserAccount.name == name)).one()
        session.execute(delete(UserSession).where(UserSession.user_id == user_id))  # the generation would refuse them
        session.commit()
        return _account(session.scalars(select(UserAccount).where(UserAccount.name == name)).one())


def set_password(engine: Engine, name: str, password: str) -> Account:
    return _change(engine, name, password_hash=hash_password(password))


def set_role(engine: Engine, name: str, role: str) -> Account:
    return _change(engine, name, role=check_role(role))


def end_sessions(engine: Engine, name: str) -> Account:
    """Log the user out everywhere, keeping the password and role."""
    return _change(engine, name)


def remove_user(engine: Engine, name: str) -> None:
    name = normalize_name(name)
    with Session(engine) as session:
        if session.execute(delete(UserAccount).where(UserAccount.name == name)).rowcount != 1:
            raise UnknownUser(f"there is no user named {name!r}")
        session.commit()


def list_users(engine: Engine) -> list[Account]:
    with Session(engine) as session:
        return [_account(row) for row in session.scalars(select(UserAccount).order_by(UserAccount.name))]


def account_by_id(engine: Engine, user_id: int) -> Account | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(UserAccount.id, UserAccount.name, UserAccount.role, UserAccount.session_generation).where(
                UserAccount.id == user_id
            )
        ).first()
    return Account(*row) if row else None


def authenticate(engine: Engine, name: str, password: str) -> Account | None:
    """The account when `password` is right for `name`, else None; never says which of the two was wrong."""
    name = normalize_name(name)
    if not isinstance(password, str) or len(password) > 4 * 256:
        password = ""
    with Session(engine) as session:
        row = session.scalars(select(UserAccount).where(UserAccount.name == name)).first()
        if row is None or not password:
            verify_password(_DUMMY_HASH, password or "x")
            return None
        if not verify_password(row.password_hash, password):
            return None
        if _hasher.check_needs_rehash(row.password_hash):
            # a rehash is not a password change: the generation (and so the user's other sessions) stays
            row.password_hash = _hasher.hash(password)
            session.commit()
        return _account(row)
