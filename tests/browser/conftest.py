"""The real app in this process (waitress and an ingestor thread) and Debian's Chromium driving it."""

from __future__ import annotations

import http.cookiejar
import threading
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Browser, Page
from sqlalchemy import insert, select
from waitress import create_server

from cli.demo import start_ingestor_thread
from dashboard.settings import Settings
from data_sources.store.database import make_engine, upgrade
from data_sources.store.models import UserSession
from data_sources.stream.connection import connect
from tests.support.auth_helpers import browser_login, create_user, urllib_login
from tests.support.services import free_port

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

# Every page needs a login now. Each live server gets this viewer as the first user of its fresh database
# (id 1, generation 1) and every server the same secret key, so one login through the real /login form of
# any of them is valid on all (cookies are per host, not per port), once its server-side session row is in
# every server's database too (share_sessions). Browser contexts from `open_page` and urllib's default opener
# (raw callback requests) are logged in that way.
BROWSER_USER, BROWSER_PASSWORD = "browser-viewer", "browser tests only"
BROWSER_SECRET_KEY = f"browser-tests-{uuid.uuid4().hex}"
_running: list[LiveServer] = []
_contexts_waiting_for_a_server: list = []


@dataclass
class LiveServer:
    url: str
    settings: Settings
    stop: threading.Event
    threads: list[threading.Thread]
    web: object
    engine: object
    opener: urllib.request.OpenerDirector  # urllib with the browser viewer's session, for raw requests

    def close(self) -> None:
        if self in _running:
            _running.remove(self)
        self.stop.set()
        self.web.close()
        for thread in self.threads:
            thread.join(timeout=10)
        self.engine.dispose()
        client = connect(self.settings)
        try:
            keys = list(client.scan_iter(f"{self.settings.stream_prefix}:*"))
            if keys:
                client.delete(*keys)
        except redis.RedisError:
            pass  # a test took this Redis away
        finally:
            client.close()


def start_live_server(redis_url: str, data_dir: Path, **overrides) -> LiveServer:
    from web import wall_push
    from web.factory import create_app

    settings = Settings(
        redis_url=redis_url,
        database_url=f"sqlite:///{data_dir / 'pantau.db'}",
        data_dir=data_dir,
        stream_prefix=f"browser-{uuid.uuid4().hex[:10]}",
        block_ms=100,
        consumer_name="browser-test",
        secret_key=BROWSER_SECRET_KEY,
    ).with_overrides(**overrides)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    create_user(engine, BROWSER_USER, "viewer", BROWSER_PASSWORD)
    stop = threading.Event()
    ingestor = start_ingestor_thread(settings, stop, engine)
    port = free_port()
    web = create_server(
        create_app(settings, engine=engine).server, host="127.0.0.1", port=port, threads=wall_push.WAITRESS_THREADS
    )
    server_thread = threading.Thread(target=web.run, name="waitress", daemon=True)
    server_thread.start()
    url = f"http://127.0.0.1:{port}/"
    # The first request hands dash.callback's registrations to this app; do it before another app is built.
    urllib.request.urlopen(url, timeout=10).read()
    server = LiveServer(url, settings, stop, [ingestor, server_thread], web, engine, _logged_in_opener(url))
    _running.append(server)
    while _contexts_waiting_for_a_server:
        browser_login(_contexts_waiting_for_a_server.pop(), url, BROWSER_USER, BROWSER_PASSWORD)
    share_sessions()
    return server


def share_sessions() -> None:
    """Copy the browser viewer's server-side sessions (user_sessions rows: hashes of the cookies' session ids)
    into every running server's database, so that a cookie from a login on one server opens them all. A test
    that logs out still ends its session on the server it logged out from."""
    rows: dict[str, dict] = {}
    for server in _running:
        with server.engine.connect() as conn:
            rows.update({r.id_hash: dict(r._mapping) for r in conn.execute(select(UserSession))})
    for server in _running:
        with server.engine.begin() as conn:
            have = {r[0] for r in conn.execute(select(UserSession.id_hash))}
            missing = [row for key, row in rows.items() if key not in have and row["user_id"] == 1]
            if missing:
                conn.execute(insert(UserSession), missing)


def _logged_in_opener(url: str) -> urllib.request.OpenerDirector:
    """A urllib opener of its own with the browser viewer's session; plain urlopen stays anonymous."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    urllib_login(opener, url, BROWSER_USER, BROWSER_PASSWORD)
    return opener


def log_in_context(context) -> None:
    """Log a browser context in on a running server (the newest that answers), or as soon as one starts."""
    for server in reversed(_running):
        try:
            browser_login(context, server.url, BROWSER_USER, BROWSER_PASSWORD)
            share_sessions()
            return
        except AssertionError:
            continue  # e.g. a test took that server's Redis away: the login refuses while it cannot throttle
    _contexts_waiting_for_a_server.append(context)


@pytest.fixture(scope="module")
def live_server(redis_url, tmp_path_factory):
    server = start_live_server(redis_url, tmp_path_factory.mktemp("live"))
    yield server
    server.close()


@pytest.fixture
def start_server(tmp_path):
    """A server of one's own, on a Redis of one's own choosing."""
    started: list[LiveServer] = []

    def start(redis_url: str, **overrides) -> LiveServer:
        started.append(start_live_server(redis_url, tmp_path / f"app{len(started)}", **overrides))
        return started[-1]

    yield start
    for server in started:
        server.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class ConsoleErrors(list):
    """Console errors and uncaught exceptions of one page."""

    def watch(self, page: Page) -> Page:
        page.on("console", lambda msg: self.append(f"console: {msg.text}") if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.append(f"pageerror: {exc}"))
        return page


@pytest.fixture
def console_errors() -> ConsoleErrors:
    return ConsoleErrors()


@pytest.fixture
def open_page(browser: Browser, console_errors):
    """A fresh page at a viewport size, watched for console errors; closed before any server stops."""
    contexts = []

    def open_(width: int = 1920, height: int = 1080) -> Page:
        contexts.append(browser.new_context(viewport={"width": width, "height": height}, locale="id-ID"))
        log_in_context(contexts[-1])
        return console_errors.watch(contexts[-1].new_page())

    yield open_
    for context in contexts:
        if context in _contexts_waiting_for_a_server:
            _contexts_waiting_for_a_server.remove(context)
        context.close()


@pytest.fixture
def page(open_page) -> Page:
    return open_page()
