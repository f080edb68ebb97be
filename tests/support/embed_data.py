"""A store with simulated Surabaya traffic and known personal data in the personal_* tables, for the embed
tests, the browser test and the embed benchmark."""

from __future__ import annotations

import datetime as dt
import re
import threading

from sqlalchemy import select

from data_sources.simulator.publish import publish_events
from data_sources.simulator.traffic import Simulator
from data_sources.store.database import session_factory
from data_sources.store.models import PERSONAL_TABLES, Base
from data_sources.stream.connection import connect
from data_sources.stream.ingest import Ingestor

# A resident the fuzz test looks for in every response: in personal_complaint_reporters after ingest.
CANARY = {
    "name": "Kartika Wulandari Canary",
    "phone": "+6281390017733",
    "email": "kartika.canary@example.id",
    "nik": "3578016504910002",
    "address": "Jl. Canary Raya No. 17, RT 03/RW 05, Kel. Kapasari",
    "text": "Tolong, tetangga saya Bu Kartika sakit dan jalan depan rumah No. 17 berlubang canary",
}
CALLER = {"name": "Bambang Canary Susilo", "phone": "081233445566"}
# NIK: province (11-94), regency, district, day of birth (41-71 for women), month, year, serial: the shape,
# so that a fingerprint of a script URL (16 digits of a file time) is not taken for one
# not inside a longer token of letters and digits: Dash's page carries a random hex token (`end_id`) in which
# 16 decimal digits in a row turn up now and then
NIK_RE = re.compile(
    rb"(?<![0-9A-Za-z.])(1[1-9]|[2-9]\d)\d{4}([0-2]\d|3[01]|[4-6]\d|7[01])(0[1-9]|1[0-2])\d{6}(?![0-9A-Za-z])"
)
PHONE_RE = re.compile(rb"(?<![\w\d])(\+62|62|0)8\d{7,11}(?!\d)")
EMAIL_RE = re.compile(rb"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def seed(settings, engine, now: dt.datetime, scale: int = 1) -> None:
    """Two bursts of simulated traffic (this month and about forty days ago), a canary complaint and a
    canary 112 call, all through the streams and the ingestor."""
    client = connect(settings)
    events = list(Simulator(seed=11, rate_scale=0.02).generate(3000 * scale, now))
    events += list(Simulator(seed=12, rate_scale=0.02).generate(2000 * scale, now - dt.timedelta(days=40)))
    at = (now - dt.timedelta(hours=5)).isoformat()
    events.append(
        {
            "event_id": "canary-c1",
            "type": "complaint.created",
            "occurred_at": at,
            "source": "test",
            "schema": 1,
            "data": {
                "complaint_id": "CANARY-1",
                "channel": "email",
                "category": "kesehatan",
                "kecamatan": "Genteng",
                "text": CANARY["text"],
                "reporter": {k: v for k, v in CANARY.items() if k != "text"},
            },
        }
    )
    events.append(
        {
            "event_id": "canary-i1",
            "type": "incident.reported",
            "occurred_at": at,
            "source": "test",
            "schema": 1,
            "data": {
                "incident_id": "CANARY-112",
                "category": "missing_person",
                "priority": 1,
                "kecamatan": "Genteng",
                "caller": CALLER,
                "description": "Anak bernama Dimas Canary hilang di Jl. Canary 17",
            },
        }
    )
    publish_events(client, settings, events)
    ingestor = Ingestor(settings, client, session_factory(engine))
    stop = threading.Event()
    timer = threading.Timer(120, stop.set)
    timer.start()
    try:
        ingestor.run(stop, until_idle=True)
    finally:
        timer.cancel()
        client.close()


def personal_values(engine) -> set[bytes]:
    """Every personal value stored (names, phones, e-mail, NIK, addresses, free text), as the UTF-8 bytes
    a response would carry; short values (< 6 characters) would match by chance and are left out."""
    found: set[bytes] = set()
    with engine.connect() as conn:
        for name in PERSONAL_TABLES:
            table = Base.metadata.tables[name]
            cols = [c for c in table.c if c.name not in ("complaint_id", "incident_id", "event_id")]
            for row in conn.execute(select(*cols)):
                for value in row:
                    if isinstance(value, str) and len(value) >= 6:
                        found.add(value.encode())
    return found


def leaks(body: bytes, personal: set[bytes]) -> list[str]:
    """What in a response looks like personal data: a stored value, a NIK, an Indonesian phone, an e-mail."""
    out = [f"stored value {v[:30]!r}" for v in personal if v in body]
    for pattern, kind in ((NIK_RE, "NIK"), (PHONE_RE, "phone"), (EMAIL_RE, "e-mail")):
        out += [f"{kind} {m.group(0)[:30]!r}" for m in pattern.finditer(body)]
    return out


def widget_callback(pathname="/embed/complaints-month", search="", n=None, **override) -> dict:
    """The body a widget sends to /embed/_dash-update-component (the embed tests and their fuzz)."""
    body = {
        "output": "embed-body.children",
        "outputs": {"id": "embed-body", "property": "children"},
        "inputs": [
            {"id": "embed-url", "property": "pathname", "value": pathname},
            {"id": "embed-url", "property": "search", "value": search},
            {"id": "embed-refresh", "property": "n_intervals", "value": n},
        ],
        "changedPropIds": ["embed-url.pathname"],
        "state": [],
    }
    body.update(override)
    return body
