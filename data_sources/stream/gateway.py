"""The producers' front door below the web layer: check a request's events, XADD the valid ones, say per
event what happened. POST /api/v1/events and POST /open311/v2/requests both come through here.

Each event is checked as the ingestor checks it (dashboard/events.py), then against the API key's scope and
the front door's stricter rules (dashboard/producers.py: a known category, a location inside the city).
The valid ones go to their streams in one pipelined round trip; an entry id is given back only for an
entry Redis confirmed. A Redis error raises (the caller answers 503 and the producer sends the request
again, which the ingestor's idempotence by event_id makes safe).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import redis

from dashboard import producers as rules
from dashboard.settings import Settings
from dashboard.sla import policy_from_settings
from data_sources import redis_keys
from data_sources.geo.locations import city_outline, outside_city
from data_sources.stream.producer import STREAM_OF_TYPE_PREFIX

# One EVALSHA instead of a pipeline of XADDs: the same entries, a tenth of the client's packing work. Not a
# transaction either: an error part-way (Redis out of memory) leaves the entries before it, which the
# producer's retry turns into counted duplicates.
_XADD_MANY = """
local ids = {}
for i = 1, #KEYS do ids[i] = redis.call('XADD', KEYS[i], '*', 'event', ARGV[i]) end
return ids
"""


@dataclass
class ItemResult:
    index: int
    event_id: str | None
    status: int  # 202 accepted, 400 invalid, 403 outside the key's scope
    stream: str | None = None
    entry_id: str | None = None
    error: str | None = None
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"index": self.index, "event_id": self.event_id, "status": self.status}
        if self.status == 202:
            body.update(stream=self.stream, entry_id=self.entry_id)
        else:
            body.update(error=self.error, reason=self.reason)
        return body


@dataclass
class Gateway:
    settings: Settings
    client: redis.Redis
    outline: Any = None
    _categories: frozenset[str] = field(init=False)
    _xadd_many: Any = field(init=False, default=None)

    def __post_init__(self):
        configured = policy_from_settings(self.settings).hours_by_category
        self._categories = rules.known_categories(configured)

    @property
    def categories(self) -> frozenset[str]:
        """The complaint categories accepted: the contract's and the configured SLA categories."""
        return self._categories

    def _outline(self):
        if self.outline is None:
            self.outline = city_outline(self.settings)
        return self.outline

    def check(self, scope: rules.Scope, documents: list[Any]) -> tuple[list[ItemResult], list[tuple[int, str, bytes]]]:
        """Results of the refused events, and (index, stream, bytes) of the ones to publish."""
        results: list[ItemResult] = []
        valid: list[tuple[int, Any, bytes]] = []
        for index, document in enumerate(documents):
            event_id = document.get("event_id") if isinstance(document, dict) else None
            event_id = event_id if isinstance(event_id, str) else None
            try:
                event, raw = rules.check_event(document, scope, self._categories)
            except rules.Refused as exc:
                results.append(ItemResult(index, event_id, exc.status, error=exc.error, reason=exc.reason))
                continue
            valid.append((index, event, raw))
        placed = [(i, rules.location_of(event)) for i, (_, event, _) in enumerate(valid)]
        placed = [(i, place) for i, place in placed if place is not None]
        outside: set[int] = set()
        if placed:
            refused = outside_city([place for _, place in placed], self._outline())
            for (i, place), is_outside in zip(placed, refused):
                if is_outside:
                    index, event, _ = valid[i]
                    outside.add(i)
                    reason = rules.outside_city_reason(place)
                    results.append(ItemResult(index, event.event_id, 400, error="outside_city", reason=reason))
        publish = []
        for i, (index, event, raw) in enumerate(valid):
            if i in outside:
                continue
            stream = STREAM_OF_TYPE_PREFIX.get(event.type.split(".", 1)[0])
            if stream is None:  # a type of the contract that no stream carries yet: say so, never guess
                results.append(
                    ItemResult(
                        index,
                        event.event_id,
                        400,
                        error="invalid_event",
                        reason=f"no stream carries {event.type!r} yet",
                    )
                )
            else:
                publish.append((index, stream, raw))
        return results, publish

    def publish(self, publish: list[tuple[int, str, bytes]], event_ids: dict[int, str]) -> list[ItemResult]:
        """XADD every event in one round trip; raises redis.RedisError (then none is answered as confirmed)."""
        if not publish:
            return []
        if self._xadd_many is None:
            self._xadd_many = self.client.register_script(_XADD_MANY)
        keys = [redis_keys.stream_key(self.settings, stream) for _, stream, _ in publish]
        entry_ids = self._xadd_many(keys=keys, args=[raw for _, _, raw in publish])
        return [
            ItemResult(index, event_ids.get(index), 202, stream=stream, entry_id=_text(entry_id))
            for (index, stream, _), entry_id in zip(publish, entry_ids)
        ]

    def submit(self, scope: rules.Scope, documents: list[Any]) -> list[ItemResult]:
        """Every event's result, in the order given."""
        refused, publish = self.check(scope, documents)
        event_ids = {i: d["event_id"] for i, d in enumerate(documents) if isinstance(d, dict) and "event_id" in d}
        results = refused + self.publish(publish, event_ids)
        return sorted(results, key=lambda r: r.index)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def health(client: redis.Redis) -> dict[str, Any]:
    """Can a producer publish now: Redis answers, and is not at its memory limit (with noeviction, a full
    Redis refuses every XADD)."""
    try:
        client.ping()
        memory = client.info("memory")
    except redis.RedisError as exc:
        return {"can_publish": False, "redis": "unreachable", "reason": f"Redis unavailable ({type(exc).__name__})"}
    used, limit = int(memory.get("used_memory", 0)), int(memory.get("maxmemory", 0) or 0)
    share = round(100 * used / limit, 1) if limit else None
    full = share is not None and share >= 95.0
    answer: dict[str, Any] = {"can_publish": not full, "redis": "ok", "memory_used_pct": share}
    if full:
        answer["reason"] = f"Redis is {share}% full: the ingestor is behind or stopped"
    return answer
