"""Putting the simulator's traffic on the streams: a backlog at once, or live at a rate."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time

import redis

from dashboard.settings import Settings
from data_sources import redis_keys
from data_sources.simulator.traffic import Simulator, log
from data_sources.stream.producer import publish_many


def publish_events(client: redis.Redis, settings: Settings, items) -> list[str]:
    """XADD the simulator's output in order: event dicts through the producer, raw invalid entries as they are."""
    ids: list[str] = []
    for raw, run in itertools.groupby(items, key=lambda item: isinstance(item, bytes)):
        if not raw:
            ids.extend(publish_many(client, settings, run))
            continue
        pipe = client.pipeline(transaction=False)
        for entry in run:
            pipe.xadd(redis_keys.stream_key(settings, getattr(entry, "stream", "complaints")), {"event": bytes(entry)})
        ids.extend(i.decode() if isinstance(i, bytes) else i for i in pipe.execute())
    return ids


def run_live(
    client,
    settings,
    simulator: Simulator,
    rate: float | None,
    stop: threading.Event,
    clock=time.time,
    count: int | None = None,
) -> int:
    """Publish live until stop is set (or `count` events were sent): every ~0.25 s call advance(now) and
    publish what is due. With `rate` (events per second) the arrival rates are scaled so the live stream
    averages about that many events per second (a demo wants ~1-5 ev/s; reality is slower). Lifecycle steps
    keep real-time spacing (an incident's arrival ~7 minutes after its report). Returns the number published."""
    published, backlog = 0, []
    while not stop.is_set() and (count is None or published < count):
        backlog += simulator.advance(dt.datetime.fromtimestamp(clock(), dt.UTC), events_per_second=rate)
        if count is not None:
            backlog = backlog[: count - published]
        if backlog:
            try:
                published += len(publish_events(client, settings, backlog))
                backlog = []
            except redis.RedisError as exc:  # kept for the next round: an event sent twice is stored once
                log.warning("simulator: publishing failed, will retry: %s", exc)
        if count is None or published < count:
            stop.wait(0.25)
    return published
