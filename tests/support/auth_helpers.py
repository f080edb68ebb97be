"""Logging in from tests, through the real /login form (its CSRF token included).

create_user(engine, "budi", "officer", "a long password")
login(app.server.test_client(), "budi", "a long password")     # a Flask test client
browser_login(page, live_server.url, "budi", "a long password") # a Playwright page or browser context
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from data_sources.store.users import Account, add_user

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def create_user(engine, name: str, role: str, password: str) -> Account:
    return add_user(engine, name, role, password)


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "the login page has no CSRF token"
    return match.group(1)


def login(client, name: str, password: str, *, expect_success: bool = True, next_path: str | None = None):
    """Post the login form with a Flask test client; the client keeps the session cookie."""
    token = csrf_from(client.get("/login").get_data(as_text=True))
    form = {"username": name, "password": password, "csrf_token": token}
    if next_path is not None:
        form["next"] = next_path
    response = client.post("/login", data=form)
    if expect_success:
        assert response.status_code == 303, (response.status_code, response.get_data(as_text=True)[:500])
        assert not response.headers["Location"].startswith("/login"), response.headers["Location"]
    return response


def browser_login(page_or_context, base_url: str, name: str, password: str) -> None:
    """Log a Playwright browser context in (its cookie jar is the context's, shared by all its pages)."""
    context = getattr(page_or_context, "context", page_or_context)
    request = context.request
    login_url = urljoin(base_url, "/login")
    token = csrf_from(request.get(login_url).text())
    response = request.post(
        login_url, form={"username": name, "password": password, "csrf_token": token}, max_redirects=0
    )
    assert response.status == 303, (response.status, response.text()[:500])
    assert not response.headers["location"].startswith("/login"), response.headers["location"]


def urllib_login(opener, base_url: str, name: str, password: str) -> None:
    """Log a urllib opener with an HTTPCookieProcessor in (scripts and raw-request tests)."""
    import urllib.parse

    login_url = urljoin(base_url, "/login")
    with opener.open(login_url, timeout=10) as response:
        token = csrf_from(response.read().decode())
    form = urllib.parse.urlencode({"username": name, "password": password, "csrf_token": token}).encode()
    with opener.open(login_url, data=form, timeout=10) as response:
        assert not urllib.parse.urlsplit(response.geturl()).path.startswith("/login"), response.geturl()
