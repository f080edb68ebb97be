"""The PPID clocks of UU KIP 14/2008 (dashboard/ppid.py) and the contract of the `info` stream."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dashboard.events import InvalidEvent, parse_event
from dashboard.ppid import (
    InfoStatusEvent,
    answer_deadline,
    calendar_from_settings,
    extended_deadline,
    info_request_state,
    objection_deadline,
    working_days_between,
    working_days_left,
)
from tests.conftest import make_event

WIB = dt.timezone(dt.timedelta(hours=7))
CAL = calendar_from_settings(None)


def wib(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WIB).astimezone(dt.UTC)


def test_the_deadline_skips_weekends_holidays_and_cuti_bersama_around_idul_fitri_2026():
    # Nyepi (18 cuti, 19), Idul Fitri (20 cuti, 21, 22, 23 cuti, 24 cuti), Good Friday 3 April
    due = answer_deadline(wib(2026, 3, 16, 9, 0), CAL)
    assert due == wib(2026, 4, 7, 23, 59, 59)
    assert extended_deadline(due, CAL) == wib(2026, 4, 16, 23, 59, 59)


def test_the_day_of_receipt_is_the_wib_day():
    # 00:30 WIB on Monday is still Sunday in UTC: counting from Sunday would end a working day early
    assert answer_deadline(wib(2026, 3, 16, 0, 30), CAL) == wib(2026, 4, 7, 23, 59, 59)
    # received on a Saturday: the ten days start on Monday
    assert answer_deadline(wib(2026, 11, 28, 10, 0), CAL) == wib(2026, 12, 11, 23, 59, 59)


def test_objection_deadline_is_thirty_working_days():
    # from Monday 4 May 2026: Ascension (14, 15 cuti), Idul Adha (27, 28 cuti), 1 June, Islamic New Year (16 June)
    assert objection_deadline(wib(2026, 5, 4, 10, 0), CAL) == wib(2026, 6, 23, 23, 59, 59)


def test_working_days_between_and_countdown():
    assert working_days_between(dt.date(2026, 3, 16), dt.date(2026, 3, 16), CAL) == 0
    assert working_days_between(dt.date(2026, 3, 16), dt.date(2026, 3, 25), CAL) == 2
    assert working_days_between(dt.date(2026, 3, 25), dt.date(2026, 3, 16), CAL) == -2
    due = wib(2026, 4, 7, 23, 59, 59)
    assert working_days_left(wib(2026, 4, 7, 8, 0), due, CAL) == 0
    assert working_days_left(wib(2026, 4, 2, 8, 0), due, CAL) == 2  # 3 April is Good Friday
    assert working_days_left(wib(2026, 4, 9, 8, 0), due, CAL) == -2


def status(at, seq, name, exemption=None):
    return InfoStatusEvent(at, seq, name, exemption)


def test_only_the_first_extension_before_the_deadline_and_the_answer_moves_it():
    received = wib(2026, 3, 16, 9, 0)
    state = info_request_state(
        received,
        [status(wib(2026, 4, 9, 8, 0), 2, "extended"), status(wib(2026, 4, 1, 8, 0), 1, "extended")],
        CAL,
    )
    assert state.extended_at == wib(2026, 4, 1, 8, 0) and state.due_at == wib(2026, 4, 16, 23, 59, 59)
    late = info_request_state(received, [status(wib(2026, 4, 8, 0, 0), 1, "extended")], CAL)
    assert late.extended_at is None and late.due_at == wib(2026, 4, 7, 23, 59, 59)
    # a late first extension spends it: a second one, even if somehow earlier in arrival, does not count
    after_answer = info_request_state(
        received, [status(wib(2026, 3, 17, 8, 0), 1, "granted"), status(wib(2026, 3, 25, 8, 0), 2, "extended")], CAL
    )
    assert after_answer.extended_at is None and after_answer.answer == "granted"
    assert after_answer.answer_working_days == 1


def test_the_answer_is_the_first_by_time_whatever_the_arrival_order():
    received = wib(2026, 3, 16, 9, 0)
    state = info_request_state(
        received,
        [
            status(wib(2026, 3, 30, 8, 0), 1, "granted"),
            status(wib(2026, 3, 26, 8, 0), 2, "rejected", "pasal_17_b"),
            status(wib(2026, 4, 1, 8, 0), 3, "objection_filed"),
            status(wib(2026, 4, 20, 8, 0), 4, "objection_answered"),
        ],
        CAL,
    )
    assert (state.answer, state.exemption, state.answer_working_days) == ("rejected", "pasal_17_b", 3)
    assert state.objection_due_at == objection_deadline(wib(2026, 4, 1, 8, 0), CAL)
    assert state.objection_answered_at == wib(2026, 4, 20, 8, 0) and not state.is_open


REQUEST = {"request_id": "PPID-1", "opd": "DISKOMINFO", "channel": "web"}


def info(event_id, event_type, data):
    return json.dumps(make_event(event_id, event_type, data))


def test_valid_info_events_are_accepted():
    created = parse_event(
        info(
            "r-1",
            "info_request.created",
            dict(REQUEST, information_kind="anggaran", requester={"name": "Budi", "organisation": "LSM"}, text="RKA"),
        ),
        stream="info",
    )
    assert created.data.requester.name == "Budi"
    for data in (
        {"status": "extended", "reason": "dokumen di arsip"},
        {"status": "rejected", "exemption": "pasal_17_a"},
        {"status": "not_held"},
        {"status": "objection_filed", "note": "tidak puas"},
    ):
        assert parse_event(info("r-2", "info_request.status", {"request_id": "PPID-1", **data}), stream="info")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"request_id": "PPID-1", "status": "rejected"}, "requires the exemption"),
        ({"request_id": "PPID-1", "status": "extended"}, "requires a reason"),
        ({"request_id": "PPID-1", "status": "extended", "reason": "   "}, "requires a reason"),
        ({"request_id": "PPID-1", "status": "closed"}, "data.status"),
        ({"request_id": "PPID-1", "status": "rejected", "exemption": "Pasal 17 A"}, "data.exemption"),
    ],
)
def test_bad_status_events_are_refused_with_their_reason(data, reason):
    with pytest.raises(InvalidEvent) as refused:
        parse_event(info("r-3", "info_request.status", data), stream="info")
    assert reason in refused.value.reason


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (dict(REQUEST, channel="whatsapp"), "data.channel"),
        ({"request_id": "PPID-1", "channel": "web"}, "data.opd"),
        (dict(REQUEST, requester="Budi"), "data.requester"),
    ],
)
def test_bad_requests_are_refused_with_their_reason(data, reason):
    with pytest.raises(InvalidEvent) as refused:
        parse_event(info("r-4", "info_request.created", data), stream="info")
    assert reason in refused.value.reason


def test_a_request_on_another_stream_is_refused():
    with pytest.raises(InvalidEvent, match="does not belong"):
        parse_event(info("r-5", "info_request.created", REQUEST), stream="complaints")
