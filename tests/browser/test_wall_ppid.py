"""The wall's PPID board in Chromium, beside the complaints' SLA board: read from five metres at 1920x1080 and
3840x2160, countdowns ticking in the browser, no requester nor request text in the page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_wall import morning, open_wall  # noqa: F401 (a fixture)
from tests.support.info_data import SECRETS, load_info, mixed_requests


@pytest.fixture(scope="module")
def requests_too(morning):  # noqa: F811
    load_info(morning.engine, mixed_requests(dt.datetime.now(dt.UTC), n=90))
    return morning


@pytest.mark.parametrize("width, height", [(1920, 1080), (3840, 2160)])
def test_ppid_board_beside_the_sla_board(requests_too, open_page, console_errors, artifacts_dir, width, height):
    page = open_page(width, height)
    open_wall(page, requests_too.url, "?scene=sla")
    expect(page.locator(".wall-ppid-row").first).to_be_visible(timeout=15_000)
    expect(page.locator(".wall-sla-row").first).to_be_visible()
    expect(page.locator(".wall-ppid .wall-panel-title")).to_have_text(re.compile("PPID", re.I))
    # the most overdue first, in working days
    expect(page.locator(".wall-ppid-row.is-overdue .wall-countdown").first).to_have_text(
        re.compile(r"^(lewat \d+ hari kerja|Lewat batas)$")
    )
    page.wait_for_timeout(1_200)
    page.screenshot(path=str(artifacts_dir / f"wall-sla-ppid-{width}x{height}.png"))
    sla, ppid = page.locator(".wall-sla").bounding_box(), page.locator(".wall-ppid").bounding_box()
    assert ppid["x"] > sla["x"] + sla["width"] - 1 and abs(ppid["y"] - sla["y"]) < 2  # side by side
    scale = height / 1080
    smallest = page.evaluate("""() => Math.min(...[...document.querySelectorAll('.wall-ppid *')]
        .filter(e => e.offsetParent !== null && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
        .map(e => parseFloat(getComputedStyle(e).fontSize)))""")
    assert smallest >= 19.5 * scale, smallest
    clipped = page.evaluate("""() => [...document.querySelectorAll('.wall-ppid-row')]
        .filter(e => e.getBoundingClientRect().bottom > e.closest('section').getBoundingClientRect().bottom + 1)
        .map(e => e.textContent)""")
    assert clipped == []
    html = page.content()
    assert not [s for s in SECRETS if s in html]
    assert console_errors == []


def test_countdowns_tick_in_the_browser(requests_too, page, console_errors):
    """A request due later today counts down its hours; past its deadline it turns late, and a day more late
    once the next working day has begun (the browser does this between two snapshots)."""
    open_wall(page, requests_too.url, "?scene=sla")
    row = page.locator(".wall-ppid-row").first
    expect(row).to_be_visible(timeout=15_000)
    now = page.evaluate("Date.now()")
    page.evaluate(
        """([now]) => { const r = document.querySelector('.wall-ppid-row');
        r.setAttribute('data-ppid-due-ms', String(now + 2 * 3600 * 1000 + 5000));
        r.setAttribute('data-ppid-days-left', '0'); r.setAttribute('data-ppid-next-ms', String(now + 86400000)); }""",
        [now],
    )
    cell = row.locator(".wall-countdown")
    expect(cell).to_have_text(re.compile(r"^02:00:\d\d$"), timeout=3_000)
    expect(row).to_have_class(re.compile(r"\bis-due-today\b"))
    first = cell.inner_text()
    expect(cell).not_to_have_text(first, timeout=10_000)  # it ticks
    page.evaluate(
        """([now]) => { const r = document.querySelector('.wall-ppid-row');
        r.setAttribute('data-ppid-due-ms', String(now - 1000)); r.setAttribute('data-ppid-days-left', '-2');
        r.setAttribute('data-ppid-next-ms', String(now - 500)); }""",
        [now],
    )
    expect(cell).to_have_text("lewat 3 hari kerja", timeout=3_000)
    expect(row).to_have_class(re.compile(r"\bis-overdue\b"))
    assert console_errors == []
