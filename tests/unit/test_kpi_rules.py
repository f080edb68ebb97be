"""The pure KPI rules: SLA states and working-time clock, Wilson interval and league, RAG, filters."""

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard import kpi
from dashboard.filters import FilterError, make_filter, parse_now
from dashboard.holidays import HolidayTableError, days_off, load_days_off
from dashboard.sla import (
    WIB,
    SlaConfigError,
    SlaPolicy,
    WorkingCalendar,
    add_working_time,
    parse_hours_by_category,
    parse_office_hours,
    working_seconds_between,
)

OFFICE = parse_office_hours("mon-fri 08:00-16:00")


def wib(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WIB)


def test_sla_states_at_their_thresholds():
    assert [kpi.sla_state(x) for x in (0, 0.49, 0.5, 0.74, 0.75, 0.999, 1.0, 3)] == [
        "on_track",
        "on_track",
        "at_risk",
        "at_risk",
        "critical",
        "critical",
        "breached",
        "breached",
    ]


def test_working_clock_across_a_holiday_and_a_weekend():
    # Wed 23 Dec 2026, 15:00 WIB; 24 Dec is cuti bersama, 25 Dec Christmas, then the weekend.
    calendar = WorkingCalendar(OFFICE, days_off())
    due = add_working_time(wib(2026, 12, 23, 15), 24 * 3600, calendar)
    # 1 h on Wednesday, 8 h Monday 28th, 8 h Tuesday 29th, 7 h on Wednesday 30th.
    assert due == wib(2026, 12, 30, 15)
    assert working_seconds_between(wib(2026, 12, 23, 15), due, calendar) == 24 * 3600
    policy = SlaPolicy(mode="working", calendar=calendar)
    assert policy.used_fraction(wib(2026, 12, 23, 15), due, wib(2026, 12, 27, 12)) == pytest.approx(1 / 24)
    assert kpi.sla_state(policy.used_fraction(wib(2026, 12, 23, 15), due, wib(2026, 12, 29, 12))) == "at_risk"
    assert policy.threshold_times(wib(2026, 12, 23, 15), due, (0.5,)) == (wib(2026, 12, 29, 11),)


def test_off_hours_complaint_starts_at_next_opening():
    calendar = WorkingCalendar(OFFICE, frozenset())
    # Saturday night: the clock starts Monday 08:00.
    assert add_working_time(wib(2026, 11, 28, 22), 3600, calendar) == wib(2026, 11, 30, 9)


def test_calendar_mode_is_plain_hours():
    policy = SlaPolicy()
    created = wib(2026, 11, 27, 8)
    assert policy.due_at(created, 24) == created + dt.timedelta(hours=24)
    assert policy.used_fraction(created, created + dt.timedelta(hours=24), created + dt.timedelta(hours=18)) == 0.75


@given(st.integers(0, 20_000), st.floats(0.25, 200))
def test_working_time_added_is_working_time_between(minute, hours):
    calendar = WorkingCalendar(OFFICE, days_off())
    start = wib(2026, 12, 1) + dt.timedelta(minutes=minute)
    due = add_working_time(start, hours * 3600, calendar)
    assert working_seconds_between(start, due, calendar) == pytest.approx(hours * 3600, abs=1e-3)
    assert due >= start + dt.timedelta(hours=hours)


def test_holiday_table_has_the_decreed_dates():
    days = load_days_off()
    assert days[dt.date(2025, 8, 18)].kind == "cuti_bersama"  # SKB 933/2025 amendment
    assert days[dt.date(2026, 3, 20)].kind == "cuti_bersama"
    assert days[dt.date(2026, 8, 17)].kind == "holiday"
    assert days[dt.date(2027, 1, 1)].provisional
    assert all(dt.date(2025, 1, 1) <= d < dt.date(2028, 1, 1) for d in days)


