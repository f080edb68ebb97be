"""KPI queries on hand-computed data, on SQLite and PostgreSQL (the `engine` fixture runs both)."""

import datetime as dt
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import BigInteger, Float, case, cast, delete, func, insert
from sqlalchemy.engine import Connection

from cli import kpi as kpi_cli
from dashboard.filters import KpiFilter, make_filter
from dashboard.settings import Settings
from data_sources.kpi import complaints as kpi_complaints
from data_sources.kpi import egov as kpi_egov
from data_sources.kpi import incidents as kpi_incidents
from data_sources.kpi.queries import is_postgres, percentiles
from data_sources.store.models import EgovReading, Incident
from tests.support.kpi_data import NOW, complaint, incident, load

H = dt.timedelta(hours=1)
DAY = make_filter(date_from="2026-11-26", date_to="2026-11-28")


def seconds_between(conn: Connection, later, earlier):
    """later - earlier in seconds, rounded to the millisecond, computed at query time: the reference the
    generated duration columns (data_sources.store.durations) are checked against."""
    if is_postgres(conn):
        # round(extract(epoch ...), 3)::float8 (numeric, half away from zero) to the bit, but in float8 and
        # integer microseconds: numeric arithmetic on every row cost a third of a percentile's time.
        micros = cast(func.round(func.date_part("epoch", later - earlier) * 1_000_000), BigInteger)
        millis = case((micros >= 0, (micros + 500) // 1000), else_=-((500 - micros) // 1000))
        return cast(millis, Float) / 1000.0
    return func.round((func.julianday(later) - func.julianday(earlier)) * 86400.0, 3)


def _fixture_complaints():
    t0 = NOW - 30 * H  # 2026-11-26 06:00 UTC = 13:00 WIB
    return [
        complaint("a", t0, first_response_h=1, resolved_h=5),
        complaint("b", t0, first_response_h=2, channel="sms", reply_channel="phone"),
        complaint("c", t0, first_response_h=3, resolved_h=10, reopened=1, status="reopened"),
        complaint("d", t0, first_response_h=4, status="rejected", kecamatan=None),
        complaint("e", t0, first_response_h=28),  # answered after its 24 h deadline
        complaint("f", t0),  # unanswered, deadline passed: breached
        complaint("g", NOW - 2 * H, kecamatan="35.78.02"),  # open, not yet due: left out of the SLA rate
        complaint("old", NOW - 24 * 40 * H),  # outside the period
    ]


def test_complaint_period_figures(engine):
    load(engine, _fixture_complaints())
    with engine.connect() as conn:
        fig = kpi_complaints.period_figures(conn, DAY, NOW)
    assert fig["received"] == 7
    assert fig["open"] == 5  # b, c (re-opened), e, f, g
    # within: a b c d (4); measured: 5 answered + 1 overdue unanswered; g is not yet due.
    assert (fig["answered_within_sla"], fig["sla_measured"]) == (4, 6)
    assert fig["responded_within_sla_pct"] == 66.67
    # first responses 1 2 3 4 28 h: p50 = 3, p90 = 4 + 0.6 * 24
    assert fig["first_response_p50_h"] == 3.0
    assert fig["first_response_p90_h"] == pytest.approx(18.4)
    assert fig["resolution_p50_h"] == 7.5  # 5 and 10 h
    assert fig["reopened_pct"] == pytest.approx(14.29)
    assert fig["rejected_pct"] == pytest.approx(14.29)
    assert fig["same_channel_reply_pct"] == 80.0
    assert fig["channel_mix"] == {"sms": 1, "whatsapp": 6}
    assert fig["by_kecamatan"] == {"35.78.01": 5, "35.78.02": 1, "unknown": 1}
    assert fig["open_backlog_by_age"] == {"lt_1d": 1, "1_3d": 4, "3_7d": 0, "7_30d": 0, "ge_30d": 0}


def test_filters_narrow_the_figures(engine):
    load(engine, _fixture_complaints())
    with engine.connect() as conn:
        sms = kpi_complaints.period_figures(conn, make_filter(date_from="2026-11-26", channel="sms"), NOW)
        unknown = kpi_complaints.period_figures(conn, make_filter(kecamatan="unknown"), NOW)
        everything = kpi_complaints.period_figures(conn, KpiFilter(), NOW)
    assert sms["received"] == 1 and sms["first_response_p50_h"] == 2.0
    assert unknown["received"] == 1 and unknown["rejected_pct"] == 100.0
    assert everything["received"] == 8 and everything["open_backlog_by_age"]["ge_30d"] == 1


def test_open_complaints_by_sla_state(engine):
    load(
        engine,
        [
            complaint("on", NOW - 6 * H),
            complaint("risk", NOW - 13 * H),
            complaint("crit", NOW - 19 * H),
            complaint("late", NOW - 25 * H),
            complaint("done", NOW - 19 * H, first_response_h=1, resolved_h=2),
        ],
    )
    with engine.connect() as conn:
        watch = kpi_complaints.open_sla_states(conn, KpiFilter(), NOW, limit=10)
    assert watch["counts"] == {"on_track": 1, "at_risk": 1, "critical": 1, "breached": 1}
    assert [u["complaint_id"] for u in watch["urgent"]] == ["late", "crit", "risk", "on"]
    assert watch["urgent"][0]["seconds_left"] == -3600.0 and watch["urgent"][0]["state"] == "breached"
    assert watch["urgent"][1]["at_risk_at"] == (NOW - 7 * H).isoformat()


def test_sla_watch_holds_only_complaints_awaiting_a_response(engine):
    """An answered complaint left the SLA clock, still open or not."""
    load(
        engine,
        [
            complaint("late", NOW - 30 * H),
            complaint("late2", NOW - 50 * H, category="sampah"),
            complaint("answered_late", NOW - 30 * H, first_response_h=26),  # open, answered: off the watch
            complaint("answered", NOW - 10 * H, first_response_h=1),  # open, answered on time: off the watch
            complaint("risk", NOW - 13 * H),
            complaint("on", NOW - 1 * H),
            complaint("not_yet", NOW + 1 * H),  # created after `now`: not counted
        ],
    )
    with engine.connect() as conn:
        watch = kpi_complaints.open_sla_states(conn, KpiFilter(), NOW, limit=2)
        none = kpi_complaints.open_sla_states(conn, KpiFilter(), NOW, limit=0)
        sampah = kpi_complaints.open_sla_states(conn, make_filter(category="sampah"), NOW, limit=5)
    assert watch["counts"] == {"on_track": 1, "at_risk": 1, "critical": 0, "breached": 2}
    assert watch["open"] == 4  # awaiting a response; the two answered ones are still open but off the watch
    assert none["counts"] == watch["counts"] and none["urgent"] == []
    assert [u["complaint_id"] for u in watch["urgent"]] == ["late2", "late"]
    assert watch["urgent"][1]["critical_at"] == (NOW - 12 * H).isoformat()
    assert sampah["counts"]["breached"] == 1 and [u["complaint_id"] for u in sampah["urgent"]] == ["late2"]


def test_sla_watch_in_working_mode(engine):
    """Working mode classifies the not-yet-due complaints with the working calendar, breached ones by due_at."""
    from dashboard.sla import SlaPolicy, WorkingCalendar, parse_office_hours

    policy = SlaPolicy(mode="working", calendar=WorkingCalendar(parse_office_hours("mon-sun 00:00-23:59")))
    load(engine, [complaint("on", NOW - 6 * H), complaint("risk", NOW - 13 * H), complaint("late", NOW - 25 * H)])
    with engine.connect() as conn:
        watch = kpi_complaints.open_sla_states(conn, KpiFilter(), NOW, policy=policy, limit=10)
    assert watch["counts"] == {"on_track": 1, "at_risk": 1, "critical": 0, "breached": 1}
    assert watch["mode"] == "working" and [u["complaint_id"] for u in watch["urgent"]] == ["late", "risk", "on"]


def test_active_incidents_total_beyond_the_limit(engine):
    load(engine, incidents=[incident(f"a{i}", NOW - (i + 1) * H, active=True) for i in range(5)])
    with engine.connect() as conn:
        two = kpi_incidents.active_incidents(conn, KpiFilter(), NOW, limit=2)
        none = kpi_incidents.active_incidents(conn, KpiFilter(), NOW, limit=0)
    assert two["active"] == 5 and [i["incident_id"] for i in two["incidents"]] == ["a4", "a3"]
    assert none == {"active": 5, "incidents": []}


def test_opd_league(engine):
    t0 = NOW - 30 * H
    rows = [complaint(f"big{i}", t0, first_response_h=1 if i < 27 else 30, opd="DSDABM") for i in range(30)]
    rows += [complaint(f"tiny{i}", t0, first_response_h=1, opd="DLH") for i in range(2)]
    load(engine, rows)
    with engine.connect() as conn:
        league = kpi_complaints.opd_league(conn, KpiFilter(), NOW, min_sample=10)
    assert [(r["opd"], r["ranked"], r["rate_pct"]) for r in league] == [("DSDABM", True, 90.0), ("DLH", False, 100.0)]


def _fixture_incidents():
    t0 = NOW - 5 * H
    return [
        incident("i1", t0, response_min=5, answer_s=10, dispatch_min=1, scene_min=30, category="fire"),
        incident("i2", t0, response_min=7, answer_s=15, dispatch_min=2, scene_min=40, category="fire"),
        incident("i3", t0, response_min=8, answer_s=20, dispatch_min=2, category="flood", kecamatan=None),
        incident("i4", t0, response_min=10, answer_s=30, dispatch_min=3, category="flood"),
        incident("skew", t0, response_min=-2, category="flood"),  # arrival stamped before the report
        incident("open", NOW - 0.5 * H, category="medical", active=True),
    ]


def test_incident_period_figures(engine):
    load(engine, incidents=_fixture_incidents())
    with engine.connect() as conn:
        fig = kpi_incidents.period_figures(conn, DAY, NOW)
        active = kpi_incidents.active_incidents(conn, KpiFilter(), NOW)
    assert (fig["reported"], fig["with_arrival"], fig["response_measured"], fig["response_negative"]) == (6, 5, 4, 1)
    assert fig["response_mean_min"] == 7.5
    assert fig["response_p50_min"] == 7.5
    assert fig["response_p90_min"] == pytest.approx(9.4)  # 8 + 0.7 * 2
    assert fig["within_7_4_min_pct"] == 50.0
    assert fig["answered_within_15s_pct"] == 50.0 and fig["answered_within_20s_pct"] == 75.0
    assert fig["answer_p50_s"] == 17.5
    assert fig["report_to_dispatch_p50_min"] == 2.0
    assert fig["dispatch_to_arrival_p50_min"] == 5.5  # 4, 5, 6, 7 min
    assert fig["on_scene_p50_min"] == 35.0
    assert fig["by_category"]["fire"]["response_mean_min"] == 6.0
    assert fig["by_category"]["flood"]["response_measured"] == 2
    assert fig["by_kecamatan"]["unknown"]["reported"] == 1
    assert active["active"] == 1 and active["incidents"][0]["elapsed_s"] == 1800.0


@hsettings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, 10 * 24 * 3600), min_size=1, max_size=40))
def test_sql_percentiles_equal_numpy(engine, seconds):
    t0 = NOW - 400 * H
    with engine.begin() as conn:
        conn.execute(delete(Incident.__table__))
        conn.execute(
            insert(Incident.__table__),
            [
                incident(f"p{i}", t0, response_min=s / 60, category="fire" if i % 2 else "flood")
                for i, s in enumerate(seconds)
            ],
        )
    c = Incident.__table__.c
    with engine.connect() as conn:
        value = seconds_between(conn, c.first_arrived_at, c.reported_at)
        overall = percentiles(conn, value, [], (0.5, 0.9, 0.0, 1.0))[()]
        grouped = percentiles(conn, value, [], (0.5, 0.9), group_by=(c.category,))
    assert overall == pytest.approx([np.percentile(seconds, q) for q in (50, 90, 0, 100)], abs=1e-6)
    for key, group in (("fire", seconds[1::2]), ("flood", seconds[0::2])):
        if group:
            assert grouped[(key,)] == pytest.approx([np.percentile(group, 50), np.percentile(group, 90)], abs=1e-6)


