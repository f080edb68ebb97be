"""A producer registered on the command line publishes through POST /api/v1/events, the ingestor stores
its events as it stores XADDed ones, a retry is stored once, and revoking the key stops it at once.
On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from data_sources import redis_keys
from data_sources.store.models import Complaint, ProcessedEvent
from tests.conftest import make_event

ROOT = Path(__file__).resolve().parents[2]


def producers_cli(settings, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    env.update(
        PANTAU_DATABASE_URL=settings.database_url,
        PANTAU_REDIS_URL=settings.redis_url,
        PANTAU_STREAM_PREFIX=settings.stream_prefix,
        PANTAU_DATA_DIR=str(settings.data_dir),
    )
    return subprocess.run(
        [sys.executable, "app.py", "producers", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_registered_producer_publishes_is_stored_once_and_revocation_stops_it(
    settings, engine, redis_client, ingest_until_idle
):
    added = producers_cli(settings, "add", "media-center", "--types", "complaint.*", "--source", "mc", "--json")
    assert added.returncode == 0, added.stderr
    key = json.loads(added.stdout)["key"]
    listed = producers_cli(settings, "list", "--json")
    assert key not in listed.stdout and key[8:] not in listed.stdout  # the key is shown once, never again
    assert json.loads(listed.stdout)[0]["revoked_at"] is None
    assert producers_cli(settings, "add", "media-center", "--types", "complaint.*", "--source", "mc").returncode == 2
    assert producers_cli(settings, "add", "x1", "--types", "complaint.deleted", "--source", "mc").returncode == 2

    from web.factory import create_app

    client = create_app(settings, engine=engine).server.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    created = make_event(
        "mc-77-created",
        "complaint.created",
        {"complaint_id": "mc-77", "channel": "whatsapp", "category": "jalan_rusak", "kecamatan": "Tegalsari"},
        source="mc",
    )
    responded = make_event(
        "mc-77-responded",
        "complaint.status",
        {"complaint_id": "mc-77", "status": "responded"},
        occurred_at="2026-11-27T10:00:00+07:00",
        source="mc",
    )
    first = client.post("/api/v1/events", json=[created, responded], headers=headers)
    assert first.status_code == 202, first.json
    entry_ids = [r["entry_id"] for r in first.json["results"]]
    ingest_until_idle()
    with engine.connect() as c:
        row = c.execute(select(Complaint.status, Complaint.kecamatan_code, Complaint.first_response_at)).one()
        assert row.status == "responded" and row.kecamatan_code == "35.78.05" and row.first_response_at is not None
        stored_entries = set(c.scalars(select(ProcessedEvent.entry_id)))
    assert stored_entries == set(entry_ids)

    # a retry of the same event: accepted again (a new entry id), stored once
    again = client.post("/api/v1/events", json=created, headers=headers)
    assert again.status_code == 202 and again.json["results"][0]["entry_id"] not in entry_ids
    ingest_until_idle()
    with engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(Complaint)) == 1
        assert c.scalar(select(func.count()).select_from(ProcessedEvent)) == 2
    assert int(redis_client.hget(redis_keys.health_key(settings), "duplicates:complaints")) == 1

    revoked = producers_cli(settings, "revoke", "media-center")
    assert revoked.returncode == 0, revoked.stderr
    length = redis_client.xlen(redis_keys.stream_key(settings, "complaints"))
    refused = client.post("/api/v1/events", json=dict(created, event_id="mc-78-created"), headers=headers)
    assert refused.status_code == 401 and refused.json["error"] == "invalid_key"
    assert redis_client.xlen(redis_keys.stream_key(settings, "complaints")) == length
    assert json.loads(producers_cli(settings, "list", "--json").stdout)[0]["revoked_at"] is not None
    assert producers_cli(settings, "rotate", "media-center").returncode == 2  # a revoked producer stays revoked
