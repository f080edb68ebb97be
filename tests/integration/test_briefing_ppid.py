"""The briefing's PPID panel over HTTP, on SQLite and PostgreSQL: the league is the KPI engine's, filtered by
the period and the OPDs only; its exports hold the screen's numbers; the request list with the requester goes to
officers only."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json

import pytest

from dashboard import briefing_tables as tables
from dashboard.briefing import parse_view
from dashboard.filters import KpiFilter
from data_sources.kpi import info_requests
from layouts.briefing_ppid import ids as ppid_ids
from tests.integration.test_briefing_callbacks import call, client_as, export, url
from tests.support.info_data import REQUEST_TEXT, REQUESTER, SECRETS, load_info, mixed_requests

LEAGUE = [f"{ppid_ids.league}.rowData"]
LIST = [f"{ppid_ids.requests}.rowData", f"{ppid_ids.requests_note}.children"]


def _now():
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture
def app(settings, engine, redis_client):
    from web.factory import create_app

    load_info(engine, mixed_requests(_now()))
    return create_app(settings.with_overrides(ppid_min_sample=5), engine=engine, redis_client=redis_client)


def _rows(body, grid):
    return json.loads(body)["response"][grid]["rowData"]


def _period(days: int) -> tuple[str, KpiFilter]:
    query = {"period": "custom", "from": str((_now() - dt.timedelta(days=days)).date()), "to": str(_now().date())}
    view = parse_view(query, _now())
    assert not view.errors
    return f"?period=custom&from={query['from']}&to={query['to']}", view.filter


def test_the_league_is_the_engines_per_opd_figures(app, engine):
    client = client_as(app, engine, "viewer")
    search, f = _period(45)
    status, body = call(client, LEAGUE, url(search))
    assert status == 200
    rows = _rows(body, ppid_ids.league)
    with engine.connect() as conn:
        league = info_requests.league(conn, f, _now(), min_sample=5)
    assert league["rows"], "the seed must give the league rows"
    expected = tables.ppid_rows(league, "id")
    assert rows == expected
    # ranked by the lower Wilson bound, the city last with every request of the period
    ranked = [r for r in rows if r["rank"] is not None]
    assert [r["rank"] for r in ranked] == list(range(1, len(ranked) + 1))
    assert [r["ci_low_pct"] for r in ranked] == sorted((r["ci_low_pct"] for r in ranked), reverse=True)
    assert rows[-1]["opd"] == "Seluruh kota" and rows[-1]["received"] == sum(r["received"] for r in rows[:-1])
    assert rows[-1]["rejected"] and "Ps. 17b" in rows[-1]["exemptions"] and "Ps. 17h" in rows[-1]["exemptions"]
    assert rows[-1]["objections"] and rows[-1]["objections_answered_within_deadline"] is not None
    assert rows[-1]["working_days_to_answer_p50"] is not None


def test_the_opd_filter_applies_and_the_complaint_filters_do_not(app, engine):
    client = client_as(app, engine, "viewer")
    search, f = _period(45)
    _, plain = call(client, LEAGUE, url(search))
    _, other = call(client, LEAGUE, url(search + "&channel=whatsapp&kec=35.78.01&category=sampah"))
    assert _rows(other, ppid_ids.league) == _rows(plain, ppid_ids.league)
    _, body = call(client, LEAGUE, url(search + "&opd=DINKES"))
    rows = _rows(body, ppid_ids.league)
    assert [r["opd"] for r in rows] == ["DINKES", "Seluruh kota"]
    with engine.connect() as conn:
        city, _ = info_requests.figures_by_opd(conn, KpiFilter(f.date_from, f.date_to, opd=("DINKES",)), _now())
    assert rows[-1]["received"] == city["received"] == rows[0]["received"]


def test_exports_hold_the_screens_numbers(app, engine):
    client = client_as(app, engine, "viewer")
    search = _period(45)[0] + "&lang=en"
    screen = _rows(call(client, LEAGUE, url(search))[1], ppid_ids.league)
    status, body = export(client, "ppid", "csv", search)
    assert status == 200, body[:300]
    data = json.loads(body)["response"]["briefing-download"]["data"]
    assert data["filename"].startswith("pantau-briefing-ppid-")
    read = list(csv.reader(io.StringIO(base64.b64decode(data["content"]).decode("utf-8-sig"))))
    keys = [c.key for c in tables.TABLES["ppid"]]
    assert read[0][:5] == ["Rank", "Department", "Received", "Answered", "% on time"]
    assert [[str(r[k]) if r[k] is not None else "" for k in keys] for r in screen] == read[1:]
    assert read[-1][1] == "Whole city"


def test_the_request_list_goes_to_officers_only(app, engine):
    search = _period(45)[0]
    for role in (None, "viewer"):
        client = client_as(app, engine, role)
        replies = [call(client, LIST, url(search)), call(client, LEAGUE, url(search))]
        replies += [export(client, "info_requests", fmt, search) for fmt in ("csv", "xlsx")]
        page = client.get("/briefing")
        replies.append((page.status_code, page.get_data(as_text=True)))
        for status, body in replies:
            assert not any(secret in body for secret in SECRETS), (role, status)
        assert replies[0][0] == (204 if role else 401)
        assert all(status == (204 if role else 401) for status, _ in replies[2:4])
    client = client_as(app, engine, "officer")
    status, body = call(client, LIST, url(search + "&opd=DISKOMINFO"))
    assert status == 200
    rows = _rows(body, ppid_ids.requests)
    with engine.connect() as conn:
        received = info_requests.figures_by_opd(conn, _period(45)[1], _now())[1]["DISKOMINFO"]["received"]
    assert len(rows) == received and {r["opd"] for r in rows} == {"DISKOMINFO"}
    assert rows[0]["requester_name"] == REQUESTER["name"] and rows[0]["request_text"] == REQUEST_TEXT
    assert REQUESTER["email"] in rows[0]["requester_contact"] and REQUESTER["phone"] in rows[0]["requester_contact"]
    assert {r["answer"] for r in rows} >= {"Belum dijawab", "Ditolak"}
    assert any(r["exemption"].startswith("Ps. 17") for r in rows)
    status, body = export(client, "info_requests", "csv", search)
    assert status == 200 and REQUESTER["name"] in base64.b64decode(
        json.loads(body)["response"]["briefing-download"]["data"]["content"]
    ).decode("utf-8-sig")
