"""The live page in headless Chromium against the real app, Redis, ingestor and SQLite."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import urllib.error
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

from data_sources.stream.connection import connect
from data_sources.stream.producer import publish
from tests.conftest import make_event
from tests.support.services import RedisProcess

CLOCK = re.compile(r"^\d\d\.\d\d\.\d\d WIB$")


def now_iso(minutes_ago: float = 0) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)).isoformat()


def fire(incident_id: str, minutes_ago: float = 0) -> dict:
    return make_event(
        f"{incident_id}-reported",
        "incident.reported",
        {
            "incident_id": incident_id,
            "category": "fire",
            "priority": 1,
            "kecamatan": "Tambaksari",
            "caller": {"name": "Rahmat Hidayat", "phone": "081311112222"},
            "description": "Asap tebal dari gudang",
        },
        occurred_at=now_iso(minutes_ago),
    )


def open_live(page, url: str, query: str = "") -> None:
    page.goto(url + query)
    expect(page.locator("#live-status")).to_have_text(re.compile("Langsung|Live"), timeout=15_000)


def test_page_renders_in_indonesian_without_console_errors(live_server, page, console_errors):
    open_live(page, live_server.url)
    for text in (
        "Pantau Surabaya",
        "Aduan terbuka",
        "Insiden 112 aktif",
        "Kejadian terakhir",
        "Kejadian terbaru",
        "Kesehatan feed",
    ):
        expect(page.get_by_text(text, exact=True).first).to_be_visible()
    expect(page.locator("#live-clock")).to_have_text(CLOCK)
    page.wait_for_timeout(2_500)  # a few ticks and refreshes
    assert console_errors == []


def test_a_published_incident_shows_up_within_seconds(live_server, page, console_errors):
    open_live(page, live_server.url)
    incident_id = f"112-{uuid.uuid4().hex[:8]}"
    publish(connect(live_server.settings), live_server.settings, fire(incident_id))
    started = time.monotonic()
    row = page.locator("tr", has_text=incident_id)
    expect(row).to_be_visible(timeout=10_000)
    print(f"incident on the page after {time.monotonic() - started:.1f} s")
    expect(row).to_contain_text("Kebakaran")
    expect(row).to_contain_text("Laporan 112")
    expect(row).to_contain_text("Tambaksari")
    expect(page.locator(".pantau-card.is-incidents")).to_contain_text("Kebakaran")
    for secret in ("Rahmat Hidayat", "081311112222", "Asap tebal"):
        assert secret not in page.content()
    assert console_errors == []


def test_english_on_request(live_server, page, console_errors):
    open_live(page, live_server.url, "?lang=en")
    expect(page.get_by_text("Open complaints", exact=True)).to_be_visible()
    expect(page.get_by_text("Newest events", exact=True)).to_be_visible()
    expect(page.locator("#live-clock")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d WIB$"))
    assert console_errors == []


def a_morning_of_events(tag: str) -> list[dict]:
    """Twelve varied events: enough to fill the newest-events table."""
    places = ("Gubeng", "Rungkut", "Sawahan", "Tegalsari", "Kenjeran", "Wiyung", "Benowo", "Mulyorejo")
    categories = (
        "jalan_rusak",
        "sampah",
        "banjir_genangan",
        "penerangan_jalan",
        "administrasi_kependudukan",
        "ketertiban_umum",
        "kesehatan",
        "perizinan",
    )
    events = [
        make_event(
            f"MC-{tag}-{n}-created",
            "complaint.created",
            {
                "complaint_id": f"MC-{tag}-{n}",
                "channel": "app",
                "category": categories[n],
                "kecamatan": places[n],
                "reporter": {"name": "Dewi Lestari", "nik": "3578014101950003"},
                "text": "Mohon segera ditindak",
            },
            occurred_at=now_iso(minutes_ago=60 * (30 - 4 * n)),
        )
        for n in range(8)
    ]
    events.append(
        make_event(
            f"MC-{tag}-7-responded",
            "complaint.status",
            {"complaint_id": f"MC-{tag}-7", "status": "responded"},
            occurred_at=now_iso(20),
        )
    )
    events.append(fire(f"112-{tag}-A", minutes_ago=6))
    events.append(
        make_event(
            f"112-{tag}-B-reported",
            "incident.reported",
            {
                "incident_id": f"112-{tag}-B",
                "category": "traffic_accident",
                "priority": 2,
                "kecamatan": "Wonokromo",
            },
            occurred_at=now_iso(2),
        )
    )
    events.append(
        make_event(
            f"kpi-{tag}",
            "egov.kpi",
            {"domain": "procurement", "metric": "tender_count", "opd": f"OPD{tag}", "period": "2026-11", "value": 42},
            occurred_at=now_iso(1),
        )
    )
    return events


@pytest.mark.parametrize("width, height", [(1920, 1080), (1366, 768)])
def test_screenshots(live_server, open_page, artifacts_dir, width, height):
    client = connect(live_server.settings)
    for event in a_morning_of_events(f"{width}"):
        publish(client, live_server.settings, event)
    page = open_page(width, height)
    open_live(page, live_server.url)
    expect(page.locator("tr", has_text=f"OPD{width}")).to_be_visible(timeout=10_000)
    page.wait_for_timeout(1_200)  # let the clock tick once
    page.screenshot(path=str(artifacts_dir / f"live-{width}x{height}.png"))
    # a wall screen has nobody to scroll it: all twelve rows and the health line are on screen
    rows = page.locator(".pantau-table tbody tr")
    expect(rows).to_have_count(12)
    last_row, panel = rows.nth(11).bounding_box(), page.locator(".pantau-events").bounding_box()
    assert last_row["y"] + last_row["height"] <= panel["y"] + panel["height"] <= height
    health = page.locator(".pantau-health").bounding_box()
    assert health["y"] + health["height"] <= height


def _post_callback(server, payload: dict) -> tuple[int, str]:
    request = urllib.request.Request(
        server.url + "_dash-update-component",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with server.opener.open(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.parametrize(
    "search, known",
    [
        ({"$gt": 1}, {"version": [1], "lang": "<script>", "until_ms": "9"}),
        ("?lang=en&lang=" + "x" * 10_000, 12),
        ("?lang=%00%ff", {"version": 2**80, "lang": "id", "until_ms": 2**80}),
    ],
)
def test_forged_refresh_payloads_neither_crash_nor_leak(live_server, search, known):
    output = "..live-body.children...live-known.data...live-feed.data...live-heartbeat.data.."
    payload = {
        "output": output,
        "outputs": [
            {"id": i, "property": p}
            for i, p in (
                ("live-body", "children"),
                ("live-known", "data"),
                ("live-feed", "data"),
                ("live-heartbeat", "data"),
            )
        ],
        "inputs": [
            {"id": "live-refresh", "property": "n_intervals", "value": "DROP TABLE"},
            {"id": "live-url", "property": "search", "value": search},
        ],
        "state": [{"id": "live-known", "property": "data", "value": known}],
        "changedPropIds": ["live-refresh.n_intervals"],
    }
    status, body = _post_callback(live_server, payload)
    assert status == 200
    assert "Traceback" not in body and "<script>" not in body
    assert '"lang":"id"' in body.replace(" ", "")


def test_delayed_data_when_redis_goes_away(start_server, open_page, artifacts_dir):
    redis_server = RedisProcess().start()
    try:
        server = start_server(redis_server.url)
        publish(connect(server.settings), server.settings, fire("112-STALE"))
        page = open_page()
        open_live(page, server.url)
        expect(page.locator("tr", has_text="112-STALE")).to_be_visible(timeout=10_000)
        redis_server.stop(kill=True)
        expect(page.locator("#live-status")).to_have_text(re.compile("Data tertunda"), timeout=10_000)
        expect(page.locator("#live-page")).to_have_class(re.compile("is-stale"))
        # the last figures stay on the screen, marked as delayed
        expect(page.locator("tr", has_text="112-STALE")).to_be_visible()
        expect(page.locator("#live-clock")).to_have_text(CLOCK)
        page.screenshot(path=str(artifacts_dir / "live-stale-1920x1080.png"))
        page.context.close()
    finally:
        redis_server.close()
