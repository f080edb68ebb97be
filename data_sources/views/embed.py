"""The published figures of each embed widget: computed once per publication, suppressed, JSON-ready.

A public portal does not need the second-by-second data version of the wall (which moves with every
ingested batch): the embeds publish a snapshot. The *published version* is the data version sampled
at most every `embed_refresh_s` seconds, shared by every worker through one Redis key (SET NX EX), so all
workers serve the same figures and the same ETag. KpiCache does the rest (one computation per published
version across workers, an in-process layer on top); only this module's version source differs.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import orjson

from dashboard import disclosure, ppid_public
from dashboard.embed_widgets import EmbedQuery, period_bounds
from dashboard.reference import kecamatan
from data_sources import redis_keys
from data_sources.kpi.cache import VERSION_TTL_S, KpiCache
from data_sources.stream.version import data_version
from data_sources.views import public_aggregates as agg


class PublishedCache(KpiCache):
    """KpiCache keyed by the published version (see the module's note) instead of the live data version."""

    def __init__(self, client, settings, *, refresh_s: float, local_size: int = 512):
        super().__init__(client, settings, local_size=local_size)
        self.refresh_s = refresh_s
        self._published: tuple[str, str] | None = None
        self._published_until = 0.0
        self._published_guard = threading.Lock()

    @property
    def publication_key(self) -> str:
        return redis_keys.embed_published_key(self.settings)

    def publication(self) -> tuple[str, str]:
        """(version, ISO time of publication, minute precision), from a local copy younger than 100 ms."""
        now = time.monotonic()
        with self._published_guard:
            if self._published is not None and now < self._published_until:
                return self._published
        raw = self.client.get(self.publication_key)
        if raw is None:
            at = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
            fresh = orjson.dumps({"v": data_version(self.client, self.settings), "at": at.isoformat()})
            self.client.set(self.publication_key, fresh, nx=True, px=max(1, int(self.refresh_s * 1000)))
            raw = self.client.get(self.publication_key) or fresh
        doc = orjson.loads(raw)
        found = (str(doc["v"]), str(doc["at"]))
        with self._published_guard:
            self._published, self._published_until = found, now + VERSION_TTL_S
        return found

    def version(self) -> str:
        version, at = self.publication()
        return f"{version}@{at}"


def widget_data(query: EmbedQuery, engine, cache: PublishedCache, settings) -> dict:
    """The published figures of one widget for its period (language and theme do not change them)."""
    version, at = cache.publication()
    now = dt.datetime.fromisoformat(at)

    def compute() -> dict:
        return _compute(query, engine, settings, now)

    data = cache.get_or_compute(f"embed.{query.widget}", query.period, compute)
    return {**data, "as_of": at, "version": version}


def _compute(query: EmbedQuery, engine, settings, now: dt.datetime) -> dict:
    start, end, months = period_bounds(query, now)
    min_sample = int(getattr(settings, "kpi_min_sample", 30))
    with engine.connect() as conn:
        if query.widget == "complaints-month":
            s = agg.complaint_summary(conn, start, end, now)
            return {
                "months": months,
                "received": disclosure.publish_count(s["received"]),
                "measured": disclosure.publish_count(s["measured"]),
                "within_pct": disclosure.publish_rate(s["within"], s["measured"], min_sample),
            }
        if query.widget == "sla-trend":
            found = agg.complaint_sla_by_month(conn, start, end, now)
            rows = []
            for m in months:
                f = found.get(m, {"received": 0, "within": 0, "measured": 0})
                rows.append(
                    {
                        "month": m,
                        "received": disclosure.publish_count(f["received"]),
                        "within_pct": disclosure.publish_rate(f["within"], f["measured"], min_sample),
                    }
                )
            return {"months": months, "rows": rows}
        if query.widget == "complaints-category":
            cells, total = disclosure.publish_line(agg.complaints_by(conn, "category", start, end))
            return {"months": months, "cells": cells, "total": total}
        if query.widget == "complaints-map":
            counts = dict.fromkeys((k.code for k in kecamatan()), 0)
            counts.update(agg.complaints_by(conn, "kecamatan_code", start, end))
            cells, total = disclosure.publish_line(counts)
            return {"months": months, "cells": cells, "total": total}
        if query.widget == "incidents-112":
            found = agg.incidents_by_month(conn, start, end)
            rows = []
            for m in months:
                f = found.get(m)
                measured = f["measured"] if f else 0
                rows.append(
                    {
                        "month": m,
                        "reported": disclosure.publish_count(f["reported"] if f else 0),
                        "p50_min": round(f["p50_s"] / 60, 1)
                        if f and f["p50_s"] is not None and measured >= min_sample
                        else None,
                        "p90_min": round(f["p90_s"] / 60, 1)
                        if f and f["p90_s"] is not None and measured >= min_sample
                        else None,
                        "sensitive": {
                            c: disclosure.publish_count((f["sensitive"][c]) if f else 0)
                            for c in agg.SENSITIVE_INCIDENT_CATEGORIES
                        },
                    }
                )
            return {"months": months, "rows": rows}
        if query.widget == "ppid":  # the report's counting and suppression: dashboard/ppid_public.py
            by_opd, city_median = agg.info_requests_by_opd(conn, start, end, now)
            ppid_min = int(getattr(settings, "ppid_min_sample", 10))
            return {"months": months, **ppid_public.publish_report(by_opd, city_median, ppid_min)}
        if query.widget == "egov":
            return {"months": months, "indicators": agg.egov_city_latest(conn, settings)}
    raise ValueError(f"no data for widget {query.widget!r}")
