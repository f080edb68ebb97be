"""The PPID embed on SQLite and PostgreSQL: the published report is the KPI engine's figures where they are
published; and no public response (the embeds, the wall and its callbacks) carries a requester's name,
e-mail, phone, NIK, address, organisation or what was asked."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.disclosure import SUPPRESSED
from dashboard.embed_widgets import WIDGETS, make_query, period_bounds
from dashboard.filters import KpiFilter
from data_sources.kpi import info_requests
from data_sources.views.embed import PublishedCache, widget_data
from layouts.wall import PULSE_PATH
from layouts.wall import ids as wall_ids
from tests.integration.test_briefing_callbacks import call
from tests.support.embed_data import leaks
from tests.support.info_data import SECRETS, load_info, mixed_requests

OPDS = ("DINKES", "DISKOMINFO", "BAPPEDALITBANG")
CALLBACK = "/embed/_dash-update-component"
WALL_TOKEN = "wall-token-for-the-ppid-test-0123456789"
PERIODS = {"month": ("this_month", "last_month"), "span": ("12m",), "latest": ("latest",)}
PERIODS["report"] = ("this_year", "last_year", "this_month", "last_month")


@pytest.fixture
def seeded(settings, engine):
    load_info(engine, mixed_requests(dt.datetime.now(dt.UTC), n=150, opds=OPDS))
    return settings.with_overrides(wall_token=WALL_TOKEN)


def _as_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.timezone(dt.timedelta(hours=7))).date()


@pytest.mark.parametrize("period", ["this_year", "last_month"])
def test_the_report_is_the_engines_figures_where_published(seeded, engine, redis_client, period):
    query = make_query("ppid", {"period": period})
    data = widget_data(query, engine, PublishedCache(redis_client, seeded, refresh_s=60), seeded)
    now = dt.datetime.fromisoformat(data["as_of"])
    start, end, _ = period_bounds(query, now)
    with engine.connect() as conn:
        city, per_opd = info_requests.figures_by_opd(conn, KpiFilter(_as_date(start), _as_date(end)), now)
    assert {r["opd"] for r in data["rows"]} == set(per_opd)
    published = 0
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
            if row[key] == SUPPRESSED:
                assert value > 0, (row, key)  # zeros are never hidden
            else:
                assert row[key] == value, (row["opd"], key)
                published += 1
        if row["median_working_days"] is not None:
            assert row["median_working_days"] == round(f["working_days_to_answer_p50"], 1)
            assert f["answered"] >= 10
    assert published > 5  # the comparison compared something
    cited = city["rejected_by_exemption"]
    assert set(data["exemptions"]) == set(cited)
    assert all(v in (SUPPRESSED, cited[k]) for k, v in data["exemptions"].items())


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
    outputs = [
        f"{i}.children" for i in (wall_ids.tiles, wall_ids.ticker, wall_ids.sla, wall_ids.ppid, wall_ids.egov)
    ] + [f"{wall_ids.health}.children", f"{wall_ids.map}.children", f"{wall_ids.known}.data"]
    outputs += [f"{wall_ids.feed}.data", f"{wall_ids.heartbeat}.data"]
    wall.application.dash_app = app
    status, text = call(
        wall,
        outputs,
        [(f"{wall_ids.poll}.data", {"scale": 1}), (f"{wall_ids.url}.search", "")],
        state=[(f"{wall_ids.known}.data", None)],
    )
    assert status == 200 and "PPID-" in text and "lewat" in text
    bodies.append(("wall refresh", text.encode()))
    for name, body in bodies:
        found = [s for s in secrets if s in body] + leaks(body, set())
        assert not found, (name, found)
