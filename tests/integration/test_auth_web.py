"""The gate, the login form, sessions, throttling and the wall token, on the real app (Flask test client),
real Redis and both databases."""

from __future__ import annotations

import os
import stat
import time

import pytest

from callbacks.access import AccessDenied, current_user, require
from data_sources.store import users
from tests.support.auth_helpers import create_user, csrf_from, login
from web.factory import create_app

PASSWORD = "kata sandi panjang"
WALL_TOKEN = "wall-token-0123456789abcdef"

LIVE_CALLBACK = {
    "output": "..live-body.children...live-known.data...live-feed.data...live-heartbeat.data..",
    "outputs": [
        {"id": i, "property": p}
        for i, p in (
            ("live-body", "children"),
            ("live-known", "data"),
            ("live-feed", "data"),
            ("live-heartbeat", "data"),
        )
    ],
    "inputs": [
        {"id": "live-refresh", "property": "n_intervals", "value": 1},
        {"id": "live-url", "property": "search", "value": ""},
    ],
    "state": [{"id": "live-known", "property": "data", "value": None}],
    "changedPropIds": ["live-refresh.n_intervals"],
}
WALL_CALLBACK = {
    "output": "wall-view.data",
    "outputs": {"id": "wall-view", "property": "data"},
    "inputs": [
        {"id": "wall-poll", "property": "data", "value": {"n": 1, "known": None}},
        {"id": "wall-url", "property": "search", "value": ""},
    ],
    "changedPropIds": ["wall-poll.data"],
}


def router_callback(pathname: str) -> dict:
    return {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": pathname},
            {"id": "_pages_location", "property": "search", "value": ""},
        ],
        "changedPropIds": ["_pages_location.pathname"],
    }


@pytest.fixture
def auth_settings(settings):
    return settings.with_overrides(wall_token=WALL_TOKEN, login_max_failures=3, login_max_failures_per_ip=5)


@pytest.fixture
def make_app(auth_settings, engine, redis_client):
    def make(**overrides):
        return create_app(auth_settings.with_overrides(**overrides), engine=engine, redis_client=redis_client)

    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.server.test_client()


@pytest.fixture
def viewer(engine):
    return create_user(engine, "viewer1", "viewer", PASSWORD)


def client_at(app, address: str):
    """A test client whose requests come from `address`."""
    client = app.server.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def is_login_redirect(response, target: str | None = None) -> bool:
    location = response.headers.get("Location", "")
    if response.status_code != 302 or not location.startswith("/login?"):
        return False
    return target is None or f"next={target}" in location


# --- no access without a login ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, next_param",
    [
        ("/", "%2F"),
        ("/wall", "%2Fwall"),
        ("/briefing", "%2Fbriefing"),
        ("/briefing?opd=dinkes&lang=en", "%2Fbriefing%3Fopd%3Ddinkes%26lang%3Den"),
        ("/anything/else", None),
    ],
)
def test_pages_redirect_to_the_login_without_a_session(client, path, next_param):
    response = client.get(path)
    assert is_login_redirect(response, next_param), (response.status_code, response.headers.get("Location"))
    assert "Set-Cookie" not in response.headers


def test_dash_requests_get_401_json_and_no_data(client):
    for path in ("/_dash-layout", "/_dash-dependencies", "/_reload-hash", "/_wall/pulse"):
        response = client.get(path)
        assert response.status_code == 401 and response.get_json() == {"error": "login_required", "login": "/login"}
    for payload in (LIVE_CALLBACK, WALL_CALLBACK, router_callback("/"), {"output": "x"}, "not json"):
        response = client.post("/_dash-update-component", json=payload)
        assert response.status_code == 401
        assert response.get_json() == {"error": "login_required", "login": "/login"}
        assert "Set-Cookie" not in response.headers


