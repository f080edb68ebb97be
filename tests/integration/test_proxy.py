"""Behind a reverse proxy (PANTAU_PROXY_COUNT), on both real servers: waitress through `app.py serve` and
gunicorn through `app:server`, each started as a subprocess on a free loopback port, with real Redis and a
SQLite file, and spoken to with raw HTTP requests whose X-Forwarded-* headers play the proxy (or a client
forging them).

At 1, the address a proxy appends to X-Forwarded-For is the client's for the login throttle, the embeds'
rate limit and the login log, whatever the client wrote before it, and a forwarded `https` makes the
session cookie Secure (PANTAU_SESSION_COOKIE_SECURE=auto). At 0, forged forwarded headers change nothing:
every request is the loopback peer's, over plain HTTP.
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis

from tests.support.auth_helpers import csrf_from
from tests.support.services import free_port

ROOT = Path(__file__).resolve().parents[2]
USER, PASSWORD = "budi", "kata sandi panjang"
MAX_FAILURES_PER_IP = 3
EMBED_LIMIT = 3
SERVERS = ("serve", "gunicorn")


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> tuple[str, Path]:
    """One SQLite file with its schema and a viewer, shared by every server of this module."""
    data_dir = tmp_path_factory.mktemp("proxy")
    url = f"sqlite:///{data_dir / 'pantau.db'}"
    env = {**os.environ, "PANTAU_DATABASE_URL": url, "PANTAU_DATA_DIR": str(data_dir), "PANTAU_LOG_LEVEL": "WARNING"}
    python = [sys.executable, str(ROOT / "app.py")]
    subprocess.run([*python, "init-db"], env=env, cwd=ROOT, check=True, timeout=120, capture_output=True)
    subprocess.run(
        [*python, "users", "add", USER, "--role", "viewer", "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
        timeout=120,
        capture_output=True,
    )
    return url, data_dir


class Server:
    def __init__(self, kind: str, proxy_count: int, redis_url: str, database: tuple[str, Path]):
        self.kind, self.proxy_count = kind, proxy_count
        self.port = free_port()
        self.prefix = f"test-proxy-{uuid.uuid4().hex[:10]}"
        self.redis_url = redis_url
        url, data_dir = database
        self.log_path = data_dir / f"{kind}-{proxy_count}-{self.port}.log"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PANTAU_", "FORWARDED_ALLOW_IPS"))},
            "PANTAU_REDIS_URL": redis_url,
            "PANTAU_DATABASE_URL": url,
            "PANTAU_DATA_DIR": str(data_dir),
            "PANTAU_STREAM_PREFIX": self.prefix,
            "PANTAU_HOST": "127.0.0.1",
            "PANTAU_PORT": str(self.port),
            "PANTAU_LOG_LEVEL": "INFO",
            "PANTAU_PROXY_COUNT": str(proxy_count),
            "PANTAU_SESSION_COOKIE_SECURE": "auto",
            "PANTAU_LOGIN_MAX_FAILURES_PER_IP": str(MAX_FAILURES_PER_IP),
            "PANTAU_LOGIN_MAX_FAILURES": "1000",  # only the per-address lockout is under test
            "PANTAU_EMBED_RATE_LIMIT": f"{EMBED_LIMIT}/60",
        }
        if kind == "serve":
            command = [sys.executable, str(ROOT / "app.py"), "serve"]
        else:  # the production command: gunicorn reads gunicorn.conf.py from the working directory
            command = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{self.port}", "app:server"]
            command[-1:-1] = ["--no-control-socket"]  # not the one ~/.gunicorn/gunicorn.ctl of every gunicorn
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            try:
                if self.request("GET", "/login")[0] == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"{kind} did not start:\n{self.log()}")
            time.sleep(0.3)

    def request(self, method: str, path: str, headers: dict | None = None, body: bytes | None = None):
        """(status, Set-Cookie headers, body) of one request on a connection of its own."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.msg.get_all("Set-Cookie") or [], response.read().decode()
        finally:
            conn.close()

    def login(self, name: str, password: str, forwarded: dict) -> tuple[int, list[str]]:
        """Post the login form as one client behind the proxy (every request with the same headers)."""
        status, cookies, body = self.request("GET", "/login", forwarded)
        assert status == 200, (status, body[:300])
        cookie = next(c.split(";", 1)[0] for c in cookies if c.startswith("pantau_session="))
        form = urlencode({"username": name, "password": password, "csrf_token": csrf_from(body)}).encode()
        headers = {**forwarded, "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        status, cookies, _ = self.request("POST", "/login", headers, form)
        return status, cookies

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_lines(self, pattern: str) -> list[str]:
        """The server's log lines matching `pattern`, after a moment for the workers to write them."""
        time.sleep(0.3)
        return [line for line in self.log().splitlines() if re.search(pattern, line)]

    def forget_clients(self) -> None:
        """A fresh start for the next test: no failed logins, no embed requests counted."""
        client = redis.Redis.from_url(self.redis_url)
        keys = list(client.scan_iter(f"{self.prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()
        self.forget_clients()


@pytest.fixture(scope="module", params=SERVERS)
def server_behind_one_proxy(request, redis_url, database):
    server = Server(request.param, 1, redis_url, database)
    yield server
    server.close()


@pytest.fixture(scope="module", params=SERVERS)
def server_without_proxy(request, redis_url, database):
    server = Server(request.param, 0, redis_url, database)
    yield server
    server.close()


@pytest.fixture
def behind_one_proxy(server_behind_one_proxy):
    server_behind_one_proxy.forget_clients()
    return server_behind_one_proxy


@pytest.fixture
def without_proxy(server_without_proxy):
    server_without_proxy.forget_clients()
    return server_without_proxy


def _session_cookie(cookies: list[str]) -> str:
    return next(c for c in cookies if c.startswith("pantau_session="))


def _is_secure(cookie: str) -> bool:
    return "secure" in [attribute.strip().lower() for attribute in cookie.split(";")[1:]]


def _via_proxy(client: str, forged: str = "203.0.113.66") -> dict:
    # what the one proxy sends on: whatever the client wrote itself, then the address it saw
    return {"X-Forwarded-For": f"{forged}, {client}"}


def test_behind_one_proxy_the_login_throttle_and_log_see_the_forwarded_client(behind_one_proxy):
    server = behind_one_proxy
    locked_out, other = "198.51.100.20", "198.51.100.21"
    # Failures of one client, each with another address forged in front of the proxy's: they add up.
    statuses = [
        server.login(f"nobody{i}", "wrong password", _via_proxy(locked_out, forged=f"203.0.113.{i}"))[0]
        for i in range(MAX_FAILURES_PER_IP)
    ]
    assert statuses == [401] * (MAX_FAILURES_PER_IP - 1) + [429]
    assert server.login(USER, PASSWORD, _via_proxy(locked_out))[0] == 429  # that client is locked out...
    assert server.login(USER, PASSWORD, _via_proxy(other))[0] == 303  # ...and only that one
    failed = server.log_lines(r"login: failed for 'nobody\d'")
    assert len(failed) == MAX_FAILURES_PER_IP, server.log()
    assert all(line.endswith(f" from {locked_out}") for line in failed), failed
    if server.kind == "serve":  # gunicorn does not configure logging: its workers print warnings only
        assert server.log_lines(rf"login: {USER} \(viewer\) from {re.escape(other)}$"), server.log()


def test_behind_one_proxy_the_embed_rate_limit_counts_each_forwarded_client(behind_one_proxy):
    server = behind_one_proxy
    busy, reader = "198.51.100.40", "198.51.100.41"
    statuses = [
        server.request("GET", "/embed/egov", _via_proxy(busy, forged=f"203.0.113.{i}"))[0]
        for i in range(EMBED_LIMIT + 1)
    ]
    assert statuses == [200] * EMBED_LIMIT + [429]
    assert server.request("GET", "/embed/egov", _via_proxy(reader))[0] == 200


def test_behind_one_proxy_a_forwarded_https_makes_the_session_cookie_secure(behind_one_proxy):
    server = behind_one_proxy
    status, cookies = server.login(USER, PASSWORD, {**_via_proxy("198.51.100.60"), "X-Forwarded-Proto": "https"})
    assert status == 303
    assert _is_secure(_session_cookie(cookies))
    status, cookies = server.login(USER, PASSWORD, {**_via_proxy("198.51.100.61"), "X-Forwarded-Proto": "http"})
    assert status == 303
    assert not _is_secure(_session_cookie(cookies))


def test_without_proxy_a_forged_https_leaves_the_session_cookie_plain(without_proxy):
    server = without_proxy
    forged = {
        "X-Forwarded-For": "198.51.100.80",
        "X-Forwarded-Proto": "https",
        "Forwarded": "for=198.51.100.80;proto=https",
    }
    status, cookies = server.login(USER, PASSWORD, forged)
    assert status == 303
    assert not _is_secure(_session_cookie(cookies))  # plain HTTP, whatever the client says
    if server.kind == "serve":
        assert server.log_lines(rf"login: {USER} \(viewer\) from 127\.0\.0\.1$"), server.log()


def test_without_proxy_forged_addresses_leave_the_login_throttle_and_log_on_the_peer(without_proxy):
    server = without_proxy
    # Failures under a new forged address each time: all the loopback peer's, locked out together.
    statuses = [
        server.login(f"nobody{i}", "wrong password", {"X-Forwarded-For": f"198.51.100.{90 + i}"})[0]
        for i in range(MAX_FAILURES_PER_IP)
    ]
    assert statuses == [401] * (MAX_FAILURES_PER_IP - 1) + [429]
    assert server.login(USER, PASSWORD, {"X-Forwarded-For": "198.51.100.99"})[0] == 429
    failed = server.log_lines(r"login: failed for 'nobody\d'")
    assert len(failed) == MAX_FAILURES_PER_IP, server.log()
    assert all(line.endswith(" from 127.0.0.1") for line in failed), failed
    assert not server.log_lines(r"from 198\.51\.100\."), server.log()


def test_without_proxy_forged_addresses_leave_the_embed_rate_limit_on_the_peer(without_proxy):
    server = without_proxy
    statuses = [
        server.request("GET", "/embed/egov", {"X-Forwarded-For": f"198.51.100.{110 + i}"})[0]
        for i in range(EMBED_LIMIT + 1)
    ]
    assert statuses == [200] * EMBED_LIMIT + [429]
