"""The briefing's callbacks over HTTP, as the browser (or an attacker) posts them to /_dash-update-component:
the engine's numbers for a filter, exports with the screen's numbers, and roles enforced on the server."""

import base64
import csv
import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert

from dashboard import briefing_tables as tables
from dashboard.briefing import parse_view
from data_sources.kpi import complaints as kpi_complaints
from data_sources.store.models import ComplaintStatusEvent, PersonalComplaintNote, PersonalComplaintReporter
from data_sources.views import briefing as briefing_data
from layouts.briefing import ids
from tests.support.auth_helpers import create_user, login
from tests.support.kpi_data import complaint, incident, load

H = dt.timedelta(hours=1)


def _with(engine, panel, *args):
    with engine.connect() as conn:
        return panel(conn, *args)


SECRETS = (
    "Siti Rahayu Rahasia",
    "+6281299990001",
    "3578015501900001",
    "Jl. Rahasia No. 7",
    "jalan ambles depan rumah",
    "catatan internal petugas",
)
PASSWORD = "a long enough password 1"


def _now():
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def seed(engine):
    now = _now()
    complaints = [
        complaint(
            f"c{i}",
            now - (i * 2.3 + 0.5) * H,
            first_response_h=None if i % 5 == 0 else 1 + i % 30,
            opd=("DSDABM", "DINKES", "DLH")[i % 3],
            channel=("whatsapp", "sms")[i % 2],
            kecamatan=("35.78.01", "35.78.02", None)[i % 3],
        )
        for i in range(80)
    ]
    incidents = [
        incident(
            f"i{i}",
            now - (i * 3 + 1) * H,
            response_min=4 + i % 7,
            answer_s=5,
            dispatch_min=1.5,
            scene_min=30,
            category=("fire", "flood")[i % 2],
        )
        for i in range(30)
    ]
    load(engine, complaints, incidents)
    with engine.begin() as conn:
        conn.execute(
            insert(PersonalComplaintReporter.__table__),
            [
                dict(
                    complaint_id="c1",
                    name=SECRETS[0],
                    phone=SECRETS[1],
                    nik=SECRETS[2],
                    address=SECRETS[3],
                    text=SECRETS[4],
                    email=None,
                )
            ],
        )
        conn.execute(
            insert(ComplaintStatusEvent.__table__),
            [
                dict(
                    event_id="c1-s1",
                    complaint_id="c1",
                    status="responded",
                    opd="DINKES",
                    reply_channel=None,
                    occurred_at=now - 2 * H,
                )
            ],
        )
        conn.execute(
            insert(PersonalComplaintNote.__table__), [dict(event_id="c1-s1", complaint_id="c1", note=SECRETS[5])]
        )


@pytest.fixture
def app(settings, engine, redis_client):
    from web.factory import create_app

    seed(engine)
    return create_app(settings, engine=engine, redis_client=redis_client)


def client_as(app, engine, role: str | None):
    client = app.server.test_client()
    client.application.dash_app = app
    if role is not None:
        create_user(engine, f"{role}1", role, PASSWORD)
        login(client, f"{role}1", PASSWORD)
    return client


def _prop(spec: str) -> dict:
    ident, prop = spec.rsplit(".", 1)
    return {"id": json.loads(ident) if ident.startswith("{") else ident, "property": prop}


def _output_key(app, outputs) -> str:
    """The callback's output key as the app registered it (allow_duplicate outputs carry a suffix)."""

    def key(spec):
        ident, prop = spec.rsplit(".", 1)
        if ident.startswith("{"):
            ident = json.dumps(json.loads(ident), sort_keys=True, separators=(",", ":"))
        return f"{ident}.{prop}"

    wanted = [key(o) for o in outputs]
    for registered in app.callback_map:
        parts = registered.strip(".").split("...") if registered.startswith("..") else [registered]
        if [p.split("@", 1)[0] for p in parts] == wanted:
            return registered
    # registered at the first request (the page router): the plain key
    return wanted[0] if len(wanted) == 1 else ".." + "...".join(wanted) + ".."