def test_public_paths_stay_open_and_the_embeds_get_no_cookie(client, viewer):
    assert client.get("/login").status_code == 200
    assert client.get("/assets/bootstrap.min.css").status_code == 200
    assert client.get("/_favicon.ico").status_code == 200
    assert not is_login_redirect(client.get("/_dash-component-suites/dash/no-such-file.js"))
    login(client, "viewer1", PASSWORD)
    for path in ("/embed/", "/embed/sla?lang=en", "/assets/pantau.css"):
        response = client.get(path)
        assert not is_login_redirect(response)
        assert "Set-Cookie" not in response.headers, path
    # a dot segment does not ride a public prefix into the app
    anonymous = client.application.test_client()
    assert anonymous.get("/embed/../wall").status_code in (302, 404)
    assert anonymous.post("/embed/../_dash-update-component", json=LIVE_CALLBACK).status_code in (401, 404)


# --- logging in -----------------------------------------------------------------------------------


def test_login_opens_pages_and_callbacks(client, viewer):
    response = login(client, "Viewer1 ", PASSWORD, next_path="/wall?lang=en")
    assert response.headers["Location"] == "/wall?lang=en"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie and "Expires=" in cookie
    assert client.get("/").status_code == 200
    response = client.post("/_dash-update-component", json=LIVE_CALLBACK)
    assert response.status_code == 200 and "live-heartbeat" in response.get_data(as_text=True)
    assert client.get("/login").headers["Location"] == "/"  # already logged in: straight on


def test_wrong_password_and_unknown_name_get_the_same_answer(client, viewer):
    answers = []
    for name, password in (("viewer1", "not the password"), ("nobody", PASSWORD)):
        response = login(client, name, password, expect_success=False)
        answers.append(
            (response.status_code, "Nama pengguna atau kata sandi salah." in response.get_data(as_text=True))
        )
    assert answers == [(401, True), (401, True)]
    assert is_login_redirect(client.get("/"))


def test_the_login_form_needs_its_csrf_token(client, make_app, viewer):
    client.get("/login")
    form = {"username": "viewer1", "password": PASSWORD}
    for token in (None, "", "x" * 43):
        data = dict(form, **({"csrf_token": token} if token is not None else {}))
        response = client.post("/login", data=data)
        assert response.status_code == 400 and "kedaluwarsa" in response.get_data(as_text=True)
        assert is_login_redirect(client.get("/"))
    # a token from another browser's session does not count either
    other = make_app().server.test_client()
    foreign = csrf_from(other.get("/login").get_data(as_text=True))
    assert client.post("/login", data=dict(form, csrf_token=foreign)).status_code == 400
    assert is_login_redirect(client.get("/"))


@pytest.mark.parametrize(
    "next_path",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/\t/evil.example",
        "evil.example",
        "/login",
        "/logout?x=1",
        "",
    ],
)
def test_next_never_leaves_the_site(client, viewer, next_path):
    response = login(client, "viewer1", PASSWORD, next_path=next_path)
    assert response.headers["Location"] == "/"
    assert client.get(f"/login?next={next_path}").headers["Location"] == "/"


def test_login_page_speaks_indonesian_and_english(client):
    page = client.get("/login?next=/briefing").get_data(as_text=True)
    assert 'lang="id"' in page and "Nama pengguna" in page and "Kata sandi" in page
    assert 'href="/login?next=%2Fbriefing&amp;lang=en"' in page
    page = client.get("/login?lang=en&next=%22%3E%3Cscript%3Ealert(1)%3C/script%3E").get_data(as_text=True)
    assert 'lang="en"' in page and "User name" in page and "Password" in page and "<script>alert" not in page


# --- throttling --------------------------------------------------------------------------------------


def test_lockout_after_n_failures_is_shared_by_two_app_instances(make_app, viewer):
    first, second = make_app().server.test_client(), make_app().server.test_client()
    for client in (first, second, first):  # three failures, counted in Redis by both instances together
        assert login(client, "viewer1", "wrong password!", expect_success=False).status_code in (401, 429)
    response = login(second, "viewer1", PASSWORD, expect_success=False)  # the right password, too late
    assert response.status_code == 429  # this name from this address waits (web/login_throttle.py)
    assert "Terlalu banyak percobaan gagal. Coba lagi dalam 1 menit." in response.get_data(as_text=True)
    assert is_login_redirect(second.get("/"))
    # another user at another address is not locked
    create_user(second.application.extensions["pantau"].engine, "viewer2", "viewer", PASSWORD)
    third = client_at(make_app(), "10.1.2.3")
    login(third, "viewer2", PASSWORD)


