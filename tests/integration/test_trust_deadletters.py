"""Issue 15, item 9: dead letters (raw events with names, phones, NIK) have a retention of their own, in the
stream and in the table, applied by the ingestor's retention loop; `app.py deadletters purge` removes them
on demand."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from sqlalchemy import insert, select

from cli import main
from data_sources import redis_keys
from data_sources.store.database import session_factory
from data_sources.store.models import DeadLetter
from data_sources.stream.ingest import Ingestor

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
RAW = json.dumps({"event_id": "x", "data": {"reporter": {"name": "Siti Rahasia", "nik": "3578015501900001"}}})


def _seed(settings, engine, client, ages_days: list[float]) -> None:
    key = redis_keys.deadletter_key(settings)
    with engine.begin() as conn:
        for n, age in enumerate(ages_days):
            at = NOW - dt.timedelta(days=age)
            client.xadd(key, {"event": RAW, "reason": "invalid"}, id=f"{int(at.timestamp() * 1000)}-{n}")
            conn.execute(
                insert(DeadLetter).values(
                    stream="complaints", entry_id=f"1-{n}", reason="invalid", event=RAW, created_at=at
                )
            )


def _left(settings, engine, client) -> tuple[int, int]:
    with engine.connect() as conn:
        rows = len(conn.execute(select(DeadLetter.id)).all())
    return client.xlen(redis_keys.deadletter_key(settings)), rows


def test_the_ingestors_retention_loop_trims_old_dead_letters(settings, engine, redis_client):
    settings = settings.with_overrides(deadletter_retention_days=30, stream_trim_interval_s=1)
    _seed(settings, engine, redis_client, [45, 31, 29, 1, 0])
    ingestor = Ingestor(settings, redis_client, session_factory(engine))
    stop = threading.Event()
    thread = threading.Thread(target=ingestor.run, args=(stop,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60  # waits for the loop's first retention pass; asserts no speed
        while _left(settings, engine, redis_client) != (3, 3) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert _left(settings, engine, redis_client) == (3, 3)  # 45 and 31 days old went; 29, 1 and 0 stay


@pytest.fixture
def cli_env(settings, monkeypatch):
    for name, value in (
        ("PANTAU_REDIS_URL", settings.redis_url),
        ("PANTAU_DATABASE_URL", settings.resolved_database_url),
        ("PANTAU_STREAM_PREFIX", settings.stream_prefix),
        ("PANTAU_DATA_DIR", str(settings.data_dir)),
    ):
        monkeypatch.setenv(name, value)


def test_purge_before_a_date_and_all(settings, engine, redis_client, cli_env, capsys):
    _seed(settings, engine, redis_client, [45, 20, 10, 1])
    before = (NOW - dt.timedelta(days=15)).astimezone(dt.timezone(dt.timedelta(hours=7))).date().isoformat()
    assert main(["deadletters", "purge", "--before", before]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["stream"] == 2 and report["table"] == 2
    assert _left(settings, engine, redis_client) == (2, 2)
    assert main(["deadletters", "purge", "--all"]) == 0
    assert _left(settings, engine, redis_client) == (0, 0)


def test_purge_without_arguments_applies_the_retention(settings, engine, redis_client, cli_env, monkeypatch, capsys):
    monkeypatch.setenv("PANTAU_DEADLETTER_RETENTION_DAYS", "7")
    _seed(settings, engine, redis_client, [8, 6])
    assert main(["deadletters", "purge"]) == 0
    assert _left(settings, engine, redis_client) == (1, 1)


@pytest.mark.parametrize(
    "args", [["--before", "yesterday"], ["--before", "2026-13-01"], ["--before", "2026-11-01", "--all"]]
)
def test_bad_purge_arguments_exit_2_and_delete_nothing(settings, engine, redis_client, cli_env, args, capsys):
    _seed(settings, engine, redis_client, [45])
    with pytest.raises(SystemExit) as exit_info:
        main(["deadletters", "purge", *args])
    assert exit_info.value.code == 2
    assert _left(settings, engine, redis_client) == (1, 1)
