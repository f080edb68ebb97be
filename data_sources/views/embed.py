"""The published figures of each embed widget: computed once per publication instant, rounded, JSON-ready.

The policy is dashboard.disclosure's. Here: a publication is an instant of the fixed grid
(`embed_refresh_s`, from WIB midnight), the same on every worker because it comes from the clock, and its
figures count only what happened before it; they are computed once per instant across workers (KpiCache,
kept for the whole slot). Each widget is built from per-month parts (the PPID report of a year from a
part of the whole year); a period closed for good (`embed_freeze_after_h` after its end) is computed once
and kept in Redis without expiry, so every later publication shows the same figures for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import orjson

from dashboard import disclosure, ppid_public
from dashboard.embed_widgets import EmbedQuery, is_year, month_start, period_bounds
from dashboard.reference import kecamatan
from data_sources import redis_keys
from data_sources.kpi.cache import KpiCache
from data_sources.views import public_aggregates as agg


class PublishedCache(KpiCache):
    """KpiCache keyed by the publication instant instead of the live data version; `clock` is the wall
    clock (a test replays a month with its own)."""

    def __init__(self, client, settings, *, secret: bytes, clock: Callable[[], dt.datetime] | None = None):
        super().__init__(client, settings, local_size=512)
        self.cadence_s = int(settings.embed_refresh_s)
        self.ttl_s = self.cadence_s + 600  # a slot's figures outlive the slot: never recomputed within it
        self.secret = secret
        self.key_params = disclosure.record_key_params(secret)
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._slot: tuple[dt.datetime, dt.datetime, str] | None = None  # (start, end, version) of the last slot

    def instant(self) -> dt.datetime:
        return disclosure.publication_instant(self.clock(), self.cadence_s)

    def version(self) -> str:
        """The current instant as text; asked for by every widget request, so worked out once per slot."""
        now = self.clock()
        slot = self._slot
        if slot is None or not slot[0] <= now < slot[1]:
            instant = disclosure.publication_instant(now, self.cadence_s)
            slot = self._slot = (instant, instant + dt.timedelta(seconds=self.cadence_s), instant.isoformat())
        return slot[2]

    def frozen(self, part: str, period: str, compute: Callable[[], dict]) -> dict:
        """A closed period's part: the first computation, kept for good (SET NX: every worker the same)."""
        key = redis_keys.embed_frozen_key(self.settings, part, period)
        raw = self.client.get(key)
        if raw is None:
            self.client.set(key, orjson.dumps(compute()), nx=True)
            raw = self.client.get(key)
        return orjson.loads(raw)


def widget_data(query: EmbedQuery, engine, cache: PublishedCache, settings) -> dict:
    """The published figures of one widget for its period (language and theme do not change them)."""
    instant = cache.instant()
    at = instant.isoformat()
    data = cache.get_or_compute(
        f"embed.{query.widget}", query.period, lambda: _compute(query, engine, cache, settings, instant), version=at
    )
    return {**data, "as_of": at, "version": at}


def _month_part(part: str, month: str, engine, cache: PublishedCache, settings, instant: dt.datetime) -> dict:
    """One month's published part ("complaints", "category", "kecamatan", "incidents" or "ppid") at `instant`."""
    start = month_start(int(month[:4]), int(month[5:]))
    end = month_start(int(month[:4]), int(month[5:]) + 1)
    return _period_part(part, month, start, end, engine, cache, settings, instant)


def _year_part(part: str, year: int, engine, cache: PublishedCache, settings, instant: dt.datetime) -> dict:
    """One year's published part, computed as cells of its own (never the sum of its rounded months, and a
    median cannot be summed), published at the same instants and frozen the same way as a month."""
    return _period_part(
        part, f"{year:04d}", month_start(year, 1), month_start(year + 1, 1), engine, cache, settings, instant
    )