def test_holiday_table_can_be_extended(tmp_path):
    extra = tmp_path / "extra.csv"
    extra.write_text("date,kind,name\n2027-03-12,cuti_bersama,Idul Fitri 1448 H\n2027-01-01,working_day,test\n")
    days = load_days_off(extra)
    assert dt.date(2027, 3, 12) in days and dt.date(2027, 1, 1) not in days
    extra.write_text("date,kind,name\n2027-13-01,holiday,x\n")
    with pytest.raises(HolidayTableError):
        load_days_off(extra)


def test_settings_parsers_refuse_bad_values():
    assert parse_hours_by_category("jalan_rusak:48, sampah:12") == {"jalan_rusak": 48.0, "sampah": 12.0}
    for bad in ("jalan_rusak", "x:-1", "A B:3"):
        with pytest.raises(SlaConfigError):
            parse_hours_by_category(bad)
    assert parse_office_hours("mon-thu 07:30-16:00; fri 07:30-16:30")[4] == (dt.time(7, 30), dt.time(16, 30))
    with pytest.raises(SlaConfigError):
        parse_office_hours("mon-fri 16:00-08:00")


def test_wilson_interval_known_values():
    low, high = kpi.wilson_interval(2, 2)
    assert low == pytest.approx(0.3424, abs=1e-4) and high == 1.0
    low, high = kpi.wilson_interval(90, 100)
    assert (low, high) == (pytest.approx(0.8256, abs=1e-4), pytest.approx(0.9448, abs=1e-4))
    assert kpi.wilson_interval(0, 0) is None


def test_league_does_not_reward_two_complaints():
    table = kpi.league_table([("TINY", 2, 2), ("BIG", 90, 100), ("MID", 40, 50)], min_sample=30)
    assert [r.opd for r in table] == ["BIG", "MID", "TINY"]
    assert table[-1].ranked is False and table[-1].rate_pct == 100.0


@given(st.integers(0, 500), st.integers(1, 500))
def test_wilson_contains_the_rate(successes, extra):
    total = successes + extra
    low, high = kpi.wilson_interval(successes, total)
    assert 0 <= low <= successes / total <= high <= 1


def test_rag_states():
    assert kpi.rag_state(95, 100) == "amber"
    assert kpi.rag_state(100, 100) == "green"
    assert kpi.rag_state(50, 100) == "red"
    assert kpi.rag_state(10, 8, lower_is_better=True) == "red"
    assert kpi.rag_state(8.5, 8, lower_is_better=True) == "amber"
    assert kpi.rag_state(7, 8, lower_is_better=True) == "green"
    assert kpi.rag_state(7, None) is None


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=50), st.sampled_from([0.5, 0.9, 0.0, 1.0]))
def test_reference_percentile_is_numpys(values, q):
    assert kpi.percentile(values, q) == pytest.approx(float(np.percentile(values, q * 100)), rel=1e-9, abs=1e-6)


def test_filters_validate_and_normalise():
    f = make_filter(
        date_from="2026-11-01", date_to="2026-12-01", channel="sms,whatsapp,sms", kecamatan=["35.78.01", "unknown"]
    )
    assert f.channel == ("sms", "whatsapp") and f.kecamatan == ("35.78.01", "unknown")
    assert f.start_utc == dt.datetime(2026, 10, 31, 17, tzinfo=dt.UTC)
    assert (
        f.key()
        == make_filter(
            date_from="2026-11-01", date_to="2026-12-01", channel="whatsapp,sms", kecamatan="unknown,35.78.01"
        ).key()
    )
    for bad in (
        dict(channel="pigeon"),
        dict(kecamatan="35.78.99"),
        dict(opd="DLH; DROP TABLE"),
        dict(date_from="2026-02-30"),
        dict(date_from="1999-12-31"),
        dict(date_from="2026-11-02", date_to="2026-11-01"),
        dict(incident_category="alien"),
        dict(date_to="tomorrow"),
    ):
        with pytest.raises(FilterError):
            make_filter(**bad)
    with pytest.raises(FilterError):
        parse_now("yesterday")
    assert parse_now("2026-11-27T08:00:00").hour == 1  # naive means WIB
