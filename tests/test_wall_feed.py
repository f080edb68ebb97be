"""The wall's snapshot and refresh logic, against real Redis and real SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import json
import time

import dash
import pytest

from callbacks import wall as wall_callbacks
from data_sources import wall_feed
from data_sources.ingest import data_version_key
from data_sources.kpi_cache import KpiCache
from data_sources.producer import publish
from layouts import wall as wall_layout
from tests.test_live_feed import EVENTS, NOW, PERSONAL, incident, services_context


def ms(hours_ago: float) -> int:
    return int((NOW - dt.timedelta(hours=hours_ago)).timestamp() * 1000)


@pytest.fixture
def ingested(settings, redis_client, ingest_until_idle):
    for event in EVENTS + [incident("112-4", "traffic_accident", 0.2, priority=2, lat=-7.2650, lon=112.7500)]:
        publish(redis_client, settings, event)
    ingest_until_idle()


def test_snapshot_gathers_every_panel_without_personal_data(engine, settings, ingested):
    started = time.perf_counter()
    snap = wall_feed.wall_snapshot(engine, settings, NOW)
    print(f"wall snapshot computed in {1000 * (time.perf_counter() - started):.0f} ms")
    # the SLA board: the open complaints nearest their deadline first, deadlines as epoch ms
    board = snap["sla_board"]
    assert [c["complaint_id"] for c in board] == ["MC-1", "MC-3"]  # MC-2 was answered: off the clock
    assert board[1]["due_ms"] == ms(2 - 24)
    assert board[1]["at_risk_ms"] < board[1]["critical_ms"] < board[1]["due_ms"]
    assert snap["tiles"]["backlog"] == 2 and snap["tiles"]["sla_counts"]["breached"] == 1
    # 112: newest first, and the newest active priority-1 incident for the browser's scene switch
    assert [i["incident_id"] for i in snap["newest_incidents"]] == ["112-4", "112-3", "112-1", "112-2"]
    assert snap["newest_incidents"][0]["reported_ms"] == ms(0.2)
    assert snap["newest_p1"] == {"incident_id": "112-3", "reported_ms": ms(0.5)}
    assert snap["active_incidents"] == 3
    placed = {i["incident_id"]: i for i in snap["map_incidents"]}
    assert placed["112-4"]["lat"] == pytest.approx(-7.265) and "lat" not in placed["112-1"]
    assert [(r["metric"], r["value"]) for r in snap["egov"]] == [("apbd_realization_pct", 71.5)]
    everything = json.dumps(snap)
    for secret in PERSONAL:
        assert secret not in everything


def test_ten_walls_cost_one_computation_and_one_map(engine, settings, redis_client, ingested):
    caches = [KpiCache(redis_client, settings) for _ in range(10)]
    snaps = [wall_feed.shared_wall_snapshot(redis_client, engine, settings, NOW, cache) for cache in caches]
    assert sum(c.computations for c in caches) == 1 and all(s == snaps[0] for s in snaps)
    figures = [wall_feed.shared_wall_map(redis_client, settings, snaps[0], "id", cache) for cache in caches]
    assert sum(c.computations for c in caches) == 2 and figures[0]["layout"]["map"]["style"]["sources"] == {}


def test_refresh_sends_panels_once_per_data_version(settings, engine, redis_client, ingested):
    with services_context(settings, engine, redis_client):
        *panels, known, feed, beat = wall_callbacks.refresh(0, "", None)
        assert beat["ok"] and known["lang"] == "id" and feed["p1"]["incident_id"] == "112-3"
        assert panels[5][0].figure["layout"]["paper_bgcolor"] == "#0b1220"  # the dark map
        assert "Aduan masuk hari ini" in json.dumps(panels[0], default=str)
        unchanged = wall_callbacks.refresh(1, "", known)
        assert unchanged[:8] == (dash.no_update,) * 8 and unchanged[8]["ok"]
        redis_client.incr(data_version_key(settings))
        moved = wall_callbacks.refresh(2, "?lang=en", known)
        assert moved[6]["version"] != known["version"] and moved[6]["lang"] == "en"
        assert "Complaints today" in json.dumps(moved[0], default=str)
        # the same incidents in the same language: the map is not sent again
        again = wall_callbacks.refresh(3, "?lang=en", {**moved[6], "until_ms": 0})
        assert again[5] is dash.no_update and again[0] is not dash.no_update


@pytest.mark.parametrize("known", [None, 12, {"version": ["x"], "until_ms": "9"}, {"version": "x" * 10_000}])
def test_refresh_tolerates_forged_known_state(settings, engine, redis_client, known):
    with services_context(settings, engine, redis_client):
        result = wall_callbacks.refresh("DROP", {"$gt": 1}, known)
    assert result[8]["ok"] and result[6]["lang"] == "id"


@pytest.mark.parametrize("query, pin, rotate_ms", [
    ({}, None, 20_000), ({"scene": "sla", "rotate": "45"}, "sla", 45_000), ({"scene": "112"}, "112", 20_000),
    ({"scene": "<script>", "rotate": "5"}, None, 20_000), ({"rotate": "601"}, None, 20_000),
    ({"rotate": "１２"}, None, 20_000), ({"rotate": "-30"}, None, 20_000), ({"rotate": "600"}, None, 600_000),
])
def test_url_parameters_are_checked(query, pin, rotate_ms):
    page = wall_layout.layout(**query)
    config = next(c for c in page.children if getattr(c, "id", None) == wall_layout.ids.config).data
    assert (config["pin"], config["rotate_ms"]) == (pin, rotate_ms)
    assert f"scene-{pin or 'overview'}" in page.className
