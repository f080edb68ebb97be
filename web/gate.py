"""The gate: one before_request that every request of the Flask server passes.

Open to anyone: /login, /logout, static files (/assets/, /_dash-component-suites/, /_favicon.ico) and
everything under /embed (the public embeds: anonymous, aggregates only, no cookie). /api/ and /open311/
pass too: they check their own keys, never the session. Everything else needs
a logged-in user. Without one, a page is redirected to /login?next=<where it was going>, and a Dash request
(/_dash-update-component, /_dash-layout, /_dash-dependencies, any /_...) gets 401 JSON: a callback's answer
must never be a login page, and assets/auth.js reloads the page so the browser lands on the login.

The wall token (PANTAU_WALL_TOKEN): /wall?token=T, compared in constant time, gives a session that may see
the wall page, its pulse (/_wall/pulse) and the wall's callbacks only: every output of its /_dash-update-component requests must
be a `wall-*` component, or the request must be exactly the page router's request for /wall (its whole
shape, inputs in order: Dash passes them by position). A wrong token counts as a failed login of the
client's address.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from urllib.parse import urlencode

import flask
import redis
from sqlalchemy.exc import SQLAlchemyError

from callbacks.access import current_services, current_user
from data_sources import metrics
from layouts.wall import PULSE_PATH as WALL_PULSE_PATH
from web.login_throttle import LoginThrottle

log = logging.getLogger(__name__)

# /healthz, /readyz: the probes (web/health.py); /metrics checks its own bearer token (web/metrics.py)
OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
PUBLIC_PATHS = frozenset({"/login", "/logout", "/_favicon.ico", "/embed"}) | OPS_PATHS
# /api/ and /open311/ check their own credentials (a Bearer key, an api_key form field; web/api.py,
# web/open311.py) and never the session cookie: no cookie means no CSRF surface.
MACHINE_PREFIXES = ("/api/", "/open311/")
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/embed/", *MACHINE_PREFIXES)
# Paths whose responses must never carry or refresh the session cookie (anonymous by design).
COOKIELESS_PREFIXES = ("/embed/", "/assets/", "/_dash-component-suites/", "/_favicon.ico", *MACHINE_PREFIXES)
WALL_PATHS = frozenset({"/wall", "/wall/"})
WALL_ID_PREFIX = "wall-"
# What a wall-only session may fetch besides the wall page and its callbacks: the app shell (an empty page
# container and the callback graph: no data).
WALL_SHELL = frozenset({"/_dash-layout", "/_dash-dependencies", "/_reload-hash"})
_SESSION_WALL = "wall"


def is_public(path: str) -> bool:
    if any(segment in (".", "..") for segment in path.split("/")):
        return False  # no "/embed/../wall" slipping past on a prefix
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def is_cookieless(path: str) -> bool:
    return path == "/embed" or path in OPS_PATHS or (path.startswith(COOKIELESS_PREFIXES) and is_public(path))


def client_address() -> str:
    # behind proxies, the client's own address: web/proxy.py has read X-Forwarded-For (PANTAU_PROXY_COUNT)
    return flask.request.remote_addr or "unknown"


# --- the wall token --------------------------------------------------------------------------------


def _token_fingerprint(token: str) -> str:
    # what the (readable, signed) session cookie holds: changing the token ends every wall session
    return hmac.new(b"pantau wall token", token.encode(), hashlib.sha256).hexdigest()[:32]


def _wall_session_ok(wall_token: str | None) -> bool:
    held = flask.session.get(_SESSION_WALL)
    return (
        wall_token is not None and isinstance(held, str) and hmac.compare_digest(held, _token_fingerprint(wall_token))
    )


def _token_matches(given: str, wall_token: str | None) -> bool:
    return wall_token is not None and hmac.compare_digest(given.encode(), wall_token.encode())


def start_wall_session(wall_token: str) -> None:
    flask.session.clear()
    flask.session.permanent = True
    flask.session[_SESSION_WALL] = _token_fingerprint(wall_token)


def output_ids(output: str) -> list[str]:
    """Component ids of a callback key as Dash builds it: 'id.prop' or '..id1.prop1...id2.prop2..'."""
    parts = output[2:-2].split("...") if output.startswith("..") and output.endswith("..") else [output]
    return [part.rsplit(".", 1)[0] for part in parts]


def _flat(items) -> list:
    if isinstance(items, dict):
        return [items]
    if isinstance(items, list):
        return [leaf for item in items for leaf in _flat(item)]
    return [items]


# The page router's request for /wall, exactly as dash-renderer sends it. Dash hands the router its inputs
# by position (pathname first, then search) and never reads the property names in the body, so the check
# is on the whole shape, in order: a list with a pathname of /wall under another name or in another place
# would render another page.
_ROUTER_OUTPUT = ".._pages_content.children..._pages_store.data.."
_ROUTER_OUTPUTS = [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}]
_ROUTER_INPUTS = (("_pages_location", "pathname"), ("_pages_location", "search"))
_ROUTER_KEYS = frozenset({"output", "outputs", "inputs", "state", "changedPropIds", "parsedChangedPropsIds"})


def _is_wall_router_request(body: dict) -> bool:
    if not set(body) <= _ROUTER_KEYS:
        return False
    if body.get("outputs") != _ROUTER_OUTPUTS or body.get("state", []) != []:
        return False
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or len(inputs) != len(_ROUTER_INPUTS):
        return False
    for given, (component, prop) in zip(inputs, _ROUTER_INPUTS, strict=True):
        if not isinstance(given, dict) or set(given) != {"id", "property", "value"}:
            return False
        if given["id"] != component or given["property"] != prop or not isinstance(given["value"], str):
            return False
    return inputs[0]["value"] in WALL_PATHS


def wall_callback_allowed(body: object) -> bool:
    """Whether a /_dash-update-component body only asks for the wall's own outputs (or the /wall page)."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return False
    ids = output_ids(body["output"])
    declared = _flat(body.get("outputs", []))
    if not all(isinstance(o, dict) for o in declared):
        return False
    if all(isinstance(i, str) and i.startswith(WALL_ID_PREFIX) for i in ids):
        return all(isinstance(o.get("id"), str) and o["id"].startswith(WALL_ID_PREFIX) for o in declared)
    if body["output"] == _ROUTER_OUTPUT:
        return _is_wall_router_request(body)
    return False


