"""A complaint's or an incident's events spread over many batches, in any arrival order and with ties of
time, end in the state their whole history gives: the batch's own events folded in memory, earlier ones read
back, rows re-derived when events come out of order (data_sources/store/lifecycles.py)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import select

from dashboard.lifecycle import IncidentEventFact, StatusEvent, complaint_state, incident_state
from data_sources.store.lifecycles import INCIDENT_STATE_COLUMNS, LIFECYCLE_COLUMNS
from data_sources.store.models import Complaint, Incident
from data_sources.stream.health import collect_stats
from data_sources.stream.producer import publish_many
from tests.conftest import make_event


def _lifecycle_traffic(rng: random.Random, complaints: int, incidents: int) -> list[dict]:
    """Creations and lifecycle events of many complaints and incidents, on few distinct times (ties), shuffled
    so that some events arrive before what they follow and some after later events."""
    start = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    at = lambda minute: (start + timedelta(minutes=minute)).isoformat()
    events = []
    for c in range(complaints):
        cid = f"C{c}"
        events.append(
            make_event(
                f"{cid}-new", "complaint.created", {"complaint_id": cid, "channel": "sms", "category": "sampah"}, at(0)
            )
        )
        for n in range(rng.randint(0, 6)):
            data = {"complaint_id": cid, "status": rng.choice(("responded", "dispositioned", "resolved", "reopened"))}
            if data["status"] == "dispositioned" or rng.random() < 0.5:
                data["opd"] = rng.choice(("DLH", "DSDABM"))
            if data["status"] == "responded":
                data["reply_channel"] = rng.choice(("sms", "email"))
            events.append(make_event(f"{cid}-s{n}", "complaint.status", data, at(rng.randint(1, 5))))
    for i in range(incidents):
        iid = f"I{i}"
        events.append(
            make_event(
                f"{iid}-new", "incident.reported", {"incident_id": iid, "category": "fire", "priority": 1}, at(0)
            )
        )
        for n in range(rng.randint(0, 5)):
            kind = rng.choice(("dispatched", "arrived", "closed"))
            data = {"incident_id": iid}
            if kind == "closed":
                data["outcome"] = rng.choice(("handled", "false_alarm"))
            else:
                data["unit"] = rng.choice(("U1", "U2"))
            if kind == "dispatched":
                data["agency"] = "BPBD"
            events.append(make_event(f"{iid}-{kind}{n}", f"incident.{kind}", data, at(rng.randint(1, 5))))
    # mostly in order, with every tenth event moved to a random place
    for n in range(0, len(events), 10):
        events.insert(rng.randrange(len(events)), events.pop(n))
    return events


def test_events_spread_over_many_batches_in_any_order_end_in_the_state_of_their_whole_history(
    settings, engine, redis_client, ingest_until_idle
):
    events = _lifecycle_traffic(random.Random(19), complaints=60, incidents=30)
    publish_many(redis_client, settings, events)
    # batches of 7 per stream: the events of one item fall in different batches
    ingest_until_idle(batch_size=7)
    assert collect_stats(settings, engine, redis_client)["dead_letters"] == 0

    # what the whole history gives, events of equal time in arrival order
    parsed = [orjson.loads(orjson.dumps(e)) for e in events]
    expected_complaints, expected_incidents = {}, {}
    for c in {e["data"]["complaint_id"] for e in parsed if e["type"].startswith("complaint.")}:
        history = [
            StatusEvent(
                datetime.fromisoformat(e["occurred_at"]),
                n,
                e["data"]["status"],
                e["data"].get("opd"),
                e["data"].get("reply_channel"),
            )
            for n, e in enumerate(parsed)
            if e["type"] == "complaint.status" and e["data"]["complaint_id"] == c
        ]
        expected_complaints[c] = complaint_state(datetime(2026, 11, 27, 1, 0, tzinfo=UTC), None, history)
    for i in {e["data"]["incident_id"] for e in parsed if e["type"].startswith("incident.")}:
        history = [
            IncidentEventFact(
                datetime.fromisoformat(e["occurred_at"]),
                n,
                e["type"].split(".", 1)[1],
                e["data"].get("unit"),
                e["data"].get("outcome"),
            )
            for n, e in enumerate(parsed)
            if e["type"] in ("incident.dispatched", "incident.arrived", "incident.closed")
            and e["data"]["incident_id"] == i
        ]
        expected_incidents[i] = incident_state(history)

    with engine.connect() as c:
        complaints = {r.complaint_id: r for r in c.execute(select(Complaint.__table__))}
        incidents = {r.incident_id: r for r in c.execute(select(Incident.__table__))}
    assert set(complaints) == set(expected_complaints) and set(incidents) == set(expected_incidents)
    wrong = [
        cid
        for cid, state in expected_complaints.items()
        if any(getattr(state, name) != getattr(complaints[cid], name) for name in LIFECYCLE_COLUMNS)
    ]
    wrong += [
        iid
        for iid, state in expected_incidents.items()
        if any(getattr(state, name) != getattr(incidents[iid], name) for name in INCIDENT_STATE_COLUMNS)
    ]
    assert wrong == []