def call(client, outputs, inputs, state=(), triggered=None):
    """One callback request as dash-renderer sends it; returns (status, JSON text)."""
    outs = [_prop(o) for o in outputs]
    body = {
        "output": _output_key(client.application.dash_app, outputs),
        "outputs": outs if len(outs) > 1 else outs[0],
        "inputs": [{**_prop(k), "value": v} for k, v in inputs],
        "state": [{**_prop(k), "value": v} for k, v in state],
        "changedPropIds": [triggered or inputs[0][0]],
    }
    response = client.post("/_dash-update-component", json=body)
    return response.status_code, response.get_data(as_text=True)


def export(client, table, fmt, search, clicks=1):
    """A click on an export button: the pattern-matching input (ALL) arrives as a list of its buttons."""
    button = {"type": ids.export, "table": table, "fmt": fmt}
    key = json.dumps(button, sort_keys=True, separators=(",", ":"))
    body = {
        "output": f"{ids.download}.data",
        "outputs": {"id": ids.download, "property": "data"},
        "inputs": [[{"id": button, "property": "n_clicks", "value": clicks}]],
        "state": [{"id": ids.url, "property": "search", "value": search}],
        "changedPropIds": [f"{key}.n_clicks"],
    }
    response = client.post("/_dash-update-component", json=body)
    return response.status_code, response.get_data(as_text=True)


def url(value):
    return [(f"{ids.url}.search", value)]


PANELS = [
    (
        [
            f"{ids.tiles}.children",
            f"{ids.segments}.rowData",
            f"{ids.incident_categories}.rowData",
            f"{ids.data_time}.children",
        ],
        None,
    ),
    ([f"{ids.map}.children"], None),
    ([f"{ids.league}.rowData"], None),
    ([f"{ids.trend}.figure", f"{ids.trend_note}.children"], None),
    ([f"{ids.egov}.columnDefs", f"{ids.egov}.rowData", f"{ids.egov_trend}.figure"], None),
    (
        [f"{ids.print_filters}.children", f"{ids.lang_link}.href", f"{ids.errors}.children", f"{ids.errors}.hidden"],
        None,
    ),
]


def test_league_and_segments_are_the_engines_numbers(app, engine):
    client = client_as(app, engine, "viewer")
    search = "?period=7d&kec=35.78.01,35.78.02&channel=whatsapp"
    status, body = call(client, [f"{ids.league}.rowData"], url(search))
    assert status == 200
    rows = json.loads(body)["response"][ids.league]["rowData"]
    view = parse_view({"period": "7d", "kec": "35.78.01,35.78.02", "channel": "whatsapp"}, _now())
    with engine.connect() as conn:
        expected = kpi_complaints.opd_league(conn, view.filter, _now())
    assert [(r["opd"], r["within"], r["measured"], r["rate_pct"], r["ci_low_pct"]) for r in rows] == [
        (r["opd"], r["within"], r["measured"], r["rate_pct"], r["ci_low_pct"]) for r in expected
    ]
    status, body = call(client, PANELS[0][0], url(search))
    segments = json.loads(body)["response"][ids.segments]["rowData"]
    figures = _with(engine, briefing_data.headline_panel, view.filter, _now())["incidents"]
    assert segments == tables.segment_rows(figures, "id")
    assert segments[3]["p50"] == figures["response_p50_min"] and segments[3]["target"] == 7.4


def test_exports_hold_the_screens_numbers(app, engine):
    client = client_as(app, engine, "viewer")
    search = "?period=month&opd=DINKES,DLH&lang=en"
    _, body = call(client, [f"{ids.league}.rowData"], url(search))
    screen = json.loads(body)["response"][ids.league]["rowData"]
    assert screen
    files = {}
    for fmt in ("csv", "xlsx"):
        status, body = export(client, "league", fmt, search)
        assert status == 200, body[:300]
        data = json.loads(body)["response"][ids.download]["data"]
        assert data["filename"].startswith("pantau-briefing-league-") and data["filename"].endswith(f"-wib.{fmt}")
        files[fmt] = base64.b64decode(data["content"])
    keys = [c.key for c in tables.TABLES["league"]]
    read = list(csv.reader(io.StringIO(files["csv"].decode("utf-8-sig"))))
    assert read[0][:3] == ["Rank", "Department", "Received"]
    assert [[str(r[k]) if r[k] is not None else "" for k in keys] for r in screen] == read[1:]
    sheet = [[c.value for c in row] for row in load_workbook(io.BytesIO(files["xlsx"])).active.iter_rows()]
    assert sheet[0][0] == "Surabaya City Government"
    assert any(str(row[0]).startswith("Department: DINKES, DLH") for row in sheet)
    header = next(i for i, row in enumerate(sheet) if row[0] == "Rank")
    assert [dict(zip(keys, row)) for row in sheet[header + 1 :]] == [{k: r[k] for k in keys} for r in screen]


