"""The wall's snapshot and refresh logic, against real Redis and real SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import time
from concurrent.futures import ThreadPoolExecutor

import flask
import pytest

from callbacks import wall as wall_callbacks
from data_sources.kpi.cache import VERSION_TTL_S, KpiCache, cache_for
from data_sources.redis_keys import data_version_key
from data_sources.services import EXTENSION_KEY, Services
from data_sources.stream.producer import publish
from data_sources.stream.version import data_version
from data_sources.views import wall as wall_feed
from layouts import wall as wall_layout
from tests.conftest import make_event
from tests.integration.test_live_feed import EVENTS, NOW, PERSONAL, incident, services_context


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
    maps = [wall_callbacks.shared_wall_map(redis_client, settings, snaps[0], "id", cache) for cache in caches]
    assert sum(c.computations for c in caches) == 2 and all(m == maps[0] for m in maps)
    assert maps[0].startswith("<svg") and "Kecelakaan lalu lintas" in maps[0]  # the legend of the one placed


def refresh(n: int, search: str, known, want=None) -> dict:
    """The refresh as the browser asks for it (assets/wall.js): the poll carries what the screen shows."""
    return wall_callbacks.refresh({"n": n, "known": known, **({"want": want} if want else {})}, search)


def text_of(panel: dict) -> str:
    return panel["head"] + panel["shell"] + panel["empty"] + "".join(html for _, html in panel["rows"] or [])


def new_version(redis_client, settings) -> None:
    """Bump the data version as the ingestor does, and let every worker's copy of it expire."""
    redis_client.incr(data_version_key(settings))
    time.sleep(VERSION_TTL_S * 1.5)


def test_refresh_sends_whole_panels_first_then_only_what_changed(
    settings, engine, redis_client, ingested, ingest_until_idle
):
    with services_context(settings, engine, redis_client):
        first = refresh(0, "", None)
        known, beat = first["known"], first["heartbeat"]
        assert beat["ok"] and known["lang"] == "id" and first["feed"]["p1"]["incident_id"] == "112-3"
        assert set(first["panels"]) == set(wall_layout.PANELS) and known["until_ms"] > beat["server_ms"]
        assert "Aduan masuk hari ini" in text_of(first["panels"]["tiles"])
        assert first["map"]["svg"].startswith("<svg") and first["map"]["key"] == known["map"]
        # the SLA board's rows are keyed by complaint, inside a table body the render fills
        sla = first["panels"]["sla"]
        assert [key for key, _ in sla["rows"]] == ["MC-1", "MC-3"] and "<tbody data-wall-rows" in sla["shell"]
        unchanged = refresh(1, "", known)
        assert set(unchanged) == {"heartbeat"} and unchanged["heartbeat"]["ok"]

        # another language: every panel and the map again
        new_version(redis_client, settings)
        english = refresh(2, "?lang=en", known)
        assert english["known"]["version"] != known["version"] and english["known"]["lang"] == "en"
        assert set(english["panels"]) == set(wall_layout.PANELS) and english["map"] is not None
        assert "Complaints received today" in text_of(english["panels"]["tiles"])

        # a new version with the same figures: no panel, no map
        # (the feed health, read apart from the snapshot, may have moved on meanwhile)
        new_version(redis_client, settings)
        same = refresh(3, "?lang=en", english["known"])
        assert set(same["panels"]) <= {"health"} and same["map"] is None
        assert same["known"]["version"] != english["known"]["version"]

        # a new incident: the ticker, the tiles and the map; not the SLA, PPID and e-government panels
        publish(redis_client, settings, incident("112-5", "flood", 0.1, priority=3, lat=-7.29, lon=112.74))
        ingest_until_idle()
        time.sleep(VERSION_TTL_S * 1.5)
        moved = refresh(4, "?lang=en", same["known"])
        assert {"ticker", "tiles"} <= set(moved["panels"]) <= {"ticker", "tiles", "health"}
        key, row = moved["panels"]["ticker"]["rows"][0]
        assert key == "112-5" and "Flood" in row and "112-5" in row
        # the map waits its turn (drawing it is most of a wall's work per change): asked again once it is due
        assert moved["map"] is None and moved["known"]["map"] == same["known"]["map"]
        assert moved["known"]["until_ms"] <= same["known"]["map_at"] + wall_callbacks.MAP_REFRESH.total_seconds() * 1000
        due = {**moved["known"], "until_ms": 0, "map_at": moved["known"]["map_at"] - 5_000}
        later = refresh(5, "?lang=en", due)
        assert later["map"] is not None and later["map"]["key"] == later["known"]["map"] != same["known"]["map"]
        assert "Flood" in later["map"]["svg"] and set(later["panels"]) <= {"health"}


def test_a_pushed_version_is_read_at_once(settings, engine, redis_client, ingested):
    """The push tells a wall of a version newer than the worker's copy of it (kept 0.1 s): the refresh
    reads that version, rather than answer with the old one and leave the wall waiting for the next word."""
    with services_context(settings, engine, redis_client):
        first = refresh(0, "", None)
        redis_client.incr(data_version_key(settings))
        pushed = data_version(redis_client, settings)
        assert pushed != first["known"]["version"]
        answer = refresh(1, "", first["known"], want=pushed)
        assert answer["known"]["version"] == pushed