def test_lockout_per_client_address_across_names(app, engine, viewer):
    client = client_at(app, "10.9.9.9")
    for n in range(5):  # five names, one failure each: the address reaches its limit
        login(client, f"guess{n}", "wrong password!", expect_success=False)
    response = login(client, "viewer1", PASSWORD, expect_success=False)
    assert response.status_code == 429
    login(client_at(app, "10.9.9.10"), "viewer1", PASSWORD)


def test_without_redis_nobody_logs_in(auth_settings, engine, viewer):
    app = create_app(auth_settings.with_overrides(redis_url="redis://127.0.0.1:1/0"), engine=engine)
    client = app.server.test_client()
    response = login(client, "viewer1", PASSWORD, expect_success=False)
    assert response.status_code == 503 and "tidak tersedia" in response.get_data(as_text=True)


# --- sessions end ------------------------------------------------------------------------------------


@pytest.mark.parametrize("change", ["set_password", "set_role", "end_sessions", "remove", "remove_and_add_again"])
def test_a_session_ends_when_the_user_changes(client, engine, viewer, change):
    login(client, "viewer1", PASSWORD)
    assert client.get("/").status_code == 200
    if change == "set_password":
        users.set_password(engine, "viewer1", "another long password")
    elif change == "set_role":
        users.set_role(engine, "viewer1", "officer")
    elif change == "end_sessions":
        users.end_sessions(engine, "viewer1")
    else:
        users.remove_user(engine, "viewer1")
        if change == "remove_and_add_again":
            create_user(engine, "viewer1", "viewer", PASSWORD)
    assert is_login_redirect(client.get("/"))
    assert client.post("/_dash-update-component", json=LIVE_CALLBACK).status_code == 401


def test_logout_asks_then_needs_its_token(client, viewer):
    login(client, "viewer1", PASSWORD)
    page = client.get("/logout").get_data(as_text=True)
    assert "Keluar dari Pantau Surabaya sebagai viewer1?" in page
    token = csrf_from(page)
    assert client.post("/logout", data={}).headers["Location"].startswith("/logout")
    assert client.get("/").status_code == 200  # still logged in
    response = client.post("/logout", data={"csrf_token": token, "lang": "en"})
    assert response.headers["Location"] == "/login?lang=en&logged_out=1"
    assert is_login_redirect(client.get("/"))
    assert "You have logged out." in client.get("/login?lang=en&logged_out=1").get_data(as_text=True)


def test_require_and_current_user(app, engine, viewer):
    with app.server.test_request_context("/"):
        assert current_user() is None
        with pytest.raises(AccessDenied):
            require("view_aggregates")
    assert current_user() is None  # outside a request


def test_access_denied_in_a_view_answers_403(make_app, viewer):
    app = make_app()
    app.server.add_url_rule("/_test-personal", "test_personal", lambda: require("view_personal").name)
    client = app.server.test_client()
    login(client, "viewer1", PASSWORD)
    response = client.get("/_test-personal")
    assert response.status_code == 403 and response.get_json() == {"error": "forbidden"}


# --- the wall token ----------------------------------------------------------------------------------