def test_egov_latest_trend_and_rag(engine):
    at = NOW
    rows = [
        dict(
            domain="budgeting",
            metric="apbd_realization_pct",
            opd=o,
            period=p,
            value=v,
            target=t,
            unit="pct",
            occurred_at=at,
            event_id=f"e{o}{p}",
        )
        for o, p, v, t in (
            ("DLH", "2026-09", 60, 75),
            ("DLH", "2026-10", 72, 80),
            ("DINKES", "2026-10", 95, 80),
            ("DINKES", "2026-09", 70, 75),
        )
    ] + [
        dict(
            domain="procurement",
            metric="tender_count",
            opd="ALL",
            period="2026-10",
            value=12,
            target=10,
            unit="count",
            occurred_at=at,
            event_id="eall",
        )
    ]
    with engine.begin() as conn:
        conn.execute(insert(EgovReading.__table__), rows)
    with engine.connect() as conn:
        latest = {(r["metric"], r["opd"]): r for r in kpi_egov.latest(conn)}
        series = kpi_egov.trend(conn, "budgeting", "apbd_realization_pct", "DLH")
    assert (
        latest[("apbd_realization_pct", "DLH")]["value"] == 72
        and latest[("apbd_realization_pct", "DLH")]["previous"] == 60
    )
    assert latest[("apbd_realization_pct", "DLH")]["rag"] == "amber"
    assert latest[("apbd_realization_pct", "DINKES")]["rag"] == "green"
    city = latest[("apbd_realization_pct", "ALL")]
    assert city["derived"] and city["value"] == 83.5 and city["target"] == 80 and city["rag"] == "green"
    assert latest[("tender_count", "ALL")]["derived"] is False
    assert [s["period"] for s in series] == ["2026-09", "2026-10"]
    with engine.connect() as conn:
        settings = Settings(egov_lower_is_better="tender_count, apbd_realization_pct")
        lower = {(r["metric"], r["opd"]): r["rag"] for r in kpi_egov.latest(conn, settings=settings)}
    assert lower[("tender_count", "ALL")] == "red" and lower[("apbd_realization_pct", "DINKES")] == "red"


