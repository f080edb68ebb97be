"""Every Prometheus metric Pantau exports, defined once, and who may read them.

The ingestor (data_sources/stream), the KPI cache (data_sources/kpi) and the web layer (web/) count into these
objects; web/metrics.py serves them at /metrics and the ingestor on its own port (stream/metrics_server.py).

Under gunicorn every worker is a process of its own: with PROMETHEUS_MULTIPROC_DIR set in the environment
before Python starts (deploy/systemd/pantau-web.service), prometheus-client keeps each worker's values in
files there and a scrape sums them (gunicorn.conf.py empties the folder at start and retires dead workers'
gauges). Without it (waitress, the demo, the ingestor) the values live in the process.

Names follow Prometheus' conventions: the unit in the name (`_seconds`), counters end in `_total`, and every
label takes a bounded set of values fixed by the code (stream, panel, view, result, status class): never a user
name, an address, a complaint id or a path.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterable

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# --- the ingestor --------------------------------------------------------------------------------------
EVENTS_READ = Counter(
    "pantau_ingest_events_read", "Stream entries the ingestor read (new, own pending or taken over)", ["stream"]
)
EVENTS_STORED = Counter("pantau_ingest_events_stored", "Events stored for the first time", ["stream"])
EVENTS_DUPLICATE = Counter(
    "pantau_ingest_events_duplicate", "Events read again that were already stored (at-least-once delivery)", ["stream"]
)
EVENTS_DEAD_LETTERED = Counter(
    "pantau_ingest_events_dead_lettered", "Entries refused and sent to the dead-letter stream", ["stream"]
)
BATCH_DURATION = Histogram(
    "pantau_ingest_batch_duration_seconds",
    "Time from a batch read to its commit and acknowledgement",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
INGEST_ERRORS = Counter(
    "pantau_ingest_errors", "Ingestor pauses by cause (each followed by a backoff and a retry)", ["cause"]
)
INGEST_ERROR_CAUSES = ("redis_unreachable", "redis_refused", "group_missing", "database_unavailable")
LAST_BATCH = Gauge(
    "pantau_ingest_last_batch_timestamp_seconds",
    "Unix time of the ingestor's last committed batch",
    multiprocess_mode="max",
)

# --- the KPI cache ---------------------------------------------------------------------------------------
KPI_CACHE_HITS = Counter(
    "pantau_kpi_cache_hits", "KPI results served from the cache, by panel and layer (local, redis)", ["panel", "layer"]
)
KPI_CACHE_MISSES = Counter("pantau_kpi_cache_misses", "KPI results not in the cache for this data version", ["panel"])
KPI_COMPUTE_DURATION = Histogram(
    "pantau_kpi_computation_duration_seconds",
    "Time to compute a panel's KPI result (a cache miss that this worker computed)",
    ["panel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)

KPI_COLUMNS_BYTES = Gauge(
    "pantau_kpi_columns_bytes",
    "Memory held by the briefing's column copies (data_sources/kpi/columns.py), summed over the live workers",
    multiprocess_mode="livesum",
)
KPI_COLUMNS_ROWS = Gauge(
    "pantau_kpi_columns_rows", "Rows held by a worker's column copy, by table", ["table"], multiprocess_mode="livemax"
)
KPI_COLUMNS_LOADS = Counter("pantau_kpi_columns_loads", "Column copy loads by result (loaded, failed)", ["result"])
KPI_COLUMNS_LOAD_DURATION = Histogram(
    "pantau_kpi_columns_load_duration_seconds",
    "Time to load a column copy whole (at a worker's first briefing request, then hourly)",
    buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
)

# --- the web app ---------------------------------------------------------------------------------------
CALLBACK_DURATION = Histogram(
    "pantau_callback_duration_seconds",
    "Dash callback requests, from the gate to the response, by view",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CALLBACK_VIEWS = ("live", "wall", "briefing", "embed", "pages", "other")
LOGINS = Counter("pantau_logins", "Login attempts by result", ["result"])
LOGIN_RESULTS = ("success", "failure", "locked", "unavailable", "wall_token_failure")
EMBED_REQUESTS = Counter(
    "pantau_embed_requests",
    "Requests under /embed by kind and status code (200, 304, 400, 404, 429, ...)",
    ["kind", "code"],
)
EMBED_KINDS = ("widget_data", "page", "static")


def registry_for_scrape(*extra: Collector) -> CollectorRegistry:
    """A registry with every worker's values (multiprocess mode) or this process's, plus `extra` collectors
    that read their figures at scrape time (the streams)."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_ENV):
        MultiProcessCollector(registry)
    else:
        registry.register(_ProcessMetrics())
    for collector in extra:
        registry.register(collector)
    return registry


class _ProcessMetrics(Collector):
    """The process-wide default registry (Pantau's metrics and the process/platform ones), as one collector."""

    def collect(self):
        return REGISTRY.collect()


# --- who may read them ---------------------------------------------------------------------------------


def address_allowed(address: str | None, networks: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    networks = tuple(networks)
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def scrape_refusal(authorization: str | None, address: str | None, token: str | None, networks) -> int | None:
    """None when the scrape may go on, else the HTTP status to answer: 404 when no token is configured (the
    endpoint does not exist), 403 from outside the allowlist, 401 without the right bearer token."""
    if not token:
        return 404
    if not address_allowed(address, networks):
        return 403
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        return 401
    return None
