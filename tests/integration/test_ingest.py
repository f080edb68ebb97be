"""The ingestor against real Redis and real SQLite and PostgreSQL: exactly once, nothing silently dropped."""

from __future__ import annotations

import gc
import json

import pytest
from sqlalchemy import func, select

from data_sources import redis_keys
from data_sources.redis_keys import data_version_key
from data_sources.store.database import session_factory
from data_sources.store.models import (
    Complaint,
    ComplaintStatusEvent,
    DeadLetter,
    EgovReading,
    Incident,
    IncidentEvent,
    PersonalComplaintNote,
    PersonalComplaintReporter,
    PersonalIncidentCaller,
    ProcessedEvent,
)
from data_sources.stream.health import collect_stats
from data_sources.stream.ingest import Ingestor
from data_sources.stream.producer import publish
from data_sources.stream.version import data_version
from tests.conftest import make_event
from tests.unit.test_events import BAD, VALID


def count(engine, model, *where) -> int:
    with engine.connect() as c:
        return c.scalar(select(func.count()).select_from(model).where(*where))


def row(engine, model, *where):
    with engine.connect() as c:
        return c.execute(select(model.__table__).where(*where)).one()


def dead_letter_stream(redis_client, settings) -> list[dict[str, str]]:
    return [
        {k.decode(): v.decode("utf-8", "replace") for k, v in fields.items()}
        for _, fields in redis_client.xrange(redis_keys.deadletter_key(settings))
    ]


def test_every_event_type_is_stored(settings, engine, redis_client, ingest_until_idle):
    for event in VALID:
        publish(redis_client, settings, event)
    ingest_until_idle()

    complaint = row(engine, Complaint, Complaint.complaint_id == "MC-1")
    assert complaint.kecamatan_code == "35.78.01" and complaint.kelurahan_code == "35.78.01.1002"
    assert complaint.status == "responded" and complaint.opd == "DSDABM" and complaint.is_open
    assert complaint.first_response_channel == "whatsapp"
    assert complaint.due_at.isoformat() == "2026-11-28T01:15:02+00:00"
    incident = row(engine, Incident, Incident.incident_id == "112-1")
    assert incident.kecamatan_code == "35.78.08" and incident.status == "closed" and incident.outcome == "handled"
    assert incident.call_answered_at.isoformat() == "2026-11-27T01:15:09+00:00"
    assert incident.first_arrived_at is not None and not incident.is_active
    assert count(engine, EgovReading) == 2
    assert count(engine, ProcessedEvent) == len(VALID)
    # personal data lives apart from the public facts
    reporter = row(engine, PersonalComplaintReporter, PersonalComplaintReporter.complaint_id == "MC-1")
    assert reporter.nik == "3578010101900001" and reporter.text == "Jalan berlubang"
    assert row(engine, PersonalIncidentCaller, PersonalIncidentCaller.incident_id == "112-1").name == "Andi"
    assert row(engine, PersonalComplaintNote, PersonalComplaintNote.event_id == "c-3").note == "Sudah ditangani"
    public_columns = {c.name for c in Complaint.__table__.columns} | {c.name for c in Incident.__table__.columns}
    assert not public_columns & {"name", "phone", "email", "nik", "address", "text", "description", "note"}

    stats = collect_stats(settings, engine, redis_client)
    assert (stats["complaints"], stats["incidents"], stats["egov_readings"]) == (1, 1, 2)
    assert stats["dead_letters"] == 0 and stats["pending"] == 0
    assert stats["streams"]["egov"]["last_entry_id"] is not None
    assert int(redis_client.get(data_version_key(settings))) >= 1
    before = data_version(redis_client, settings)
    publish(
        redis_client, settings, make_event("late", "incident.closed", {"incident_id": "112-9", "outcome": "cancelled"})
    )
    ingest_until_idle()
    assert data_version(redis_client, settings) != before


