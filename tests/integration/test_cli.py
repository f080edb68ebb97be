"""The command line, run as a person runs it: separate processes, embedded defaults and real servers."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema

from data_sources.simulator.traffic import Simulator

ROOT = Path(__file__).resolve().parents[2]


def run_app(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "app.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"app.py {' '.join(args)} failed:\n{result.stderr[-3000:]}"
    return result


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    env.update(extra)
    return env


def test_schema_validates_what_the_simulator_sends_and_refuses_bad_events():
    schema = json.loads(run_app("schema", env=clean_env()).stdout)
    validator = jsonschema.Draft202012Validator(schema)
    events = Simulator(seed=3).generate(300, dt.datetime(2026, 11, 27, tzinfo=dt.UTC))
    for event in events:
        if isinstance(event, dict):
            validator.validate(event)
    bad = dict(events[0], type="complaint.deleted")
    assert not validator.is_valid(bad)


def test_embedded_defaults_simulate_ingest_until_idle_and_stats(tmp_path):
    """No Redis URL and no database URL: the embedded Redis and a SQLite file under the data directory."""
    env = clean_env(PANTAU_DATA_DIR=str(tmp_path), PANTAU_BLOCK_MS="200")
    # a day's history, whatever the hour: it holds the e-government readings published daily at 07:00 WIB
    # (the last 2,000 events did not, late in the UTC day)
    published = json.loads(run_app("simulate", "--backfill-days", "1.01", "--seed", "5", env=env).stdout)["published"]
    assert published > 2000
    run_app("ingest", "--until-idle", env=env)
    stats = json.loads(run_app("stats", "--json", env=env).stdout)
    assert (tmp_path / "pantau.db").exists()
    assert stats["pending"] == 0
    assert stats["complaints"] > 0 and stats["incidents"] > 0 and stats["egov_readings"] > 0
    streams = stats["streams"]
    assert sum(s["length"] for s in streams.values()) == published
    for source in ("complaints", "incidents", "egov"):
        assert streams[source]["last_entry_id"] and streams[source]["last_read_at"]
    # each entry is stored, counted as a duplicate, or dead-lettered
    accounted = sum(s["stored"] + s["duplicates"] + s["dead_lettered"] for s in streams.values())
    assert accounted == published


def test_stats_keys_on_postgresql(redis_url, postgres_database, tmp_path):
    env = clean_env(
        PANTAU_REDIS_URL=redis_url,
        PANTAU_DATABASE_URL=postgres_database.url,
        PANTAU_STREAM_PREFIX=f"cli-{os.getpid()}",
        PANTAU_DATA_DIR=str(tmp_path),
    )
    run_app("init-db", env=env)
    stats = json.loads(run_app("stats", "--json", env=env).stdout)
    for key in ("complaints", "incidents", "info_requests", "egov_readings", "dead_letters", "pending", "streams"):
        assert key in stats
    assert set(stats["streams"]) == {"complaints", "incidents", "egov", "info"}
    # the session's PostgreSQL database is shared with the store tests: counts, not zeros
    assert all(type(stats[k]) is int and stats[k] >= 0 for k in ("info_requests", "awaiting_info_request"))


def test_bad_configuration_stops_with_a_clear_message():
    result = subprocess.run(
        [sys.executable, "app.py", "stats"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=clean_env(PANTAU_PORT="http"),
        timeout=60,
    )
    assert result.returncode == 2
    assert "configuration error: PANTAU_PORT must be a whole number" in result.stderr
