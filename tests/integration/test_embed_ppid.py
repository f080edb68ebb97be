"""The PPID embed on SQLite and PostgreSQL: the published report is the KPI engine's figures rounded to base 5
(within 5, the same requests the same figures in every publication, a closed year frozen); and no public response (the embeds, the wall and its callbacks) carries a requester's name,
e-mail, phone, NIK, address, organisation or what was asked."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from dashboard.disclosure import BASE
from dashboard.embed_widgets import WIDGETS, make_query, period_bounds
from dashboard.filters import KpiFilter
from data_sources.kpi import info_requests
from data_sources.store.models import InfoRequest
from data_sources.views.embed import PublishedCache, widget_data
from layouts.wall import PULSE_PATH
from layouts.wall import ids as wall_ids
from tests.integration.test_briefing_callbacks import call
from tests.support.embed_data import leaks
from tests.support.info_data import SECRETS, load_info, mixed_requests, request_events

OPDS = ("DINKES", "DISKOMINFO", "BAPPEDALITBANG")
CALLBACK = "/embed/_dash-update-component"
WALL_TOKEN = "wall-token-for-the-ppid-test-0123456789"
PERIODS = {"month": ("this_month", "last_month"), "span": ("12m",), "latest": ("latest",)}
PERIODS["report"] = ("this_year", "last_year", "this_month", "last_month")


SECRET = b"ppid-integration-secret"


@pytest.fixture
def seeded(settings, engine):
    load_info(engine, mixed_requests(dt.datetime.now(dt.UTC), n=150, opds=OPDS))
    return settings.with_overrides(wall_token=WALL_TOKEN)


def _as_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.timezone(dt.timedelta(hours=7))).date()


def _cache(redis_client, settings, at: dt.datetime) -> PublishedCache:
    return PublishedCache(redis_client, settings, secret=SECRET, clock=lambda: at)


def _engine_figures(engine, query, settings, instant: dt.datetime) -> tuple[dict, dict]:
    """The engine's figures of the period as published at `instant`: a period closed for good as they were
    when it froze (an answer given later is not published)."""
    start, end, _ = period_bounds(query, instant)
    now = min(instant, end + dt.timedelta(hours=settings.embed_freeze_after_h))
    with engine.connect() as conn:
        return info_requests.figures_by_opd(conn, KpiFilter(_as_date(start), _as_date(end)), now)


def _near(published: int, value: int) -> bool:
    return published % BASE == 0 and abs(published - value) < BASE


@pytest.mark.parametrize("period", ["this_year", "last_month"])
def test_the_report_is_the_engines_figures_rounded(seeded, engine, redis_client, period):
    query = make_query("ppid", {"period": period})
    data = widget_data(query, engine, _cache(redis_client, seeded, dt.datetime.now(dt.UTC)), seeded)
    city, per_opd = _engine_figures(engine, query, seeded, dt.datetime.fromisoformat(data["as_of"]))
    # an OPD of 5 requests or more always has a row; one of 1 to 4 has one only if they round to 5
    assert {o for o, f in per_opd.items() if f["received"] >= BASE} <= {r["opd"] for r in data["rows"]} <= set(per_opd)
    compared = 0
    for row in [*data["rows"], data["total"]]:
        f = city if row["opd"] is None else per_opd[row["opd"]]
        expected = {
            "received": f["received"],
            "granted": f["granted"],
            "partially_granted": f["partially_granted"],
            "rejected": f["rejected"],
            "not_held": f["not_held"],
            "in_process": f["received"] - f["answered"],
            "objections": f["objections"],
        }
        for key, value in expected.items():
            assert _near(row[key], value), (row["opd"], key, row[key], value)
            compared += 1
        if row["median_working_days"] is not None:
            assert row["median_working_days"] == round(f["working_days_to_answer_p50"], 1)
            assert f["answered"] > 5
    assert compared > 20
    if period == "this_year":  # 50 requests an OPD: its median is published
        assert all(r["median_working_days"] is not None for r in data["rows"])
    cited = city["rejected_by_exemption"]
    assert set(data["exemptions"]) <= set(cited)
    assert all(_near(data["exemptions"].get(code, 0), n) for code, n in cited.items())
    assert _near(data["answered"], city["answered"]) and "<5" not in repr(data)


def test_the_same_requests_give_the_same_figures_in_every_publication(seeded, engine, redis_client):
    now = dt.datetime.now(dt.UTC)
    later = now + dt.timedelta(days=1)  # a later publication instant, nothing new in between
    for period in ("this_year", "this_month"):
        query = make_query("ppid", {"period": period})
        first = widget_data(query, engine, _cache(redis_client, seeded, now), seeded)
        second = widget_data(query, engine, _cache(redis_client, seeded, later), seeded)
        assert first["as_of"] != second["as_of"]
        assert {k: v for k, v in first.items() if k not in ("as_of", "version")} == {
            k: v for k, v in second.items() if k not in ("as_of", "version")
        }


def test_a_closed_year_and_its_months_are_published_once_and_frozen(settings, engine, redis_client):
    """2025 closed long ago: its figures are computed at the first publication and never again; a request of
    2025 that arrives late changes neither the year nor its month."""
    load_info(engine, mixed_requests(dt.datetime(2025, 12, 20, tzinfo=dt.UTC), n=60, opds=OPDS))
    now = dt.datetime.now(dt.UTC)
    year, month = make_query("ppid", {"period": "2025"}), make_query("ppid", {"period": "2025-11"})
    before = [widget_data(q, engine, _cache(redis_client, settings, now), settings) for q in (year, month)]
    assert before[0]["total"]["received"] == 60 and before[0]["months"][0] == "2025-01"
    received = dt.datetime(2025, 11, 3, 2, tzinfo=dt.UTC)
    load_info(engine, [e for i in range(5) for e in request_events(f"PPID-LATE-{i}", "DINKES", received)])
    later = now + dt.timedelta(days=2)
    after = [widget_data(q, engine, _cache(redis_client, settings, later), settings) for q in (year, month)]
    for a, b in zip(before, after):
        assert a["as_of"] != b["as_of"] and a["rows"] == b["rows"] and a["total"] == b["total"]
    with engine.connect() as conn:  # the late request is in the store: only the publication is frozen
        assert conn.scalar(select(func.count()).select_from(InfoRequest)) == 65  # 65 would be published as 65


def test_no_public_response_carries_the_requester_or_the_request(seeded, engine, redis_client):
    from web.factory import create_app

    app = create_app(seeded, engine=engine, redis_client=redis_client)
    client = app.server.test_client()
    secrets = {s.encode() for s in SECRETS}
    bodies: list[tuple[str, bytes]] = []
    for widget, spec in WIDGETS.items():
        for period in PERIODS[spec.kind]:
            for lang in ("id", "en"):
                search = f"?lang={lang}&theme=dark&period={period}"
                page = client.get(f"/embed/{widget}{search}")
                bodies.append((page.request.path, page.data))
                body = {
                    "output": "embed-body.children",
                    "outputs": {"id": "embed-body", "property": "children"},
                    "inputs": [
                        {"id": "embed-url", "property": "pathname", "value": f"/embed/{widget}"},
                        {"id": "embed-url", "property": "search", "value": search},
                        {"id": "embed-refresh", "property": "n_intervals", "value": None},
                    ],
                    "changedPropIds": ["embed-url.pathname"],
                    "state": [],
                }
                answer = client.post(CALLBACK, json=body)
                assert answer.status_code == 200, (widget, period, answer.data[:200])
                bodies.append((f"{widget} {search}", answer.data))
    this_year = [b for name, b in bodies if name.startswith("ppid ") and "this_year" in name]
    assert this_year and all(b"DINKES" in b for b in this_year)  # the report is there
    gallery = client.get("/embed?lang=en")
    bodies.append(("gallery", gallery.data))
    # the wall, as a wall screen with its token sees it: the page, the pulse, the refresh callback
    wall = app.server.test_client()
    page = wall.get(f"/wall?token={WALL_TOKEN}", follow_redirects=True)
    assert page.status_code == 200
    bodies.append(("wall", page.data))
    bodies.append(("pulse", wall.get(PULSE_PATH).data))
    wall.application.dash_app = app
    status, text = call(
        wall,
        [f"{wall_ids.view}.data"],
        [(f"{wall_ids.poll}.data", {"n": 1, "known": None}), (f"{wall_ids.url}.search", "")],
    )
    assert status == 200 and "PPID-" in text and "lewat" in text
    bodies.append(("wall refresh", text.encode()))
    for name, body in bodies:
        found = [s for s in secrets if s in body] + leaks(body, set())
        assert not found, (name, found)
