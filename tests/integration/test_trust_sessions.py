"""Issue 15, item 5: logout ends the session on the server, not only in the browser that logged out."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from data_sources.store.models import UserSession
from tests.integration.test_auth_web import LIVE_CALLBACK, PASSWORD, is_login_redirect
from tests.support.auth_helpers import create_user, csrf_from, login
from web.factory import create_app


@pytest.fixture
def app(settings, engine, redis_client):
    return create_app(settings, engine=engine, redis_client=redis_client)


@pytest.fixture
def viewer(engine):
    return create_user(engine, "viewer1", "viewer", PASSWORD)


def _replay(app, cookie: str):
    """Another browser (the attacker's) holding a copy of the cookie."""
    client = app.server.test_client()
    client.set_cookie("pantau_session", cookie)
    return client


def _logout(client) -> None:
    token = csrf_from(client.get("/logout").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303


def test_a_cookie_saved_before_logout_opens_nothing_after_it(app, viewer):
    client = app.server.test_client()
    login(client, "viewer1", PASSWORD)
    client.get("/briefing")  # a request renews the cookie: save the newest one, as an attacker would
    saved = client.get_cookie("pantau_session").value
    assert _replay(app, saved).get("/briefing").status_code == 200  # the copy works while logged in
    _logout(client)
    replay = _replay(app, saved)
    assert is_login_redirect(replay.get("/briefing"))
    assert replay.get("/_dash-layout").status_code == 401
    assert replay.post("/_dash-update-component", json=LIVE_CALLBACK).status_code == 401


def test_logout_ends_only_that_session(app, viewer):
    laptop, phone = app.server.test_client(), app.server.test_client()
    login(laptop, "viewer1", PASSWORD)
    login(phone, "viewer1", PASSWORD)
    _logout(laptop)
    assert is_login_redirect(laptop.get("/"))
    assert phone.get("/briefing").status_code == 200


def test_a_session_idle_longer_than_its_lifetime_ends_on_the_server(app, engine, viewer):
    client = app.server.test_client()
    login(client, "viewer1", PASSWORD)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(UserSession)) == 1
        long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(
            hours=app.server.extensions["pantau"].settings.session_hours + 1
        )
        session.execute(update(UserSession).values(last_seen_at=long_ago))
        session.commit()
    assert is_login_redirect(client.get("/briefing"))


def test_the_database_holds_no_usable_session_id(app, engine, viewer):
    client = app.server.test_client()
    login(client, "viewer1", PASSWORD)
    with Session(engine) as session:
        stored = session.scalars(select(UserSession.id_hash)).one()
    cookie = client.get_cookie("pantau_session").value
    assert stored not in cookie  # a read of the table (a backup, say) gives no session to replay
