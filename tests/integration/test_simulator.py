"""The simulator: deterministic, complete, realistic in the figures the dashboard shows, and valid."""

from __future__ import annotations

import collections
import datetime as dt
import math
import re
import statistics
import threading
import uuid

import orjson
import pytest

from dashboard import reference
from dashboard.events import CHANNELS, COMPLAINT_CATEGORIES, EVENT_TYPES, INCIDENT_CATEGORIES, InvalidEvent, parse_event
from dashboard.settings import Settings
from data_sources import redis_keys
from data_sources.simulator.publish import publish_events, run_live
from data_sources.simulator.traffic import Simulator
from data_sources.stream.connection import connect

NOW = dt.datetime(2026, 3, 10, 4, 30, tzinfo=dt.UTC)  # 11:30 WIB on a Tuesday of the rainy season
WIB = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture(scope="module")
def history() -> list[dict]:
    return Simulator(seed=7).backfill(7, NOW)


def when(event: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(event["occurred_at"])


def of_type(items, event_type: str) -> list[dict]:
    return [e for e in items if isinstance(e, dict) and e["type"] == event_type]


def case_id(event: dict) -> str | None:
    return event["data"].get("complaint_id") or event["data"].get("incident_id")


def is_invalid(item) -> bool:
    return isinstance(item, bytes) or item["event_id"].endswith("-invalid")


def dumps(items) -> list[bytes]:
    return [bytes(i) if isinstance(i, bytes) else orjson.dumps(i) for i in items]


def test_the_same_seed_gives_the_same_events_and_another_seed_others():
    first = Simulator(seed=3, invalid_share=0.01, duplicate_share=0.01).backfill(1, NOW)
    again = Simulator(seed=3, invalid_share=0.01, duplicate_share=0.01).backfill(1, NOW)
    other = Simulator(seed=4, invalid_share=0.01, duplicate_share=0.01).backfill(1, NOW)
    assert len(first) > 1000 and dumps(first) == dumps(again)
    assert dumps(first) != dumps(other)


def test_a_restart_with_the_same_seed_reuses_ids_only_for_identical_events():
    before = {e["event_id"]: orjson.dumps(e) for e in Simulator(seed=5).backfill(2, NOW)}
    later = Simulator(seed=5).backfill(1, NOW + dt.timedelta(hours=12))
    shared = [e for e in later if e["event_id"] in before]
    assert len(shared) > 1000
    assert all(before[e["event_id"]] == orjson.dumps(e) for e in shared)


def test_backfill_then_advance_equals_one_longer_backfill():
    simulator = Simulator(seed=5, invalid_share=0.01, duplicate_share=0.01)
    stepwise = simulator.backfill(1, NOW) + simulator.advance(NOW + dt.timedelta(hours=3))
    stepwise += simulator.advance(NOW + dt.timedelta(hours=6))
    at_once = Simulator(seed=5, invalid_share=0.01, duplicate_share=0.01).backfill(1.25, NOW + dt.timedelta(hours=6))
    assert dumps(stepwise) == dumps(at_once)


def test_a_larger_scale_adds_cases_and_keeps_the_others():
    def cases(scale):
        items = Simulator(seed=5, rate_scale=scale).backfill(1, NOW)
        return {e["event_id"]: orjson.dumps(e) for e in items if not e["type"].startswith("egov")}

    half, base, double = cases(0.5), cases(1.0), cases(2.0)
    assert 0.4 < len(half) / len(base) < 0.6 and 1.8 < len(double) / len(base) < 2.2
    assert half.items() <= base.items() <= double.items()


def test_every_type_channel_and_category_is_present_in_a_few_days():
    history = Simulator(seed=21).backfill(3, NOW)
    assert {e["type"] for e in history} == set(EVENT_TYPES)
    created = of_type(history, "complaint.created")
    assert {e["data"]["channel"] for e in created} == set(CHANNELS)
    assert {e["data"]["category"] for e in created} == set(COMPLAINT_CATEGORIES)
    assert {e["data"]["category"] for e in of_type(history, "incident.reported")} == set(INCIDENT_CATEGORIES)
    statuses = {e["data"]["status"] for e in of_type(history, "complaint.status")}
    assert statuses == {"verified", "dispositioned", "in_progress", "responded", "resolved", "rejected", "reopened"}
    assert {e["data"]["outcome"] for e in of_type(history, "incident.closed")} == {
        "handled",
        "false_alarm",
        "transferred",
        "cancelled",
    }


def test_channel_mix_is_plausible(history):
    channels = collections.Counter(e["data"]["channel"] for e in of_type(history, "complaint.created"))
    ranked = [name for name, _ in channels.most_common()]
    assert set(ranked[:2]) == {"whatsapp", "app"} and ranked[-1] == "walk_in"


def nearest_kelurahan(lat: float, lon: float) -> tuple[reference.Kelurahan, float]:
    def km(k):
        return math.hypot((k.lat - lat) * 110.6, (k.lon - lon) * 110.4)

    best = min(reference.kelurahan(), key=km)
    return best, km(best)


def test_all_31_kecamatan_appear_by_code_name_or_coordinates(history):
    seen = set()
    for event in history:
        data = event["data"]
        if data.get("kecamatan"):
            seen.add(reference.match_kecamatan(data["kecamatan"]))
        elif "lat" in data:
            kelurahan, km = nearest_kelurahan(data["lat"], data["lon"])
            seen.add(kelurahan.kecamatan_code if km < 1 else None)
    assert seen - {None} == {k.code for k in reference.kecamatan()}


def test_places_come_in_varied_spellings_that_all_resolve(history):
    given = [e["data"]["kecamatan"] for e in history if e["data"].get("kecamatan")]
    known = [ref for ref in given if reference.match_kecamatan(ref)]
    assert len(known) / len(given) > 0.99
    assert any(re.fullmatch(r"35\.78\.\d\d", ref) for ref in known)
    assert any(ref.startswith("Kec. ") for ref in known) and any(ref.isupper() for ref in known)
    two_words = {k.code for k in reference.kecamatan() if " " in k.name}
    assert any(" " not in ref and "." not in ref and reference.match_kecamatan(ref) in two_words for ref in known)
    with_kelurahan = [e["data"] for e in history if e["data"].get("kelurahan")]
    assert with_kelurahan and all(
        reference.match_kelurahan(d["kelurahan"], reference.match_kecamatan(d["kecamatan"])) for d in with_kelurahan
    )


def test_coordinates_are_near_a_kelurahan_centre_except_a_tiny_unknown_share(history):
    cases = of_type(history, "complaint.created") + of_type(history, "incident.reported")
    unknown = 0
    for event in cases:
        data = event["data"]
        if "lat" in data:
            _, km = nearest_kelurahan(data["lat"], data["lon"])
            x0, y0, x1, y1 = reference.CITY_BBOX
            inside = x0 <= data["lon"] <= x1 and y0 <= data["lat"] <= y1
            assert km < 0.3 or not inside
            unknown += not inside
        elif not data.get("kecamatan") or not reference.match_kecamatan(data["kecamatan"]):
            unknown += 1
    assert 1 <= unknown <= 0.02 * len(cases)


def test_every_valid_event_validates(history):
    assert len(history) > 10_000
    for event in history:
        assert parse_event(orjson.dumps(event)).event_id == event["event_id"]


def test_invalid_events_of_every_kind_are_refused_and_the_rest_accepted():
    items = Simulator(seed=11, invalid_share=0.05).backfill(1, NOW)
    invalid = [i for i in items if is_invalid(i)]
    assert 0.03 < len(invalid) / len(items) < 0.07
    for item in items:
        raw = bytes(item) if isinstance(item, bytes) else orjson.dumps(item)
        if is_invalid(item):
            with pytest.raises(InvalidEvent):
                parse_event(raw)
        else:
            parse_event(raw)
    assert any(isinstance(i, bytes) for i in invalid) and any(isinstance(i, dict) for i in invalid)
    reasons = set()
    for item in invalid:
        try:
            parse_event(bytes(item) if isinstance(item, bytes) else orjson.dumps(item))
        except InvalidEvent as exc:
            reasons.add(exc.reason.split(":")[0].split(" ")[0])
    assert len(reasons) >= 5


def test_112_response_times_average_about_7_4_minutes_with_a_long_tail(history):
    reported = {case_id(e): when(e) for e in of_type(history, "incident.reported")}
    first_arrival: dict[str, dt.datetime] = {}
    for event in of_type(history, "incident.arrived"):
        first_arrival[case_id(event)] = min(first_arrival.get(case_id(event), when(event)), when(event))
    minutes = sorted((first_arrival[i] - reported[i]).total_seconds() / 60 for i in first_arrival if i in reported)
    mean, p90 = statistics.mean(minutes), minutes[int(0.9 * len(minutes))]
    assert 6 <= mean <= 9
    assert p90 > 1.3 * mean
    assert len(first_arrival) < len(reported)  # some never see a unit arrive


def test_calls_are_answered_within_seconds(history):
    waits = [
        (dt.datetime.fromisoformat(e["data"]["call_answered_at"]) - when(e)).total_seconds()
        for e in of_type(history, "incident.reported")
    ]
    assert sum(w <= 15 for w in waits) / len(waits) > 0.8
    assert 0.9 < sum(w <= 20 for w in waits) / len(waits) < 0.99


def test_most_complaints_are_answered_within_the_24_hour_sla(history):
    cutoff = NOW - dt.timedelta(hours=72)  # old enough for a late answer to have come
    created = {case_id(e): when(e) for e in of_type(history, "complaint.created") if when(e) < cutoff}
    answered: dict[str, dt.datetime] = {}
    for event in of_type(history, "complaint.status"):
        if event["data"]["status"] == "responded":
            answered.setdefault(case_id(event), when(event))
    in_time = sum(1 for c, t in created.items() if c in answered and answered[c] - t <= dt.timedelta(hours=24))
    assert len(created) > 1000
    assert 0.75 <= in_time / len(created) <= 0.95
    assert any(c not in answered for c in created)  # some never get an answer
    assert any(c in answered and answered[c] - t > dt.timedelta(hours=24) for c, t in created.items())


def test_complaint_lifecycles_are_ordered_and_dispositioned_to_the_right_department(history):
    lifecycles = collections.defaultdict(list)
    for event in sorted(of_type(history, "complaint.status"), key=when):
        lifecycles[case_id(event)].append(event["data"])
    roads = {case_id(e) for e in of_type(history, "complaint.created") if e["data"]["category"] == "jalan_rusak"}
    for complaint, statuses in lifecycles.items():
        names = [s["status"] for s in statuses]
        assert names[0] == "verified"
        if "responded" in names and "dispositioned" in names:
            assert names.index("dispositioned") < names.index("responded")
            assert statuses[names.index("responded")]["reply_channel"] in CHANNELS
        if complaint in roads and "dispositioned" in names:
            assert [s["opd"] for s in statuses if s["status"] == "dispositioned"][-1] == "DSDABM"
    assert any(s.get("note") for statuses in lifecycles.values() for s in statuses)


def test_incidents_go_to_the_right_agencies(history):
    category = {case_id(e): e["data"]["category"] for e in of_type(history, "incident.reported")}
    first = {}
    for event in sorted(of_type(history, "incident.dispatched"), key=when):
        first.setdefault(case_id(event), event["data"])
    expected = {
        "fire": {"DPKP"},
        "flood": {"BPBD"},
        "medical": {"PSC119"},
        "infrastructure": {"DSDABM"},
        "traffic_accident": {"PSC119", "DISHUB"},
        "social": {"DINSOS", "SATPOLPP"},
    }
    for incident, unit in first.items():
        assert unit["agency"] in expected.get(category.get(incident), {unit["agency"]})
    assert any(u["unit"].startswith("DAMKAR-RAYON-") for u in first.values())
    assert collections.Counter(case_id(e) for e in of_type(history, "incident.dispatched")).most_common(1)[0][1] == 2


def test_daily_rhythm_and_quieter_weekends(history):
    created = [when(e).astimezone(WIB) for e in of_type(history, "complaint.created")]
    by_hour = collections.Counter(t.hour for t in created)
    assert sum(by_hour[h] for h in range(1, 5)) * 5 < sum(by_hour[h] for h in range(8, 12))
    by_day = collections.Counter(t.date() for t in created if t.date() < NOW.astimezone(WIB).date())
    weekend = [n for d, n in by_day.items() if d.weekday() >= 5]
    weekdays = [n for d, n in by_day.items() if d.weekday() < 5 and d > min(by_day)]
    assert weekend and statistics.mean(weekend) < 0.8 * statistics.mean(weekdays)
    assert 300 <= statistics.mean(weekdays) <= 600


def test_floods_are_more_common_in_the_rainy_season():
    def flood_share(moment):
        reports = of_type(Simulator(seed=2).backfill(5, moment), "incident.reported")
        return sum(e["data"]["category"] == "flood" for e in reports) / len(reports)

    assert flood_share(dt.datetime(2026, 1, 20, tzinfo=dt.UTC)) > 1.8 * flood_share(
        dt.datetime(2026, 7, 20, tzinfo=dt.UTC)
    )


def test_egov_readings_cover_domains_departments_and_a_rising_budget(history):
    readings = [e["data"] for e in of_type(history, "egov.kpi")]
    assert {r["domain"] for r in readings} == {"planning", "staffing", "procurement", "budgeting"}
    assert {r["metric"] for r in readings} == {
        "musrenbang_realized_pct",
        "ekinerja_submission_pct",
        "tender_count",
        "tender_savings_idr",
        "apbd_realization_pct",
    }
    assert len({r["opd"] for r in readings}) == 11 and "ALL" in {r["opd"] for r in readings}
    assert all(r["unit"] in ("pct", "count", "idr") and r["target"] is not None for r in readings)
    latest = {}
    for event in of_type(history, "egov.kpi"):
        data = event["data"]
        if data["metric"] == "apbd_realization_pct" and data["opd"] == "ALL":
            latest[data["period"]] = data["value"]
    months = sorted(p for p in latest if p.startswith("2025"))
    assert len(months) >= 9 and all(latest[a] < latest[b] for a, b in zip(months, months[1:]))
    assert latest["2025-12"] > 85


def test_personal_data_is_there_to_be_protected(history):
    reporters = [e["data"]["reporter"] for e in of_type(history, "complaint.created") if "reporter" in e["data"]]
    for field in ("name", "phone", "email", "nik", "address"):
        assert any(field in r for r in reporters), field
    for r in reporters:
        if "phone" in r:
            national = re.sub(r"^(62|0)", "", re.sub(r"\D", "", r["phone"]))
            assert national.startswith("8") and 10 <= len(national) <= 12
        if "nik" in r:
            assert re.fullmatch(r"3578\d{12}", r["nik"])
        if "address" in r:
            assert re.match(r"Jl\. .+ No\. \d+", r["address"])
    reports = [e["data"] for e in of_type(history, "incident.reported")]
    assert any("phone" in r.get("caller", {}) for r in reports) and any("description" in r for r in reports)
    assert any("text" in e["data"] for e in of_type(history, "complaint.created"))
    assert any("reporter" not in e["data"] for e in of_type(history, "complaint.created"))


def test_event_ids_are_unique_and_duplicates_are_exact_resends(history):
    ids = [e["event_id"] for e in history]
    assert len(ids) == len(set(ids))
    items = Simulator(seed=9, duplicate_share=0.05).backfill(1, NOW)
    counts = collections.Counter(e["event_id"] for e in items)
    twice = [i for i, n in counts.items() if n == 2]
    assert 0.03 < len(twice) / len(counts) < 0.07
    bodies = collections.defaultdict(set)
    for event in items:
        bodies[event["event_id"]].add(orjson.dumps(event))
    assert all(len(b) == 1 for b in bodies.values())


def test_generate_returns_exactly_the_count():
    end = NOW
    assert Simulator(seed=1).generate(0, end) == []
    items = Simulator(seed=1).generate(2500, end)
    assert len(items) == 2500 and all(when(e) <= end for e in items)
    assert len(Simulator(seed=1).generate(20_000, end)) == 20_000  # its speed is bench/'s to measure


def out_of_order_cases(items) -> set[str]:
    """Cases with an event published before one that happened earlier."""
    latest: dict[str, dt.datetime] = {}
    late = set()
    for event in items:
        key = case_id(event)
        if key is None:
            continue
        if key in latest and when(event) < latest[key]:
            late.add(key)
        latest[key] = max(latest.get(key, when(event)), when(event))
    return late


def test_out_of_order_delivery_happens_only_when_configured():
    assert not out_of_order_cases(Simulator(seed=4, out_of_order_share=0.0).backfill(2, NOW))
    late = out_of_order_cases(Simulator(seed=4, out_of_order_share=0.02).backfill(2, NOW))
    assert late and any(k.startswith("112-") for k in late) and any(k.startswith("MC-") for k in late)


def test_advance_continues_the_lifecycles_of_the_backfill():
    simulator = Simulator(seed=6)
    history = simulator.backfill(1, NOW)
    created = {case_id(e) for e in of_type(history, "complaint.created")}
    later = simulator.advance(NOW + dt.timedelta(days=2))
    assert all(when(e) <= NOW + dt.timedelta(days=2) for e in later)
    continued = {case_id(e) for e in of_type(later, "complaint.status")} & created
    assert len(continued) > 0.5 * len(created)
    resolved = {case_id(e) for e in of_type(later, "complaint.status") if e["data"]["status"] == "resolved"}
    assert resolved & created
    assert {e["event_id"] for e in history}.isdisjoint(e["event_id"] for e in later)


def test_advance_without_backfill_starts_the_clock():
    simulator = Simulator(seed=8)
    assert simulator.advance(NOW) == []
    hour = simulator.advance(NOW + dt.timedelta(hours=1))
    assert hour and all(NOW < when(e) <= NOW + dt.timedelta(hours=1) for e in hour)


def test_a_wanted_live_rate_holds_from_the_first_minutes():
    simulator = Simulator(seed=8)
    simulator.backfill(1, NOW)
    moment, per_block = NOW, []
    for _ in range(6):  # six blocks of ten minutes, advanced ten seconds at a time
        count = 0
        for _ in range(60):
            moment += dt.timedelta(seconds=10)
            count += len(simulator.advance(moment, events_per_second=2.0))
        per_block.append(count / 600)
    assert all(1.6 < rate < 2.4 for rate in per_block), per_block


@pytest.fixture
def stream_settings(redis_url):
    settings = Settings(redis_url=redis_url, stream_prefix=f"test-sim-{uuid.uuid4().hex[:10]}")
    client = connect(settings)
    yield settings, client
    keys = list(client.scan_iter(f"{settings.stream_prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_publish_events_keeps_order_and_sends_raw_entries_to_their_stream(stream_settings):
    settings, client = stream_settings
    items = Simulator(seed=12, invalid_share=0.1).backfill(0.2, NOW)
    assert any(isinstance(i, bytes) for i in items)
    ids = publish_events(client, settings, items)
    assert len(ids) == len(items)
    expected = collections.defaultdict(list)
    for item in items:
        stream = (
            item.stream
            if isinstance(item, bytes)
            else {"complaint": "complaints", "incident": "incidents", "egov": "egov", "info_request": "info"}[
                item["type"].split(".")[0]
            ]
        )
        expected[stream].append(bytes(item) if isinstance(item, bytes) else orjson.dumps(item))
    for stream, payloads in expected.items():
        assert [f[b"event"] for _, f in client.xrange(redis_keys.stream_key(settings, stream))] == payloads


def test_run_live_publishes_until_the_count(stream_settings):
    settings, client = stream_settings
    ticks = iter(range(10**6))

    def clock() -> float:  # ten minutes pass per tick
        return NOW.timestamp() + 600 * next(ticks)

    published = run_live(client, settings, Simulator(seed=13), 2.0, threading.Event(), clock=clock, count=40)
    assert published == 40
    assert sum(client.xlen(redis_keys.stream_key(settings, s)) for s in redis_keys.SOURCES) == 40
    stopped = threading.Event()
    stopped.set()
    assert run_live(client, settings, Simulator(seed=13), 2.0, stopped, clock=clock) == 0