def test_a_viewer_never_gets_personal_data(app, engine):
    """Every briefing callback, with a viewer's session and crafted payloads: nothing personal comes back."""
    for role in (None, "viewer"):
        client = client_as(app, engine, role)
        replies = []
        for outputs, _ in PANELS:
            replies.append(call(client, outputs, url("?period=month")))
        replies.append(
            call(client, [f"{ids.complaints}.rowData", f"{ids.complaints_note}.children"], url("?period=month"))
        )
        replies.append(
            call(
                client,
                [f"{ids.history}.children"],
                [(f"{ids.complaints}.selectedRows", [{"complaint_id": "c1"}])],
                state=[(f"{ids.url}.search", "")],
            )
        )
        for fmt in ("csv", "xlsx"):
            replies.append(export(client, "complaints", fmt, ""))
        page = client.get("/briefing?period=month")
        replies.append((page.status_code, page.get_data(as_text=True)))
        replies.append(
            call(
                client,
                ["_pages_content.children", "_pages_store.data"],
                [("_pages_location.pathname", "/briefing"), ("_pages_location.search", "?period=month")],
            )
        )
        for status, body in replies:
            for secret in SECRETS + ("c1-s1",):
                assert secret not in body, (role, status, body[:200])
        personal = replies[len(PANELS) : len(PANELS) + 4]
        # the login gate turns the anonymous away (401) before any callback; the viewer is refused by the callback
        assert all(status == (204 if role else 401) for status, _ in personal), [(role, s) for s, _ in personal]
        if role == "viewer":  # aggregates still flow, and the page the router draws has no officer panel
            assert all(status == 200 for status, _ in replies[: len(PANELS)])
            assert replies[-1][0] == 200 and ids.league in replies[-1][1] and ids.complaints not in replies[-1][1]


def test_an_officer_sees_the_list_and_the_history(app, engine):
    client = client_as(app, engine, "officer")
    status, body = call(client, [f"{ids.complaints}.rowData", f"{ids.complaints_note}.children"], url("?period=7d"))
    assert status == 200
    rows = json.loads(body)["response"][ids.complaints]["rowData"]
    with engine.connect() as conn:
        received = kpi_complaints.period_figures(conn, parse_view({"period": "7d"}, _now()).filter, _now())["received"]
    assert len(rows) == received and {r["reporter_name"] for r in rows} >= {SECRETS[0]}
    status, body = call(
        client,
        [f"{ids.history}.children"],
        [(f"{ids.complaints}.selectedRows", [{"complaint_id": "c1"}])],
        state=[(f"{ids.url}.search", "")],
    )
    assert status == 200 and all(s in body for s in SECRETS)
    status, body = call(
        client,
        ["_pages_content.children", "_pages_store.data"],
        [("_pages_location.pathname", "/briefing"), ("_pages_location.search", "")],
    )
    assert status == 200 and ids.complaints in body
    for forged in ([{"complaint_id": "c1' OR '1'='1"}], "c1", [{"complaint_id": None}], [{"complaint_id": "nope"}]):
        status, body = call(
            client,
            [f"{ids.history}.children"],
            [(f"{ids.complaints}.selectedRows", forged)],
            state=[(f"{ids.url}.search", "")],
        )
        assert status in (200, 204) and SECRETS[0] not in body
    status, body = export(client, "complaints", "csv", "?period=7d")
    content = base64.b64decode(json.loads(body)["response"][ids.download]["data"]["content"]).decode("utf-8-sig")
    assert SECRETS[0] in content and len(list(csv.reader(io.StringIO(content)))) == received + 1


