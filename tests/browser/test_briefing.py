"""The leadership briefing in Chromium: screenshots at a laptop's and a projector's size and of the printed
page, a click on the map filtering the whole view, the URL reproducing it, and the officer's extra panel."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import insert

from dashboard.briefing import parse_view
from dashboard.i18n import format_number
from dashboard.reference import kecamatan_by_code
from data_sources.kpi import complaints as kpi_complaints
from data_sources.store.models import EgovReading, PersonalComplaintReporter
from tests.support.auth_helpers import browser_login, create_user
from tests.support.kpi_data import complaint, incident, load

H = dt.timedelta(hours=1)
OPDS = ("DSDABM", "DINKES", "DLH", "DISHUB", "DKRTH")
KECAMATAN = ("35.78.01", "35.78.05", "35.78.09", "35.78.13", "35.78.20", "35.78.28")
OFFICER, PASSWORD = "officer-briefing", "officer briefing password"
REPORTER = "Bambang Reporter Uji"


@pytest.fixture(scope="module")
def briefing_server(live_server):
    now = dt.datetime.now(dt.UTC)
    complaints = [
        complaint(
            f"MC-{i:05d}",
            now - (i * 0.9 + 0.2) * H,
            first_response_h=None if i % 9 == 0 else 0.5 + i % 30,
            resolved_h=None if i % 4 else 40,
            opd=OPDS[i % len(OPDS)],
            channel=("whatsapp", "app", "phone", "twitter")[i % 4],
            category=("jalan_rusak", "sampah", "banjir_genangan")[i % 3],
            kecamatan=KECAMATAN[i % len(KECAMATAN)],
        )
        for i in range(900)
    ]
    incidents = [
        incident(
            f"I-{i:05d}",
            now - (i * 1.7 + 0.3) * H,
            response_min=3 + (i % 11) * 0.8,
            answer_s=3 + i % 25,
            dispatch_min=1 + (i % 5) * 0.4,
            scene_min=25 + i % 30,
            category=("fire", "flood", "traffic_accident", "medical")[i % 4],
            kecamatan=KECAMATAN[i % len(KECAMATAN)],
        )
        for i in range(400)
    ]
    load(live_server.engine, complaints, incidents)
    with live_server.engine.begin() as conn:
        conn.execute(
            insert(PersonalComplaintReporter.__table__),
            [
                dict(
                    complaint_id="MC-00001",
                    name=REPORTER,
                    phone="+628123450000",
                    email=None,
                    nik=None,
                    address=None,
                    text="Jalan berlubang di depan sekolah",
                )
            ],
        )
        conn.execute(
            insert(EgovReading.__table__),
            [
                dict(
                    domain=domain,
                    metric=metric,
                    opd=opd,
                    period=f"2026-{m:02d}",
                    value=value * (0.9 + 0.02 * j + 0.005 * m),
                    target=target,
                    unit=unit,
                    occurred_at=now,
                    event_id=f"e-{metric}-{opd}-{m}",
                )
                for domain, metric, value, target, unit in (
                    ("budgeting", "apbd_realization_pct", 80.0, 85.0, "pct"),
                    ("staffing", "ekinerja_submission_pct", 95.0, 95.0, "pct"),
                    ("procurement", "tender_count", 6.0, 5.0, "count"),
                    ("planning", "musrenbang_realized_pct", 70.0, 75.0, "pct"),
                )
                for j, opd in enumerate(OPDS)
                for m in range(1, 12)
            ],
        )
    create_user(live_server.engine, OFFICER, "officer", PASSWORD)
    return live_server


def _engine_received(server, query: dict) -> int:
    view = parse_view(query, dt.datetime.now(dt.UTC))
    with server.engine.connect() as conn:
        return kpi_complaints.period_figures(conn, view.filter, dt.datetime.now(dt.UTC))["received"]


@pytest.fixture
def officer_page(browser, console_errors, briefing_server):
    """A page logged in as an officer (open_page's are the browser tests' viewer)."""
    contexts = []

    def open_(width: int, height: int):
        contexts.append(browser.new_context(viewport={"width": width, "height": height}, locale="id-ID"))
        browser_login(contexts[-1], briefing_server.url, OFFICER, PASSWORD)
        return console_errors.watch(contexts[-1].new_page())

    yield open_
    for context in contexts:
        context.close()


def _open(open_page, server, path: str, width: int, height: int):
    page = open_page(width, height)
    page.goto(server.url.rstrip("/") + path)
    page.wait_for_selector(".briefing-tile-value", timeout=30_000)
    page.wait_for_selector("#briefing-league .ag-row", timeout=30_000)
    page.wait_for_selector("#briefing-map .js-plotly-plot", timeout=30_000)
    page.wait_for_timeout(1500)  # charts and grids settle
    return page


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_briefing_screenshots(briefing_server, officer_page, console_errors, artifacts_dir, size):
    width, height = size
    page = _open(officer_page, briefing_server, "/briefing?period=7d", width, height)
    page.wait_for_selector("#briefing-complaints .ag-row", timeout=30_000)
    page.screenshot(path=str(artifacts_dir / f"briefing-{width}x{height}.png"), full_page=True)
    page.screenshot(path=str(artifacts_dir / f"briefing-{width}x{height}-first-screen.png"))
    received = page.locator(".briefing-tile-value").first.inner_text()
    assert received == format_number(_engine_received(briefing_server, {"period": "7d"}), "id")
    assert page.locator("#briefing-league .ag-pinned-left-cols-container .ag-row").count() >= len(OPDS)
    assert page.locator("text=Pemerintah Kota Surabaya").first.is_visible()
    # nothing of the page sticks out sideways on a laptop: the tables scroll inside their own boxes
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # the officer picks a complaint: its history with the reporter
    page.locator("#briefing-complaints").scroll_into_view_if_needed()
    page.locator("#briefing-complaints .ag-center-cols-container .ag-row").first.click()
    page.wait_for_selector("#briefing-history .briefing-events li", timeout=15_000)
    first_id = page.locator("#briefing-complaints .ag-pinned-left-cols-container .ag-row").first.inner_text().strip()
    assert first_id in page.locator("#briefing-history").inner_text()
    page.locator("#briefing-history").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / f"briefing-{width}x{height}-officer.png"))
    assert not console_errors, console_errors


def test_printed_briefing(briefing_server, officer_page, console_errors, artifacts_dir):
    page = _open(officer_page, briefing_server, "/briefing?period=month&channel=whatsapp,app", 1366, 768)
    page.wait_for_selector(".briefing-map-print[data-ready]", state="attached", timeout=30_000)
    page.evaluate("window.pantauBriefingPrintLayout(true)")  # what the print button and Ctrl+P do first
    page.wait_for_timeout(1000)
    page.emulate_media(media="print")
    page.pdf(path=str(artifacts_dir / "briefing-print.pdf"), format="A4", landscape=True, print_background=True)
    page.screenshot(path=str(artifacts_dir / "briefing-print.png"), full_page=True)
    header = page.locator("#briefing-print-filters")
    assert header.is_visible()
    text = header.inner_text()
    assert "Bulan ini" in text and "Kanal: Aplikasi warga, WhatsApp" in text
    assert re.search(r"Data per \d{1,2} \w{3} \d{4} \d{2}\.\d{2} WIB", page.locator("#briefing-data-time").inner_text())
    for hidden in ("#briefing-print-button", ".briefing-filters", ".briefing-exports", "#briefing-complaints"):
        assert not page.locator(hidden).first.is_visible(), hidden
    assert page.locator(".briefing-map-print").is_visible()
    # every grid fits the printable width of A4 landscape
    for grid in ("briefing-league", "briefing-segments", "briefing-egov"):
        widths = page.evaluate(f"""(() => {{ const g = document.getElementById('{grid}');
            const v = g.querySelector('.ag-center-cols-viewport'); return [v.scrollWidth, v.clientWidth]; }})()""")
        assert widths[0] <= widths[1] + 2, (grid, widths)
    assert not console_errors, console_errors


def test_map_click_filters_everything_and_the_link_reproduces_it(briefing_server, open_page, console_errors):
    page = _open(open_page, briefing_server, "/briefing?period=7d", 1920, 1080)
    code = "35.78.05"
    place = kecamatan_by_code()[code]
    page.locator("#briefing-map").scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    point = page.evaluate(f"""(() => {{
        const gd = document.querySelector('#briefing-map .js-plotly-plot');
        const map = gd._fullLayout.map._subplot.map;
        const p = map.project([{place.lon}, {place.lat}]);
        const r = map.getCanvas().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y]; }})()""")
    page.mouse.move(point[0], point[1])
    page.wait_for_timeout(300)
    page.mouse.click(point[0], point[1])
    page.wait_for_function(f"window.location.search.includes('kec={code}')", timeout=15_000)
    expected = format_number(_engine_received(briefing_server, {"period": "7d", "kec": code}), "id")
    page.wait_for_function(f"document.querySelector('.briefing-tile-value').innerText === {expected!r}", timeout=15_000)
    assert place.name in page.locator("#briefing-kec").inner_text()
    link = page.evaluate("window.location.pathname + window.location.search")
    again = _open(open_page, briefing_server, link, 1366, 768)
    assert again.locator(".briefing-tile-value").first.inner_text() == expected
    assert place.name in again.locator("#briefing-kec").inner_text()
    assert not console_errors, console_errors


def test_viewer_in_english_sees_no_officer_panel(briefing_server, open_page, console_errors):
    page = _open(open_page, briefing_server, "/briefing?period=7d&lang=en&opd=DINKES", 1366, 768)
    assert page.locator("h1").inner_text().endswith("Leadership briefing")
    assert page.locator("#briefing-complaints").count() == 0
    assert REPORTER not in page.content()
    assert "DINKES" in page.locator("#briefing-opd").inner_text()
    # an export button hands the browser a file holding the grid's rows
    with page.expect_download(timeout=30_000) as download:
        page.locator("#briefing-league").locator("xpath=ancestor::section[1]").get_by_role("button", name="CSV").click()
    body = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert download.value.suggested_filename.startswith("pantau-briefing-league-")
    assert body[0].startswith("Rank,Department,Received") and any(line.split(",")[1] == "DINKES" for line in body[1:])
    # the Indonesian switch keeps the filters
    href = page.locator("#briefing-lang").get_attribute("href")
    assert "opd=DINKES" in href and "lang=en" not in href and "period=7d" in href
    assert not console_errors, console_errors
