"""Login, logout, the session cookie and the gate, attached to the Flask server with one call:

    auth_routes.init_app(app)       # in create_app

GET /login shows the form; POST /login (username, password, csrf_token, next) logs in and goes to `next`,
which must be a path of this site. GET /logout asks, POST /logout (with its CSRF token) logs out; views link
to /logout. Sessions are signed cookies (HttpOnly, SameSite=Lax, Secure as configured) that live
PANTAU_SESSION_HOURS from the last request. Failed logins are throttled in Redis (data_sources/login_throttle).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dash
import flask
import redis
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy.exc import SQLAlchemyError

from callbacks.access import AccessDenied, current_services, current_user
from dashboard.i18n import language, t
from dashboard.settings import Settings, SettingsError
from data_sources import metrics, services
from data_sources.store.users import authenticate
from layouts.login import LOGIN_PATH, LOGOUT_PATH, login_page, logout_page
from web.gate import client_address, gate, is_cookieless
from web.login_throttle import LoginThrottle
from web.sessions import csrf_ok, csrf_token, end_session, start_session

log = logging.getLogger(__name__)

SESSION_COOKIE = "pantau_session"
SECRET_KEY_FILE = "secret_key"
_MAX_FIELD = 1024


class PantauSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, but never a cookie on the public embeds and static files, and a
    Secure flag that follows the request's scheme when PANTAU_SESSION_COOKIE_SECURE is auto."""

    def get_cookie_secure(self, app: flask.Flask) -> bool:
        mode = app.config["PANTAU_SESSION_COOKIE_SECURE"]
        return flask.request.is_secure if mode == "auto" else mode == "true"

    def save_session(self, app, session, response) -> None:
        if is_cookieless(flask.request.path):
            return
        super().save_session(app, session, response)


def secret_key(settings: Settings) -> str:
    """PANTAU_SECRET_KEY, else a random key kept in the data folder and shared by the workers there.

    Never a fixed key: whoever knows the key can forge a session of any user."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / SECRET_KEY_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    scratch = path.with_name(f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise SettingsError(
            f"PANTAU_SECRET_KEY is not set and {path} cannot be created ({exc.strerror}): "
            "set PANTAU_SECRET_KEY, or make PANTAU_DATA_DIR writable"
        ) from None
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    try:
        os.link(scratch, path)  # atomic, and fails if another worker got there first: then theirs wins
    except FileExistsError:
        pass
    finally:
        scratch.unlink()
    return path.read_text().strip()


def safe_next(raw: object) -> str:
    """A path of this site to go to after the login; anything else (another site, a scheme, //host,
    a backslash that browsers read as a slash, control characters) is the start page."""
    if not isinstance(raw, str) or not raw.startswith("/") or len(raw) > 2000:
        return "/"
    if raw.startswith("//") or "\\" in raw or any(ord(ch) < 32 or ord(ch) == 127 for ch in raw):
        return "/"
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc:
        return "/"
    if parts.path in (LOGIN_PATH, LOGOUT_PATH):
        return "/"
    return raw


def _lang() -> str:
    request = flask.request
    settings = current_services().settings
    raw = request.form.get("lang") if request.method == "POST" else request.args.get("lang")
    return language(raw) if raw in ("id", "en") else settings.default_language


def _html(body: str, status: int = 200) -> flask.Response:
    response = flask.Response(body, status, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


def _locked_message(seconds: int, lang: str) -> str:
    return t("login.locked", lang, minutes=max(1, math.ceil(seconds / 60)))


def _show_login():
    request = flask.request
    lang, next_path = _lang(), safe_next(request.args.get("next", "/"))
    if current_user() is not None:
        return flask.redirect(next_path, code=303)
    error = {"wall": t("login.wall_link_invalid", lang), "unavailable": t("login.unavailable", lang)}.get(
        request.args.get("error", "")
    )
    if request.args.get("error") == "locked":
        app = current_services()
        try:
            error = _locked_message(LoginThrottle(app.redis, app.settings).locked_for(None, client_address()), lang)
        except redis.RedisError:
            error = t("login.unavailable", lang)
    notice = t("login.logged_out", lang) if request.args.get("logged_out") == "1" else None
    return _html(login_page(lang, csrf_token(), next_path, error=error, notice=notice))


def _do_login():
    request = flask.request
    app = current_services()
    lang, next_path = _lang(), safe_next(request.form.get("next", "/"))
    name = request.form.get("username", "")[:_MAX_FIELD]
    password = request.form.get("password", "")[:_MAX_FIELD]

    def again(error: str, status: int):
        return _html(login_page(lang, csrf_token(), next_path, username=name.strip()[:64], error=error), status)

    if not csrf_ok(request.form.get("csrf_token")):
        return again(t("login.expired", lang), 400)
    key = name.strip().lower()
    throttle = LoginThrottle(app.redis, app.settings)
    address = client_address()
    try:
        wait = throttle.locked_for(key, address)
        if wait:
            metrics.LOGINS.labels("locked").inc()
            return again(_locked_message(wait, lang), 429)
        account = authenticate(app.engine, key, password)
        if account is None:
            wait = throttle.failed(key, address)
            metrics.LOGINS.labels("failure").inc()
            log.warning("login: failed for %r from %s", key[:64], address)
            return again(_locked_message(wait, lang), 429) if wait else again(t("login.failed", lang), 401)
        throttle.succeeded(key, address)
    except (redis.RedisError, SQLAlchemyError) as exc:
        # without the throttle nobody is let in: a guesser must not profit from a Redis outage
        metrics.LOGINS.labels("unavailable").inc()
        log.warning("login: unavailable (%s)", type(exc).__name__)
        return again(t("login.unavailable", lang), 503)
    metrics.LOGINS.labels("success").inc()
    start_session(account)
    log.info("login: %s (%s) from %s", account.name, account.role, address)
    return flask.redirect(next_path, code=303)


def login():
    return _show_login() if flask.request.method == "GET" else _do_login()


def logout():
    request = flask.request
    lang = _lang()
    user = current_user() if request.method == "GET" else None
    if request.method == "GET":
        if user is None:
            end_session()
            return flask.redirect(f"{LOGIN_PATH}?lang={lang}", code=303)
        return _html(logout_page(lang, csrf_token(), user.name))
    if not csrf_ok(request.form.get("csrf_token")):
        return flask.redirect(f"{LOGOUT_PATH}?lang={lang}", code=303)
    end_session()
    return flask.redirect(f"{LOGIN_PATH}?lang={lang}&logged_out=1", code=303)


def _access_denied(exc: AccessDenied):
    # a callback or layout that called require(): nothing of what it would have sent
    status = 401 if exc.user is None else 403
    return flask.jsonify({"error": "login_required" if status == 401 else "forbidden"}), status


def init_app(app: dash.Dash) -> None:
    server = app.server
    settings = server.extensions[services.EXTENSION_KEY].settings
    server.config.update(
        SECRET_KEY=secret_key(settings),
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PANTAU_SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings.session_hours),
        SESSION_REFRESH_EACH_REQUEST=True,  # sliding: a wall that keeps polling stays logged in
    )
    server.session_interface = PantauSessionInterface()
    server.add_url_rule(LOGIN_PATH, "pantau_login", login, methods=["GET", "POST"])
    server.add_url_rule(LOGOUT_PATH, "pantau_logout", logout, methods=["GET", "POST"])
    server.register_error_handler(AccessDenied, _access_denied)
    # first in line, before anything Dash registered: nothing runs for a request the gate turns away
    server.before_request_funcs.setdefault(None, []).insert(0, gate)
