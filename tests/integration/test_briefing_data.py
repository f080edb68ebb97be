"""The briefing's panel data and files against the KPI engine, on SQLite and PostgreSQL."""

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from dashboard import briefing_tables as tables
from dashboard.briefing import parse_search, parse_view, previous_filter, to_search, view_from_controls
from dashboard.filters import make_filter
from data_sources.kpi import complaints as kpi_complaints
from data_sources.kpi import egov as kpi_egov
from data_sources.kpi import incidents as kpi_incidents
from data_sources.kpi.cache import KpiCache
from data_sources.kpi.headline import headline
from data_sources.store.models import Complaint, EgovReading
from data_sources.views import briefing as briefing_data
from tests.support.kpi_data import NOW, complaint, incident, load

H = dt.timedelta(hours=1)


def _with(engine, panel, *args):
    with engine.connect() as conn:
        return panel(conn, *args)


OPDS = ("DSDABM", "DINKES", "DLH")


def seed(engine):
    complaints, incidents = [], []
    for i in range(120):
        created = NOW - (i * 1.7 + 0.5) * H
        answered = None if i % 7 == 0 else (i % 30) + 0.5  # some past 24 h, some unanswered
        complaints.append(
            complaint(
                f"c{i}",
                created,
                first_response_h=answered,
                resolved_h=(answered + 3) if answered and i % 3 else None,
                channel=("whatsapp", "sms", "app")[i % 3],
                category=("jalan_rusak", "sampah")[i % 2],
                opd=OPDS[i % 3] if i % 11 else None,
                kecamatan=("35.78.01", "35.78.02", None)[i % 3],
            )
        )
    for i in range(60):
        reported = NOW - (i * 3.1 + 0.2) * H
        incidents.append(
            incident(
                f"i{i}",
                reported,
                response_min=3 + (i % 9) if i % 5 else None,
                answer_s=4 + i % 20,
                dispatch_min=1 + (i % 4) * 0.5,
                scene_min=20,
                category=("fire", "flood", "medical")[i % 3],
                kecamatan=("35.78.01", "35.78.03")[i % 2],
            )
        )
    load(engine, complaints, incidents)
    with engine.begin() as conn:
        conn.execute(
            insert(EgovReading.__table__),
            [
                dict(
                    domain="budgeting",
                    metric="apbd_realization_pct",
                    opd=opd,
                    period=f"2026-{m:02d}",
                    value=60.0 + m + j,
                    target=80.0,
                    unit="pct",
                    occurred_at=NOW,
                    event_id=f"e-{opd}-{m}",
                )
                for j, opd in enumerate(OPDS)
                for m in range(1, 12)
            ],
        )


FILTERS = [
    {},
    {"opd": "DSDABM"},
    {"kec": "35.78.01,unknown", "channel": "whatsapp,sms"},
    {"category": "sampah", "incident": "fire,flood"},
    {"period": "custom", "from": "2026-11-20", "to": "2026-11-27"},
    {"period": "today"},
    {"period": "month", "opd": "DLH", "kec": "35.78.02"},
]


