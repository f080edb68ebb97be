"""The version of the stored data: what every cache of figures is keyed by."""

from __future__ import annotations

import uuid

import redis

from dashboard.settings import Settings
from data_sources.redis_keys import data_epoch_key, data_version_key


def data_version(client: redis.Redis, settings: Settings) -> str:
    """The version of the stored data, for caches: "<epoch>:<counter>".

    The counter is bumped after every commit. The epoch is drawn anew when Redis comes back empty, so a
    counter that starts again from 0 can never match a version cached before the restart.
    """
    epoch, counter = client.mget(data_epoch_key(settings), data_version_key(settings))
    if epoch is None:
        client.set(data_epoch_key(settings), uuid.uuid4().hex[:12], nx=True)
        epoch = client.get(data_epoch_key(settings))
    return f"{epoch.decode() if isinstance(epoch, bytes) else epoch}:{int(counter or 0)}"
