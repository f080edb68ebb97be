"""What a page or callback may know of its request: the app's services, the logged-in user, and the
check a view or callback makes.

    from callbacks.access import AccessDenied, User, current_services, current_user, require

    user = require("view_personal")     # raises AccessDenied unless an officer or admin is logged in

The session (a signed Flask cookie) holds only the user's id and session generation. Every request checks
them against the users table, so a removed user, a new password or a new role ends that user's sessions on
their next request, in every server worker. The answer is kept for the rest of the request.

The gate that keeps anonymous requests out of every page and callback (but /login and the public /embed
app) is web/gate.py; the login and logout pages are web/login.py, and web/sessions.py starts and ends the
session whose keys are read here.
"""

from __future__ import annotations

from dataclasses import dataclass

import flask

from dashboard.roles import allowed
from data_sources.services import EXTENSION_KEY, Services
from data_sources.store.users import account_by_id

# The session cookie's keys (web/sessions.py writes them).
SESSION_USER_ID = "uid"
SESSION_GENERATION = "gen"
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
    # a cookie is signed, but its values are still checked for type: bool is an int in Python
    if type(user_id) is int and type(generation) is int:
        account = account_by_id(current_services().engine, user_id)
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