@pytest.mark.parametrize("query", FILTERS)
def test_panels_give_the_engines_numbers(engine, query):
    seed(engine)
    view = parse_view(query, NOW)
    assert not view.errors
    f = view.filter
    data = {
        "current": _with(engine, briefing_data.headline_panel, f, NOW),
        "previous": _with(engine, briefing_data.previous_panel, f, NOW),
    }
    league = _with(engine, briefing_data.league_panel, f, NOW)
    trend = _with(engine, briefing_data.trend_panel, f, NOW)
    with engine.connect() as conn:
        expected = headline(conn, f, NOW)
        expected_league = kpi_complaints.opd_league(conn, f, NOW)
        before = kpi_complaints.period_figures(conn, previous_filter(f), NOW)
        before_incidents = kpi_incidents.period_figures(conn, previous_filter(f), NOW, groups=False)
        per_opd = {
            o: kpi_complaints.period_figures(
                conn,
                make_filter(
                    date_from=f.date_from,
                    date_to=f.date_to,
                    opd=o,
                    kecamatan=f.kecamatan,
                    channel=f.channel,
                    category=f.category,
                ),
                NOW,
            )
            for o in OPDS
        }
    assert data["current"] == expected
    before.pop("by_kecamatan")
    assert data["previous"]["complaints"] == before
    assert data["previous"]["incidents"] == before_incidents
    ours = {
        r["opd"]: {
            k: r[k]
            for k in r
            if k not in ("rank", "received", "open", "overdue_open", "first_response_p50_h", "first_response_p90_h")
        }
        for r in league
    }
    assert ours == {r["opd"]: {**r, "ranked": r["ranked"] and r["opd"] != "unassigned"} for r in expected_league}
    assert [r["opd"] for r in league if r["opd"] != "unassigned"] == [
        r["opd"] for r in expected_league if r["opd"] != "unassigned"
    ]
    if "unassigned" in ours:
        assert league[-1]["opd"] == "unassigned" and league[-1]["rank"] is None
    assert [r["rank"] for r in league if r["rank"]] == list(range(1, 1 + sum(1 for r in league if r["rank"])))
    for row in league:
        if row["opd"] in per_opd:
            figures = per_opd[row["opd"]]
            assert row["received"] == figures["received"]
            assert row["first_response_p50_h"] == figures["first_response_p50_h"]
            assert row["first_response_p90_h"] == figures["first_response_p90_h"]
            assert row["rate_pct"] == figures["responded_within_sla_pct"]
    # the backlog: every complaint open now under the value filters (any creation date), and the overdue
    value_filters = make_filter(opd=f.opd, kecamatan=f.kecamatan, channel=f.channel, category=f.category)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Complaint.__table__.c.opd, Complaint.__table__.c.first_response_at, Complaint.__table__.c.due_at
            ).where(
                *kpi_complaints.complaint_where(value_filters, with_period=False),
                Complaint.__table__.c.is_open.is_(True),
            )
        ).all()
    for row in league:
        mine = [r for r in rows if (r.opd or "unassigned") == row["opd"]]
        assert row["open"] == len(mine)
        assert row["overdue_open"] == sum(1 for r in mine if r.first_response_at is None and r.due_at <= NOW)
    series = trend["series"]
    assert len(series) == view.days
    assert sum(p["received"] for p in series) == expected["complaints"]["received"]
    assert sum(p["incidents"] for p in series) == expected["incidents"]["reported"]
    assert sum(p["within"] for p in series) == expected["complaints"]["answered_within_sla"]
    # each day's figures are the engine's figures for that day
    day = next((p for p in series if p["received"]), None)
    if day:
        d = dt.date.fromisoformat(day["bucket"])
        one = make_filter(
            date_from=d,
            date_to=d + dt.timedelta(days=1),
            opd=f.opd,
            kecamatan=f.kecamatan,
            channel=f.channel,
            category=f.category,
            incident_category=f.incident_category,
        )
        with engine.connect() as conn:
            c = kpi_complaints.period_figures(conn, one, NOW)
            i = kpi_incidents.period_figures(conn, one, NOW)
        assert (day["received"], day["sla_pct"], day["first_response_p50_h"]) == (
            c["received"],
            c["responded_within_sla_pct"],
            c["first_response_p50_h"],
        )
        assert (day["incidents"], day["response_p50_min"], day["response_p90_min"]) == (
            i["reported"],
            i["response_p50_min"],
            i["response_p90_min"],
        )


def test_weekly_trend_and_egov_panel(engine):
    seed(engine)
    view = parse_view({"period": "custom", "from": "2026-06-01", "to": "2026-11-27"}, NOW)
    trend = _with(engine, briefing_data.trend_panel, view.filter, NOW)
    assert trend["weekly"] and all(dt.date.fromisoformat(p["bucket"]).weekday() == 0 for p in trend["series"])
    with engine.connect() as conn:
        expected = headline(conn, view.filter, NOW)
    assert sum(p["received"] for p in trend["series"]) == expected["complaints"]["received"]
    egov = _with(engine, briefing_data.egov_panel, make_filter(opd="DINKES"))
    with engine.connect() as conn:
        assert egov["latest"] == kpi_egov.latest(conn, opd=("DINKES",))
    assert {r["opd"] for r in egov["latest"]} == {"DINKES", "ALL"}
    assert len(egov["trends"]["budgeting/apbd_realization_pct"]) == 11
    assert _with(engine, briefing_data.opd_codes) == sorted(OPDS)


def test_panel_is_computed_once_per_filter_and_version(engine, redis_client, settings):
    seed(engine)
    cache = KpiCache(redis_client, settings)
    f = parse_view({}, NOW).filter
    calls = []

    def compute():
        calls.append(1)
        return _with(engine, briefing_data.league_panel, f, NOW)

    first = briefing_data.cached(cache, "league", f, NOW, compute)
    other_worker = KpiCache(redis_client, settings)
    assert briefing_data.cached(other_worker, "league", f, NOW, compute) == first
    assert len(calls) == 1
    briefing_data.cached(cache, "league", parse_view({"opd": "DLH"}, NOW).filter, NOW, compute)
    assert len(calls) == 2


