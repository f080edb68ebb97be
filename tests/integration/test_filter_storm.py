"""Issue 15 item 8: a logged-in user cannot make the server compute for filters of codes that do not exist,
nor run more than the configured number of uncached computations at once."""

from __future__ import annotations

import threading

import pytest

from callbacks import briefing_request
from dashboard.filters import KpiFilter
from data_sources.kpi.cache import ComputationsBusy, KpiCache
from data_sources.stream.producer import publish
from data_sources.views import briefing as briefing_data
from tests.conftest import make_event
from tests.integration.test_live_feed import NOW, at, services_context


def _complaint(cid: str, opd: str, category: str) -> dict:
    data = {"complaint_id": cid, "channel": "web", "category": category, "opd": opd, "kecamatan": "35.78.09"}
    return make_event(f"{cid}-created", "complaint.created", data, occurred_at=at(3))


def test_a_filter_names_only_departments_and_categories_that_exist(settings, engine, redis_client, ingest_until_idle):
    for event in (_complaint("K-1", "DLH", "sampah"), _complaint("K-2", "DSDABM", "pohon_tumbang")):
        publish(redis_client, settings, event)
    ingest_until_idle()
    with services_context(settings, engine, redis_client):
        view = briefing_request.view_of("?opd=DLH,NOPE1,NOPE2&category=pohon_tumbang,zz_made_up", NOW)
        assert view.filter.opd == () and view.filter.category == ()  # a bad value leaves its whole list out
        assert any("NOPE" in e for e in view.errors) and any("zz_made_up" in e for e in view.errors)
        view = briefing_request.view_of("?opd=DLH,DSDABM&category=pohon_tumbang,sampah", NOW)
        assert view.filter.opd == ("DLH", "DSDABM") and view.filter.category == ("pohon_tumbang", "sampah")
        assert not view.errors
        # 64 codes of the right shape, none of them real: no filter, so no new cache key
        storm = ",".join(f"X{i:03d}" for i in range(64))
        assert briefing_request.view_of(f"?opd={storm}", NOW).filter == briefing_request.view_of("", NOW).filter


@pytest.mark.parametrize(("per_process", "across"), [(2, 64), (64, 3)])
def test_a_storm_of_distinct_filters_runs_at_most_n_computations_at_once(redis_settings, per_process, across):
    settings = redis_settings.with_overrides(
        kpi_max_computations_per_process=per_process, kpi_max_computations=across, kpi_busy_wait_s=0.3
    )
    limit = min(per_process, across)
    from data_sources.stream.connection import connect

    client = connect(settings)
    caches = [KpiCache(client, settings) for _ in range(3)]  # three servers' caches on one Redis
    running, most, entered, busy, done = [0], [0], [0], [0], [0]
    guard, release = threading.Lock(), threading.Event()

    def compute():
        with guard:
            running[0] += 1
            entered[0] += 1
            most[0] = max(most[0], running[0])
        release.wait(30)
        with guard:
            running[0] -= 1
        return {"ok": True}

    def viewer(i: int):
        f = KpiFilter(opd=(f"D{i:02d}",))
        try:
            briefing_data.cached(caches[i % 3], "league", f, NOW, compute)
        except ComputationsBusy:
            with guard:
                busy[0] += 1
        finally:
            with guard:
                done[0] += 1

    threads = [threading.Thread(target=viewer, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    settled = threading.Event()
    for _ in range(600):  # until every viewer either computes or was told "busy" (at most 30 s)
        with guard:
            if entered[0] + busy[0] == len(threads):
                break
        settled.wait(0.05)
    release.set()
    for thread in threads:
        thread.join(30)
    try:
        assert done[0] == len(threads)
        assert most[0] <= limit and entered[0] == limit and busy[0] == len(threads) - limit
        # the slots come back: the next filter computes
        assert briefing_data.cached(caches[0], "league", KpiFilter(opd=("AFTER",)), NOW, lambda: 1) == 1
    finally:
        for key in client.scan_iter(f"{settings.stream_prefix}:*"):
            client.delete(key)
        client.close()
