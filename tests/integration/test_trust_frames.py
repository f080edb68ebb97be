"""Issue 15, item 14 (headers): every page and Dash route outside /embed forbids being framed by anyone."""

from __future__ import annotations

import pytest

from tests.integration.test_auth_web import PASSWORD
from tests.support.auth_helpers import create_user, login
from web.factory import create_app

PATHS = ["/", "/wall", "/briefing", "/login", "/logout", "/_dash-layout", "/_dash-dependencies", "/no-such-page"]


def _frame_ancestors(csp: str) -> str:
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    return directives.get("frame-ancestors", "")


@pytest.fixture
def app(redis_settings, redis_client):
    from data_sources.store.database import make_engine, upgrade

    engine = make_engine(redis_settings.resolved_database_url)
    upgrade(engine)
    create_user(engine, "officer1", "officer", PASSWORD)
    yield create_app(redis_settings, engine=engine, redis_client=redis_client)
    engine.dispose()


@pytest.mark.parametrize("logged_in", [False, True])
def test_no_page_outside_the_embeds_may_be_framed(app, logged_in):
    client = app.server.test_client()
    if logged_in:
        login(client, "officer1", PASSWORD)
    for path in PATHS:
        response = client.get(path)
        assert _frame_ancestors(response.headers.get("Content-Security-Policy", "")) == "frame-ancestors 'none'", path
        assert response.headers.get("X-Frame-Options") == "DENY", path
    response = client.post("/_dash-update-component", json={"output": "x"})
    assert response.headers.get("X-Frame-Options") == "DENY"