def test_wall_token_opens_the_wall_and_its_callbacks_only(client):
    response = client.get(f"/wall?token={WALL_TOKEN}&scene=112")
    assert response.status_code == 200 and "Set-Cookie" in response.headers
    assert client.get("/wall").status_code == 200
    assert client.get("/_dash-layout").status_code == 200
    response = client.post("/_dash-update-component", json=WALL_CALLBACK)
    assert response.status_code == 200 and '"heartbeat"' in response.get_data(as_text=True)
    assert client.post("/_dash-update-component", json=router_callback("/wall")).status_code == 200
    pulse = client.get("/_wall/pulse")  # the wall's idle check: the data version and the server's clock
    assert pulse.status_code == 200 and pulse.headers["Cache-Control"] == "no-store"
    body = pulse.get_json()
    assert set(body) == {"ok", "version", "server_ms"} and body["ok"] is True and isinstance(body["version"], str)
    assert abs(body["server_ms"] - time.time() * 1000) < 60_000
    assert client.post("/_wall/pulse").status_code == 403
    for payload in (
        LIVE_CALLBACK,
        router_callback("/"),
        router_callback("/briefing"),
        dict(WALL_CALLBACK, output="..wall-tiles.children...live-body.children.."),
        dict(WALL_CALLBACK, outputs=[{"id": {"type": "wall-x"}, "property": "children"}]),
        dict(WALL_CALLBACK, output=["wall-tiles.children"]),
        [WALL_CALLBACK],
    ):
        response = client.post("/_dash-update-component", json=payload)
        assert response.status_code == 403 and response.get_json() == {"error": "forbidden"}, payload
    assert is_login_redirect(client.get("/"))
    assert is_login_redirect(client.get("/briefing"))


def test_wrong_or_rotated_wall_token(make_app, client):
    response = client.get("/wall?token=wall-token-0123456789abcdeX")
    assert is_login_redirect(response) and "error=wall" in response.headers["Location"]
    assert "token" not in response.headers["Location"].split("next=")[1]
    assert client.get("/wall").status_code == 302
    assert make_app(wall_token=None).server.test_client().get(f"/wall?token={WALL_TOKEN}").status_code == 302
    client.get(f"/wall?token={WALL_TOKEN}")
    assert client.get("/wall").status_code == 200
    rotated = make_app(wall_token="another-wall-token-0123456789")
    rotated_client = rotated.server.test_client()
    rotated_client.set_cookie("pantau_session", client.get_cookie("pantau_session").value)
    assert is_login_redirect(rotated_client.get("/wall"))


# --- the key that signs the sessions ---------------------------------------------------------------


def test_without_a_configured_secret_a_random_one_is_kept_in_the_data_folder(make_app, auth_settings):
    first, second = make_app(secret_key=None), make_app(secret_key=None)
    key_file = auth_settings.data_dir / "secret_key"
    assert first.server.secret_key == second.server.secret_key == key_file.read_text().strip()
    assert len(first.server.secret_key) >= 48 and first.server.secret_key != "pantau-dev-only"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert make_app(secret_key="configured-secret").server.secret_key == "configured-secret"


@pytest.mark.parametrize(
    "mode, base_url, secure",
    [
        ("auto", "http://localhost", False),
        ("auto", "https://localhost", True),
        ("true", "http://localhost", True),
        ("false", "https://localhost", False),
    ],
)
def test_secure_cookie_flag(make_app, viewer, mode, base_url, secure):
    client = make_app(session_cookie_secure=mode).server.test_client()
    token = csrf_from(client.get("/login", base_url=base_url).get_data(as_text=True))
    response = client.post(
        "/login", base_url=base_url, data={"username": "viewer1", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    assert ("; Secure" in response.headers["Set-Cookie"]) is secure


def test_require_in_a_dash_callback_answers_403_to_a_viewer_and_runs_for_an_officer(make_app, engine, viewer):
    from dash import Input, Output

    app = make_app()
    # bound to this app only (app.callback), so the process-wide dash.callback registry stays clean
    app.callback(Output("probe-personal", "children"), Input("probe-trigger", "n_clicks"))(
        lambda _n: f"reporter detail for {require('view_personal').name}"
    )
    payload = {
        "output": "probe-personal.children",
        "outputs": {"id": "probe-personal", "property": "children"},
        "inputs": [{"id": "probe-trigger", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["probe-trigger.n_clicks"],
    }
    client = app.server.test_client()
    login(client, "viewer1", PASSWORD)
    response = client.post("/_dash-update-component", json=payload)
    assert response.status_code == 403 and "reporter detail" not in response.get_data(as_text=True)
    create_user(engine, "petugas1", "officer", PASSWORD)
    officer = app.server.test_client()
    login(officer, "petugas1", PASSWORD)
    response = officer.post("/_dash-update-component", json=payload)
    assert response.status_code == 200 and "reporter detail for petugas1" in response.get_data(as_text=True)