def _period_part(part: str, label: str, start, end, engine, cache: PublishedCache, settings, instant) -> dict:
    """A period's part at `instant`: up to the instant while it runs; once closed for good
    (`embed_freeze_after_h` after its end) computed once at that moment and kept (label: "YYYY-MM" or "YYYY")."""
    freeze_after = int(settings.embed_freeze_after_h)
    if disclosure.is_frozen(end, instant, freeze_after):
        closed_at = end + dt.timedelta(hours=freeze_after)
        return cache.frozen(part, label, lambda: _part(part, start, end, closed_at, engine, cache, settings))
    return _part(part, start, min(end, instant), instant, engine, cache, settings)


def _part(part: str, start, end, now, engine, cache: PublishedCache, settings) -> dict:
    keys, secret = cache.key_params, cache.secret
    min_sample = int(getattr(settings, "kpi_min_sample", 30))

    def rounded(cell) -> int:
        return disclosure.round_cell(cell[0], cell[1], secret)

    def line(cells: dict[str, tuple[int, int]]) -> dict:
        # the total is the cell of all the records: its own key, the same as the month's received count
        total = (sum(n for n, _ in cells.values()), sum(k for _, k in cells.values()))
        return {"cells": {k: rounded(c) for k, c in cells.items()}, "total": rounded(total)}

    with engine.connect() as conn:
        if part == "complaints":
            cells = agg.complaint_summary(conn, start, end, now, keys)
            return {name: rounded(cell) for name, cell in cells.items()}
        if part == "category":
            return line(agg.complaints_by(conn, "category", start, end, keys))
        if part == "kecamatan":
            counts = dict.fromkeys((k.code for k in kecamatan()), (0, 0))
            counts.update(agg.complaints_by(conn, "kecamatan_code", start, end, keys))
            return line(counts)
        if part == "incidents":
            f = agg.incidents_of(conn, start, end, now, keys, min_sample)
            measured = rounded(f["measured"])
            show = measured >= min_sample
            return {
                "reported": rounded(f["reported"]),
                "p50_min": round(f["p50_s"] / 60, 1) if show and f["p50_s"] is not None else None,
                "p90_min": round(f["p90_s"] / 60, 1) if show and f["p90_s"] is not None else None,
                "sensitive": {c: rounded(cell) for c, cell in f["sensitive"].items()},
            }
        if part == "ppid":  # the report's rounding: dashboard/ppid_public.py
            ppid_min = int(getattr(settings, "ppid_min_sample", 10))
            figures = agg.info_requests_by_opd(conn, start, end, now, keys, ppid_min)
            return ppid_public.publish_report(figures, secret, ppid_min)
    raise ValueError(f"no part {part!r}")


def _compute(query: EmbedQuery, engine, cache: PublishedCache, settings, instant: dt.datetime) -> dict:
    _, _, months = period_bounds(query, instant)
    min_sample = int(getattr(settings, "kpi_min_sample", 30))

    def part(name: str, month: str) -> dict:
        return _month_part(name, month, engine, cache, settings, instant)

    def complaints_row(month: str) -> dict:
        p = part("complaints", month)
        rate = disclosure.publish_rate(p["within"], p["measured"], min_sample)
        return {"month": month, "received": p["received"], "measured": p["measured"], "within_pct": rate}

    if query.widget == "complaints-month":
        row = complaints_row(months[0])
        return {"months": months, **{k: row[k] for k in ("received", "measured", "within_pct")}}
    if query.widget == "sla-trend":
        return {"months": months, "rows": [complaints_row(m) for m in months]}
    if query.widget == "complaints-category":
        return {"months": months, **part("category", months[0])}
    if query.widget == "complaints-map":
        return {"months": months, **part("kecamatan", months[0])}
    if query.widget == "incidents-112":
        return {"months": months, "rows": [{"month": m, **part("incidents", m)} for m in months]}
    if query.widget == "ppid":
        if is_year(query.period):
            return {"months": months, **_year_part("ppid", int(months[0][:4]), engine, cache, settings, instant)}
        return {"months": months, **part("ppid", months[0])}
    if query.widget == "egov":
        with engine.connect() as conn:
            return {"months": months, "indicators": agg.egov_city_latest(conn, settings, instant)}
    raise ValueError(f"no data for widget {query.widget!r}")
