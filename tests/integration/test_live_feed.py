"""The live page's queries and its refresh logic, against real Redis and real SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import dash
import flask
import pytest
from sqlalchemy import create_engine

from callbacks import live as live_callbacks
from dashboard import i18n
from data_sources.redis_keys import data_epoch_key, data_version_key
from data_sources.services import EXTENSION_KEY, Services
from data_sources.stream.producer import publish
from data_sources.stream.version import data_version
from data_sources.views.live import LiveSnapshot, live_snapshot
from tests.conftest import make_event

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
PERSONAL = (
    "Siti Aminah",
    "081234567890",
    "3578015506880002",
    "Lampu mati di depan rumah saya",
    "Budi Santoso",
    "081298765432",
    "Rumah terbakar di gang 3",
    "Tolong cepat",
    "Jl. Kenanga 7",
)


def at(hours_ago: float) -> str:
    return (NOW - dt.timedelta(hours=hours_ago)).isoformat()


def complaint(cid: str, hours_ago: float, category: str = "penerangan_jalan", **extra) -> dict:
    data = {"complaint_id": cid, "channel": "whatsapp", "category": category, "kecamatan": "Gubeng", **extra}
    return make_event(f"{cid}-created", "complaint.created", data, occurred_at=at(hours_ago))


def status(cid: str, value: str, hours_ago: float, **extra) -> dict:
    return make_event(
        f"{cid}-{value}", "complaint.status", {"complaint_id": cid, "status": value, **extra}, occurred_at=at(hours_ago)
    )


def incident(iid: str, category: str, hours_ago: float, **extra) -> dict:
    data = {"incident_id": iid, "category": category, "priority": 1, "kecamatan": "35.78.09", **extra}
    return make_event(f"{iid}-reported", "incident.reported", data, occurred_at=at(hours_ago))


EVENTS = [
    # unanswered for two days: past the 1x24 h deadline
    complaint(
        "MC-1",
        48,
        reporter={
            "name": "Siti Aminah",
            "phone": "081234567890",
            "nik": "3578015506880002",
            "address": "Jl. Kenanga 7",
        },
        text="Lampu mati di depan rumah saya",
    ),
    # answered late but answered: open, not overdue
    complaint("MC-2", 30, "jalan_rusak"),
    status("MC-2", "responded", 26, note="Tolong cepat"),
    # fresh: the next one to cross its deadline
    complaint("MC-3", 2, "sampah"),
    complaint("MC-4", 50, "sampah"),
    status("MC-4", "resolved", 40),
    incident(
        "112-1",
        "fire",
        1,
        caller={"name": "Budi Santoso", "phone": "081298765432"},
        description="Rumah terbakar di gang 3",
    ),
    incident("112-2", "fire", 3),
    make_event("112-2-closed", "incident.closed", {"incident_id": "112-2", "outcome": "handled"}, occurred_at=at(2.5)),
    incident("112-3", "flood", 0.5),
    make_event(
        "kpi-1",
        "egov.kpi",
        {"domain": "budgeting", "metric": "apbd_realization_pct", "opd": "ALL", "period": "2026-11", "value": 71.5},
        occurred_at=at(0.25),
    ),
]


@pytest.fixture
def ingested(settings, redis_client, ingest_until_idle):
    for event in EVENTS:
        publish(redis_client, settings, event)
    ingest_until_idle()


def test_counts_of_open_complaints_and_active_incidents(engine, ingested):
    snapshot = live_snapshot(engine, NOW)
    assert snapshot.open_complaints == 3
    assert snapshot.overdue_complaints == 1
    assert snapshot.next_due_at == NOW - dt.timedelta(hours=2) + dt.timedelta(hours=24)
    assert snapshot.active_incidents == 2
    assert snapshot.active_incidents_by_category == {"fire": 1, "flood": 1}
    assert snapshot.last_event_at == NOW - dt.timedelta(hours=0.25)
    # a day later, the fresh complaint is overdue too
    assert live_snapshot(engine, NOW + dt.timedelta(hours=23)).overdue_complaints == 2


def test_newest_events_carry_codes_and_no_personal_data(engine, ingested):
    snapshot = live_snapshot(engine, NOW, newest=5)
    # one batch shares its processed_at: the occurrence time orders it
    assert [e.event_id for e in snapshot.newest_events] == [
        "kpi-1",
        "112-3-reported",
        "112-1-reported",
        "MC-3-created",
        "112-2-closed",
    ]
    by_id = {e.event_id: e for e in live_snapshot(engine, NOW).newest_events}
    assert (by_id["112-1-reported"].category, by_id["112-1-reported"].kecamatan_code) == ("fire", "35.78.09")
    assert (by_id["MC-1-created"].category, by_id["MC-1-created"].kecamatan_code) == ("penerangan_jalan", "35.78.08")
    assert by_id["MC-2-responded"].category == "jalan_rusak"
    assert by_id["kpi-1"].category == "budgeting" and by_id["kpi-1"].kecamatan_code is None
    everything = json.dumps(live_snapshot(engine, NOW, newest=100).to_json())
    for secret in PERSONAL:
        assert secret not in everything


def test_snapshot_survives_its_json_round_trip(engine, ingested):
    snapshot = live_snapshot(engine, NOW)
    assert LiveSnapshot.from_json(json.loads(json.dumps(snapshot.to_json()))) == snapshot


def test_an_empty_store_and_a_producer_clock_far_ahead(engine, settings, redis_client, ingest_until_idle):
    empty = live_snapshot(engine, NOW)
    assert (empty.open_complaints, empty.overdue_complaints, empty.active_incidents) == (0, 0, 0)
    assert empty.newest_events == () and empty.last_event_at is None and empty.next_due_at is None
    publish(redis_client, settings, incident("112-9", "other", -48))
    publish(redis_client, settings, incident("112-8", "other", 1))
    ingest_until_idle()
    assert live_snapshot(engine, NOW).last_event_at == NOW - dt.timedelta(hours=1)


# --- the refresh callback: re-query only when the data changed ----------------------------------


def services_context(settings, engine, redis_client):
    """What a callback sees of its app; a bare Flask app, since Dash apps share one callback registry."""
    server = flask.Flask(__name__)
    server.extensions[EXTENSION_KEY] = Services(settings, engine, redis_client)
    return server.app_context()


@pytest.fixture
def app_context(settings, engine, redis_client):
    with services_context(settings, engine, redis_client):
        yield


def test_refresh_renders_once_per_data_version(app_context, settings, redis_client, ingested):
    body, known, feed, beat = live_callbacks.refresh(0, "", None)
    assert beat["ok"] and known["version"] == data_version(redis_client, settings)
    assert known["lang"] == "id" and "Aduan terbuka" in json.dumps(body, default=str)
    assert feed["last_event_ms"] == int((NOW - dt.timedelta(hours=0.25)).timestamp() * 1000)
    unchanged = live_callbacks.refresh(1, "", known)
    assert unchanged[:3] == (dash.no_update,) * 3 and unchanged[3]["ok"]
    english = live_callbacks.refresh(2, "?lang=en", known)
    assert english[1]["lang"] == "en" and "Open complaints" in json.dumps(english[0], default=str)
    redis_client.incr(data_version_key(settings))
    assert (
        live_callbacks.refresh(3, "", known)[1]["version"] == data_version(redis_client, settings) != known["version"]
    )


def test_a_redis_that_came_back_empty_never_matches_what_the_browser_shows(
    app_context, settings, redis_client, ingested
):
    _, known, _, _ = live_callbacks.refresh(0, "", None)
    redis_client.delete(data_epoch_key(settings), data_version_key(settings))  # a restart without persistence
    for _ in range(int(known["version"].split(":")[1])):
        redis_client.incr(data_version_key(settings))  # the counter climbs back to the very same number
    body, again, _, _ = live_callbacks.refresh(1, "", known)
    assert body is not dash.no_update and again["version"] != known["version"]


@pytest.mark.parametrize(
    "search, known",
    [
        ({"lang": "en"}, "x"),
        ("?lang=../../etc", {"version": True, "lang": "id", "until_ms": 1e20}),
        ("?lang=" + "e" * 5000, ["a"]),
        (None, {"version": "1", "until_ms": None}),
        (7, {"version": 10**30}),
    ],
)
def test_forged_inputs_fall_back_to_a_plain_render(app_context, search, known):
    body, new_known, _, beat = live_callbacks.refresh("forged", search, known)
    assert beat["ok"] and new_known["lang"] == "id" and body is not dash.no_update


def test_a_database_that_is_down_keeps_the_last_data(settings, redis_client):
    broken = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", pool_pre_ping=True)
    with services_context(settings, broken, redis_client):
        redis_client.incr(data_version_key(settings))
        body, known, feed, beat = live_callbacks.refresh(0, "", None)
    assert (body, known, feed) == (dash.no_update,) * 3 and beat["ok"] is False


def test_indonesian_formats():
    moment = dt.datetime(2026, 11, 27, 1, 15, 2, tzinfo=dt.UTC)
    assert i18n.format_datetime(moment) == "27 Nov 2026 08.15 WIB"
    assert i18n.format_datetime(moment, "en") == "27 Nov 2026 08:15 WIB"
    assert i18n.format_date_long(moment) == "Jumat, 27 November 2026"
    assert i18n.format_number(1234.5, "id", 1) == "1.234,5" and i18n.format_number(1234.5, "en", 1) == "1,234.5"
    assert (
        i18n.format_metric(79.6, "pct"),
        i18n.format_metric(1.25e9, "idr", "en"),
        i18n.format_metric(None, "pct"),
    ) == ("79,6%", "IDR 1.2 bn", "–")
    assert i18n.label("incident_category", "fire") == "Kebakaran"
    assert i18n.label("complaint_category", "pohon_tumbang") == "Pohon tumbang"
    assert i18n.kecamatan_name("35.78.08") == "Gubeng" and i18n.kecamatan_name(None) == "Lokasi tidak diketahui"
    assert i18n.format_ago(-30) == "baru saja" and i18n.format_ago(150, "en") == "2 min ago"
    assert i18n.t("figure.overdue_unanswered.count", "xx", n=3).startswith("3 lewat")
    assert all(len(pair) == 2 and all(pair) for pair in i18n.TEXTS.values())
