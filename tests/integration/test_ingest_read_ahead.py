"""Reading ahead (data_sources/stream/read_ahead.py) while a batch is stored: it claims nothing, a crash with
entries read ahead loses and doubles nothing, and a complaint's or incident's events spread over many batches
in any arrival order end in the state their whole history gives."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import select

from dashboard.lifecycle import IncidentEventFact, StatusEvent, complaint_state, incident_state
from data_sources import redis_keys
from data_sources.store.lifecycles import INCIDENT_STATE_COLUMNS, LIFECYCLE_COLUMNS
from data_sources.store.models import Complaint, Incident
from data_sources.stream.health import collect_stats
from data_sources.stream.ingest import Ingestor
from data_sources.stream.producer import publish_many
from data_sources.stream.read_ahead import ReadAhead
from tests.conftest import make_event
from tests.integration.test_ingest_faults import ROOT, complaint_events, env_for, stored


def test_reading_ahead_parses_the_next_entries_and_claims_none(redis_settings):
    from data_sources.stream.connection import connect

    client = connect(redis_settings)
    key = redis_keys.stream_key(redis_settings, "complaints")
    try:
        Ingestor(redis_settings, client, None).ensure_groups()
        publish_many(client, redis_settings, complaint_events(25))
        broken = client.xadd(key, {"event": b"{broken"})
        ids = [entry_id.decode() for entry_id, _ in client.xrange(key)]
        ahead = ReadAhead(client, {key: "complaints"}, count=10)
        try:
            ahead.follow({"complaints": ids[9]})  # as if entries 0-9 had just been delivered
            ahead.follow({})  # keeps what was read ahead, reads nothing more
            bodies = {entry_id.decode(): fields[b"event"] for entry_id, fields in client.xrange(key)}
            found = [ahead.parsed("complaints", i, bodies[i]) for i in ids]
            assert [p is not None for p in found] == [False] * 10 + [True] * 10 + [False] * 6
            assert [p.event.event_id for p in found[10:20]] == [f"e-{i}" for i in range(10, 20)]
            assert all(p.fingerprint for p in found[10:20])
            # only with the very same body: an id reused after Redis restarted empty is parsed again
            assert ahead.parsed("complaints", ids[10], bodies[ids[11]]) is None
            assert ahead.parsed("incidents", ids[10], bodies[ids[10]]) is None

            ahead.follow({"complaints": ids[19]})
            ahead.follow({})
            refused = ahead.parsed("complaints", broken.decode(), b"{broken")
            assert refused is not None and refused.event is None and "not valid UTF-8 JSON" in refused.reason
        finally:
            ahead.close()
        # nothing was delivered to the group by reading ahead: nothing pending, nothing marked as read
        assert client.xpending(key, redis_settings.consumer_group)["pending"] == 0
        (group,) = client.xinfo_groups(key)
        assert group["last-delivered-id"] == b"0-0"
    finally:
        client.delete(*client.scan_iter(f"{redis_settings.stream_prefix}:*"))
        client.close()


# The first batch is stored and its successor read ahead (waited for), then the process dies before COMMIT.
_DIE_WITH_A_BATCH_READ_AHEAD = textwrap.dedent(
    """
    import os, signal, threading
    from dashboard.settings import load_settings
    from data_sources.store.database import engine_for, session_factory
    from data_sources.stream import ingest
    from data_sources.stream.connection import connect

    settings = load_settings()
    worker = ingest.Ingestor(settings, connect(settings), session_factory(engine_for(settings)))
    real_apply = ingest.apply_batch

    def apply_then_die(*args, **kwargs):
        real_apply(*args, **kwargs)
        job = worker._read_ahead._job
        assert job is not None and len(job.result()) == 20, "the next batch was not read ahead"
        os.kill(os.getpid(), signal.SIGKILL)

    ingest.apply_batch = apply_then_die
    worker.run(threading.Event(), until_idle=True)
    raise SystemExit("the crash point was never reached")
    """
)


def test_an_ingestor_killed_with_a_batch_read_ahead_loses_nothing_and_doubles_nothing(
    settings, engine, redis_client, ingest_until_idle
):
    publish_many(redis_client, settings, complaint_events(60))
    crashed = subprocess.run(
        [sys.executable, "-c", _DIE_WITH_A_BATCH_READ_AHEAD],
        cwd=ROOT,
        env=env_for(settings),  # batches of 20
        capture_output=True,
        timeout=60,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr.decode()[-2000:]
    assert stored(engine) == 0
    # the batch being stored is pending on the dead consumer; the one read ahead is not
    assert collect_stats(settings, engine, redis_client)["pending"] == 20

    ingest_until_idle()
    stats = collect_stats(settings, engine, redis_client)
    assert stored(engine) == 60 and stored(engine, Complaint) == 60
    assert stats["pending"] == 0 and stats["dead_letters"] == 0
    assert stats["streams"]["complaints"]["duplicates"] == 0


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
    # batches of 7 per stream: events of one item fall in different batches, the next one always read ahead
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
