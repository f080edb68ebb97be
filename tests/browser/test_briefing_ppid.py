"""The briefing's PPID panel in Chromium: the league of every OPD's PPID with the engine's numbers, on a laptop
and a projector, and the request list with the requester for officers only."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.briefing import parse_view
from dashboard.i18n import format_number
from data_sources.kpi import info_requests
from tests.support.auth_helpers import browser_login, create_user
from tests.support.info_data import REQUESTER, load_info, mixed_requests

OPDS = ("DINKES", "DISKOMINFO", "BAPPEDALITBANG", "DPRKPP", "DSDABM")
OFFICER, PASSWORD = "officer-ppid", "officer ppid password"


def _query() -> dict:
    now = dt.datetime.now(dt.UTC)
    return {"period": "custom", "from": str((now - dt.timedelta(days=45)).date()), "to": str(now.date())}


def _path(query: dict) -> str:
    return "/briefing?" + "&".join(f"{k}={v}" for k, v in query.items())


@pytest.fixture(scope="module")
def ppid_server(live_server):
    load_info(live_server.engine, mixed_requests(dt.datetime.now(dt.UTC), n=90, opds=OPDS))
    create_user(live_server.engine, OFFICER, "officer", PASSWORD)
    return live_server


def _open(page, server, path: str):
    page.goto(server.url.rstrip("/") + path)
    page.wait_for_selector("#briefing-ppid-league .ag-row", timeout=30_000)
    page.locator("#briefing-ppid-league").scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    return page


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_ppid_league_shows_the_engines_numbers(ppid_server, open_page, console_errors, artifacts_dir, size):
    width, height = size
    query = _query()
    page = _open(open_page(width, height), ppid_server, _path(query))
    panel = page.locator(".briefing-panel.is-ppid")
    panel.screenshot(path=str(artifacts_dir / f"briefing-ppid-{width}x{height}.png"))
    now = dt.datetime.now(dt.UTC)
    with ppid_server.engine.connect() as conn:
        league = info_requests.league(conn, parse_view(query, now).filter, now, min_sample=10)
    first = league["rows"][0]
    assert first["rank"] == 1
    pinned = page.locator("#briefing-ppid-league .ag-pinned-left-cols-container .ag-row")
    assert pinned.count() == len(league["rows"]) + 1  # and the city
    assert pinned.first.inner_text().split() == ["1", first["opd"]]
    cells = page.locator("#briefing-ppid-league .ag-center-cols-container .ag-row[row-index='0'] .ag-cell")
    texts = {cells.nth(i).get_attribute("col-id"): cells.nth(i).inner_text() for i in range(cells.count())}
    assert texts["received"] == format_number(first["received"], "id")
    assert texts["answered_within_deadline_pct"] == format_number(first["answered_within_deadline_pct"], "id", 1)
    assert "Seluruh kota" in pinned.last.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # a viewer gets no request list, nor any requester in the page
    assert page.locator("#briefing-info-requests").count() == 0
    assert REQUESTER["name"] not in page.content()
    assert not console_errors, console_errors


def test_an_officer_sees_the_requests_with_the_requester(ppid_server, browser, console_errors, artifacts_dir):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="id-ID")
    try:
        browser_login(context, ppid_server.url, OFFICER, PASSWORD)
        page = console_errors.watch(context.new_page())
        _open(page, ppid_server, _path({**_query(), "opd": "DINKES"}))
        page.wait_for_selector("#briefing-info-requests .ag-row", timeout=30_000)
        page.locator("#briefing-info-requests").scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts_dir / "briefing-ppid-officer-1920x1080.png"))
        grid = page.locator("#briefing-info-requests").inner_text()
        assert REQUESTER["name"] in grid and "DISKOMINFO" not in grid
        assert not console_errors, console_errors
    finally:
        context.close()
