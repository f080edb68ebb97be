"""Public-information requests for the screens' tests, stored through the writer (the ingest path) so their
clocks are the engine's own, with personal data worth searching for in every public response."""

from __future__ import annotations

import datetime as dt
import json

from dashboard.events import parse_event_with_fingerprint
from data_sources.store.batch import Accepted
from data_sources.store.database import session_factory
from data_sources.store.writer import apply_batch

# Seeded in every request's personal fields: none of them may appear in a wall or embed response.
REQUESTER = {
    "name": "Sri Wahyuni Pemohon Rahasia",
    "nik": "3578016607880004",
    "email": "sri.pemohon.rahasia@example.id",
    "phone": "+6281233334444",
    "address": "Jl. Pemohon Rahasia No. 12",
    "organisation": "LSM Transparansi Rahasia",
}
REQUEST_TEXT = "salinan kontrak pengadaan rahasia nomor 77"
REASON = "alasan perpanjangan rahasia arsip"
SECRETS = (*REQUESTER.values(), REQUEST_TEXT, REASON)


def request_events(
    rid: str,
    opd: str,
    received: dt.datetime,
    statuses: list[tuple[dt.datetime, str]] = (),
    *,
    exemption: str = "pasal_17_b",
    channel: str = "web",
    kind: str = "pengadaan",
) -> list[dict]:
    """The `info_request.created` of one request and its status events, with the personal fields filled."""
    events = [
        {
            "event_id": f"{rid}-c",
            "type": "info_request.created",
            "occurred_at": received.isoformat(),
            "schema": 1,
            "data": {
                "request_id": rid,
                "opd": opd,
                "channel": channel,
                "information_kind": kind,
                "requester": dict(REQUESTER),
                "text": REQUEST_TEXT,
            },
        }
    ]
    for n, (at, status) in enumerate(statuses):
        data: dict = {"request_id": rid, "status": status}
        if status == "rejected":
            data["exemption"] = exemption
        if status == "extended":
            data["reason"] = REASON
        events.append(
            {
                "event_id": f"{rid}-s{n}",
                "type": "info_request.status",
                "occurred_at": at.isoformat(),
                "schema": 1,
                "data": data,
            }
        )
    return events


def load_info(engine, events: list[dict], calendar=None) -> None:
    """Store the events as the ingestor would (one batch, one transaction)."""
    accepted = [
        Accepted("info", f"{n}-0", *parse_event_with_fingerprint(json.dumps(e), stream="info"))
        for n, e in enumerate(events)
    ]
    with session_factory(engine).begin() as session:
        apply_batch(session, accepted, [], work_calendar=calendar)


OPDS = ("DINKES", "DISKOMINFO", "BAPPEDALITBANG", "DPRKPP")
DAY = dt.timedelta(days=1)


def mixed_requests(now: dt.datetime, n: int = 64, opds: tuple[str, ...] = OPDS) -> list[dict]:
    """`n` requests over the last ~50 days, of every outcome: on time, extended, refused and objected to, not
    held, never answered, answered late; only status events that happened by `now`."""
    events: list[dict] = []
    for i in range(n):
        received = now - (i * 0.8 + 0.05) * DAY
        plan = {
            0: [(3, "granted")],
            1: [(2, "extended"), (15, "partially_granted")],
            2: [(5, "rejected"), (8, "objection_filed"), (20, "objection_answered")],
            3: [(1, "not_held")],
            4: [],
            5: [(1, "acknowledged"), (20, "granted")],
            6: [(4, "rejected"), (6, "objection_filed")],
        }[i % 7]
        statuses = [(received + d * DAY, s) for d, s in plan if received + d * DAY <= now]
        events += request_events(
            f"PPID-{i:03d}",
            opds[i % len(opds)],
            received,
            statuses,
            exemption=("pasal_17_b", "pasal_17_h")[(i // 7) % 2],
            channel=("web", "email", "letter", "walk_in")[i % 4],
        )
    return events
