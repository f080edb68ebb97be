"""The wall's PPID board: information requests due today and overdue, with working-day countdowns across
weekends, national holidays and cuti bersama, on SQLite and PostgreSQL; codes and numbers only."""

from __future__ import annotations

import datetime as dt
import json

from callbacks import wall as wall_callbacks
from data_sources.views import wall as wall_feed
from layouts import wall_panels
from tests.integration.test_live_feed import services_context
from tests.support.info_data import SECRETS, load_info, mixed_requests, request_events

WIB = dt.timezone(dt.timedelta(hours=7))
# Monday 28 December 2026, 10:00 WIB: 24 December is cuti bersama, 25 December Christmas
NOW = dt.datetime(2026, 12, 28, 10, 0, tzinfo=WIB).astimezone(dt.UTC)


def wib(day: int, month: int = 12, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=WIB)


def end_of(day: int) -> int:
    return int(dt.datetime(2026, 12, day, 23, 59, 59, tzinfo=WIB).timestamp() * 1000)


def seed(engine):
    events = []
    # received Thu 10 Dec: the 10th working day after is Mon 28 Dec (24 and 25 Dec are off): due today
    events += request_events("PPID-TODAY", "DINKES", wib(10))
    # received Tue 1 Dec: due Tue 15 Dec; 16-18, 21-23 and 28 Dec are working days: seven late
    events += request_events("PPID-LATE", "DISKOMINFO", wib(1), kind="anggaran")
    # received 1 Dec, extended on 9 Dec: due the 7th working day after 15 Dec (16-18, 21-23, 28): due today
    events += request_events("PPID-EXT", "BAPPEDALITBANG", wib(1), [(wib(9), "extended")])
    # extended after its deadline: moves nothing, so it is as late as PPID-LATE
    events += request_events("PPID-EXT-LATE", "DINKES", wib(1), [(wib(16), "extended")])
    # answered, or not yet due (received 11 Dec: due 29 Dec): not on the board
    events += request_events("PPID-DONE", "DINKES", wib(1), [(wib(3), "granted")])
    events += request_events("PPID-NEXT", "DINKES", wib(11))
    # answered after `now`: still open at `now`
    events += request_events("PPID-LATER", "DPRKPP", wib(14), [(wib(29), "rejected")])
    load_info(engine, events)


def test_due_today_and_overdue_with_working_day_countdowns(engine, settings):
    seed(engine)
    snap = wall_feed.wall_snapshot(engine, settings, NOW)
    board = snap["ppid"]
    assert (board["overdue"], board["due_today"]) == (2, 2)
    assert [(r["request_id"], r["days_left"], r["due_ms"]) for r in board["items"]] == [
        ("PPID-EXT-LATE", -7, end_of(15)),
        ("PPID-LATE", -7, end_of(15)),
        ("PPID-EXT", 0, end_of(28)),
        ("PPID-TODAY", 0, end_of(28)),
    ]
    assert [r["extended"] for r in board["items"]] == [False, False, True, False]
    # the next working day starts Tuesday 29 December 00:00 WIB
    assert board["next_workday_ms"] == int(dt.datetime(2026, 12, 29, tzinfo=WIB).timestamp() * 1000)
    # only codes and numbers
    assert set(board["items"][0]) == {"request_id", "opd", "information_kind", "extended", "due_ms", "days_left"}
    everything = json.dumps(snap)
    assert not [s for s in SECRETS if s in everything]


def test_board_panel_says_the_lateness_in_working_days(engine, settings):
    seed(engine)
    snap = wall_feed.wall_snapshot(engine, settings, NOW)
    panel = wall_panels.ppid_board(snap, "id", int(NOW.timestamp() * 1000))
    text = json.dumps(panel.children(), default=lambda o: o.to_plotly_json())
    assert "2 lewat batas" in text and "2 jatuh tempo hari ini" in text
    assert text.count("lewat 7 hari kerja") == 2 and text.count('"hari ini"') == 2 and "diperpanjang" in text
    assert [key for key, _ in panel.rows] == ["PPID-EXT-LATE", "PPID-LATE", "PPID-EXT", "PPID-TODAY"]
    english = json.dumps(
        wall_panels.ppid_board(snap, "en", int(NOW.timestamp() * 1000)).children(), default=lambda o: o.to_plotly_json()
    )
    assert "7 working days late" in english and "2 overdue" in english
    empty = wall_panels.ppid_board({"ppid": {"overdue": 0, "due_today": 0, "items": []}}, "id")
    assert empty.rows is None and "Tidak ada permohonan" in json.dumps(empty.empty.to_plotly_json(), default=str)


def test_the_wall_refresh_carries_no_requester_nor_request_text(engine, settings, redis_client):
    load_info(engine, mixed_requests(dt.datetime.now(dt.UTC)))
    with services_context(settings, engine, redis_client):
        first = wall_callbacks.refresh({"known": None}, "")
        again = wall_callbacks.refresh({"known": None}, "?lang=en")
    for answer in (first, again):
        body = json.dumps(answer, default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o))
        assert "PPID-" in body  # the board is there
        assert not [s for s in SECRETS if s in body]
