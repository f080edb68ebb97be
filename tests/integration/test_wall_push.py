"""The wall's push (issue 19 item 2): Server-Sent Events of the data version on /_wall/pulse?push=1, through
the gate of a wall-token session, against real Redis; bounded in streams and in life, and the pulse kept."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from data_sources.redis_keys import changes_channel, data_version_key
from data_sources.services import EXTENSION_KEY
from data_sources.stream.version import data_version
from tests.integration.test_auth_web import WALL_TOKEN
from tests.support.services import RedisProcess, free_port, port_open
from web import wall_push
from web.factory import create_app

PUSH = "/_wall/pulse?push=1"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def wall_app(settings, engine, redis_client):
    app = create_app(settings.with_overrides(wall_token=WALL_TOKEN), engine=engine, redis_client=redis_client)
    yield app
    wall_push.hub_for(app.server.extensions[EXTENSION_KEY]).close()  # its listener thread ends


def wall_client(app):
    client = app.server.test_client()
    assert client.get(f"/wall?token={WALL_TOKEN}").status_code == 200
    return client


def answers(response):
    """The stream's data lines, parsed, as they come."""
    for chunk in response.response:
        for line in chunk.decode().split("\n"):
            if line.startswith("data: "):
                yield json.loads(line[len("data: ") :])


def announce(redis_client, settings) -> str:
    """What the ingestor does after a commit: move the data version, then say so on the change channel."""
    redis_client.incr(data_version_key(settings))
    redis_client.publish(changes_channel(settings), b"1")
    return data_version(redis_client, settings)


