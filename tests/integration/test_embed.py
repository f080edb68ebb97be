"""The public embeds: every widget, forged callback payloads, no personal data, CSP, caching, rate limit."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import event

from dashboard.embed_widgets import WIDGETS
from dashboard.settings import Settings
from data_sources.store.database import make_engine, upgrade
from data_sources.store.models import PRIVATE_TABLES
from data_sources.stream.connection import connect
from data_sources.views.public_aggregates import PrivacyError, public_column
from tests.support.embed_data import leaks, personal_values, seed
from tests.support.embed_data import widget_callback as payload
from tests.support.services import drop_keys

ORIGIN = "https://ppid.surabaya.go.id"
CALLBACK = "/embed/_dash-update-component"


@pytest.fixture(scope="module")
def store(redis_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("embed")
    settings = Settings(
        redis_url=redis_url,
        database_url=f"sqlite:///{tmp / 'pantau.db'}",
        data_dir=tmp,
        stream_prefix=f"embed-{uuid.uuid4().hex[:10]}",
        block_ms=100,
        embed_origins=(ORIGIN,),
        embed_rate_limit=(100_000, 60),
    )
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    seed(settings, engine, dt.datetime.now(dt.UTC))
    yield settings, engine, personal_values(engine)
    drop_keys(settings)
    engine.dispose()


@pytest.fixture(scope="module")
def app(store):
    from web.factory import create_app

    settings, engine, _ = store
    return create_app(settings, engine=engine)


@pytest.fixture
def client(app):
    return app.server.test_client()


def test_the_fixture_really_holds_personal_data(store):
    _, _, personal = store
    assert b"Kartika Wulandari Canary" in personal and b"3578016504910002" in personal
    assert len(personal) > 100  # the simulator's reporters and callers too


@pytest.mark.parametrize("widget", list(WIDGETS))
def test_every_widget_in_both_languages_and_themes_names_its_time_and_source(client, store, widget):
    personal = store[2]
    for lang, words in (("id", (b"Data per", b"Sumber")), ("en", (b"Data as of", b"Source"))):
        for theme in ("light", "dark"):
            page = client.get(f"/embed/{widget}?lang={lang}&theme={theme}")
            assert page.status_code == 200
            assert f'<html lang="{lang}" class="embed-theme-{theme}">'.encode() in page.data
            r = client.post(CALLBACK, json=payload(f"/embed/{widget}", f"?lang={lang}&theme={theme}"))
            assert r.status_code == 200, r.data[:300]
            for word in words:
                assert word in r.data
            assert not leaks(r.data, personal)
            assert not leaks(page.data, personal)


def test_the_gallery_lists_every_widget_with_link_preview_and_snippet(client):
    for path in ("/embed", "/embed/", "/embed?lang=en"):
        r = client.get(path)
        assert r.status_code == 200
        text = r.data.decode()
        for widget in WIDGETS:
            assert f'href="/embed/{widget}"' in text
            assert f'<iframe src="/embed/{widget}?' in text
            # the snippet, escaped; no PANTAU_PUBLIC_BASE_URL here: a placeholder, never the request's host
            assert f"&lt;iframe src=&quot;https://alamat-pantau.example/embed/{widget}" in text or (
                f"&lt;iframe src=&quot;https://pantau-address.example/embed/{widget}" in text
            )


def test_bad_parameters_are_refused_with_a_clear_message(client):
    assert client.get("/embed/no-such-widget").status_code == 404
    for query in ("theme=purple", "lang=fr", "period=2026-13", "period=12m", "lang=id&lang=en", "x=" + "a" * 300):
        r = client.get(f"/embed/complaints-month?{query}")
        assert r.status_code == 400, query
    assert client.get("/embed/sla-trend?period=this_month").status_code == 400
    assert client.get("/embed/complaints-month?period=2099-01").status_code == 400  # a month still to come
    r = client.post(CALLBACK, json=payload(search="?period=2099-01"))
    assert b"future" in r.data and b"Data per" not in r.data and r.headers["Cache-Control"] == "no-store"


FORGED = [
    {},
    [],
    "x",
    payload(output="live-body.children"),  # the main app's callback through the embed endpoint
    payload(output="embed-body.children..embed-x.children"),
    payload(outputs={"id": "embed-body", "property": "style"}),
    payload(outputs=[{"id": "embed-body", "property": "children"}]),
    payload(state=[{"id": "live-known", "property": "data", "value": {"version": "x"}}]),
    payload(changedPropIds=["live-url.search"]),
    payload(inputs=[]),
    payload(inputs=payload()["inputs"][:2]),
    payload(inputs=payload()["inputs"] + [{"id": "embed-url", "property": "href", "value": "/"}]),
    payload(inputs=[{"id": "embed-url", "property": "href", "value": "/embed/egov"}] + payload()["inputs"][1:]),
    payload(
        inputs=[{"id": {"type": "embed-url"}, "property": "pathname", "value": "/embed/egov"}] + payload()["inputs"][1:]
    ),
    payload("/embed/../personal_complaint_reporters"),
    payload("/embed/complaints-month", "?period=2026-11' OR 1=1 --"),
    payload("/embed/complaints-month", "?lang=en&lang=id"),
    payload("/embed/complaints-month", "?theme=<script>"),
    payload("/embed/complaints-month", ["?lang=en"]),
    payload({"$ne": None}),
    payload(None),
    payload("/embed/complaints-month", "", n="1; DROP TABLE complaints"),
    payload("/embed/complaints-month", "", n=-1),
    payload("/embed/complaints-month", "", n=True),
    payload(extra="x"),
    payload("/wall"),
    payload("/embed/egov?x=1"),
]


def test_forged_payloads_get_400_and_no_data(client, store):
    personal = store[2]
    for body in FORGED:
        r = client.post(CALLBACK, data=json.dumps(body), content_type="application/json")
        assert r.status_code == 400, (body, r.status_code, r.data[:200])
        assert b"embed-title" not in r.data and not leaks(r.data, personal)
        assert "Content-Security-Policy" in r.headers
    for raw in (b"{", b"\xff\xfe", b"null", b"x" * 10_000):
        r = client.post(CALLBACK, data=raw, content_type="application/json")
        assert r.status_code == 400


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@hsettings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    slot=st.sampled_from(["output", "pathname", "search", "n", "id", "property", "state", "changed", "whole"]),
    value=json_values,
)
def test_fuzzed_payloads_never_carry_personal_data(client, store, slot, value):
    personal = store[2]
    body = payload()
    if slot == "output":
        body["output"] = value
    elif slot in ("pathname", "search", "n"):
        body["inputs"][("pathname", "search", "n").index(slot)]["value"] = value
    elif slot in ("id", "property"):
        body["inputs"][0][slot] = value
    elif slot == "state":
        body["state"] = value
    elif slot == "changed":
        body["changedPropIds"] = value
    else:
        body = value
    r = client.post(CALLBACK, data=json.dumps(body), content_type="application/json")
    assert r.status_code in (200, 400)
    assert not leaks(r.data, personal)
    if r.status_code == 200:  # only a payload of the allowlist's shape gets figures
        assert isinstance(body, dict) and body["output"] == "embed-body.children"


def test_every_embed_response_carries_the_csp_and_no_cookie(client, app):
    csp_paths = [
        "/embed",
        "/embed/",
        "/embed/egov",
        "/embed/egov?theme=x",
        "/embed/nope",
        "/embed/_dash-layout",
        "/embed/_dash-dependencies",
        "/embed/assets/embed.css",
        "/embed/_favicon.ico",
    ]
    page = client.get("/embed/egov").data.decode()
    csp_paths += re.findall(r'src="(/embed/_dash-component-suites/[^"]+)"', page)[:3]
    responses = [client.get(p) for p in csp_paths]
    responses += [
        client.post(CALLBACK, json=payload()),
        client.post(CALLBACK, json={}),
        client.post("/embed/egov", data="x"),
    ]
    for r in responses:
        csp = r.headers.get("Content-Security-Policy", "")
        assert f"frame-ancestors 'self' {ORIGIN}" in csp, r.request.path
        assert "default-src 'self'" in csp and "object-src 'none'" in csp
        assert "Set-Cookie" not in r.headers
    # the main app is not framed by portals: its own policy (web/security_headers.py) frames nowhere
    main_csp = client.get("/").headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in main_csp and ORIGIN not in main_csp


def test_caching_headers_and_one_computation_per_publication(client, app, store):
    settings = store[0]
    r1 = client.post(CALLBACK, json=payload("/embed/sla-trend", "?lang=en"))
    r2 = client.post(CALLBACK, json=payload("/embed/sla-trend", "?lang=en", n=7))
    assert r1.data == r2.data and r1.headers["ETag"] == r2.headers["ETag"]
    assert r1.headers["Cache-Control"] == f"public, max-age={min(int(settings.embed_refresh_s), 300)}"
    state = app.server.extensions["pantau_embed"]
    before = state.cache().computations
    for lang in ("id", "en"):
        for theme in ("light", "dark"):
            assert (
                client.post(CALLBACK, json=payload("/embed/incidents-112", f"?lang={lang}&theme={theme}")).status_code
                == 200
            )
    assert state.cache().computations - before <= 1  # language and theme do not recompute the figures
    assert "max-age" in client.get("/embed/egov").headers["Cache-Control"]
    layout = client.get("/embed/_dash-layout")
    assert layout.headers["ETag"] and "max-age" in layout.headers["Cache-Control"]
    assert client.get("/embed/_dash-layout", headers={"If-None-Match": layout.headers["ETag"]}).status_code == 304


def test_both_dash_apps_serve_their_routes_suites_and_assets(client, app):
    rules = {r.rule for r in app.server.url_map.iter_rules()}
    for prefix in ("/", "/embed/"):  # the main app's (behind the login gate once merged) and the embeds'
        for name in (
            "_dash-layout",
            "_dash-dependencies",
            "_dash-update-component",
            "_dash-component-suites/<string:package_name>/<path:fingerprinted_path>",
        ):
            assert prefix + name in rules
    page = client.get("/embed/egov")
    suites = re.findall(r'src="(/embed/_dash-component-suites/[^"]+)"', page.data.decode())
    assert len(suites) >= 3
    for suite in suites:
        assert client.get(suite).status_code == 200, suite
    assert client.get("/embed/assets/embed.css").status_code == 200
    assert b"/embed/assets/embed.css" in page.data and b"pantau.css" not in page.data and b"wall.js" not in page.data


def test_the_two_apps_keep_their_callbacks_apart(app):
    from web.factory import create_app

    assert "embed-body.children" not in app.callback_map
    second = create_app(app.server.extensions["pantau"].settings)
    assert "embed-body.children" not in second.callback_map
    r = second.server.test_client().post(CALLBACK, json=payload("/embed/egov"))
    assert r.status_code == 200 and b"embed-title" in r.data


def test_rate_limit_is_shared_by_two_app_instances_on_one_redis(store):
    from web.factory import create_app

    settings, engine, _ = store
    limited = settings.with_overrides(stream_prefix=f"embed-rl-{uuid.uuid4().hex[:8]}", embed_rate_limit=(6, 60))
    one, two = (create_app(limited, engine=engine).server.test_client() for _ in range(2))
    codes = []
    for i in range(10):
        r = (one if i % 2 else two).get("/embed/egov", environ_base={"REMOTE_ADDR": "198.51.100.7"})
        codes.append(r.status_code)
        if r.status_code == 429:
            assert 1 <= int(r.headers["Retry-After"]) <= 60
            assert "Content-Security-Policy" in r.headers
    assert codes[:6] == [200] * 6 and codes[6:] == [429] * 4
    # another client is not held back by the first one
    assert one.get("/embed/egov", environ_base={"REMOTE_ADDR": "198.51.100.8"}).status_code == 200
    connect(limited).delete(*connect(limited).keys(f"{limited.stream_prefix}:*"))


def test_public_aggregates_refuse_personal_columns():
    for table, column in (
        ("personal_complaint_reporters", "name"),
        ("complaints", "lat"),
        ("complaints", "complaint_id"),
        ("incidents", "kecamatan_code"),
        ("dead_letters", "event"),
        ("users", "email"),
    ):
        with pytest.raises(PrivacyError):
            public_column(table, column)


def test_widget_sql_names_no_private_table_or_personal_column(settings, engine, redis_client):
    """On SQLite and PostgreSQL: every statement behind every widget, as sent to the database."""
    from web.factory import create_app

    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda c, cur, stmt, *a: seen.append(stmt.lower()))
    app = create_app(settings, engine=engine, redis_client=redis_client)
    tc = app.server.test_client()
    for widget in WIDGETS:
        assert tc.post(CALLBACK, json=payload(f"/embed/{widget}")).status_code == 200
    assert seen
    words = set(PRIVATE_TABLES) | {
        "users",
        "lat",
        "lon",
        "complaint_id",
        "incident_id",
        "name",
        "phone",
        "nik",
        "email",
        "address",
        "text",
        "description",
        "note",
        "reporter",
        "caller",
    }
    for stmt in seen:
        found = {w for w in words if re.search(rf"\b{w}\b", stmt)}
        assert not found, (found, stmt[:300])


def test_two_app_instances_publish_the_same_figures(store):
    from web.factory import create_app

    settings, engine, _ = store
    one, two = (create_app(settings, engine=engine).server.test_client() for _ in range(2))
    a = one.post(CALLBACK, json=payload("/embed/complaints-map"))
    b = two.post(CALLBACK, json=payload("/embed/complaints-map"))
    assert a.status_code == b.status_code == 200
    assert a.headers["ETag"] == b.headers["ETag"] and a.data == b.data


def test_monthly_figures_agree_with_the_kpi_engine(settings, engine):
    """On SQLite and PostgreSQL: the WIB month buckets of the public aggregates hold what the KPI engine
    counts for the same month."""
    from dashboard.embed_widgets import month_start
    from dashboard.filters import make_filter
    from data_sources.kpi import complaints as kpi_complaints
    from data_sources.kpi import incidents as kpi_incidents
    from data_sources.views import public_aggregates as agg

    now = dt.datetime.now(dt.UTC)
    seed(settings, engine, now)
    months_seen = False
    keys = (12345, 678)
    with engine.connect() as conn:
        for back in range(3, -1, -1):
            start, end = month_start(now.year, now.month - back), month_start(now.year, now.month - back + 1)
            local = (start + dt.timedelta(hours=7)).date()
            following = (end + dt.timedelta(hours=7)).date()  # the next WIB month's first day
            f = make_filter(date_from=local.isoformat(), date_to=following.isoformat())
            figures = agg.complaint_summary(conn, start, end, now, keys)
            engine_figures = kpi_complaints.period_figures(conn, f, now)
            assert figures["received"][0] == engine_figures["received"]
            assert figures["within"][0] == engine_figures["answered_within_sla"]
            assert figures["measured"][0] == engine_figures["sla_measured"]
            incidents = agg.incidents_of(conn, start, end, now, keys, 1)
            engine_incidents = kpi_incidents.period_figures(conn, f, now, groups=False)
            assert incidents["reported"][0] == engine_incidents["reported"]
            assert incidents["measured"][0] == engine_incidents["response_measured"]
            if incidents["measured"][0]:
                assert incidents["p50_s"] == pytest.approx(engine_incidents["response_p50_min"] * 60, abs=0.01)
                months_seen = True
        assert months_seen


def test_embed_settings_are_checked():
    from dashboard.settings import SettingsError, load_settings

    loaded = load_settings(
        {
            "PANTAU_EMBED_ORIGINS": "https://ppid.surabaya.go.id, https://surabaya.go.id:8443/",
            "PANTAU_EMBED_RATE_LIMIT": "120/30",
        },
        env_file=None,
    )
    assert loaded.embed_origins == ("https://ppid.surabaya.go.id", "https://surabaya.go.id:8443")
    assert loaded.embed_rate_limit == (120, 30)
    for name, value in (
        ("PANTAU_EMBED_ORIGINS", "https://x.id; script-src *"),
        ("PANTAU_EMBED_ORIGINS", "*"),
        ("PANTAU_EMBED_ORIGINS", "https://x.id/path"),
        ("PANTAU_EMBED_RATE_LIMIT", "fast"),
        ("PANTAU_EMBED_RATE_LIMIT", "0/60"),
        ("PANTAU_EMBED_REFRESH_S", "0"),
        ("PANTAU_EMBED_REFRESH_S", "1000"),  # not a divisor of the day: no fixed daily grid
    ):
        with pytest.raises(SettingsError):
            load_settings({name: value}, env_file=None)


def test_the_rate_limit_counts_the_address_a_trusted_proxy_saw(store):
    from web.factory import create_app

    settings, engine, _ = store
    limited = settings.with_overrides(stream_prefix=f"embed-px-{uuid.uuid4().hex[:8]}", embed_rate_limit=(2, 60))
    for proxies, expected in ((0, [200, 200, 429]), (1, [200, 200, 200])):
        client = create_app(
            limited.with_overrides(proxy_count=proxies, stream_prefix=f"{limited.stream_prefix}-{proxies}"),
            engine=engine,
        ).server.test_client()
        # One proxy at 10.0.0.1 forwards three different clients; a client could also write the header itself.
        codes = [
            client.get(
                "/embed/egov", environ_base={"REMOTE_ADDR": "10.0.0.1"}, headers={"X-Forwarded-For": f"203.0.113.{i}"}
            ).status_code
            for i in range(3)
        ]
        # Trusted, the proxy's header tells the clients apart; untrusted, they all count as the proxy.
        assert codes == expected, proxies
    client = connect(limited)
    client.delete(*(client.keys(f"{limited.stream_prefix}*") or ["none"]))
