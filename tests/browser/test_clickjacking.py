"""Issue 15, item 14: another site framing an officer's /briefing gets an empty frame, in real Chromium.

The attacker's page is served from another port of the same host: another origin but the same site, so
the SameSite=Lax session cookie does go along with the framed request. What stops it is the CSP
frame-ancestors 'none' (and X-Frame-Options: DENY) of web/security_headers.py.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.services import free_port


class _AttackerPage(BaseHTTPRequestHandler):
    target = ""

    def do_GET(self):  # http.server calls it by this name
        body = (
            "<!doctype html><title>Hadiah</title><p>Klik tombol di bawah!</p>"
            f'<iframe id="victim" src="{self.target}" width="1200" height="800"></iframe>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def attacker_site(live_server):
    handler = type("Handler", (_AttackerPage,), {"target": live_server.url + "briefing"})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_another_origin_cannot_frame_a_logged_in_briefing(live_server, attacker_site, open_page):
    page = open_page(1366, 900)
    # the officer's own tab works: the session is there
    page.goto(live_server.url + "briefing")
    page.wait_for_selector("#briefing-page", timeout=20_000)
    refusals = []
    page.on("console", lambda msg: refusals.append(msg.text) if "frame" in msg.text.lower() else None)
    page.goto(attacker_site)
    page.wait_for_load_state("load")  # the frame's load too (a refused frame fires it as well)
    framed = [f for f in page.frames if f is not page.main_frame]
    assert len(framed) == 1
    frame = framed[0]
    frame.wait_for_load_state("load")
    assert not frame.url.startswith(live_server.url), frame.url  # Chromium put its error page there
    # #react-entry-point is in the page's first HTML: had the frame loaded, it would be there
    assert frame.query_selector("#react-entry-point") is None and frame.query_selector("#briefing-page") is None
    assert any("frame-ancestors" in text or "X-Frame-Options" in text for text in refusals), refusals
    page.screenshot(path="/tmp/shots-trust/clickjacking-refused.png")
