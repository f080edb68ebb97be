"""/healthz, /readyz and /metrics on the real app (Flask test client), real Redis and both databases, and the
ingestor's own metrics port. The whole set-up behind Debian's nginx is tests/integration/test_nginx.py."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from dashboard.settings import SettingsError, load_settings
from data_sources.store.database import make_engine
from data_sources.stream.connection import connect
from data_sources.stream.metrics_server import start_metrics_server
from data_sources.stream.producer import publish
from tests.integration.test_auth_web import WALL_CALLBACK
from tests.support.auth_helpers import create_user, login
from tests.support.services import free_port
from web.factory import create_app

TOKEN = "metrics-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PASSWORD = "kata sandi panjang"


def sample(text: str, name: str, **labels) -> float:
    """The value of one sample of an exposition, 0 when absent (a counter not yet incremented)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


def complaint(i: int) -> dict:
    return {
        "event_id": f"ops-{i}",
        "type": "complaint.created",
        "occurred_at": "2026-11-27T08:15:02+07:00",
        "source": "media-center",
        "schema": 1,
        "data": {"complaint_id": f"C-{i}", "channel": "web", "category": "sampah", "text": "Budi Santoso 0812"},
    }


@pytest.fixture
def make_app(settings, engine, redis_client):
    def make(**overrides):
        return create_app(settings.with_overrides(**overrides), engine=engine, redis_client=redis_client)

    return make


def scrape(client, **headers) -> str:
    response = client.get("/metrics", headers={**AUTH, **headers})
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return response.get_data(as_text=True)


# --- health -----------------------------------------------------------------------------------------


def test_healthz_and_readyz_answer_without_a_login_or_a_cookie(make_app):
    client = make_app().server.test_client()
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    body = ready.get_json()
    assert ready.status_code == 200, body
    assert body["status"] == "ready" and body["failing"] == []
    assert set(body["checks"]) == {"redis", "database", "migrations", "ingest_lag"}
    for response in (health, ready):
        assert "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"


