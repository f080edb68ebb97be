"""Every security header of every response, in one place.

- Everywhere: `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` (a briefing link with
  its filters never leaks to another site).
- Outside /embed (the logged-in pages, the login form, Dash's own routes): a Content-Security-Policy with
  `frame-ancestors 'none'` and `X-Frame-Options: DENY`, so no other site can frame an officer's session
  (clickjacking). Scripts come from this server only, plus the hashes of Dash's inline start-up script;
  `'unsafe-eval'` because dash-ag-grid compiles the briefing's column formatters with `new Function`.
- Under /api/ and /open311/ (JSON and XML for machines): `default-src 'none'; frame-ancestors 'none'`, so
  an answer opened in a browser runs nothing and loads nothing, and X-Frame-Options DENY. Open311's public
  GETs also carry `Access-Control-Allow-Origin: *`: civic web apps read them from their own origin, and no
  credential (cookie or key) is involved in a GET there. Nothing else is allowed cross-origin.
- Under /embed: the embeds' own policy (web/embed_guard.py content_security_policy), whose
  frame-ancestors are the portal origins of PANTAU_EMBED_ORIGINS; no X-Frame-Options (frame-ancestors
  decides).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import flask

EMBED_PREFIX = "/embed"
MACHINE_PREFIXES = ("/api/", "/open311/")
OPEN311_PREFIX = "/open311/"
MACHINE_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


@functools.lru_cache(maxsize=8)
def app_policy(script_hashes: tuple[str, ...]) -> str:
    scripts = " ".join(["'self'", *script_hashes, "'unsafe-eval'"])  # csp_hashes() come quoted
    # Plotly writes <style> elements and MapLibre runs its workers from blob: URLs.
    return (
        "default-src 'self'; "
        f"script-src {scripts}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; "
        "font-src 'self' data:; "
        "connect-src 'self'; "
        "worker-src 'self' blob:; child-src 'self' blob:; "
        "frame-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


def is_embed_path(path: str) -> bool:
    return path == EMBED_PREFIX or path.startswith(EMBED_PREFIX + "/")


def install(server: flask.Flask, app_csp: Callable[[], str], embed_csp: Callable[[], str] | None) -> None:
    """Set the headers on every response of `server` (registered last, so it has the final word)."""

    def set_headers(response: flask.Response) -> flask.Response:
        headers = response.headers
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        path = flask.request.path
        if path.startswith(MACHINE_PREFIXES):
            headers["Content-Security-Policy"] = MACHINE_POLICY
            headers["X-Frame-Options"] = "DENY"
            if path.startswith(OPEN311_PREFIX) and flask.request.method in ("GET", "HEAD"):
                headers["Access-Control-Allow-Origin"] = "*"
        elif is_embed_path(path) and embed_csp is not None:
            headers["Content-Security-Policy"] = embed_csp()
            headers.pop("X-Frame-Options", None)
        else:
            headers["Content-Security-Policy"] = app_csp()
            headers["X-Frame-Options"] = "DENY"
        return response

    # after_request functions run in reverse order of registration: first in the list runs last
    server.after_request_funcs.setdefault(None, []).insert(0, set_headers)
