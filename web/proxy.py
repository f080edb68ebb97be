"""Which forwarded headers the app believes: the one rule of PANTAU_PROXY_COUNT, for every server.

The rule lives here, in the app, and not in the servers: waitress (`app.py serve`) and gunicorn
(`app:server`) each have proxy settings of their own, and they differ (waitress drops every X-Forwarded-*
header unless told to trust a proxy, and reads them its own way when told; gunicorn reads none of them but
takes X-Forwarded-Proto from any peer on 127.0.0.1, whatever PANTAU_PROXY_COUNT says). So both servers are
told to pass the headers through and decide nothing (cli/run.py: `clear_untrusted_proxy_headers=False`;
gunicorn.conf.py: `secure_scheme_headers = {}`), and this middleware, the same code under both, decides:

- PANTAU_PROXY_COUNT = n > 0: werkzeug's ProxyFix trusts the last n entries of X-Forwarded-For, -Proto,
  -Host and -Port (what the n proxies wrote, not what the client wrote before them): `remote_addr` is the
  client's for the login throttle, the embeds' rate limit and the logs, and `is_secure` follows the proxy's
  `https` for the session cookie's `auto` Secure flag.
- 0: no forwarded header reaches the app at all; the peer is the client, the connection's scheme is the
  scheme.
"""

from __future__ import annotations

from werkzeug.middleware.proxy_fix import ProxyFix

# The WSGI environ keys of the headers a proxy (or a client pretending to be one) may send.
FORWARDED_HEADERS = (
    "HTTP_FORWARDED",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
    "HTTP_X_FORWARDED_BY",
)


class DropForwardedHeaders:
    """No proxy in front: whatever forwarded headers a client wrote are removed before the app sees them."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        for key in FORWARDED_HEADERS:
            environ.pop(key, None)
        return self.app(environ, start_response)


def trust_proxies(wsgi_app, proxy_count: int):
    """`wsgi_app` behind PANTAU_PROXY_COUNT's rule (see the module's docstring)."""
    if proxy_count > 0:
        n = proxy_count
        return ProxyFix(wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)
    return DropForwardedHeaders(wsgi_app)


# How waitress must run under this rule: pass the forwarded headers through untouched (by default it drops
# them all, and PANTAU_PROXY_COUNT would never see one); trust_proxies decides which to believe.
WAITRESS_OPTIONS = {"clear_untrusted_proxy_headers": False}
