"""The `info` stream through the real ingestor on SQLite and PostgreSQL: stored once, bad entries dead-lettered
with their reason, status events before their request kept and reconciled, personal data apart."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from data_sources import redis_keys
from data_sources.store.models import (
    DeadLetter,
    InfoRequest,
    InfoRequestStatusEvent,
    PersonalInfoRequester,
    PersonalInfoRequestNote,
)
from data_sources.stream.health import collect_stats
from data_sources.stream.producer import publish
from tests.conftest import make_event

WIB = dt.timezone(dt.timedelta(hours=7))


def request(event_id, request_id="PPID-1", occurred_at="2026-03-16T09:00:00+07:00", **data):
    body = {"request_id": request_id, "opd": "DISKOMINFO", "channel": "web", **data}
    return make_event(event_id, "info_request.created", body, occurred_at)


def status(event_id, name, occurred_at, request_id="PPID-1", **data):
    return make_event(event_id, "info_request.status", {"request_id": request_id, "status": name, **data}, occurred_at)


BAD = {
    "rejected-without-exemption": (
        status("b-1", "rejected", "2026-03-20T09:00:00+07:00"),
        "requires the exemption",
    ),
    "extended-without-reason": (status("b-2", "extended", "2026-03-20T09:00:00+07:00"), "requires a reason"),
    "unknown-status": (status("b-3", "withdrawn", "2026-03-20T09:00:00+07:00"), "data.status"),
    "unknown-channel": (request("b-4", "PPID-9", channel="whatsapp"), "data.channel"),
    "without-opd": (
        make_event("b-5", "info_request.created", {"request_id": "PPID-8", "channel": "web"}),
        "data.opd",
    ),
}


def test_bad_info_entries_are_dead_lettered_with_their_reason(settings, engine, redis_client, ingest_until_idle):
    for event, _ in BAD.values():
        publish(redis_client, settings, event)
    publish(redis_client, settings, request("ok-1"))
    ingest_until_idle()
    dead = [
        {k.decode(): v.decode() for k, v in fields.items()}
        for _, fields in redis_client.xrange(redis_keys.deadletter_key(settings))
    ]
    assert len(dead) == len(BAD)
    for (event, reason), letter in zip(BAD.values(), dead):
        assert letter["stream"] == redis_keys.stream_key(settings, "info")
        assert reason in letter["reason"], (letter["reason"], reason)
        assert event["event_id"] in letter["event"]
    with engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(DeadLetter)) == len(BAD)
        assert c.scalar(select(func.count()).select_from(InfoRequest)) == 1
    stats = collect_stats(settings, engine, redis_client)
    assert stats["info_requests"] == 1
    assert stats["streams"]["info"]["dead_lettered"] == len(BAD) and stats["streams"]["info"]["stored"] == 1


def test_status_before_its_request_is_kept_then_reconciled(settings, engine, redis_client, ingest_until_idle):
    publish(redis_client, settings, status("s-1", "extended", "2026-04-01T08:00:00+07:00", reason="arsip di gudang"))
    publish(redis_client, settings, status("s-2", "rejected", "2026-04-10T08:00:00+07:00", exemption="pasal_17_b"))
    ingest_until_idle()
    with engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(InfoRequestStatusEvent)) == 2
        assert c.scalar(select(func.count()).select_from(InfoRequest)) == 0
    assert collect_stats(settings, engine, redis_client)["awaiting_info_request"] == 2

    personal = {"name": "Budi Santoso", "nik": "3578010101900001", "organisation": "LSM Transparansi"}
    publish(redis_client, settings, request("s-0", requester=personal, text="RKA Dinas 2026"))
    publish(redis_client, settings, request("s-0"))  # a producer's retry: stored once
    ingest_until_idle()
    with engine.connect() as c:
        row = c.execute(select(InfoRequest.__table__)).one()
        who = c.execute(select(PersonalInfoRequester.__table__)).one()
        notes = c.execute(select(PersonalInfoRequestNote.reason)).scalars().all()
    wib = lambda *a: dt.datetime(*a, tzinfo=WIB).astimezone(dt.UTC)
    assert row.original_due_at == wib(2026, 4, 7, 23, 59, 59)
    assert row.extended_at == wib(2026, 4, 1, 8, 0) and row.due_at == wib(2026, 4, 16, 23, 59, 59)
    assert (row.answer, row.exemption, row.is_open) == ("rejected", "pasal_17_b", False)
    assert row.answer_working_days == 13  # 17, 25-27, 30-31 March, 1-2, 6-10 April
    assert (who.name, who.organisation, who.text) == ("Budi Santoso", "LSM Transparansi", "RKA Dinas 2026")
    assert notes == ["arsip di gudang"]
    # nothing personal on the public row
    assert "Budi" not in repr(tuple(row)) and "RKA" not in repr(tuple(row))
    assert collect_stats(settings, engine, redis_client)["awaiting_info_request"] == 0


def test_a_second_request_under_another_event_id_is_a_conflict(settings, engine, redis_client, ingest_until_idle):
    publish(redis_client, settings, request("c-1"))
    publish(redis_client, settings, request("c-2", opd="DINKES"))
    ingest_until_idle()
    with engine.connect() as c:
        assert c.scalar(select(InfoRequest.opd)) == "DISKOMINFO"
        assert "already created" in c.scalar(select(DeadLetter.reason))