def test_readyz_names_redis_when_it_is_unreachable(settings, engine):
    dead = settings.with_overrides(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    client = create_app(dead, engine=engine).server.test_client()
    assert client.get("/healthz").status_code == 200  # liveness does not depend on Redis
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert body["failing"] == ["redis", "ingest_lag"]
    assert body["checks"]["redis"] == {"ok": False, "error": "ConnectionError"}
    assert "127.0.0.1" not in response.get_data(as_text=True)  # no address, URL or message of the error


def test_readyz_names_the_database_and_the_migrations(redis_settings, redis_url, tmp_path):
    fresh = make_engine(f"sqlite:///{tmp_path / 'never-migrated.db'}")
    client = create_app(redis_settings, engine=fresh).server.test_client()
    body = client.get("/readyz").get_json()
    assert body["failing"] == ["migrations"] and body["checks"]["migrations"]["current"] == []
    gone = make_engine(f"postgresql://pantau@127.0.0.1:{free_port()}/nothing")
    response = create_app(redis_settings, engine=gone).server.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["failing"] == ["database", "migrations"]
    assert "nothing" not in response.get_data(as_text=True)  # the database name stays out of it


def test_readyz_fails_on_ingest_lag_and_recovers_once_ingested(make_app, redis_client, settings, ingest_until_idle):
    client = make_app(ready_max_lag_s=60).server.test_client()
    old_ms = int(time.time() * 1000) - 10 * 60_000  # an entry Redis took ten minutes ago, never read
    redis_client.xadd(f"{settings.stream_prefix}:complaints", {"event": b"{}"}, id=f"{old_ms}-0")
    body = client.get("/readyz").get_json()
    assert body["failing"] == ["ingest_lag"]
    assert 590 < body["checks"]["ingest_lag"]["seconds"]["complaints"] < 700
    ingest_until_idle()
    assert client.get("/readyz").status_code == 200
    # the threshold 0 turns the check off
    redis_client.xadd(f"{settings.stream_prefix}:incidents", {"event": b"{}"}, id=f"{old_ms}-0")
    assert make_app(ready_max_lag_s=0).server.test_client().get("/readyz").status_code == 200


# --- /metrics ---------------------------------------------------------------------------------------


def test_metrics_is_404_without_a_token_and_asks_for_the_bearer_token(make_app):
    assert make_app().server.test_client().get("/metrics", headers=AUTH).status_code == 404
    client = make_app(metrics_token=TOKEN).server.test_client()
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": f"Basic {TOKEN}"}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "pantau_" not in response.get_data(as_text=True)
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200 and "Set-Cookie" not in response.headers


def test_metrics_allowlist_refuses_other_addresses(make_app):
    allow = load_settings({"PANTAU_METRICS_ALLOW": "10.20.0.0/16, 192.0.2.7"}, env_file=None).metrics_allow
    app = make_app(metrics_token=TOKEN, metrics_allow=allow)
    for address, status in (("10.20.3.4", 200), ("192.0.2.7", 200), ("127.0.0.1", 403), ("192.0.2.8", 403)):
        client = app.server.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        assert client.get("/metrics", headers=AUTH).status_code == status, address


def test_metrics_count_ingest_logins_embeds_callbacks_and_the_kpi_cache(
    make_app, settings, redis_client, engine, ingest_until_idle
):
    app = make_app(metrics_token=TOKEN, embed_rate_limit=(3, 60))
    client = app.server.test_client()
    before = scrape(client)

    for i in range(5):
        publish(redis_client, settings, complaint(i))
    publish(redis_client, settings, complaint(0))  # a duplicate
    redis_client.xadd(f"{settings.stream_prefix}:complaints", {"event": b"not json"})  # dead-lettered
    ingest_until_idle()

    create_user(engine, "budi", "viewer", PASSWORD)
    login(client, "budi", "wrong password!", expect_success=False)
    login(client, "budi", PASSWORD)
    client.get("/_wall/pulse")
    assert client.post("/_dash-update-component", json=WALL_CALLBACK).status_code == 200

    embed = app.server.test_client()
    layout = embed.get("/embed/_dash-layout")
    assert embed.get("/embed/_dash-layout", headers={"If-None-Match": layout.headers["ETag"]}).status_code == 304
    codes = [embed.get("/embed/complaints-month").status_code for _ in range(3)]
    assert codes == [200, 429, 429]  # the limit of 3 counts the two layout requests too

    after = scrape(client)

    def delta(name, **labels):
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta("pantau_ingest_events_read_total", stream="complaints") == 7
    assert delta("pantau_ingest_events_stored_total", stream="complaints") == 5
    assert delta("pantau_ingest_events_duplicate_total", stream="complaints") == 1
    assert delta("pantau_ingest_events_dead_lettered_total", stream="complaints") == 1
    assert delta("pantau_ingest_batch_duration_seconds_count") >= 1
    assert delta("pantau_logins_total", result="failure") == 1
    assert delta("pantau_logins_total", result="success") == 1
    assert delta("pantau_embed_requests_total", kind="page", code="304") == 1
    assert delta("pantau_embed_requests_total", kind="page", code="429") == 2
    assert delta("pantau_callback_duration_seconds_count", view="wall") == 1
    # the stream as it stands: 7 entries, nothing pending, no lag, the group there with its consumer
    assert sample(after, "pantau_stream_length_entries", stream="complaints") == 7
    assert sample(after, "pantau_stream_pending_entries", stream="complaints") == 0
    assert sample(after, "pantau_stream_lag_seconds", stream="complaints") == 0
    assert sample(after, "pantau_stream_consumer_group_up", stream="complaints") == 1
    assert sample(after, "pantau_stream_consumers", stream="complaints") == 1
    assert sample(after, "pantau_deadletter_length_entries") == 1
    assert sample(after, "pantau_redis_up") == 1
    # nothing personal and no free-form label value: the text of the complaint, the user name stay out
    assert "Budi" not in after and "budi" not in after and "C-1" not in after


def test_kpi_cache_counts_hits_misses_and_computation_time(settings, redis_client):
    from data_sources.kpi.cache import KpiCache

    client = create_app(settings.with_overrides(metrics_token=TOKEN), redis_client=redis_client).server.test_client()
    before = scrape(client)
    first, second = KpiCache(redis_client, settings), KpiCache(redis_client, settings)
    for cache in (first, first, second):
        assert cache.get_or_compute("wall", "ops-test", lambda: {"n": 1}) == {"n": 1}
    after = scrape(client)
    assert (
        sample(after, "pantau_kpi_cache_misses_total", panel="wall")
        - sample(before, "pantau_kpi_cache_misses_total", panel="wall")
        == 1
    )
    for layer in ("local", "redis"):
        hits = sample(after, "pantau_kpi_cache_hits_total", panel="wall", layer=layer)
        assert hits - sample(before, "pantau_kpi_cache_hits_total", panel="wall", layer=layer) == 1
    computed = sample(after, "pantau_kpi_computation_duration_seconds_count", panel="wall")
    assert computed - sample(before, "pantau_kpi_computation_duration_seconds_count", panel="wall") == 1


def test_the_ingestors_own_metrics_port_asks_for_the_token(redis_settings):
    settings = redis_settings.with_overrides(metrics_token=TOKEN, ingest_metrics_port=free_port())
    client = connect(settings)
    server = start_metrics_server(settings, client)
    url = f"http://127.0.0.1:{settings.ingest_metrics_port}/metrics"
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code == 401
        with urllib.request.urlopen(urllib.request.Request(url, headers=AUTH), timeout=10) as response:
            text = response.read().decode()
        assert "pantau_ingest_batch_duration_seconds_bucket" in text
        assert sample(text, "pantau_stream_consumer_group_up", stream="egov") == 0  # no ingestor ever ran
    finally:
        server.shutdown()
        server.server_close()
        client.close()


def test_metrics_settings_are_checked():
    env = {"PANTAU_METRICS_TOKEN": TOKEN, "PANTAU_METRICS_ALLOW": "10.0.0.0/8 2001:db8::/32"}
    assert len(load_settings(env, env_file=None).metrics_allow) == 2
    for bad, named in (
        ({"PANTAU_METRICS_ALLOW": "10.0.0.0/33"}, "PANTAU_METRICS_ALLOW"),
        ({"PANTAU_METRICS_TOKEN": "short"}, "PANTAU_METRICS_TOKEN"),
        ({"PANTAU_INGEST_METRICS_PORT": "9108"}, "PANTAU_METRICS_TOKEN"),
        ({"PANTAU_READY_MAX_LAG_S": "-1"}, "PANTAU_READY_MAX_LAG_S"),
    ):
        with pytest.raises(SettingsError, match=named):
            load_settings(bad, env_file=None)
