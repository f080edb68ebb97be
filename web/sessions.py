"""The login session: started at login, ended at logout, and the form token of both forms.

The keys it writes are read by callbacks/access.py (current_user), which every page and callback asks.
"""

from __future__ import annotations

import datetime as dt
import secrets

import flask

from callbacks.access import (
    SESSION_CSRF,
    SESSION_GENERATION,
    SESSION_ID,
    SESSION_USER_ID,
    USER_CACHE_KEY,
    User,
    current_services,
)
from data_sources.store.sessions import close_session, open_session
from data_sources.store.users import Account


def start_session(account: Account) -> None:
    """Log `account` in: a fresh session (nothing carried over from before the login), opened on the server."""
    services = current_services()
    session_id = open_session(services.engine, account.id, dt.timedelta(hours=services.settings.session_hours))
    flask.session.clear()
    flask.session.permanent = True  # lives PANTAU_SESSION_HOURS, renewed by every request
    flask.session[SESSION_USER_ID] = account.id
    flask.session[SESSION_GENERATION] = account.session_generation
    flask.session[SESSION_ID] = session_id
    flask.session[SESSION_CSRF] = secrets.token_urlsafe(32)
    setattr(flask.g, USER_CACHE_KEY, User(account.name, account.role))


def end_session() -> None:
    """Log out: the server forgets the session, so a copy of the cookie saved before opens nothing."""
    session_id = flask.session.get(SESSION_ID)
    if type(session_id) is str:
        close_session(current_services().engine, session_id)
    flask.session.clear()
    setattr(flask.g, USER_CACHE_KEY, None)


def csrf_token() -> str:
    """The session's form token (made on first use, so the login form has one before anyone logs in)."""
    token = flask.session.get(SESSION_CSRF)
    if not isinstance(token, str) or len(token) < 32:
        token = flask.session[SESSION_CSRF] = secrets.token_urlsafe(32)
    return token


def csrf_ok(submitted: object) -> bool:
    token = flask.session.get(SESSION_CSRF)
    return (
        isinstance(token, str)
        and len(token) >= 32
        and isinstance(submitted, str)
        and secrets.compare_digest(token.encode(), submitted.encode())
    )