def test_every_class_of_bad_input_goes_to_the_dead_letter_stream_once(
    settings, engine, redis_client, ingest_until_idle
):
    complaints, incidents = redis_keys.stream_key(settings, "complaints"), redis_keys.stream_key(settings, "incidents")
    entry_ids = {}
    for name, (raw, _) in BAD.items():
        entry_ids[name] = redis_client.xadd(complaints, {"event": raw}).decode()
    no_field = redis_client.xadd(complaints, {"payload": "x"}).decode()
    good = publish(redis_client, settings, VALID[0])
    misplaced = redis_client.xadd(incidents, {"event": json.dumps(VALID[0])}).decode()  # a complaint on incidents
    ingest_until_idle()

    letters = dead_letter_stream(redis_client, settings)
    # entry ids are unique per stream only: two streams can hand out the same id in the same millisecond
    by_entry = {(letter["stream"], letter["entry_id"]): letter for letter in letters}
    assert len(letters) == len(by_entry) == len(BAD) + 2
    for name, entry_id in entry_ids.items():
        assert BAD[name][1] in by_entry[(complaints, entry_id)]["reason"], name
    assert by_entry[(complaints, no_field)]["reason"] == "entry has no 'event' field"
    assert "does not belong on the 'incidents' stream" in by_entry[(incidents, misplaced)]["reason"]
    assert (complaints, good) not in by_entry
    assert count(engine, DeadLetter) == len(BAD) + 2
    assert count(engine, Complaint) == 1
    stats = collect_stats(settings, engine, redis_client)
    assert stats["dead_letters"] == len(BAD) + 2 and stats["pending"] == 0


def test_oversized_entries_are_cut_at_64_kib_in_the_dead_letter(settings, redis_client, ingest_until_idle):
    huge = json.dumps(VALID[0] | {"padding": "z" * 100_000})
    redis_client.xadd(redis_keys.stream_key(settings, "complaints"), {"event": huge})
    ingest_until_idle()
    (letter,) = dead_letter_stream(redis_client, settings)
    assert "larger than the 65536-byte limit" in letter["reason"]
    assert len(letter["event"]) == 65536


def test_duplicates_are_stored_once_and_conflicts_keep_the_first(settings, engine, redis_client, ingest_until_idle):
    first = VALID[0]
    publish(redis_client, settings, first)
    publish(redis_client, settings, first)  # a producer's retry
    conflicting = json.loads(json.dumps(first))
    conflicting["data"]["category"] = "sampah"
    conflict_id = publish(redis_client, settings, conflicting)
    ingest_until_idle()
    publish(redis_client, settings, first)  # a retry in a later batch
    ingest_until_idle()

    assert count(engine, Complaint) == 1
    assert row(engine, Complaint, Complaint.complaint_id == "MC-1").category == "jalan_rusak"
    (letter,) = dead_letter_stream(redis_client, settings)
    assert letter["entry_id"] == conflict_id and "different body" in letter["reason"]
    stats = collect_stats(settings, engine, redis_client)
    assert stats["streams"]["complaints"]["duplicates"] == 2


def test_a_second_creation_of_the_same_complaint_is_refused(settings, engine, redis_client, ingest_until_idle):
    publish(redis_client, settings, VALID[0])
    other = json.loads(json.dumps(VALID[0]))
    other["event_id"] = "c-1-again"
    publish(redis_client, settings, other)
    ingest_until_idle()
    assert count(engine, Complaint) == 1
    (letter,) = dead_letter_stream(redis_client, settings)
    assert "complaint_id 'MC-1' was already created" in letter["reason"]


def test_out_of_order_lifecycles_are_kept_and_reconciled(settings, engine, redis_client, ingest_until_idle):
    at = "2026-11-27T10:{:02d}:00+07:00".format
    publish(redis_client, settings, make_event("a", "incident.arrived", {"incident_id": "X", "unit": "U1"}, at(9)))
    publish(
        redis_client,
        settings,
        make_event(
            "s", "complaint.status", {"complaint_id": "C", "status": "responded", "reply_channel": "sms"}, at(30)
        ),
    )
    ingest_until_idle()
    assert count(engine, Incident) == 0 and count(engine, IncidentEvent) == 1
    assert collect_stats(settings, engine, redis_client)["awaiting_incident"] == 1

    publish(
        redis_client, settings, make_event("c", "incident.closed", {"incident_id": "X", "outcome": "handled"}, at(40))
    )
    publish(
        redis_client,
        settings,
        make_event("r", "incident.reported", {"incident_id": "X", "category": "flood", "priority": 2}, at(0)),
    )
    publish(
        redis_client,
        settings,
        make_event("d", "incident.dispatched", {"incident_id": "X", "unit": "U1", "agency": "BPBD"}, at(2)),
    )
    publish(
        redis_client,
        settings,
        make_event("cc", "complaint.created", {"complaint_id": "C", "channel": "sms", "category": "sampah"}, at(0)),
    )
    ingest_until_idle()
    incident = row(engine, Incident, Incident.incident_id == "X")
    assert (incident.first_dispatched_at.minute, incident.first_arrived_at.minute) == (2, 9)
    assert incident.status == "closed" and incident.units_dispatched == 1
    complaint = row(engine, Complaint, Complaint.complaint_id == "C")
    assert complaint.status == "responded" and complaint.first_response_at.minute == 30
    assert collect_stats(settings, engine, redis_client)["awaiting_incident"] == 0


