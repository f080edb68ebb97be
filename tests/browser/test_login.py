"""The login form in headless Chromium against the real app: a person logs in, fails, and is sent back to
the form when their session ends."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from data_sources.store import users
from tests.support.auth_helpers import create_user

PASSWORD = "sandi rapat pimpinan"


@pytest.fixture
def fresh_page(browser, console_errors):
    """A page of a browser context that is not logged in."""
    contexts = []

    def open_(width: int = 1366, height: int = 768):
        contexts.append(browser.new_context(viewport={"width": width, "height": height}, locale="id-ID"))
        return console_errors.watch(contexts[-1].new_page())

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def officer(live_server):
    create_user(live_server.engine, "kabag.humas", "officer", PASSWORD)
    return "kabag.humas"


def test_login_through_the_form_reaches_the_live_page(live_server, officer, fresh_page, console_errors, artifacts_dir):
    page = fresh_page()
    page.goto(live_server.url)
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    expect(page.get_by_role("heading", name="Masuk dengan akun Anda")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "login-1366x768-id.png"))
    # everything on one screen, nothing cut at 1366x768
    box = page.locator(".pantau-login-card").bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 768
    page.get_by_label("Nama pengguna").fill("Kabag.Humas")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.locator("#live-status")).to_have_text(re.compile("Langsung"), timeout=15_000)
    assert page.url == live_server.url
    cookie = next(c for c in page.context.cookies() if c["name"] == "pantau_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert console_errors == []


def test_english_login_page_and_a_wrong_password(live_server, officer, fresh_page, console_errors, artifacts_dir):
    page = fresh_page()
    page.goto(live_server.url + "wall?lang=en")
    expect(page.get_by_role("heading", name="Log in with your account")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "login-1366x768-en.png"))
    page.get_by_label("User name").fill(officer)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#login-error")).to_have_text("Wrong user name or password.")
    expect(page.get_by_label("User name")).to_have_value(officer)
    page.screenshot(path=str(artifacts_dir / "login-error-1366x768-en.png"))
    # the language switch keeps where the person was going
    page.locator("#login-language").click()
    expect(page.get_by_role("heading", name="Masuk dengan akun Anda")).to_be_visible()
    page.get_by_label("Nama pengguna").fill(officer)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(r"/wall\?lang=en$"))
    expect(page.locator("#wall-page")).to_be_attached(timeout=15_000)
    # the failed attempt was logged by the browser as a 401 resource error; nothing else
    assert [e for e in console_errors if "401" not in e] == []


def test_projector_size_screenshot(live_server, fresh_page, artifacts_dir):
    page = fresh_page(1920, 1080)
    page.goto(live_server.url + "login")
    expect(page.get_by_role("button", name="Masuk")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "login-1920x1080-id.png"))


def _logged_in_on_the_live_page(live_server, page, name: str):
    """Through the real form, as a person does, until the live page says it is live."""
    page.goto(live_server.url + "login")
    page.get_by_label("Nama pengguna").fill(name)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.locator("#live-status")).to_have_text(re.compile("Langsung"), timeout=15_000)
    return page


def test_an_ended_session_sends_the_open_page_back_to_the_login(live_server, fresh_page, console_errors):
    create_user(live_server.engine, "staf.mc", "viewer", PASSWORD)
    page = _logged_in_on_the_live_page(live_server, fresh_page(), "staf.mc")
    users.end_sessions(live_server.engine, "staf.mc")  # as `app.py users logout staf.mc` does
    # the next refresh gets 401; assets/auth.js reloads the page and the gate sends it to the form
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"), timeout=15_000)
    expect(page.get_by_role("heading", name="Masuk dengan akun Anda")).to_be_visible()


def test_logout_from_the_link(live_server, fresh_page):
    create_user(live_server.engine, "keluar", "viewer", PASSWORD)
    page = _logged_in_on_the_live_page(live_server, fresh_page(), "keluar")
    page.goto(live_server.url + "logout")
    page.get_by_role("button", name="Keluar").click()
    expect(page.get_by_text("Anda telah keluar.")).to_be_visible()
    page.goto(live_server.url)
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))


def test_wall_token_opens_the_wall_screen_and_nothing_else(
    start_server, redis_url, fresh_page, console_errors, artifacts_dir
):
    token = "media-center-wall-0123456789"
    server = start_server(redis_url, wall_token=token)
    page = fresh_page(1920, 1080)
    page.goto(f"{server.url}wall?token={token}&scene=overview")
    expect(page.locator("#wall-status")).to_have_text("Langsung", timeout=15_000)
    page.wait_for_timeout(2_500)  # a few refreshes through the gate
    expect(page.locator("#wall-status")).to_have_text("Langsung")
    assert console_errors == []
    page.goto(server.url)
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    stranger = fresh_page()
    stranger.goto(f"{server.url}wall?token=not-the-token-0123456789")
    expect(stranger.locator("#login-error")).to_contain_text("Tautan layar dinding ini tidak berlaku")
