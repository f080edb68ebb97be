"""deploy/ run as shipped: Debian's nginx with deploy/nginx/pantau.conf in front of gunicorn (2 workers,
PANTAU_PROXY_COUNT=1, Prometheus' multiprocess mode) and an ingestor process, checked from the outside over
HTTPS. Clients come from different loopback addresses (127.0.0.x), so the addresses Pantau sees are real ones.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from dashboard.settings import Settings
from data_sources.redis_keys import changes_channel, data_version_key
from data_sources.stream.connection import connect
from data_sources.stream.producer import publish
from tests.integration.test_ops import TOKEN, complaint, sample
from tests.support.auth_helpers import csrf_from
from tests.support.nginx_stack import NGINX, NginxStack

PASSWORD = "kata sandi panjang"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WIDGET = "/embed/complaints-month?lang=id"


def widget_payload(widget: str = "complaints-month") -> bytes:
    return json.dumps(
        {
            "output": "embed-body.children",
            "outputs": {"id": "embed-body", "property": "children"},
            "inputs": [
                {"id": "embed-url", "property": "pathname", "value": f"/embed/{widget}"},
                {"id": "embed-url", "property": "search", "value": "?lang=id"},
                {"id": "embed-refresh", "property": "n_intervals", "value": None},
            ],
            "changedPropIds": ["embed-url.pathname"],
            "state": [],
        }
    ).encode()


JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def stack(redis_url, tmp_path_factory):
    for tool in (NGINX, "openssl"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is missing: install Debian's nginx and openssl packages (scripts/test does)")
    folder = tmp_path_factory.mktemp("nginx")
    env = {
        "PANTAU_METRICS_TOKEN": TOKEN,
        "PANTAU_METRICS_ALLOW": "127.0.0.2/32",
        "PANTAU_LOGIN_MAX_FAILURES_PER_IP": "3",
        "PANTAU_EMBED_RATE_LIMIT": "4/600",
        "PANTAU_BLOCK_MS": "200",
    }
    with NginxStack(folder, redis_url, env) as stack:
        from data_sources.store.database import make_engine
        from data_sources.store.users import add_user

        engine = make_engine(stack.env["PANTAU_DATABASE_URL"])
        add_user(engine, "budi", "viewer", PASSWORD)
        engine.dispose()
        yield stack
    client = connect(Settings(redis_url=redis_url, stream_prefix=stack.prefix))
    keys = list(client.scan_iter(f"{stack.prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def login(stack: NginxStack, source: str, name: str, password: str):
    page = stack.request("GET", "/login", source=source)
    cookie = page.header("Set-Cookie").split(";", 1)[0]
    form = urllib.parse.urlencode({"username": name, "password": password, "csrf_token": csrf_from(page.body.decode())})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    return stack.request("POST", "/login", source=source, headers=headers, body=form)


def test_tls_http2_redirect_and_headers(stack):
    assert stack.alpn() == "h2"
    plain = stack.plain("GET", "/briefing?x=1")
    assert plain.status == 301 and plain.header("Location") == "https://127.0.0.1/briefing?x=1"
    health = stack.request("GET", "/healthz")
    assert health.status == 200 and json.loads(health.body) == {"status": "ok"}
    assert health.header("Strict-Transport-Security") == "max-age=31536000"
    assert "nginx/" not in (health.header("Server") or "")  # server_tokens off
    ready = stack.request("GET", "/readyz")
    assert ready.status == 200, ready.body


def test_login_over_https_sets_a_secure_cookie(stack):
    answer = login(stack, "127.0.0.1", "budi", PASSWORD)
    assert answer.status == 303 and answer.header("Location") == "/"
    cookie = answer.header("Set-Cookie")
    assert cookie.startswith("pantau_session=") and "Secure" in cookie and "HttpOnly" in cookie


def test_the_login_throttle_counts_the_real_client_not_nginx(stack):
    for n in range(3):
        assert login(stack, "127.0.0.3", f"nobody{n}", "wrong password!").status in (401, 429)
    # 127.0.0.3 is locked out, even when it claims to be someone else
    for headers in ({}, {"X-Forwarded-For": "198.51.100.9"}):
        page = stack.request("GET", "/login", source="127.0.0.3", headers=headers)
        cookie = page.header("Set-Cookie").split(";", 1)[0]
        form = {"username": "budi", "password": PASSWORD, "csrf_token": csrf_from(page.body.decode())}
        body = urllib.parse.urlencode(form)
        hdrs = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, **headers}
        assert stack.request("POST", "/login", source="127.0.0.3", headers=hdrs, body=body).status == 429
    # ... and nobody else is: nginx's own address was not what got counted
    assert login(stack, "127.0.0.4", "budi", PASSWORD).status == 303


def test_embeds_come_from_nginx_cache_on_the_second_request(stack):
    first = stack.request("GET", WIDGET, source="127.0.0.5")
    second = stack.request("GET", WIDGET, source="127.0.0.5")
    assert first.status == second.status == 200
    assert (first.header("X-Cache-Status"), second.header("X-Cache-Status")) == ("MISS", "HIT")
    assert second.header("Content-Security-Policy") and "Set-Cookie" not in second.headers
    data = [
        stack.request("POST", "/embed/_dash-update-component", source="127.0.0.5", headers=JSON, body=widget_payload())
    ]
    data.append(
        stack.request("POST", "/embed/_dash-update-component", source="127.0.0.5", headers=JSON, body=widget_payload())
    )
    assert [d.status for d in data] == [200, 200] and data[0].body == data[1].body
    assert [d.header("X-Cache-Status") for d in data] == ["MISS", "HIT"]
    # another widget is another cache entry, not the first one's answer
    other = stack.request(
        "POST", "/embed/_dash-update-component", source="127.0.0.5", headers=JSON, body=widget_payload("egov")
    )
    assert other.header("X-Cache-Status") == "MISS" and other.body != data[0].body
    # nginx answers a revalidation from its cache with Pantau's ETag
    etag = data[1].header("ETag")
    assert etag and data[1].header("Cache-Control").startswith("public, max-age=")
    again = stack.request(
        "POST",
        "/embed/_dash-update-component",
        source="127.0.0.5",
        headers={**JSON, "If-None-Match": etag},
        body=widget_payload(),
    )
    assert again.status == 304


def test_the_embed_rate_limit_counts_each_real_client(stack):
    # forged payloads are never cached, so each one reaches Pantau; the limit is 4 per client
    forged = b'{"output": "x"}'
    codes = [
        stack.request("POST", "/embed/_dash-update-component", source="127.0.0.6", headers=JSON, body=forged).status
        for _ in range(5)
    ]
    assert codes == [400, 400, 400, 400, 429]
    assert (
        stack.request("POST", "/embed/_dash-update-component", source="127.0.0.7", headers=JSON, body=forged).status
        == 400
    )


def test_the_walls_pulse_and_dash_callbacks_are_not_cached(stack):
    cookie = login(stack, "127.0.0.8", "budi", PASSWORD).header("Set-Cookie").split(";", 1)[0]
    pulses = []
    for _ in range(2):
        answer = stack.request("GET", "/_wall/pulse", source="127.0.0.8", headers={"Cookie": cookie})
        assert answer.status == 200 and answer.header("X-Cache-Status") is None
        pulses.append(json.loads(answer.body)["server_ms"])
        time.sleep(0.01)
    assert pulses[1] > pulses[0]
    # a callback answers per session: without one, 401, never a cached 200
    layout = stack.request("GET", "/_dash-layout", source="127.0.0.8", headers={"Cookie": cookie})
    assert layout.status == 200 and layout.header("X-Cache-Status") is None
    assert stack.request("GET", "/_dash-layout", source="127.0.0.8").status == 401


def test_the_walls_push_passes_nginx_unbuffered(stack):
    """The push's first event arrives while its stream is still open (it lives 30 s): a buffering proxy would
    hold it until the stream ends, and the read would give up first. Then a change is pushed the same way."""
    cookie = login(stack, "127.0.0.9", "budi", PASSWORD).header("Set-Cookie").split(";", 1)[0]
    connection = http.client.HTTPSConnection(
        "localhost", stack.https_port, context=stack.context, timeout=10, source_address=("127.0.0.9", 0)
    )
    try:
        connection.request("GET", "/_wall/pulse?push=1", headers={"Cookie": cookie})
        response = connection.getresponse()
        assert response.status == 200 and response.getheader("Content-Type").startswith("text/event-stream")

        def next_answer() -> dict:
            while not (line := response.readline().decode()).startswith("data: "):
                assert line, "the stream ended"
            return json.loads(line[len("data: ") :])

        first = next_answer()
        assert first["ok"]
        settings = Settings(redis_url=stack.env["PANTAU_REDIS_URL"], stream_prefix=stack.prefix)
        client = connect(settings)
        client.incr(data_version_key(settings))
        client.publish(changes_channel(settings), b"1")
        client.close()
        while (answer := next_answer())["version"] == first["version"]:
            pass
        assert answer["ok"]
    finally:
        connection.close()


def test_static_files_are_cached_long_and_gzipped(stack):
    page = stack.request("GET", WIDGET, source="127.0.0.9").body.decode()
    script = re.search(r'src="(/embed/_dash-component-suites/[^"]+\.js)"', page).group(1)
    stack.request("GET", script, source="127.0.0.9")
    answer = stack.request("GET", script, source="127.0.0.9", headers={"Accept-Encoding": "gzip"})
    assert answer.status == 200 and answer.header("Content-Encoding") == "gzip"
    max_age = int(re.search(r"max-age=(\d+)", answer.header("Cache-Control")).group(1))
    assert max_age >= 86_400 * 30


def test_metrics_through_nginx_every_worker_counted_and_the_allowlist_held(stack):
    # 127.0.0.1 is outside PANTAU_METRICS_ALLOW (127.0.0.2), with the token, and with a forged X-Forwarded-For
    assert stack.request("GET", "/metrics", headers=AUTH).status == 403
    assert stack.request("GET", "/metrics", headers={**AUTH, "X-Forwarded-For": "127.0.0.2"}).status == 403
    assert stack.request("GET", "/metrics", source="127.0.0.2").status == 401

    def scrape() -> str:
        return stack.request("GET", "/metrics", source="127.0.0.2", headers=AUTH).body.decode()

    def counting_workers() -> set[str]:
        return {p.name.rsplit("_", 1)[-1] for p in stack.multiproc.glob("counter_*.db")}

    failures_before = sample(scrape(), "pantau_logins_total", result="failure")
    sent = 0
    # nginx reuses one upstream connection while requests come one at a time: concurrent logins make it open
    # more, which the two workers share; repeated until both have counted some
    with ThreadPoolExecutor(8) as pool:
        for _round in range(10):
            list(
                pool.map(
                    lambda n: login(stack, f"127.0.1.{n}", f"someone{n}", "wrong password!"), range(sent, sent + 16)
                )
            )
            sent += 16
            if len(counting_workers()) >= 2:
                break
    assert len(counting_workers()) >= 2
    for _ in range(4):  # whichever worker answers the scrape, it sums every worker's counts
        assert sample(scrape(), "pantau_logins_total", result="failure") - failures_before == sent
    text = scrape()
    assert sample(text, "pantau_embed_requests_total", kind="widget_data", code="429") >= 1
    assert sample(text, "pantau_stream_consumer_group_up", stream="complaints") == 1


def test_the_ingestor_serves_its_own_metrics(stack):
    client = connect(Settings(redis_url=stack.redis_url, stream_prefix=stack.prefix))
    for i in range(3):
        publish(client, Settings(redis_url=stack.redis_url, stream_prefix=stack.prefix), complaint(100 + i))
    client.close()
    url = f"http://127.0.0.1:{stack.ingest_metrics_port}/metrics"
    request = urllib.request.Request(url, headers=AUTH)
    deadline = time.monotonic() + 30
    stored = 0.0
    while stored < 3 and time.monotonic() < deadline:
        try:
            # the ingestor reads the allowlist too: only 127.0.0.2 may scrape
            connection = http.client.HTTPConnection(
                "127.0.0.1", stack.ingest_metrics_port, source_address=("127.0.0.2", 0), timeout=10
            )
            connection.request("GET", "/metrics", headers=AUTH)
            text = connection.getresponse().read().decode()
            connection.close()
            stored = sample(text, "pantau_ingest_events_stored_total", stream="complaints")
        except OSError:
            pass
        time.sleep(0.3)
    assert stored == 3
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)  # from 127.0.0.1: outside the allowlist
    assert refused.value.code == 403
