"""POST /api/v1/events: every refusal (and that it changes nothing), mixed batches, rate and size limits,
the Bearer-only authentication, health and the OpenAPI document. Real Redis, a real SQLite store."""

from __future__ import annotations

import uuid

import orjson
import pytest

from dashboard.settings import Settings
from data_sources import redis_keys
from data_sources.redis_keys import SOURCES
from data_sources.store.database import make_engine, upgrade
from data_sources.store.producers import add_producer, revoke_producer, rotate_key
from data_sources.stream.connection import connect
from tests.conftest import make_event
from tests.support.auth_helpers import create_user, login
from tests.support.services import drop_keys, free_port

EVENTS = "/api/v1/events"


def complaint(event_id: str = "mc-1-created", **data) -> dict:
    body = {"complaint_id": event_id.rsplit("-", 1)[0], "channel": "web", "category": "sampah"}
    body.update(data)
    return make_event(event_id, "complaint.created", body, source="media-center")


@pytest.fixture(scope="module")
def store(redis_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("api")
    settings = Settings(
        redis_url=redis_url,
        database_url=f"sqlite:///{tmp / 'pantau.db'}",
        data_dir=tmp,
        stream_prefix=f"api-{uuid.uuid4().hex[:10]}",
        api_max_body_bytes=64 * 1024,
    )
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    yield settings, engine
    drop_keys(settings)
    engine.dispose()


@pytest.fixture(scope="module")
def app(store):
    from web.factory import create_app

    settings, engine = store
    return create_app(settings, engine=engine)


@pytest.fixture
def client(app):
    return app.server.test_client()


@pytest.fixture
def key(store):
    _, engine = store
    _, key = add_producer(engine, f"mc-{uuid.uuid4().hex[:8]}", "complaint.*", "media-center")
    return key


@pytest.fixture(autouse=True)
def redis_client(store):
    """Every test starts with empty streams."""
    client = connect(store[0])
    yield client
    for source in SOURCES:
        client.delete(redis_keys.stream_key(store[0], source))
    client.close()


def lengths(redis_client, settings) -> dict[str, int]:
    return {s: redis_client.xlen(redis_keys.stream_key(settings, s)) for s in SOURCES}


def post(client, body, key=None, **kwargs):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    if not isinstance(body, bytes):
        body = orjson.dumps(body)
    kwargs.setdefault("content_type", "application/json")
    return client.post(EVENTS, data=body, headers=headers, **kwargs)


def test_one_event_is_answered_with_the_entry_id_redis_holds(client, key, store, redis_client):
    response = post(client, complaint(lat=-7.2575, lon=112.7521), key)
    assert response.status_code == 202
    item = response.json["results"][0]
    assert (item["status"], item["stream"], item["event_id"]) == (202, "complaints", "mc-1-created")
    entries = redis_client.xrange(redis_keys.stream_key(store[0], "complaints"), item["entry_id"], item["entry_id"])
    stored = orjson.loads(entries[0][1][b"event"])
    assert stored["data"]["complaint_id"] == "mc-1" and stored["source"] == "media-center"


def test_a_batch_is_answered_per_event_and_only_the_valid_ones_are_published(client, key, store, redis_client):
    batch = [
        complaint("mc-1-created"),
        complaint("mc-2-created", category="gossip"),
        complaint("mc-3-created", lat=-6.2, lon=106.8),  # Jakarta
        complaint("mc-4-created", kecamatan="Kebayoran Baru"),
        make_event(
            "i-1", "incident.reported", {"incident_id": "i", "category": "fire", "priority": 1}, source="media-center"
        ),
        dict(complaint("mc-6-created"), source="another-system"),
        {"event_id": "mc-7", "type": "complaint.created"},
        "not an event",
        complaint("mc-9-created", kecamatan="Karang Pilang"),
    ]
    response = post(client, batch, key)
    assert response.status_code == 207
    body = response.json
    assert (body["accepted"], body["refused"]) == (2, 7)
    by_index = {r["index"]: r for r in body["results"]}
    assert [by_index[i]["status"] for i in range(9)] == [202, 400, 400, 400, 403, 403, 400, 400, 202]
    assert [by_index[i].get("error") for i in (1, 2, 3, 4, 5)] == [
        "unknown_category",
        "outside_city",
        "outside_city",
        "type_not_allowed",
        "source_not_allowed",
    ]
    assert "gossip" in by_index[1]["reason"] and "Kebayoran Baru" in by_index[3]["reason"]
    assert "occurred_at: Field required" in by_index[6]["reason"] and "JSON object" in by_index[7]["reason"]
    assert lengths(redis_client, store[0]) == {"complaints": 2, "incidents": 0, "egov": 0, "info": 0}


@pytest.mark.parametrize(
    "body, content_type, status, error",
    [
        (b'{"event_id": "x", ', "application/json", 400, "malformed_json"),
        (b"\xff\xfe not utf-8", "application/json", 400, "malformed_json"),
        (orjson.dumps(complaint()), "text/plain", 415, "unsupported_media_type"),
        (orjson.dumps(complaint()), "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b'"just a string"', "application/json", 400, "invalid_body"),
        (b"[]", "application/json", 400, "invalid_body"),
        (orjson.dumps([{}] * 501), "application/json", 413, "too_many_events"),
        (b"[" + b" " * (64 * 1024) + b"]", "application/json", 413, "body_too_large"),
    ],
)
def test_a_bad_request_is_refused_whole_and_changes_nothing(
    client, key, store, redis_client, body, content_type, status, error
):
    response = post(client, body, key, content_type=content_type)
    assert (response.status_code, response.json["error"]) == (status, error)
    assert response.json["reason"]
    assert lengths(redis_client, store[0]) == {"complaints": 0, "incidents": 0, "egov": 0, "info": 0}


def test_one_refused_event_answers_with_its_own_status(client, key):
    assert post(client, complaint(category="gossip"), key).status_code == 400
    refused = post(client, make_event("e", "egov.kpi", {}, source="media-center"), key)
    assert refused.status_code == 403 and refused.json["results"][0]["error"] == "type_not_allowed"


def test_a_missing_unknown_or_revoked_key_is_401_and_publishes_nothing(client, store, redis_client):
    settings, engine = store
    missing = post(client, complaint())
    assert missing.status_code == 401 and missing.json["error"] == "missing_key"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    basic = client.post(EVENTS, json=complaint(), headers={"Authorization": "Basic bWM6eA=="})
    assert basic.status_code == 401
    assert post(client, complaint(), "pantau_" + "x" * 43).json["error"] == "invalid_key"
    info, key = add_producer(engine, "revoked-one", "complaint.*", "media-center")
    assert post(client, complaint(), key).status_code == 202
    revoke_producer(engine, "revoked-one")
    revoked = post(client, complaint("mc-2-created"), key)
    assert revoked.status_code == 401 and revoked.json["error"] == "invalid_key"
    assert lengths(redis_client, settings)["complaints"] == 1


def test_a_rotated_key_replaces_the_old_one_at_once(client, store):
    _, engine = store
    _, old = add_producer(engine, "rotating", "complaint.*", "media-center")
    _, new = rotate_key(engine, "rotating")
    assert post(client, complaint(), old).status_code == 401
    assert post(client, complaint(), new).status_code == 202


def test_a_logged_in_session_is_not_a_key(client, store):
    """The session cookie opens nothing on /api/: no cookie authentication, so nothing to forge cross-site."""
    create_user(store[1], "petugas", "officer", "a long passphrase")
    login(client, "petugas", "a long passphrase")
    response = client.post(EVENTS, json=complaint())
    assert response.status_code == 401 and response.json["error"] == "missing_key"
    assert "Set-Cookie" not in response.headers


def test_the_rate_limit_counts_events_per_key_across_the_app(store, key, redis_client):
    from web.factory import create_app

    settings, engine = store
    app = create_app(settings.with_overrides(api_rate_limit=(5, 60)), engine=engine)
    client = app.server.test_client()
    assert post(client, [complaint(f"r{i}-created") for i in range(3)], key).status_code == 202
    over = post(client, [complaint(f"r{i}-created") for i in range(3, 6)], key)
    assert over.status_code == 429 and over.json["error"] == "rate_limited"
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    assert lengths(redis_client, settings)["complaints"] == 3


def test_redis_down_is_503_with_retry_after_and_health_says_so(store, key):
    from web.factory import create_app

    settings, engine = store
    down = create_app(settings.with_overrides(redis_url=f"redis://127.0.0.1:{free_port()}/0"), engine=engine)
    client = down.server.test_client()
    response = post(client, complaint(), key)
    assert response.status_code == 503 and response.headers["Retry-After"]
    health = client.get("/api/v1/health")
    assert health.status_code == 503 and health.json["can_publish"] is False


def test_health_openapi_unknown_paths_and_headers(client):
    health = client.get("/api/v1/health")
    assert health.status_code == 200 and health.json["can_publish"] is True and health.json["redis"] == "ok"
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1") and "/events" in document["paths"]
    schemas = document["components"]["schemas"]
    assert {"Event", "Answer", "ComplaintCreated", "ComplaintCreatedData"} <= set(schemas)
    for ref in _refs(document):  # every reference resolves inside the document
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
    assert client.get("/api/v1/nope").status_code == 404
    wrong_method = client.get(EVENTS)
    assert wrong_method.status_code == 405 and wrong_method.headers["Allow"] == "POST"
    assert wrong_method.json["error"] == "method_not_allowed"  # never Dash's HTML shell nor a login redirect
    for response in (health, wrong_method):
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in response.headers


def _refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)