def test_status_history_orders_by_occurrence_not_arrival(settings, engine, redis_client, ingest_until_idle):
    at = "2026-11-27T1{}:00:00+07:00".format
    publish(
        redis_client,
        settings,
        make_event("cc", "complaint.created", {"complaint_id": "C", "channel": "web", "category": "sampah"}, at(0)),
    )
    publish(
        redis_client, settings, make_event("s3", "complaint.status", {"complaint_id": "C", "status": "resolved"}, at(5))
    )
    publish(
        redis_client, settings, make_event("s2", "complaint.status", {"complaint_id": "C", "status": "reopened"}, at(4))
    )
    publish(
        redis_client, settings, make_event("s1", "complaint.status", {"complaint_id": "C", "status": "resolved"}, at(3))
    )
    ingest_until_idle()
    complaint = row(engine, Complaint, Complaint.complaint_id == "C")
    assert complaint.status == "resolved" and complaint.reopened_count == 1 and not complaint.is_open
    assert complaint.resolved_at.hour == 8  # the last resolution, 15:00 WIB, is 08:00 UTC
    assert count(engine, ComplaintStatusEvent) == 3


def test_later_batches_fold_onto_the_stored_row_and_earlier_ones_rederive_it(
    settings, engine, redis_client, ingest_until_idle
):
    at = "2026-11-27T1{}:00:00+07:00".format
    status = lambda eid, s, hour, **more: make_event(
        eid, "complaint.status", {"complaint_id": "C", "status": s, **more}, at(hour)
    )
    publish(
        redis_client,
        settings,
        make_event(
            "cc",
            "complaint.created",
            {"complaint_id": "C", "channel": "web", "category": "sampah", "opd": "DLH"},
            at(0),
        ),
    )
    publish(redis_client, settings, status("s1", "responded", 1, reply_channel="sms"))
    ingest_until_idle()
    publish(redis_client, settings, status("s2", "dispositioned", 2, opd="DSDABM"))  # in order: folded onto the row
    publish(redis_client, settings, status("s4", "resolved", 4))
    ingest_until_idle()
    folded = row(engine, Complaint, Complaint.complaint_id == "C")
    assert (folded.status, folded.opd, folded.first_response_channel, folded.is_open) == (
        "resolved",
        "DSDABM",
        "sms",
        False,
    )
    publish(redis_client, settings, status("s3", "reopened", 3))  # out of order: the row is re-derived
    publish(redis_client, settings, status("s0", "responded", 0, reply_channel="email"))
    ingest_until_idle()
    rederived = row(engine, Complaint, Complaint.complaint_id == "C")
    assert (rederived.status, rederived.reopened_count, rederived.first_response_channel) == ("resolved", 1, "email")
    assert rederived.first_response_at.hour == 3  # 10:00 WIB


def test_a_later_egov_reading_replaces_the_earlier_whatever_the_arrival_order(
    settings, engine, redis_client, ingest_until_idle
):
    key = {"domain": "budgeting", "metric": "apbd_realization_pct", "opd": "ALL", "period": "2026-10", "unit": "pct"}
    publish(redis_client, settings, make_event("g2", "egov.kpi", key | {"value": 70.0}, "2026-11-02T00:00:00+07:00"))
    publish(redis_client, settings, make_event("g1", "egov.kpi", key | {"value": 60.0}, "2026-11-01T00:00:00+07:00"))
    ingest_until_idle()
    publish(redis_client, settings, make_event("g0", "egov.kpi", key | {"value": 50.0}, "2026-10-31T00:00:00+07:00"))
    publish(
        redis_client,
        settings,
        make_event("g3", "egov.kpi", key | {"value": 75.5, "target": 80}, "2026-11-03T00:00:00+07:00"),
    )
    ingest_until_idle()
    reading = row(engine, EgovReading)
    assert (reading.value, reading.target, reading.event_id) == (75.5, 80.0, "g3")


