"""Every Redis key and channel Pantau uses, in one place. All start with PANTAU_STREAM_PREFIX, so two
deployments can share one Redis and an operator can find (or delete) all of one with a single pattern.

The functions take the settings (only `stream_prefix` is read) so that a caller never writes a key by hand.
"""

from __future__ import annotations

from typing import Protocol

# The streams the ingestor reads, one per source (../shared/EVENTS.md).
SOURCES = ("complaints", "incidents", "egov", "info")


class _HasPrefix(Protocol):
    stream_prefix: str


def stream_key(settings: _HasPrefix, source: str) -> str:
    return f"{settings.stream_prefix}:{source}"


def deadletter_key(settings: _HasPrefix) -> str:
    return f"{settings.stream_prefix}:deadletter"


def health_key(settings: _HasPrefix) -> str:
    """A hash of the ingestor's counters (read, stored, dead-lettered, ...)."""
    return f"{settings.stream_prefix}:health"


def data_version_key(settings: _HasPrefix) -> str:
    """The counter bumped after every commit of the ingestor."""
    return f"{settings.stream_prefix}:data_version"


def data_epoch_key(settings: _HasPrefix) -> str:
    """Drawn anew when Redis comes back empty, so a restarted counter never matches an old version."""
    return f"{settings.stream_prefix}:data_epoch"


def changes_channel(settings: _HasPrefix) -> str:
    """Pub/sub channel: a message after every commit (the wall benchmark listens to it)."""
    return f"{settings.stream_prefix}:changes"


def kpi_entry_key(settings: _HasPrefix, name: str, digest: str, version: str) -> str:
    return f"{settings.stream_prefix}:kpi:{name}:{digest}:{version}"


def live_snapshot_key(settings: _HasPrefix) -> str:
    return f"{settings.stream_prefix}:live:snapshot"


def embed_frozen_key(settings: _HasPrefix, part: str, period: str) -> str:
    """A closed period's published figures (a month "YYYY-MM" or a year "YYYY"), kept for good
    (dashboard.disclosure: published once, frozen)."""
    return f"{settings.stream_prefix}:embed:frozen:{part}:{period}"


def embed_rate_key(settings: _HasPrefix, client_digest: str) -> str:
    return f"{settings.stream_prefix}:embed:rate:{client_digest}"


def login_failures_by_pair_key(settings: _HasPrefix, pair_digest: str) -> str:
    """Failed logins of one user name from one client address (web/login_throttle.py)."""
    return f"{settings.stream_prefix}:login-failures:pair:{pair_digest}"


def login_wait_by_pair_key(settings: _HasPrefix, pair_digest: str) -> str:
    """Exists while that name and address must wait; its time to live is the wait."""
    return f"{settings.stream_prefix}:login-wait:pair:{pair_digest}"


def login_failed_addresses_key(settings: _HasPrefix, name_digest: str) -> str:
    """A set: the (hashed) addresses that failed to log in as one user name."""
    return f"{settings.stream_prefix}:login-failures:name:{name_digest}"


def login_known_addresses_key(settings: _HasPrefix, name_digest: str) -> str:
    """A set: the (hashed) addresses one user name logged in from, lately."""
    return f"{settings.stream_prefix}:login-known:name:{name_digest}"


def login_failures_by_address_key(settings: _HasPrefix, address: str) -> str:
    return f"{settings.stream_prefix}:login-failures:ip:{address[:64]}"


def api_rate_key(settings: _HasPrefix, producer_digest: str) -> str:
    """Events published by one API key in the current window (web/api.py)."""
    return f"{settings.stream_prefix}:api:rate:{producer_digest}"


def kpi_computing_key(settings: _HasPrefix) -> str:
    """The slots of the KPI computations running now across every worker (a sorted set by expiry)."""
    return f"{settings.stream_prefix}:kpi:computing"


def alerts_lock_key(settings: _HasPrefix) -> str:
    """Held (with a TTL, renewed) by the one alert evaluator of the deployment; taken over once it expires."""
    return f"{settings.stream_prefix}:alerts:lock"


def alerts_firing_key(settings: _HasPrefix) -> str:
    """The number of firing alerts, written by the evaluator after each evaluation (the wall's tile)."""
    return f"{settings.stream_prefix}:alerts:firing"
