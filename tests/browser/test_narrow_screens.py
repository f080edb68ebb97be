"""The live page and the briefing on a phone (390x844) and a tablet (768x1024), the sizes briefing links are
shared to: nothing scrolls sideways at page level, the headline cards stand one or two across, the briefing's
filters fold behind one button, tables scroll inside their own box, and no type badge of the live page's
table is cut. Screenshots go to tests/artifacts/ (narrow-*.png)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from data_sources.stream.connection import connect
from data_sources.stream.producer import publish
from tests.conftest import make_event
from tests.support.kpi_data import complaint, incident, load

H = dt.timedelta(hours=1)
SIZES = [(390, 844), (768, 1024)]
PAGE_WIDTH = "[document.documentElement.scrollWidth, window.innerWidth]"


@pytest.fixture(scope="module")
def narrow_server(live_server):
    now = dt.datetime.now(dt.UTC)
    load(
        live_server.engine,
        [
            complaint(
                f"NR-{i:04d}",
                now - (i * 0.7 + 0.1) * H,
                first_response_h=None if i % 5 == 0 else 2 + i % 30,
                opd=("DSDABM", "DINKES", "DLH", "DISHUB")[i % 4],
                channel=("whatsapp", "app", "phone")[i % 3],
                kecamatan=("35.78.01", "35.78.05", "35.78.09")[i % 3],
            )
            for i in range(300)
        ],
        [
            incident(f"NR-I-{i:04d}", now - (i * 1.3 + 0.2) * H, response_min=4 + i % 9, answer_s=5 + i % 20)
            for i in range(120)
        ],
    )
    # the longest type labels of the live page's table (status changes, lifecycle steps)
    client = connect(live_server.settings)
    at = (now - dt.timedelta(minutes=3)).isoformat()
    for n, (kind, data) in enumerate(
        [
            (
                "complaint.created",
                {"complaint_id": "NR-C1", "channel": "whatsapp", "category": "jalan_rusak", "kecamatan": "Tegalsari"},
            ),
            ("complaint.status", {"complaint_id": "NR-C1", "status": "responded"}),
            (
                "incident.reported",
                {"incident_id": "NR-F1", "category": "fire", "priority": 1, "kecamatan": "Tegalsari"},
            ),
            ("incident.dispatched", {"incident_id": "NR-F1", "unit": "DAMKAR-RAYON-2", "agency": "DPKP"}),
            ("incident.arrived", {"incident_id": "NR-F1", "unit": "DAMKAR-RAYON-2"}),
            ("incident.closed", {"incident_id": "NR-F1", "outcome": "handled"}),
        ]
    ):
        publish(client, live_server.settings, make_event(f"narrow-{n}", kind, data, at))
    client.close()
    return live_server


def _no_sideways_scroll(page) -> None:
    scroll_width, inner_width = page.evaluate(PAGE_WIDTH)
    assert scroll_width == inner_width, f"the page is {scroll_width} px wide in a {inner_width} px window"


def _columns(page, selector: str) -> int:
    """How many cards stand side by side: the distinct left edges of the visible ones."""
    return page.evaluate(
        f"""new Set([...document.querySelectorAll({selector!r})].filter(e => e.offsetParent)
             .map(e => Math.round(e.getBoundingClientRect().left))).size"""
    )


@pytest.mark.parametrize("width, height", SIZES)
def test_live_page_fits_a_narrow_screen(narrow_server, open_page, artifacts_dir, console_errors, width, height):
    page = open_page(width, height)
    page.goto(narrow_server.url)
    expect(page.locator(".pantau-type", has_text="Unit diberangkatkan").first).to_be_visible(timeout=15_000)
    page.wait_for_timeout(800)
    page.screenshot(path=str(artifacts_dir / f"narrow-live-{width}x{height}.png"), full_page=True)
    _no_sideways_scroll(page)
    assert 1 <= _columns(page, ".pantau-card") <= 2
    # every type badge shows its whole label: none is cut by its cell
    cut = page.evaluate(
        """[...document.querySelectorAll('.pantau-type')].filter(b => {
             const cell = b.closest('td').getBoundingClientRect(), r = b.getBoundingClientRect();
             return b.scrollWidth > b.clientWidth + 1 || r.right > cell.right + 1; }).map(b => b.innerText)"""
    )
    assert cut == []
    assert not console_errors, console_errors


@pytest.mark.parametrize("width, height", SIZES)
def test_briefing_fits_a_narrow_screen(narrow_server, open_page, artifacts_dir, console_errors, width, height):
    page = open_page(width, height)
    page.goto(narrow_server.url + "briefing?period=7d")
    page.wait_for_selector(".briefing-tile-value", timeout=30_000)
    page.wait_for_selector("#briefing-league .ag-row", timeout=30_000)
    page.wait_for_timeout(1500)  # charts and grids settle
    page.screenshot(path=str(artifacts_dir / f"narrow-briefing-{width}x{height}.png"))
    page.screenshot(path=str(artifacts_dir / f"narrow-briefing-{width}x{height}-full.png"), full_page=True)
    _no_sideways_scroll(page)
    assert 1 <= _columns(page, ".briefing-tile") <= 2
    # the print and language buttons are whole and on screen
    for button in ("#briefing-print-button", "#briefing-lang"):
        box = page.locator(button).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, button
    # the filter bar is folded behind one button, and opens from it
    filters, toggle = page.locator(".briefing-filters"), page.locator("#briefing-filter-toggle")
    expect(filters).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(filters).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#briefing-period")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / f"narrow-briefing-{width}x{height}-filters.png"))
    _no_sideways_scroll(page)
    # every period choice can be reached: inside the window
    for label in page.locator("#briefing-period label").all():
        box = label.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, label.inner_text()
    # the league's headers keep their words whole; what does not fit scrolls inside its panel
    page.locator(".briefing-panel.is-league").screenshot(path=str(artifacts_dir / f"narrow-league-{width}.png"))
    split = page.evaluate(
        """[...document.querySelectorAll('.briefing-page .ag-header-cell-text')].filter(h => {
             const range = document.createRange(); range.selectNodeContents(h);
             const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
             return lines > h.innerText.trim().split(/\\s+/).length; }).map(h => h.innerText)"""
    )
    assert split == [], "headers broken inside a word"
    # the re-open and same-channel rates are tiles, and the definitions of every tile open under them
    for name in ("reopened_rate", "same_channel_rate"):
        expect(page.locator(f'.briefing-tile[data-figure="{name}"] .briefing-tile-value')).to_have_text(
            re.compile(r"%$")
        )
    page.locator(".briefing-definitions summary").click()
    expect(page.locator(".briefing-definitions dd", has_text="dibuka kembali setidaknya sekali")).to_be_visible()
    expect(page.locator(".briefing-definitions dd", has_text="kanal yang dipakai warga")).to_be_visible()
    page.locator(".briefing-definitions").screenshot(path=str(artifacts_dir / f"narrow-definitions-{width}.png"))
    _no_sideways_scroll(page)
    assert not console_errors, console_errors


def test_briefing_filters_stay_open_on_a_laptop(narrow_server, open_page):
    page = open_page(1366, 768)
    page.goto(narrow_server.url + "briefing?period=7d")
    page.wait_for_selector(".briefing-tile-value", timeout=30_000)
    expect(page.locator(".briefing-filters")).to_be_visible()
    expect(page.locator("#briefing-filter-toggle")).to_be_hidden()
    assert _columns(page, ".briefing-tile") >= 3


@pytest.mark.parametrize("lang", ["id", "en"])
def test_wall_tiles_show_their_labels_whole(narrow_server, open_page, artifacts_dir, console_errors, lang):
    """The wall keeps its 1920x1080 layout, and the shared labels (longer than its old ones) are never cut."""
    page = open_page(1920, 1080)
    page.goto(narrow_server.url + f"wall?scene=overview&lang={lang}")
    expect(page.locator(".wall-tile-value").first).not_to_have_text("–", timeout=15_000)
    page.wait_for_timeout(800)
    page.screenshot(
        path=str(artifacts_dir / f"narrow-wall-tiles-{lang}.png"), clip={"x": 0, "y": 0, "width": 1920, "height": 330}
    )
    assert page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]") == [
        1920,
        1080,
    ]
    cut = page.evaluate(
        """[...document.querySelectorAll('.wall-tile-title, .wall-tile-detail')].filter(e =>
             e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1).map(e => e.innerText)"""
    )
    assert cut == []
    assert not console_errors, console_errors