def test_a_wall_session_hears_the_version_and_each_change(wall_app, settings, redis_client):
    client = wall_client(wall_app)
    response = client.get(PUSH, buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    assert response.headers["X-Accel-Buffering"] == "no" and response.headers["Cache-Control"] == "no-store"
    stream = answers(response)
    first = next(stream)
    assert first["ok"] and first["version"] == data_version(redis_client, settings) and first["server_ms"] > 0
    moved = announce(redis_client, settings)
    assert moved != first["version"]
    heard = next(a for a in stream if a["version"] == moved)  # pushed, not polled: no request in between
    assert heard["ok"]
    response.close()
    # the pulse stays on the same path for a wall whose push is down
    pulse = client.get("/_wall/pulse").get_json()
    assert pulse["ok"] and pulse["version"] == moved


def test_the_push_is_behind_the_gate(wall_app):
    anonymous = wall_app.server.test_client()
    response = anonymous.get(PUSH)
    assert response.status_code in (302, 401) and response.mimetype != "text/event-stream"


def test_a_servers_threads_hold_its_push_slots_and_the_pages_threads():
    assert wall_push.WAITRESS_PUSH_SLOTS >= 10  # every wall of the Media Center pushed, none polling
    gunicorn = {"SERVER_SOFTWARE": "gunicorn/23.0.0"}
    try:
        for threads, slots in ((4, 2), (8, 4), (12, 8), (1, 0)):
            wall_push.set_gunicorn_threads(threads)
            assert wall_push.max_streams(gunicorn) == slots
    finally:
        wall_push.set_gunicorn_threads(4)


def test_streams_are_bounded_per_process_and_their_slots_come_back(wall_app):
    # Flask's test client says it is Werkzeug: the limit of a waitress process
    slots = wall_push.max_streams({"SERVER_SOFTWARE": "waitress"})
    assert slots == wall_push.WAITRESS_PUSH_SLOTS
    client = wall_client(wall_app)
    open_streams = [client.get(PUSH, buffered=False) for _ in range(slots)]
    assert all(r.status_code == 200 for r in open_streams)
    refused = client.get(PUSH)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == str(wall_push.RETRY_AFTER_S)
    open_streams[0].close()  # a wall gone before its first event: its slot is free again
    again = client.get(PUSH, buffered=False)
    assert again.status_code == 200
    for response in [*open_streams[1:], again]:
        response.close()
    assert all(client.get(PUSH, buffered=False).status_code == 200 for _ in range(slots))


def test_a_stream_ends_when_its_life_is_over(wall_app):
    """A stream never holds a server thread for ever: it ends by itself (the browser opens another)."""
    hub = wall_push.hub_for(wall_app.server.extensions[EXTENSION_KEY])
    assert hub.take_slot(1)
    stream = wall_push.Stream(hub, life_s=2.5)
    chunks = list(stream)  # returns: the stream ended
    stream.close()
    data = [c for c in chunks if c.startswith(b"data: ")]
    assert chunks[0] == b"retry: 1000\n\n" and len(data) >= 2  # the version at once, then heartbeats


def test_the_push_says_not_ok_when_redis_goes_away(settings, engine):
    redis_server = RedisProcess().start()
    try:
        local = settings.with_overrides(redis_url=redis_server.url)
        app = create_app(local.with_overrides(wall_token=WALL_TOKEN), engine=engine)
        client = wall_client(app)
        response = client.get(PUSH, buffered=False)
        stream = answers(response)
        assert next(stream)["ok"]
        redis_server.stop(kill=True)
        assert not next(a for a in stream if not a["ok"])["ok"]  # the wall turns stale on this word
        response.close()
        wall_push.hub_for(app.server.extensions[EXTENSION_KEY]).close()
    finally:
        redis_server.close()


def test_the_listener_stops_when_no_wall_listens_and_starts_again(wall_app, monkeypatch):
    """No subscription, no reads and no log lines from a process whose walls have all gone."""
    monkeypatch.setattr(wall_push, "IDLE_STOP_S", 0.5)
    hub = wall_push.hub_for(wall_app.server.extensions[EXTENSION_KEY])
    assert hub.take_slot(1)
    listener = hub._thread
    assert listener is not None and listener.is_alive()
    hub.free_slot()
    listener.join(timeout=10)
    assert not listener.is_alive() and hub._thread is None
    assert hub.take_slot(1)  # the next wall starts a new one
    assert hub._thread is not None and hub._thread is not listener and hub._thread.is_alive()
    stream = wall_push.Stream(hub, life_s=1.5)
    assert any(c.startswith(b"data: ") for c in stream)
    stream.close()


def test_every_push_slot_taken_leaves_the_pages_their_threads(settings, redis_client):
    """`app.py serve` (waitress): with each push slot held by an open stream, pages are still answered, more
    of them than the pages' threads (a stream holds a thread of its own), and the next push is refused."""
    port = free_port()
    env = {
        **os.environ,
        "PANTAU_REDIS_URL": settings.redis_url,
        "PANTAU_DATABASE_URL": settings.resolved_database_url,
        "PANTAU_DATA_DIR": str(settings.data_dir),
        "PANTAU_STREAM_PREFIX": settings.stream_prefix,
        "PANTAU_PORT": str(port),
        "PANTAU_LOG_LEVEL": "WARNING",
        "PANTAU_WALL_TOKEN": WALL_TOKEN,
    }
    server = subprocess.Popen([sys.executable, "app.py", "serve"], cwd=ROOT, env=env)
    connections: list[http.client.HTTPConnection] = []

    def get(path: str, cookie: str = "") -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connections.append(connection)
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        return connection.getresponse()

    try:
        wait_for_port(port, server)
        entry = get(f"/wall?token={WALL_TOKEN}")
        cookie = entry.getheader("Set-Cookie").split(";", 1)[0]
        entry.read()
        streams = [get(PUSH, cookie) for _ in range(wall_push.WAITRESS_PUSH_SLOTS)]
        assert all(s.status == 200 and s.readline() == b"retry: 1000\n" for s in streams)
        for _ in range(wall_push.PAGE_THREADS["waitress"] + 2):
            pulse = get("/_wall/pulse", cookie)
            assert pulse.status == 200 and json.loads(pulse.read())["ok"]
        refused = get(PUSH, cookie)
        assert refused.status == 503 and json.loads(refused.read()) == {"error": "push_busy"}
    finally:
        for connection in connections:
            connection.close()
        server.terminate()
        server.wait(timeout=30)


def wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while not port_open("127.0.0.1", port):
        assert process.poll() is None, "the server exited"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.2)
