"""Who is asking: the logged-in user of this request, and the check a view or callback makes.

    from data_sources.auth import AccessDenied, User, current_user, require

    user = require("view_personal")     # raises AccessDenied unless an officer or admin is logged in

The session (a signed Flask cookie) holds only the user's id and session generation. Every request checks
them against the users table, so a removed user, a new password or a new role ends that user's sessions on
their next request, in every server worker. The answer is kept for the rest of the request.

The gate that keeps anonymous requests out of every page and callback (but /login and the public /embed
app) is data_sources/auth_gate.py; the login and logout pages are data_sources/auth_routes.py.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

import flask

from dashboard.roles import allowed
from data_sources import services
from data_sources.users import Account, account_by_id

_SESSION_USER_ID = "uid"
_SESSION_GENERATION = "gen"
_SESSION_CSRF = "csrf"
_CACHE_KEY = "pantau_current_user"


@dataclass(frozen=True)
class User:
    name: str
    role: str


class AccessDenied(Exception):
    """Not logged in, or the role lacks the permission asked for."""

    def __init__(self, permission: str, user: User | None):
        self.permission, self.user = permission, user
        who = f"{user.name} ({user.role})" if user else "an anonymous request"
        super().__init__(f"{who} may not {permission}")


def current_user() -> User | None:
    """The logged-in user of this Flask request, or None (no request, no session, or a session that ended)."""
    if not flask.has_request_context():
        return None
    if _CACHE_KEY in flask.g:
        return flask.g.get(_CACHE_KEY)
    user = None
    user_id, generation = flask.session.get(_SESSION_USER_ID), flask.session.get(_SESSION_GENERATION)
    # a cookie is signed, but its values are still checked for type: bool is an int in Python
    if type(user_id) is int and type(generation) is int:
        account = account_by_id(services.current().engine, user_id)
        if account is not None and account.session_generation == generation:
            user = User(account.name, account.role)
    setattr(flask.g, _CACHE_KEY, user)
    return user


def require(permission: str) -> User:
    """The current user if their role has `permission`; else AccessDenied (also when nobody is logged in)."""
    user = current_user()
    if user is None or not allowed(user.role, permission):
        raise AccessDenied(permission, user)
    return user


# --- for the login routes and the gate --------------------------------------------------------------

def start_session(account: Account) -> None:
    """Log `account` in: a fresh session (nothing carried over from before the login)."""
    flask.session.clear()
    flask.session.permanent = True  # lives PANTAU_SESSION_HOURS, renewed by every request
    flask.session[_SESSION_USER_ID] = account.id
    flask.session[_SESSION_GENERATION] = account.session_generation
    flask.session[_SESSION_CSRF] = secrets.token_urlsafe(32)
    setattr(flask.g, _CACHE_KEY, User(account.name, account.role))


def end_session() -> None:
    flask.session.clear()
    setattr(flask.g, _CACHE_KEY, None)


def csrf_token() -> str:
    """The session's form token (made on first use, so the login form has one before anyone logs in)."""
    token = flask.session.get(_SESSION_CSRF)
    if not isinstance(token, str) or len(token) < 32:
        token = flask.session[_SESSION_CSRF] = secrets.token_urlsafe(32)
    return token


def csrf_ok(submitted: object) -> bool:
    token = flask.session.get(_SESSION_CSRF)
    return (isinstance(token, str) and len(token) >= 32 and isinstance(submitted, str)
            and secrets.compare_digest(token.encode(), submitted.encode()))