def test_kpi_cli_prints_the_headline(engine, settings, capsys):
    load(engine, _fixture_complaints(), _fixture_incidents())
    import argparse as ap

    parser = ap.ArgumentParser()
    kpi_cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["kpi", "--json", "--from", "2026-11-26", "--to", "2026-11-28", "--now", NOW.isoformat()])
    assert kpi_cli.run(settings, args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["complaints"]["received"] == 7
    assert doc["complaints"]["responded_within_sla_pct"] == 66.67
    assert doc["complaints"]["first_response_p50_h"] == 3.0
    assert doc["incidents"]["reported"] == 6 and doc["incidents"]["with_arrival"] == 5
    assert doc["incidents"]["response_p90_min"] == pytest.approx(9.4)
    assert doc["complaints_by_kecamatan"] == {"35.78.01": 5, "35.78.02": 1, "unknown": 1}
    bad = parser.parse_args(["kpi", "--json", "--channel", "pigeon"])
    assert kpi_cli.run(settings, bad) == 2


def test_wall_queries_round_trips(engine):
    """The wall's queries stay at one or two statements each (each round trip costs on a busy database)."""
    from sqlalchemy import event

    load(engine, _fixture_complaints(), _fixture_incidents())
    statements = []
    listener = lambda *args: statements.append(1)
    event.listen(engine, "before_cursor_execute", listener)
    try:
        counts = {}
        for name, fn in {
            "complaints": lambda c: kpi_complaints.period_figures(c, DAY, NOW),
            "sla_watch": lambda c: kpi_complaints.open_sla_states(c, KpiFilter(), NOW, limit=50),
            "incidents": lambda c: kpi_incidents.period_figures(c, DAY, NOW),
            "active": lambda c: kpi_incidents.active_incidents(c, KpiFilter(), NOW),
        }.items():
            with engine.connect() as conn:
                statements.clear()
                fn(conn)
                counts[name] = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    # complaints: the counts by creation, the percentiles, and the rate by deadline (a range on due_at)
    assert counts == {"complaints": 3, "sla_watch": 2, "incidents": 2, "active": 1}


def _half_away_from_zero_ms(delta: dt.timedelta) -> float:
    """A duration in seconds rounded to the millisecond as numeric round(x, 3) does it: halves away from zero."""
    micros = delta // dt.timedelta(microseconds=1)
    millis = (abs(micros) + 500) // 1000
    return (millis if micros >= 0 else -millis) / 1000


def test_generated_durations_are_the_computed_ones_on_both_databases(engine):
    """The incidents' five generated duration columns (data_sources.store.durations) hold exactly what
    seconds_between computes from the same times (on PostgreSQL: to the millisecond with halves rounded away
    from zero), for durations of microseconds to months, negative ones (clock errors) and exact halves."""
    import random

    rng = random.Random(19)
    t0 = NOW - 400 * H
    deltas = [dt.timedelta(microseconds=rng.randint(-(10**7), 10**13)) for _ in range(300)]
    deltas += [dt.timedelta(microseconds=m) for m in (0, 500, -500, 1500, 2500, -2500, 999_999_500, 86_400_000_500)]
    rows = []
    for i, delta in enumerate(deltas):
        row = incident(f"g{i}", t0, response_min=0)
        row.update(
            first_arrived_at=t0 + delta,
            call_answered_at=t0 - delta,
            first_dispatched_at=t0 + delta / 2,
            closed_at=t0 + delta * 3,
        )
        rows.append(row)
    with engine.begin() as conn:
        conn.execute(delete(Incident.__table__))
        conn.execute(insert(Incident.__table__), rows)
    c = Incident.__table__.c
    pairs = {
        "response_s": (c.first_arrived_at, c.reported_at),
        "answer_s": (c.call_answered_at, c.reported_at),
        "dispatch_s": (c.first_dispatched_at, c.reported_at),
        "travel_s": (c.first_arrived_at, c.first_dispatched_at),
        "on_scene_s": (c.closed_at, c.first_arrived_at),
    }
    from sqlalchemy import select

    with engine.connect() as conn:
        for name, (later, earlier) in pairs.items():
            found = conn.execute(
                select(c.incident_id, later, earlier, c[name], seconds_between(conn, later, earlier))
            ).all()
            assert len(found) == len(deltas)
            for incident_id, late, early, stored, computed in found:
                assert stored == computed, (name, incident_id, late - early)
                # SQLite reads a time to the millisecond (julianday's resolution), PostgreSQL to the microsecond
                if engine.dialect.name == "postgresql":
                    assert stored == _half_away_from_zero_ms(late - early), (name, incident_id, late - early)
