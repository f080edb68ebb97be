"""Fixtures: real Redis, real PostgreSQL and SQLite, fresh per test where it matters."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import text

from dashboard.settings import Settings
from data_sources.kpi import columns
from data_sources.store.database import make_engine, session_factory, upgrade
from data_sources.store.models import Base
from data_sources.stream.connection import connect
from data_sources.stream.ingest import Ingestor
from tests.support.services import CHROMIUM, CHROMIUM_ARGS, PostgresDatabase, shared_redis_url

KINDS = ("unit", "integration", "browser", "chaos")


def pytest_collection_modifyitems(items):
    """Each test is marked with the kind its folder holds (tests/unit, tests/integration, ...)."""
    for item in items:
        kind = next((k for k in KINDS if f"/tests/{k}/" in str(item.path)), None)
        if kind is not None:
            item.add_marker(getattr(pytest.mark, kind))


@pytest.fixture(scope="session")
def redis_url():
    url, handle = shared_redis_url()
    yield url
    if handle is not None:
        handle.close()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run: Playwright's sync API allows one driver per process."""
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (scripts/test does)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def postgres_database():
    database = PostgresDatabase()
    engine = make_engine(database.url)
    upgrade(engine)
    engine.dispose()
    yield database
    database.drop()


def _truncate(engine) -> None:
    columns.forget(engine)  # the briefing's column copy of the rows deleted here
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            c.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for t in tables:
                c.execute(text(f"DELETE FROM {t}"))


@pytest.fixture
def postgres_engine(postgres_database):
    """An engine on the session's PostgreSQL database, emptied: for the tests of PostgreSQL alone."""
    engine = make_engine(postgres_database.url)
    _truncate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Every store test runs on both databases."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'pantau.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
    else:
        database = request.getfixturevalue("postgres_database")
        engine = make_engine(database.url)
        _truncate(engine)
        engine.dispose()
        yield database.url


@pytest.fixture
def settings(redis_url, database_url, tmp_path) -> Settings:
    return Settings(
        redis_url=redis_url,
        database_url=database_url,
        stream_prefix=f"test-{uuid.uuid4().hex[:12]}",
        data_dir=tmp_path,
        block_ms=100,
        claim_idle_ms=300,
        batch_size=200,
        consumer_name=f"test-{uuid.uuid4().hex[:6]}",
    )


@pytest.fixture
def redis_settings(redis_url, tmp_path) -> Settings:
    """Settings for a test that needs Redis only: no database parameter, so it runs once, not once per
    database."""
    return Settings(
        redis_url=redis_url,
        stream_prefix=f"test-{uuid.uuid4().hex[:12]}",
        data_dir=tmp_path,
        block_ms=100,
        claim_idle_ms=300,
        batch_size=200,
        consumer_name=f"test-{uuid.uuid4().hex[:6]}",
    )


@pytest.fixture
def engine(settings):
    engine = make_engine(settings.resolved_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def redis_client(settings):
    client = connect(settings)
    yield client
    keys = list(client.scan_iter(f"{settings.stream_prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def ingest_until_idle(settings, engine, redis_client):
    """Run an ingestor until the streams are drained; returns the ingestor for inspection."""

    def run(**overrides) -> Ingestor:
        ingestor = Ingestor(settings.with_overrides(**overrides), redis_client, session_factory(engine))
        stop = threading.Event()
        timer = threading.Timer(60, stop.set)  # a stuck test fails instead of hanging CI
        timer.start()
        try:
            ingestor.run(stop, until_idle=True)
        finally:
            timer.cancel()
        assert not stop.is_set(), "ingestor did not become idle within 60 s"
        return ingestor

    return run


def make_event(
    event_id: str, event_type: str, data: dict, occurred_at: str = "2026-11-27T08:15:02+07:00", **envelope
) -> dict:
    event = {
        "event_id": event_id,
        "type": event_type,
        "occurred_at": occurred_at,
        "source": "test",
        "schema": 1,
        "data": data,
    }
    event.update(envelope)
    return event
