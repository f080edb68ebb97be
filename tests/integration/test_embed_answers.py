"""Issue 19 item 3: a repeated widget-data request is answered before Flask (web/embed_answers.py), with the
same bytes and headers as the whole stack's answer, and still under the rate limit, per publication."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

import flask
import pytest

from dashboard.settings import Settings
from data_sources import redis_keys
from data_sources.store.database import make_engine, upgrade
from data_sources.stream.connection import connect
from tests.support.embed_data import widget_callback
from tests.support.services import drop_keys

CALLBACK = "/embed/_dash-update-component"
ORIGIN = "https://ppid.surabaya.go.id"
LIMIT = 6


def payload(**fields) -> dict:
    return widget_callback(**{"search": "?lang=id", **fields})


@pytest.fixture
def limit():
    return LIMIT


@pytest.fixture
def stack(redis_url, tmp_path, limit):
    """A fresh app (its own answers, its own rate-limit keys) and the callback requests that reached Flask."""
    from web.factory import create_app

    settings = Settings(
        redis_url=redis_url,
        database_url=f"sqlite:///{tmp_path / 'pantau.db'}",
        data_dir=tmp_path,
        stream_prefix=f"answers-{uuid.uuid4().hex[:10]}",
        block_ms=100,
        embed_origins=(ORIGIN,),
        embed_rate_limit=(limit, 60),
        proxy_count=1,
        metrics_token="t" * 32,
    )
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    app = create_app(settings, engine=engine)
    reached_flask: list[str] = []

    def count_callbacks() -> None:
        if flask.request.method == "POST":
            reached_flask.append(flask.request.path)

    app.server.before_request_funcs.setdefault(None, []).insert(0, count_callbacks)  # before any guard answers
    yield settings, app, reached_flask
    drop_keys(settings)
    engine.dispose()


def post(client, body: dict, client_address: str = "198.51.100.7"):
    return client.post(CALLBACK, json=body, headers={"X-Forwarded-For": client_address})


def test_a_repeat_is_the_same_answer_without_reaching_flask(stack):
    _, app, reached_flask = stack
    client = app.server.test_client()
    first = post(client, payload())
    assert first.status_code == 200 and reached_flask == [CALLBACK]
    repeats = [post(client, payload()), post(client, payload(n=3))]  # the widget's refresh: another body
    assert reached_flask == [CALLBACK]
    for again in repeats:
        assert again.status_code == 200 and again.data == first.data
        assert sorted(again.headers.items()) == sorted(first.headers.items())
        assert again.headers["ETag"].startswith('W/"') and again.headers["Cache-Control"].startswith("public, max-age=")
        assert f"frame-ancestors 'self' {ORIGIN}" in again.headers["Content-Security-Policy"]
        assert again.headers["X-Content-Type-Options"] == "nosniff" and "Set-Cookie" not in again.headers
    # another language is another answer, computed by the whole stack once
    english = post(client, payload(search="?lang=en"))
    assert (
        english.status_code == 200 and english.data != first.data and english.headers["ETag"] != first.headers["ETag"]
    )
    assert reached_flask == [CALLBACK, CALLBACK]


def test_refused_bodies_always_reach_the_guard_and_are_never_kept(stack):
    _, app, reached_flask = stack
    client = app.server.test_client()
    forged = [payload(pathname="/embed/no-such-widget"), {**payload(), "state": [{"id": "x"}]}, {"output": "x"}]
    for body in forged * 2:
        answer = post(client, body)
        assert answer.status_code == 400 and answer.headers["Cache-Control"] == "no-store"
    assert reached_flask == [CALLBACK] * 6
    not_json = client.post(CALLBACK, data=b"{not json", content_type="application/json")
    assert not_json.status_code == 400 and len(reached_flask) == 7


def test_a_new_publication_is_not_answered_from_the_last_one(stack):
    _, app, reached_flask = stack
    client = app.server.test_client()
    first = post(client, payload())
    cache = app.server.extensions["pantau_embed"].cache()
    later = cache.instant() + dt.timedelta(seconds=cache.cadence_s, minutes=1)
    cache.clock = lambda: later
    second = post(client, payload())
    assert second.status_code == 200 and len(reached_flask) == 2
    assert second.headers["ETag"] != first.headers["ETag"]
    assert post(client, payload()).headers["ETag"] == second.headers["ETag"] and len(reached_flask) == 2
    # the last publication's answers were dropped when the new one's was kept: back there, Flask again
    cache.clock = lambda: later - dt.timedelta(seconds=cache.cadence_s)
    assert post(client, payload()).headers["ETag"] == first.headers["ETag"] and len(reached_flask) == 3


def test_answered_repeats_count_against_the_real_clients_limit_once_each(stack):
    settings, app, reached_flask = stack
    client = app.server.test_client()
    codes = [post(client, payload()).status_code for _ in range(LIMIT + 2)]
    assert codes == [200] * LIMIT + [429, 429]
    over = post(client, payload())
    assert over.status_code == 429 and int(over.headers["Retry-After"]) >= 1
    assert over.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in over.headers
    # each request counted once, whether the layer or the guard answered it
    digest = hashlib.sha256(b"198.51.100.7").hexdigest()[:20]
    assert int(connect(settings).get(redis_keys.embed_rate_key(settings, digest))) == LIMIT + 3
    assert len(reached_flask) == 1 + 3  # the first answer, then the three refusals
    # another client behind the same proxy has an allowance of its own
    assert post(client, payload(), client_address="203.0.113.9").status_code == 200
    assert len(reached_flask) == 4


def test_answered_repeats_are_in_the_embed_metrics(stack):
    settings, app, _ = stack
    client = app.server.test_client()

    def widget_data_200() -> float:
        text = client.get("/metrics", headers={"Authorization": f"Bearer {settings.metrics_token}"}).data.decode()
        line = next(
            (
                row
                for row in text.splitlines()
                if row.startswith('pantau_embed_requests_total{code="200",kind="widget_data"}')
            ),
            "x 0",
        )
        return float(line.rsplit(" ", 1)[1])

    before = widget_data_200()
    for _ in range(3):
        assert post(client, payload()).status_code == 200
    assert widget_data_200() - before == 3


@pytest.mark.parametrize("limit", [640])
def test_a_busy_clients_requests_are_counted_in_batches_and_the_limit_still_holds(stack, limit):
    settings, app, reached_flask = stack
    client = app.server.test_client()
    batch = limit // 64  # BatchedAllowance: at most batch - 1 requests beyond what Redis has counted
    codes = [post(client, payload()).status_code for _ in range(limit + 60)]
    allowed = codes.count(200)
    assert limit <= allowed <= limit + batch - 1
    assert codes == [200] * allowed + [429] * (len(codes) - allowed)
    digest = hashlib.sha256(b"198.51.100.7").hexdigest()[:20]
    counted = int(connect(settings).get(redis_keys.embed_rate_key(settings, digest)))
    assert len(codes) - (batch - 1) <= counted <= len(codes)