@pytest.mark.parametrize(
    "where, expected",
    [
        ({"kecamatan": "KARANG PILANG"}, ("35.78.01", "code_or_name")),
        ({"kecamatan": "Kec. Karangpilang"}, ("35.78.01", "code_or_name")),
        ({"kecamatan": "3578010"}, ("35.78.01", "code_or_name")),
        ({"kelurahan": "Kebraon"}, ("35.78.01", "code_or_name")),
        ({"lat": -7.265, "lon": 112.745}, ("35.78.07", "coordinates")),  # Genteng, the city centre
        ({"lat": -6.2, "lon": 106.8}, (None, "unknown")),  # Jakarta
        ({"lat": -7.20, "lon": 112.84}, (None, "unknown")),  # in the box, but in the Madura Strait
        ({"kecamatan": "Atlantis"}, (None, "unknown")),
        ({}, (None, "none")),
    ],
)
def test_locations_by_code_name_or_coordinates(settings, engine, redis_client, ingest_until_idle, where, expected):
    publish(
        redis_client,
        settings,
        make_event("c", "complaint.created", {"complaint_id": "C", "channel": "app", "category": "sampah"} | where),
    )
    ingest_until_idle()
    complaint = row(engine, Complaint, Complaint.complaint_id == "C")
    assert (complaint.kecamatan_code, complaint.location_method) == expected
    if expected[0] is None:
        assert complaint.lat is None and complaint.lon is None


def test_deadlines_follow_the_configured_sla_policy(settings, engine, redis_client, ingest_until_idle):
    """Working time: 24 hours of office time (08:00-16:00 WIB, Monday to Friday) from Friday 15:00 WIB are
    1 h on Friday, 8 h on Monday and Tuesday and 7 h on Wednesday: due Wednesday 2 December, 15:00 WIB."""
    friday_3pm = "2026-11-27T15:00:00+07:00"
    created = {"channel": "app", "category": "jalan_rusak"}
    publish(redis_client, settings, make_event("w1", "complaint.created", created | {"complaint_id": "W1"}, friday_3pm))
    publish(
        redis_client,
        settings,
        make_event("w2", "complaint.created", created | {"complaint_id": "W2", "category": "perizinan"}, friday_3pm),
    )
    publish(
        redis_client,
        settings,
        make_event("w3", "complaint.created", created | {"complaint_id": "W3", "sla_hours": 2}, friday_3pm),
    )
    ingest_until_idle(sla_mode="working", sla_hours_by_category="perizinan:16")
    due = {cid: row(engine, Complaint, Complaint.complaint_id == cid).due_at.isoformat() for cid in ("W1", "W2", "W3")}
    assert due["W1"] == "2026-12-02T08:00:00+00:00"  # 15:00 WIB
    assert due["W2"] == "2026-12-01T08:00:00+00:00"  # 16 h: Tuesday 15:00 WIB
    assert due["W3"] == "2026-11-30T02:00:00+00:00"  # 2 h given on the event: 1 h Friday, 1 h Monday 09:00 WIB


def test_the_collector_is_paused_for_a_batch_and_on_again_after_it_however_the_batch_ends(
    settings, engine, redis_client
):
    """Automatic garbage collection is off while a batch is processed and on again after it: committed, failed,
    or run while the program had paused the collector itself (then it stays off)."""
    during: list[bool] = []

    def on_commit(_result):
        during.append(gc.isenabled())
        if len(during) == 2:
            raise RuntimeError("the batch fails after its commit")

    ingestor = Ingestor(settings, redis_client, session_factory(engine), on_commit=on_commit)
    ingestor.ensure_groups()
    assert gc.isenabled()
    for n in range(3):
        publish(redis_client, settings, VALID[0] | {"event_id": f"gc-{n}"})
        if n == 1:
            with pytest.raises(RuntimeError):
                ingestor.step()
        elif n == 2:
            gc.disable()
            try:
                assert ingestor.step() == 1
                assert not gc.isenabled()
            finally:
                gc.enable()
        else:
            assert ingestor.step() == 1
        assert gc.isenabled()
    assert during == [False, False, False]