def test_bad_requests_get_errors_not_data(app, engine):
    client = client_as(app, engine, "officer")
    status, body = call(client, [f"{ids.league}.rowData"], url("?period=custom&from=1999-01-01&to=x&kec=<script>"))
    assert status == 200 and "<script>" not in body  # bad values dropped: the default period, every kecamatan
    status, body = call(client, PANELS[5][0], url("?kec=99"))
    reply = json.loads(body)["response"]
    assert reply[ids.errors]["hidden"] is False and "kec" in reply[ids.errors]["children"]
    for table, fmt, clicks in (
        ("users", "csv", 1),
        ("league", "pdf", 1),
        ("../etc/passwd", "xlsx", 1),
        ("league", "csv", "1"),
        ("league", "csv", None),
    ):
        status, _ = export(client, table, fmt, "", clicks)
        assert status == 204

    def map_click(click_data, current):
        graph = {"type": ids.map_graph, "key": "k1"}
        body = {
            "output": _output_key(app, [f"{ids.kec}.value"]),
            "outputs": {"id": ids.kec, "property": "value"},
            "inputs": [[{"id": graph, "property": "clickData", "value": click_data}]],
            "state": [{"id": ids.kec, "property": "value", "value": current}],
            "changedPropIds": [json.dumps(graph, sort_keys=True, separators=(",", ":")) + ".clickData"],
        }
        response = client.post("/_dash-update-component", json=body)
        return response.status_code, response.get_data(as_text=True)

    status, body = map_click({"points": [{"location": "35.78.02"}]}, [])
    assert json.loads(body)["response"][ids.kec]["value"] == ["35.78.02"]
    status, body = map_click({"points": [{"location": "35.78.02"}]}, ["35.78.02"])
    assert json.loads(body)["response"][ids.kec]["value"] == []
    for forged in ({"points": [{"location": "DROP"}]}, {"points": []}, "35.78.02", None):
        assert map_click(forged, [])[0] == 204


def test_league_click_drills_down_to_a_department(app, engine):
    client = client_as(app, engine, "viewer")

    def click(cell, current):
        return call(
            client, [f"{ids.opd}.value"], [(f"{ids.league}.cellClicked", cell)], state=[(f"{ids.opd}.value", current)]
        )

    status, body = click({"colId": "opd", "value": "DINKES", "rowIndex": 1}, [])
    assert status == 200 and json.loads(body)["response"][ids.opd]["value"] == ["DINKES"]
    status, body = click({"colId": "opd", "value": "DINKES"}, ["DINKES"])
    assert json.loads(body)["response"][ids.opd]["value"] == []
    for forged in (
        {"colId": "opd", "value": "A,B"},
        {"colId": "opd", "value": "Not yet assigned"},
        {"colId": "rank", "value": 1},
        {"colId": "opd", "value": ["x"]},
        "DINKES",
        None,
    ):
        assert click(forged, [])[0] == 204


def test_controls_write_the_url_and_an_empty_database_still_draws(settings, engine, redis_client):
    from web.factory import create_app

    app = create_app(settings, engine=engine, redis_client=redis_client)  # nothing stored yet
    client = client_as(app, engine, "viewer")
    controls = [
        f"{ids.period}.value",
        f"{ids.dates}.start_date",
        f"{ids.dates}.end_date",
        f"{ids.opd}.value",
        f"{ids.kec}.value",
        f"{ids.channel}.value",
        f"{ids.category}.value",
        f"{ids.incident}.value",
    ]
    values = ["custom", "2026-11-02", "2026-11-05T00:00:00", ["DLH"], ["35.78.01"], [], None, ["fire", "bogus"]]
    status, body = call(
        client,
        [f"{ids.url}.search", f"{ids.dates_box}.hidden"],
        list(zip(controls, values)),
        state=[(f"{ids.url}.search", "?lang=en")],
    )
    reply = json.loads(body)["response"]
    # a value outside the allowlist is dropped with its whole list, never passed on; so is a department the
    # data does not hold (nothing is stored yet: DLH does not exist)
    assert reply[ids.url]["search"] == "?period=custom&from=2026-11-02&to=2026-11-05&kec=35.78.01&lang=en"
    assert reply[ids.dates_box]["hidden"] is False
    for outputs, _ in PANELS:
        status, body = call(client, outputs, url("?period=today"))
        assert status == 200, (outputs, body[:300])
    _, body = call(client, PANELS[0][0], url("?period=today"))
    assert "–" in body and json.loads(body)["response"][ids.segments]["rowData"][3]["p50"] is None
