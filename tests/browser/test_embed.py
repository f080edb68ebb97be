"""The public embeds in headless Chromium: framed by an allowed portal origin, refused by another, no CSP
violation, and screenshots of every widget at 320 and 800 px, light and dark."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect
from waitress import create_server

from dashboard.embed_widgets import WIDGETS
from dashboard.settings import Settings
from data_sources.store.database import make_engine, upgrade
from tests.support.embed_data import leaks, personal_values, seed
from tests.support.services import drop_keys, free_port

# every frame of every page reports CSP violations into window.__csp
CSP_WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


class _Portal(BaseHTTPRequestHandler):
    page = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.page)))
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *args):
        pass


def _portal(port: int, widget_url: str) -> ThreadingHTTPServer:
    """A tiny stand-in for the PPID portal on another 127.0.0.1 port, with the gallery's snippet in it."""
    page = (
        f'<!DOCTYPE html><html><body><h1>PPID</h1><iframe id="w" src="{widget_url}" width="600" height="300" '
        f'onload="this.dataset.loaded=1"></iframe></body></html>'
    ).encode()
    handler = type("Portal", (_Portal,), {"page": page})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def embeds(redis_url, tmp_path_factory):
    from web.factory import create_app

    tmp = tmp_path_factory.mktemp("embed-browser")
    allowed_port, refused_port, app_port = free_port(), free_port(), free_port()
    settings = Settings(
        redis_url=redis_url,
        database_url=f"sqlite:///{tmp / 'pantau.db'}",
        data_dir=tmp,
        stream_prefix=f"embed-b-{uuid.uuid4().hex[:8]}",
        block_ms=100,
        embed_origins=(f"http://127.0.0.1:{allowed_port}",),
        embed_rate_limit=(100_000, 60),
    )
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    seed(settings, engine, dt.datetime.now(dt.UTC))
    web = create_server(create_app(settings, engine=engine).server, host="127.0.0.1", port=app_port, threads=8)
    threading.Thread(target=web.run, daemon=True).start()
    base = f"http://127.0.0.1:{app_port}"
    widget = f"{base}/embed/complaints-month?lang=en"
    portals = [_portal(allowed_port, widget), _portal(refused_port, widget)]
    yield {
        "base": base,
        "allowed": f"http://127.0.0.1:{allowed_port}/",
        "refused": f"http://127.0.0.1:{refused_port}/",
        "personal": personal_values(engine),
    }
    for portal in portals:
        portal.shutdown()
    web.close()
    engine.dispose()
    drop_keys(settings)


def test_an_allowed_portal_shows_the_widget_and_another_origin_is_refused(embeds, open_page):
    page = open_page(900, 500)
    page.goto(embeds["allowed"])
    frame = page.frame_locator("#w")
    expect(frame.locator(".embed-title")).to_have_text("Citizen complaints this month", timeout=20_000)
    expect(frame.locator(".embed-footer")).to_contain_text("Source")

    refused = open_page(900, 500)
    messages: list[str] = []
    refused.on("console", lambda m: messages.append(m.text))
    refused.goto(embeds["refused"])
    refused.wait_for_function("document.getElementById('w').dataset.loaded === '1'", timeout=20_000)
    child = refused.frames[1]
    assert child.url.startswith("chrome-error://") or child.locator(".embed-title").count() == 0
    assert refused.frame_locator("#w").locator(".embed-title").count() == 0
    assert any("frame-ancestors" in m for m in messages), messages


@pytest.mark.parametrize("widget", list(WIDGETS))
def test_every_widget_renders_without_csp_violation_at_320_and_800(
    embeds, open_page, console_errors, artifacts_dir, widget
):
    for width in (320, 800):
        for theme in ("light", "dark"):
            page = open_page(width, 700)
            page.add_init_script(CSP_WATCH)
            page.goto(f"{embeds['base']}/embed/{widget}?lang=id&theme={theme}")
            expect(page.locator(".embed-title")).to_be_visible(timeout=20_000)
            expect(page.locator(".embed-footer")).to_contain_text("Sumber")
            if page.locator(".embed-graph").count():
                expect(page.locator(".embed-graph .main-svg").first).to_be_attached(timeout=20_000)
                page.wait_for_timeout(600)  # Plotly's and MapLibre's first frame
            # nothing wider than the iframe: no sideways scrolling in a 320 px column
            assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
            page.screenshot(path=str(artifacts_dir / f"embed-{widget}-{width}-{theme}.png"), full_page=True)
            assert page.evaluate("window.__csp") == []
            assert page.locator('script[src*="gallery.js"]').count() == 0
            assert not leaks(page.content().encode(), embeds["personal"])
            page.close()
    assert not console_errors, console_errors


def test_the_gallery_previews_every_widget(embeds, open_page, artifacts_dir):
    page = open_page(900, 1000)
    page.add_init_script(CSP_WATCH)
    page.goto(f"{embeds['base']}/embed")
    for widget in WIDGETS:
        expect(page.locator(f'a[href="/embed/{widget}"]')).to_be_visible()
        frame = page.frame_locator(f"#{widget} iframe")
        frame.locator(".embed-title").scroll_into_view_if_needed(timeout=20_000)
        expect(frame.locator(".embed-title")).to_be_visible(timeout=20_000)
    page.locator('button[data-copy="snippet-egov"]').click()
    expect(page.locator('button[data-copy="snippet-egov"]')).to_have_text("Tersalin")
    page.screenshot(path=str(artifacts_dir / "embed-gallery.png"), full_page=True)
    assert page.evaluate("window.__csp") == []
    # the policy is enforced and the watch sees it: an image from elsewhere is blocked and reported
    page.evaluate("document.body.appendChild(Object.assign(new Image(), {src: 'http://127.0.0.2:9/x.png'}))")
    page.wait_for_function("window.__csp.length > 0", timeout=10_000)
    assert page.evaluate("window.__csp")[0].startswith("img-src")
