"""The PPID embed in Chromium with a year of requests: a table at 800 px, cards at 480 and 320 px, light and
dark, nothing wider than the iframe, every count a multiple of 5 with the note that says so, and no requester or
request text in the page."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from dashboard.i18n import format_number, t
from tests.support.info_data import SECRETS, load_info, mixed_requests

OPDS = ("DINKES", "DISKOMINFO", "BAPPEDALITBANG", "DISPENDUKCAPIL", "DPRKPP", "DSDABM")


@pytest.fixture(scope="module")
def ppid_embed(live_server):
    load_info(live_server.engine, mixed_requests(dt.datetime.now(dt.UTC), n=240, opds=OPDS))
    return live_server


@pytest.mark.parametrize("width", [320, 480, 800])
def test_the_report_reads_at_every_width(ppid_embed, browser, console_errors, artifacts_dir, width):
    for theme in ("light", "dark"):
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="id-ID")
        try:
            page = console_errors.watch(context.new_page())
            page.goto(f"{ppid_embed.url.rstrip('/')}/embed/ppid?lang=id&theme={theme}&period=this_year")
            expect(page.locator(".embed-ppid-city")).to_be_visible(timeout=20_000)
            expect(page.locator(".embed-footer")).to_contain_text("tahun 20")
            # the city's requests: every seeded request of this year (all of them are)
            received = page.locator(".embed-ppid-city td").nth(1).inner_text()
            assert received.split()[-1] == format_number(240, "id")
            assert page.locator(".embed-ppid tbody tr").count() == len(OPDS) + 1
            assert page.locator(".embed-ppid-exemptions li").count() >= 2
            # every count drawn is a multiple of 5 (the medians are days, not counts), and the note says why
            counts = page.locator(".embed-ppid td:not(:first-child):not(:last-child)").all_inner_texts()
            counts += page.locator(".embed-ppid-exemptions li span:last-child").all_inner_texts()
            assert counts and all(int(c.split()[-1].replace(".", "")) % 5 == 0 for c in counts), counts
            expect(page.locator(".embed-footer")).to_contain_text(t("embed.rounded_note", "id"))
            assert "<5" not in page.locator(".embed-main").inner_text()
            assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
            page.screenshot(path=str(artifacts_dir / f"embed-ppid-year-{width}-{theme}.png"), full_page=True)
            html = page.content()
            assert not [s for s in SECRETS if s in html]
        finally:
            context.close()
    assert not console_errors, console_errors