def test_yesterday_is_the_same_hours_of_yesterday(settings, redis_client, engine, ingest_until_idle):
    wib = dt.timezone(dt.timedelta(hours=7))
    now = dt.datetime(2026, 11, 30, 9, 0, tzinfo=wib)
    for cid, moment in [
        ("Y-1", now - dt.timedelta(days=1, hours=1)),  # yesterday 08:00: counted
        ("Y-2", now - dt.timedelta(hours=23)),  # yesterday 10:00: after this hour
        ("Y-3", now - dt.timedelta(hours=10)),  # yesterday 23:00
        ("Y-4", now - dt.timedelta(days=1, hours=9, minutes=30)),  # the day before
        ("T-1", now - dt.timedelta(hours=2)),
    ]:  # today 07:00
        publish(
            redis_client,
            settings,
            make_event(
                f"{cid}-created",
                "complaint.created",
                {"complaint_id": cid, "channel": "whatsapp", "category": "sampah", "kecamatan": "Gubeng"},
                occurred_at=moment.isoformat(),
            ),
        )
    ingest_until_idle()
    tiles = wall_feed.wall_snapshot(engine, settings, now.astimezone(dt.UTC))["tiles"]
    assert (tiles["received_today"], tiles["received_yesterday"]) == (1, 1)


FORGED_SHOWN = {
    "lang": "id",
    "map": "k",
    "map_at": 0,
    "map_traces": {"$ne": 1},
    "version": "v",
    "until_ms": 0,
    "shown": {
        "tiles": {"head": [], "rows": [[1, 2]], "empty": None},
        "ticker": {"head": ["x"] * 99, "rows": [], "empty": None},
        "sla": "DROP",
        "egov": None,
    },
}


@pytest.mark.parametrize(
    "poll",
    [
        "DROP",
        {"known": None},
        {"known": 12},
        {"known": {"version": ["x"], "until_ms": "9"}},
        {"known": {"version": "x" * 10_000}},
        {"known": FORGED_SHOWN},
        {"known": {**FORGED_SHOWN, "shown": ["tiles"]}},
        {"want": ["x"]},
        {"want": "x" * 10_000},
    ],
)
def test_refresh_tolerates_forged_known_state(settings, engine, redis_client, poll):
    with services_context(settings, engine, redis_client):
        result = wall_callbacks.refresh(poll, {"$gt": 1})
    assert result["heartbeat"]["ok"] and result["known"]["lang"] == "id"
    assert set(result["panels"]) == set(wall_layout.PANELS)  # a claim that does not fit: whole panels
    assert result["map"]["svg"].startswith("<svg")


@pytest.mark.parametrize(
    "query, pin, rotate_ms",
    [
        ({}, None, 20_000),
        ({"scene": "sla", "rotate": "45"}, "sla", 45_000),
        ({"scene": "112"}, "112", 20_000),
        ({"scene": "<script>", "rotate": "5"}, None, 20_000),
        ({"rotate": "601"}, None, 20_000),
        ({"rotate": "１２"}, None, 20_000),
        ({"rotate": "-30"}, None, 20_000),
        ({"rotate": "600"}, None, 600_000),
        ({"token": "wall-secret", "scene": "egov", "x": "1"}, "egov", 20_000),  # unknown parameters are ignored
    ],
)
def test_url_parameters_are_checked(query, pin, rotate_ms):
    page = wall_layout.layout(query)
    config = next(c for c in page.children if getattr(c, "id", None) == wall_layout.ids.config).data
    assert (config["pin"], config["rotate_ms"]) == (pin, rotate_ms)
    assert f"scene-{pin or 'overview'}" in page.className


@pytest.mark.parametrize("walls", [1, 10])
def test_one_computation_per_data_change_however_many_walls_poll(
    settings, engine, redis_client, ingested, ingest_until_idle, walls
):
    """Each wall is answered by a worker of its own (its own services, so its own cache layer), and they
    all poll at once. The snapshot is computed once per (data version, clock minute) whoever asks: the
    invariant is computations == distinct cache keys, not a fixed count: a test that straddles a minute
    boundary rightly computes the new minute's SLA states once more (the slower PostgreSQL runs straddle
    more often: the likeliest reason the dropped fixed count of 2 saw 3 there; not reproduced in 3 runs of
    this test with the old code). One wrong way to an extra key is
    closed too: the callback used to read a fresh data version while the cache filed its result under its
    own copy, up to 100 ms older; it now asks the cache, so both agree."""
    servers = []
    for i in range(walls):
        server = flask.Flask(f"wall-worker-{i}")
        server.extensions[EXTENSION_KEY] = Services(settings, engine, redis_client)
        servers.append(server)

    def poll(i: int, known):
        with servers[i].app_context():
            return refresh(0, "", known)

    knowns = [None] * walls
    seen = set()
    with ThreadPoolExecutor(max_workers=walls) as pool:
        for change in range(3):
            if change:
                publish(redis_client, settings, incident(f"112-N{change}", "flood", 0.05, priority=3))
                ingest_until_idle()
                time.sleep(VERSION_TTL_S * 1.5)
            for _ in range(2):  # the second round finds nothing new
                answers = list(pool.map(poll, range(walls), knowns))
                knowns = [a.get("known", k) for a, k in zip(answers, knowns)]
                seen |= {(k["version"], k["until_ms"]) for k in knowns}
    computations = sum(cache_for(s.extensions[EXTENSION_KEY]).computations for s in servers)
    keys = [k for k in redis_client.scan_iter(f"{settings.stream_prefix}:kpi:wall*") if not k.endswith(b":lock")]
    versions = {version for version, _ in seen}
    assert len(versions) == 3
    assert computations == len(keys)
    snapshots = [k for k in keys if b":kpi:wall:" in k]
    assert len(versions) <= len(snapshots) <= 2 * len(versions)
