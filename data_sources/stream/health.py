"""The feed's health and the store's counts: what `app.py stats --json` prints and the pages show."""

from __future__ import annotations

import datetime as dt
from typing import Any

import redis
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from dashboard.settings import Settings
from data_sources import redis_keys
from data_sources.redis_keys import SOURCES, data_version_key, health_key
from data_sources.store.models import (
    Complaint,
    ComplaintStatusEvent,
    DeadLetter,
    EgovReading,
    Incident,
    IncidentEvent,
    InfoRequest,
    InfoRequestStatusEvent,
)
from data_sources.stream.retention import retention_health


def _ms_to_iso(ms: bytes | str | None) -> str | None:
    if ms is None:
        return None
    return dt.datetime.fromtimestamp(int(ms) / 1000, dt.UTC).isoformat()


def _entry_time(entry_id: str | None) -> str | None:
    return _ms_to_iso(entry_id.split("-", 1)[0]) if entry_id else None


def store_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as c:
        return {
            "complaints": c.scalar(select(func.count()).select_from(Complaint)),
            "incidents": c.scalar(select(func.count()).select_from(Incident)),
            "info_requests": c.scalar(select(func.count()).select_from(InfoRequest)),
            "egov_readings": c.scalar(select(func.count()).select_from(EgovReading)),
            "dead_letters": c.scalar(select(func.count()).select_from(DeadLetter)),
            # lifecycle events whose complaint or incident has not arrived yet (kept, reconciled later)
            "awaiting_complaint": c.scalar(
                select(func.count())
                .select_from(ComplaintStatusEvent)
                .where(~ComplaintStatusEvent.complaint_id.in_(select(Complaint.complaint_id)))
            ),
            "awaiting_incident": c.scalar(
                select(func.count())
                .select_from(IncidentEvent)
                .where(~IncidentEvent.incident_id.in_(select(Incident.incident_id)))
            ),
            "awaiting_info_request": c.scalar(
                select(func.count())
                .select_from(InfoRequestStatusEvent)
                .where(~InfoRequestStatusEvent.request_id.in_(select(InfoRequest.request_id)))
            ),
        }


def stream_health(settings: Settings, client: redis.Redis) -> dict[str, Any]:
    health = {k.decode(): v.decode() for k, v in client.hgetall(health_key(settings)).items()}
    streams: dict[str, Any] = {}
    pending_total = 0
    for source in SOURCES:
        key = redis_keys.stream_key(settings, source)
        pending = 0
        try:
            pending = client.xpending(key, settings.consumer_group)["pending"]
        except redis.ResponseError:
            pass  # no group yet: nothing was ever read
        length = client.xlen(key)
        last_id = health.get(f"last_entry_id:{source}")
        newest = client.xrevrange(key, count=1)
        newest_id = newest[0][0].decode() if newest else None
        streams[source] = {
            "key": key,
            "length": length,
            "pending": pending,
            "last_entry_id": last_id,
            "last_entry_time": _entry_time(last_id),
            "last_read_at": _ms_to_iso(health.get(f"last_read_ms:{source}")),
            "newest_entry_id": newest_id,
            "newest_entry_time": _entry_time(newest_id),
            "stored": int(health.get(f"stored:{source}", 0)),
            "duplicates": int(health.get(f"duplicates:{source}", 0)),
            "dead_lettered": int(health.get(f"dead_letters:{source}", 0)),
            # pending entries deleted from the stream before they were stored (XAUTOCLAIM says so): lost
            "lost": int(health.get(f"lost:{source}", 0)),
        }
        pending_total += pending
    return {
        "pending": pending_total,
        "streams": streams,
        "deadletter_stream_length": client.xlen(redis_keys.deadletter_key(settings)),
        "data_version": int(client.get(data_version_key(settings)) or 0),
    }


def collect_stats(settings: Settings, engine: Engine, client: redis.Redis) -> dict[str, Any]:
    stats: dict[str, Any] = dict(store_counts(engine))
    stats.update(stream_health(settings, client))
    stats["retention"] = retention_health(client, settings)
    stats["generated_at"] = dt.datetime.now(dt.UTC).isoformat()
    return stats
