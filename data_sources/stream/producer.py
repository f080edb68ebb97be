"""Publishing events to the streams, as the city's producers and the simulator do."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
import redis

from dashboard.settings import Settings
from data_sources import redis_keys

STREAM_OF_TYPE_PREFIX = {"complaint": "complaints", "incident": "incidents", "egov": "egov", "info_request": "info"}


def stream_for(event: dict[str, Any]) -> str:
    return STREAM_OF_TYPE_PREFIX.get(str(event.get("type", "")).split(".", 1)[0], "complaints")


def encode(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event)


def publish(client: redis.Redis, settings: Settings, event: dict[str, Any]) -> str:
    """XADD one event; returns the entry id Redis confirmed."""
    entry_id = client.xadd(redis_keys.stream_key(settings, stream_for(event)), {"event": encode(event)})
    return entry_id.decode() if isinstance(entry_id, bytes) else entry_id


def publish_many(
    client: redis.Redis, settings: Settings, events: Iterable[dict[str, Any]], chunk: int = 1000
) -> list[str]:
    """XADD many events in pipelined chunks (not a transaction: each entry stands alone)."""
    ids: list[str] = []
    pipe = client.pipeline(transaction=False)
    pending = 0
    for event in events:
        pipe.xadd(redis_keys.stream_key(settings, stream_for(event)), {"event": encode(event)})
        pending += 1
        if pending >= chunk:
            ids.extend(i.decode() if isinstance(i, bytes) else i for i in pipe.execute())
            pending = 0
    if pending:
        ids.extend(i.decode() if isinstance(i, bytes) else i for i in pipe.execute())
    return ids