def _wall_request_allowed() -> bool:
    request = flask.request
    if request.path in WALL_PATHS or request.path in WALL_SHELL or request.path == WALL_PULSE_PATH:
        return request.method in ("GET", "HEAD")
    if request.path == "/_dash-update-component" and request.method == "POST":
        return wall_callback_allowed(request.get_json(silent=True))
    return False


# --- answers ------------------------------------------------------------------------------------


def _is_api(path: str) -> bool:
    return path.startswith("/_")


def _json_error(status: int, error: str, **extra):
    response = flask.jsonify({"error": error, **extra})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def login_redirect(**extra):
    request = flask.request
    kept = [(k, v) for k, v in request.args.items(multi=True) if k != "token"]  # a wall token stays out of it
    query = {"next": f"{request.path}?{urlencode(kept)}" if kept else request.path}
    lang = request.args.get("lang")
    if lang in ("id", "en"):
        query["lang"] = lang
    query.update(extra)
    return flask.redirect(f"/login?{urlencode(query)}", code=302)


def _login_required():
    request = flask.request
    if _is_api(request.path) or request.method not in ("GET", "HEAD"):
        return _json_error(401, "login_required", login="/login")
    return login_redirect()


def gate():
    request = flask.request
    if is_public(request.path):
        return None
    app = current_services()
    wall_token = app.settings.wall_token
    try:
        if current_user() is not None:
            return None
    except SQLAlchemyError as exc:
        log.warning("gate: users table unavailable (%s)", type(exc).__name__)
        if _is_api(request.path):
            return _json_error(503, "unavailable")
        return flask.Response(
            "Pantau Surabaya: database unavailable, retry shortly.",
            503,
            {"Retry-After": "5", "Content-Type": "text/plain; charset=utf-8"},
        )
    if _wall_session_ok(wall_token):
        if _wall_request_allowed():
            return None
        if _is_api(request.path):
            return _json_error(403, "forbidden")
        return login_redirect()
    token = request.args.get("token")
    if request.path in WALL_PATHS and request.method == "GET" and token is not None and wall_token is not None:
        return _try_wall_token(token, wall_token)
    return _login_required()


def _try_wall_token(token: str, wall_token: str):
    app = current_services()
    throttle = LoginThrottle(app.redis, app.settings)
    address = client_address()
    try:
        if throttle.locked_for(None, address):
            return login_redirect(error="locked")
        if _token_matches(token, wall_token):
            start_wall_session(wall_token)
            return None  # the page itself is served; the token stays in the URL, so a reload gets back in
        throttle.failed(None, address)
        metrics.LOGINS.labels("wall_token_failure").inc()
    except redis.RedisError as exc:
        log.warning("gate: login throttle unavailable (%s)", type(exc).__name__)
        return login_redirect(error="unavailable")
    log.warning("gate: wrong wall token from %s", address)
    return login_redirect(error="wall")
