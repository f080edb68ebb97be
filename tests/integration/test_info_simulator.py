"""The simulator's PPID traffic: valid, a few requests per OPD a week, some extended, refused, objected."""

from __future__ import annotations

import collections
import datetime as dt

import orjson

from dashboard.events import parse_event
from dashboard.ppid import InfoStatusEvent, answer_deadline, calendar_from_settings, info_request_state
from data_sources.simulator.traffic import Simulator

NOW = dt.datetime(2026, 5, 1, 4, 30, tzinfo=dt.UTC)
WEEKS = 10


def test_simulated_requests_are_valid_and_realistic():
    items = Simulator(seed=11).backfill(WEEKS * 7, NOW)
    events = [
        parse_event(orjson.dumps(e), stream="info")
        for e in items
        if isinstance(e, dict) and e["type"].startswith("info_request")
    ]
    created = [e for e in events if e.type == "info_request.created"]
    statuses = collections.defaultdict(list)
    for seq, e in enumerate(events):
        if e.type == "info_request.status":
            statuses[e.data.request_id].append(InfoStatusEvent(e.occurred_at, seq, e.data.status, e.data.exemption))
    per_opd = collections.Counter(e.data.opd for e in created)
    assert len(per_opd) >= 10
    assert all(0.5 <= n / WEEKS <= 10 for n in per_opd.values()), per_opd  # a few per OPD a week
    assert {e.data.channel for e in created} >= {"web", "email", "letter", "walk_in"}
    assert all(e.data.requester and e.data.requester.name for e in created)
    calendar = calendar_from_settings(None)
    # requests old enough that their (extended) deadline has passed: their fate is settled
    settled = [e for e in created if answer_deadline(e.occurred_at, calendar) + dt.timedelta(days=14) < NOW]
    states = [info_request_state(e.occurred_at, statuses[e.data.request_id], calendar) for e in settled]
    answered = [s for s in states if s.answered_at and s.answered_at <= NOW]
    within = sum(s.answered_at <= s.due_at for s in answered)
    assert len(settled) > 100
    share = lambda n: n / len(settled)
    assert 0.80 <= len(answered) / len(settled) <= 0.99
    assert 0.75 <= within / (len(settled) - len(answered) + len(answered)) <= 0.95
    assert 0.03 <= share(sum(s.extended_at is not None for s in states)) <= 0.2
    assert 0.03 <= share(sum(s.answer == "rejected" for s in states)) <= 0.2
    assert all(s.exemption for s in states if s.answer == "rejected")
    assert 0.01 <= share(sum(s.objection_filed_at is not None for s in states)) <= 0.15
    # the deadline does not fall on a day off: the clocks ran on the working-day calendar
    assert all(calendar.window(s.due_at.astimezone(dt.timezone(dt.timedelta(hours=7))).date()) for s in states)