def test_url_round_trip_and_validation():
    for query in FILTERS + [{"lang": "en", "period": "7d", "opd": "DINKES,DLH"}]:
        view = parse_view(query, NOW)
        again = parse_view(parse_search(to_search(view)), NOW)
        assert again == view
    bad = parse_view(
        {"period": "year", "kec": "35.78.99", "channel": "pigeon", "opd": "x'; drop", "lang": "fr", "incident": "fire"},
        NOW,
    )
    assert bad.period == "7d" and bad.lang == "id"
    assert bad.filter.kecamatan == () and bad.filter.channel == () and bad.filter.opd == ()
    assert bad.filter.incident_category == ("fire",)
    assert len(bad.errors) == 4
    assert parse_view({"period": "custom", "from": "2026-11-27", "to": "2026-11-01"}, NOW).errors
    assert parse_search("?" + "a=b&" * 5000) == {}
    assert parse_search(None) == {}
    controls = view_from_controls(
        "custom", "2026-11-02T00:00:00", "2026-11-05", "id", NOW, kec=["35.78.01"], opd="DLH", channel=None
    )
    assert (controls.filter.date_from, controls.filter.date_to) == (dt.date(2026, 11, 2), dt.date(2026, 11, 6))
    assert to_search(controls) == "?period=custom&from=2026-11-02&to=2026-11-05&opd=DLH&kec=35.78.01"
    month = parse_view({"period": "month"}, NOW)
    assert (month.filter.date_from, month.filter.date_to) == (dt.date(2026, 11, 1), dt.date(2026, 11, 28))
    assert previous_filter(month.filter).date_from == dt.date(2026, 10, 5)


def test_exports_hold_the_tables_numbers(engine):
    seed(engine)
    view = parse_view({}, NOW)
    rows = tables.league_rows(_with(engine, briefing_data.league_panel, view.filter, NOW), "id")
    assert rows
    from dashboard.briefing import filter_lines

    lines = filter_lines(view, "id")
    body = tables.to_xlsx("league", rows, "id", title="Peringkat OPD", data_time=NOW, filters=lines)
    ws = load_workbook(io.BytesIO(body)).active
    values = [[c.value for c in r] for r in ws.iter_rows()]
    assert values[0][0] == "Pemerintah Kota Surabaya"
    assert any(str(v[0]).startswith("Data per: 27 Nov 2026 19.00 WIB") for v in values)
    assert any(str(v[0]).startswith("Periode: 7 hari: 21 Nov 2026 – 27 Nov 2026") for v in values)
    header = next(i for i, v in enumerate(values) if v[0] == "Peringkat")
    keys = [c.key for c in tables.TABLES["league"]]
    assert [dict(zip(keys, v)) for v in values[header + 1 :]] == rows
    text = tables.to_csv("league", rows, "en").decode("utf-8-sig")
    read = list(csv.reader(io.StringIO(text)))
    assert read[0][0] == "Rank" and len(read) == len(rows) + 1
    for got, want in zip(read[1:], rows):
        for key, value in zip(keys, got):
            assert value == ("" if want[key] is None else str(want[key]))
    assert tables.file_name("league", NOW, "csv") == "pantau-briefing-league-2026-11-27-1900-wib.csv"


def test_trend_buckets_split_at_wib_midnight(engine):
    """A day's bucket is its WIB date (PostgreSQL reads each bucket's UTC range, SQLite groups by the date):
    a complaint or report at 00:00 WIB opens the day, one a millisecond before ends the day before, and a
    week opens on Monday at 00:00 WIB (Sunday 17:00 UTC)."""
    tuesday = dt.datetime(2026, 11, 16, 17, 0, tzinfo=dt.UTC)  # Tuesday 2026-11-17 00:00 WIB
    monday = dt.datetime(2026, 11, 15, 17, 0, tzinfo=dt.UTC)  # Monday 2026-11-16 00:00 WIB
    ms = dt.timedelta(milliseconds=1)
    times = [tuesday - ms, tuesday, tuesday + ms, monday - ms, monday]
    load(
        engine,
        [complaint(f"b{i}", t, first_response_h=i + 1.0) for i, t in enumerate(times)],
        [incident(f"j{i}", t, response_min=5 + i) for i, t in enumerate(times)],
    )
    daily = _with(
        engine,
        briefing_data.trend_panel,
        make_filter(date_from=dt.date(2026, 11, 14), date_to=dt.date(2026, 11, 19)),
        NOW,
    )
    received = {p["bucket"]: (p["received"], p["incidents"]) for p in daily["series"]}
    assert received == {
        "2026-11-14": (0, 0),
        "2026-11-15": (1, 1),
        "2026-11-16": (2, 2),
        "2026-11-17": (2, 2),
        "2026-11-18": (0, 0),
    }
    weekly = _with(
        engine,
        briefing_data.trend_panel,
        make_filter(date_from=dt.date(2026, 8, 1), date_to=dt.date(2026, 11, 27)),
        NOW,
    )
    weeks = {p["bucket"]: p["received"] for p in weekly["series"] if p["received"]}
    assert weeks == {"2026-11-09": 1, "2026-11-16": 4}
