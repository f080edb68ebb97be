"""The streams as an operator watches them: length, pending, lag and the consumer group's health, read from
Redis when asked (a /metrics scrape, a /readyz probe), in a few round trips per stream.

Lag is time, not a count: the age of the oldest entry the group has not acknowledged (its oldest pending
entry, or the first entry past its last-delivered id), so an ingestor that stopped shows a lag that grows
by one second per second whatever the traffic.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from data_sources import redis_keys
from data_sources.redis_keys import SOURCES, health_key


@dataclass(frozen=True)
class StreamState:
    source: str
    length: int
    group_exists: bool
    pending: int
    oldest_unacked_ms: int | None  # the time in the entry id (when Redis took it)
    consumers: int
    freshest_consumer_idle_s: float | None  # the most recently active consumer's idle time

    def lag_seconds(self, now_ms: int) -> float:
        return max(0.0, (now_ms - self.oldest_unacked_ms) / 1000) if self.oldest_unacked_ms else 0.0


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _ms_of(entry_id: Any) -> int:
    return int(_text(entry_id).split("-", 1)[0])


def stream_state(client: redis.Redis, settings, source: str) -> StreamState:
    key = redis_keys.stream_key(settings, source)
    length = client.xlen(key)
    try:
        groups = client.xinfo_groups(key)
    except redis.ResponseError:  # no stream yet
        groups = []
    group = next((g for g in groups if _text(g.get("name")) == settings.consumer_group), None)
    if group is None:
        first = client.xrange(key, count=1) if length else []
        return StreamState(source, length, False, 0, _ms_of(first[0][0]) if first else None, 0, None)
    pending = int(group.get("pending") or 0)
    oldest: list[int] = []
    if pending:
        summary = client.xpending(key, settings.consumer_group)
        if summary.get("min"):
            oldest.append(_ms_of(summary["min"]))
    last = _text(group.get("last-delivered-id") or "0-0")
    undelivered = client.xrange(key, min=f"({last}" if last != "0-0" else "-", count=1)
    if undelivered:
        oldest.append(_ms_of(undelivered[0][0]))
    consumers = int(group.get("consumers") or 0)
    idle = None
    if consumers:
        idle = min(int(c["idle"]) for c in client.xinfo_consumers(key, settings.consumer_group)) / 1000
    return StreamState(source, length, True, pending, min(oldest) if oldest else None, consumers, idle)


def all_stream_states(client: redis.Redis, settings) -> list[StreamState]:
    return [stream_state(client, settings, source) for source in SOURCES]


class StreamCollector(Collector):
    """Prometheus figures of the streams, read from Redis at scrape time (the same for every process that
    exports them: alert on `max by (stream)`)."""

    def __init__(self, client: redis.Redis, settings):
        self.client, self.settings = client, settings

    def collect(self):
        up = GaugeMetricFamily("pantau_redis_up", "Whether Redis answered this scrape (1) or not (0)")
        try:
            states = all_stream_states(self.client, self.settings)
            health = {_text(k): _text(v) for k, v in self.client.hgetall(health_key(self.settings)).items()}
            deadletter_length = self.client.xlen(redis_keys.deadletter_key(self.settings))
        except redis.RedisError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        now_ms = int(time.time() * 1000)
        families = {
            "length": GaugeMetricFamily("pantau_stream_length_entries", "Entries in the stream", labels=["stream"]),
            "pending": GaugeMetricFamily(
                "pantau_stream_pending_entries", "Entries delivered but not yet acknowledged", labels=["stream"]
            ),
            "lag": GaugeMetricFamily(
                "pantau_stream_lag_seconds", "Age of the oldest entry not yet acknowledged (0: none)", labels=["stream"]
            ),
            "group": GaugeMetricFamily(
                "pantau_stream_consumer_group_up", "Whether the ingest consumer group exists", labels=["stream"]
            ),
            "consumers": GaugeMetricFamily(
                "pantau_stream_consumers", "Consumers in the ingest group", labels=["stream"]
            ),
            "idle": GaugeMetricFamily(
                "pantau_stream_consumer_idle_seconds",
                "Idle time of the group's most recently active consumer (absent: no consumer)",
                labels=["stream"],
            ),
        }
        lost = CounterMetricFamily(
            "pantau_stream_lost_entries",
            "Pending entries deleted from the stream before they were stored (reported by XAUTOCLAIM)",
            labels=["stream"],
        )
        for s in states:
            families["length"].add_metric([s.source], s.length)
            families["pending"].add_metric([s.source], s.pending)
            families["lag"].add_metric([s.source], s.lag_seconds(now_ms))
            families["group"].add_metric([s.source], 1 if s.group_exists else 0)
            families["consumers"].add_metric([s.source], s.consumers)
            if s.freshest_consumer_idle_s is not None:
                families["idle"].add_metric([s.source], s.freshest_consumer_idle_s)
            lost.add_metric([s.source], int(health.get(f"lost:{s.source}", 0)))
        yield from families.values()
        yield lost
        dead = GaugeMetricFamily("pantau_deadletter_length_entries", "Entries in the dead-letter stream")
        dead.add_metric([], deadletter_length)
        yield dead
