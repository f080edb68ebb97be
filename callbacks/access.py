"""What a page or callback may know of its request: the app's services, the logged-in user, and the
check a view or callback makes.

    from callbacks.access import AccessDenied, User, current_services, current_user, require

    user = require("view_personal")     # raises AccessDenied unless an officer or admin is logged in

The session (a signed Flask cookie) holds only the user's id, session generation and a random session id.
Every request checks them against the users table and the server-side sessions (data_sources/store/sessions.py),
so logout, a removed user, a new password or a new role ends a session on its next request, in every server
worker, even for a copy of the cookie saved before. The answer is kept for the rest of the request.

The gate that keeps anonymous requests out of every page and callback (but /login and the public /embed
app) is web/gate.py; the login and logout pages are web/login.py, and web/sessions.py starts and ends the
session whose keys are read here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import flask

from dashboard.roles import allowed
from data_sources.services import EXTENSION_KEY, Services
from data_sources.store.sessions import session_account

# The session cookie's keys (web/sessions.py writes them).
SESSION_USER_ID = "uid"
SESSION_GENERATION = "gen"
SESSION_ID = "sid"  # the server-side session (its SHA-256 is in user_sessions)
SESSION_CSRF = "csrf"
USER_CACHE_KEY = "pantau_current_user"  # flask.g: the answer is kept for the rest of the request


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


def current_services() -> Services:
    """The services of the app serving this request (nothing imports the app object)."""
    return flask.current_app.extensions[EXTENSION_KEY]


def current_user() -> User | None:
    """The logged-in user of this Flask request, or None (no request, no session, or a session that ended)."""
    if not flask.has_request_context():
        return None
    if USER_CACHE_KEY in flask.g:
        return flask.g.get(USER_CACHE_KEY)
    user = None
    user_id, generation = flask.session.get(SESSION_USER_ID), flask.session.get(SESSION_GENERATION)
    session_id = flask.session.get(SESSION_ID)
    # a cookie is signed, but its values are still checked for type: bool is an int in Python
    if type(user_id) is int and type(generation) is int and type(session_id) is str:
        services = current_services()
        max_idle = dt.timedelta(hours=services.settings.session_hours)
        account = session_account(services.engine, user_id, session_id, max_idle)
        if account is not None and account.session_generation == generation:
            user = User(account.name, account.role)
    setattr(flask.g, USER_CACHE_KEY, user)
    return user


def require(permission: str) -> User:
    """The current user if their role has `permission`; else AccessDenied (also when nobody is logged in)."""
    user = current_user()
    if user is None or not allowed(user.role, permission):
        raise AccessDenied(permission, user)
    return user
