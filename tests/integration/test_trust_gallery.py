"""Issue 15, item 3: the gallery's copy-paste snippet never reflects the request's Host (or X-Forwarded-Host):
it is built from PANTAU_PUBLIC_BASE_URL, or shows a clear placeholder when that is not set."""

from __future__ import annotations

import html

import pytest

from dashboard.embed_widgets import WIDGETS
from dashboard.settings import SettingsError, load_settings
from web.factory import create_app

EVIL = "evil.example"


def _snippets(page: str) -> list[str]:
    return [html.unescape(s.split(">", 1)[1].split("</textarea>", 1)[0]) for s in page.split("<textarea")[1:]]


@pytest.fixture
def make_client(redis_settings, redis_client):
    def make(**overrides):
        app = create_app(redis_settings.with_overrides(**overrides), redis_client=redis_client)
        return app.server.test_client()

    return make


@pytest.mark.parametrize("proxies", [0, 1])
def test_a_forged_host_does_not_reach_the_snippet(make_client, proxies):
    client = make_client(public_base_url="https://pantau.surabaya.go.id", proxy_count=proxies)
    response = client.get("/embed", headers={"Host": EVIL, "X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "http"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and EVIL not in page
    snippets = _snippets(page)
    assert len(snippets) == len(WIDGETS)  # one per widget
    assert all(s.startswith('<iframe src="https://pantau.surabaya.go.id/embed/') for s in snippets), snippets[0]


def test_a_base_url_with_a_path_keeps_it(make_client):
    client = make_client(public_base_url="https://surabaya.go.id/pantau")
    snippets = _snippets(client.get("/embed", headers={"Host": EVIL}).get_data(as_text=True))
    assert snippets[0].startswith('<iframe src="https://surabaya.go.id/pantau/embed/')


def test_without_a_base_url_the_snippet_has_a_placeholder_and_the_page_says_so(make_client):
    client = make_client(proxy_count=1)
    for lang, note in (("id", "PANTAU_PUBLIC_BASE_URL"), ("en", "PANTAU_PUBLIC_BASE_URL")):
        page = client.get(f"/embed?lang={lang}", headers={"Host": EVIL, "X-Forwarded-Host": EVIL}).get_data(
            as_text=True
        )
        assert EVIL not in page and "localhost" not in page and note in page
        assert all(s.startswith('<iframe src="https://') and ".example/embed/" in s for s in _snippets(page))


@pytest.mark.parametrize(
    "raw",
    [
        "javascript:alert(1)",
        "ftp://pantau.surabaya.go.id",
        "https://pantau.surabaya.go.id/?x=1",
        "https://pantau.surabaya.go.id/#top",
        "https://user:pw@pantau.surabaya.go.id",
        'https://pantau.surabaya.go.id/"><script>',
        "pantau.surabaya.go.id",
        "https://",
    ],
)
def test_a_bad_public_base_url_stops_the_program_with_its_name(raw, tmp_path):
    with pytest.raises(SettingsError, match="PANTAU_PUBLIC_BASE_URL"):
        load_settings({"PANTAU_PUBLIC_BASE_URL": raw}, env_file=tmp_path / "none")


def test_a_good_public_base_url_is_normalised(tmp_path):
    settings = load_settings({"PANTAU_PUBLIC_BASE_URL": "https://Pantau.Surabaya.go.id:8443/"}, env_file=tmp_path / "x")
    assert settings.public_base_url == "https://pantau.surabaya.go.id:8443"
