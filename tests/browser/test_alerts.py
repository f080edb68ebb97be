"""The alerts in Chromium: the briefing's panel (the firing alerts, acknowledge and silence by an officer, the
history) and the wall's count of firing alerts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dashboard.alert_rules import AlertConfig
from data_sources.alerts import store
from data_sources.alerts.evaluator import evaluate
from tests.support.auth_helpers import browser_login, create_user
from tests.support.kpi_data import complaint, load

H = dt.timedelta(hours=1)
OFFICER, PASSWORD = "officer-alerts", "officer alerts password"
SHOTS = Path("/tmp/shots-alerts")


@pytest.fixture(scope="module")
def alert_server(live_server):
    now = dt.datetime.now(dt.UTC)
    rows = [
        complaint(
            f"MC-A{i:03d}",
            now - (13 + i * 1.5) * H,
            opd=("DSDABM", "DINKES", "DLH")[i % 3],
            category=("jalan_rusak", "sampah")[i % 2],
            kecamatan="35.78.05",
        )
        for i in range(12)
    ]
    load(live_server.engine, rows)
    evaluate(live_server.engine, None, live_server.settings, AlertConfig(), now)
    create_user(live_server.engine, OFFICER, "officer", PASSWORD)
    return live_server


def test_officer_acknowledges_and_silences_from_the_briefing(alert_server, browser, console_errors):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="id-ID")
    try:
        browser_login(context, alert_server.url, OFFICER, PASSWORD)
        page = console_errors.watch(context.new_page())
        page.goto(alert_server.url.rstrip("/") + "/briefing?period=today")
        page.wait_for_selector("#briefing-alerts .ag-row", timeout=30_000)
        firing = len(store.listing(alert_server.engine, dt.datetime.now(dt.UTC))["firing"])
        assert page.locator("#briefing-alerts-summary").inner_text() == f"{firing} peringatan aktif"
        first = page.locator("#briefing-alerts .ag-center-cols-container .ag-row").first
        first.click()
        page.click("#briefing-alerts-silence")  # no reason yet: refused, and said so
        page.wait_for_selector("#briefing-alerts-feedback:has-text('Alasan wajib diisi')")
        page.click("#briefing-alerts-ack")
        page.wait_for_selector("#briefing-alerts-feedback:has-text('Tersimpan')")
        page.wait_for_selector("#briefing-alerts .ag-cell:has-text('ditangani (officer-alerts)')", timeout=15_000)
        page.locator("#briefing-alerts .ag-center-cols-container .ag-row").first.click()
        page.fill("#briefing-alerts-reason", "rapat evaluasi OPD")
        page.click("#briefing-alerts-silence")
        page.wait_for_selector("#briefing-alert-history .ag-cell:has-text('rapat evaluasi OPD')", timeout=15_000)
        page.locator("#briefing-alerts").scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        page.screenshot(path=str(SHOTS / "briefing-alerts-1366.png"), full_page=True)
        page.locator(".briefing-row:has(#briefing-alerts)").screenshot(path=str(SHOTS / "briefing-alerts-panel.png"))
        listing = store.listing(alert_server.engine, dt.datetime.now(dt.UTC))
        assert [a["acknowledged_by"] for a in listing["firing"]].count(OFFICER) == 1
        assert [s["reason"] for s in listing["silences"]] == ["rapat evaluasi OPD"]
        # an alert message's link opens the complaint it names
        page.goto(alert_server.url.rstrip("/") + "/briefing?complaint=MC-A003")
        page.wait_for_selector("#briefing-alert-complaint:has-text('MC-A003')", timeout=30_000)
        assert not console_errors, console_errors
    finally:
        context.close()


def test_a_viewer_sees_the_firing_alerts_but_no_actions_and_no_history(alert_server, page, console_errors):
    page.goto(alert_server.url.rstrip("/") + "/briefing?period=today")
    page.wait_for_selector("#briefing-alerts .ag-row", timeout=30_000)
    assert page.locator("#briefing-alerts-ack").count() == 0
    assert page.locator("#briefing-alert-history").count() == 0
    assert not console_errors, console_errors


def test_the_wall_shows_the_count_of_firing_alerts(alert_server, page, console_errors):
    firing = len(store.listing(alert_server.engine, dt.datetime.now(dt.UTC))["firing"])
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(alert_server.url.rstrip("/") + "/wall?scene=overview")
    tile = page.locator(".wall-tile.is-alerts")
    tile.wait_for(timeout=30_000)
    page.wait_for_function(
        f"document.querySelector('.wall-tile.is-alerts .wall-tile-value').innerText.trim() === '{firing}'",
        timeout=30_000,
    )
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / "wall-overview-1920.png"))
    assert tile.inner_text().startswith("Peringatan\n")
