"""The event contract: every type accepted, every class of bad input refused with a reason."""

import json

import pytest

from dashboard.events import MAX_EVENT_BYTES, InvalidEvent, json_schema, parse_event, parse_event_with_fingerprint
from tests.conftest import make_event

VALID = [
    make_event(
        "c-1",
        "complaint.created",
        {
            "complaint_id": "MC-1",
            "channel": "whatsapp",
            "category": "jalan_rusak",
            "opd": "DSDABM",
            "kecamatan": "Karang Pilang",
            "kelurahan": "Kebraon",
            "lat": -7.33,
            "lon": 112.70,
            "text": "Jalan berlubang",
            "reporter": {
                "name": "Siti",
                "phone": "+6281234567890",
                "email": "s@example.id",
                "nik": "3578010101900001",
                "address": "Jl. Kebraon No. 1",
            },
            "sla_hours": 24,
        },
    ),
    make_event("c-2", "complaint.status", {"complaint_id": "MC-1", "status": "dispositioned", "opd": "DSDABM"}),
    make_event(
        "c-3",
        "complaint.status",
        {"complaint_id": "MC-1", "status": "responded", "reply_channel": "whatsapp", "note": "Sudah ditangani"},
    ),
    make_event(
        "i-1",
        "incident.reported",
        {
            "incident_id": "112-1",
            "category": "fire",
            "priority": 1,
            "kecamatan": "35.78.08",
            "call_answered_at": "2026-11-27T08:15:09+07:00",
            "caller": {"name": "Andi", "phone": "081234567890"},
            "description": "Asap tebal",
        },
    ),
    make_event("i-2", "incident.dispatched", {"incident_id": "112-1", "unit": "DAMKAR-RAYON-2", "agency": "DPKP"}),
    make_event("i-3", "incident.arrived", {"incident_id": "112-1", "unit": "DAMKAR-RAYON-2"}),
    make_event("i-4", "incident.closed", {"incident_id": "112-1", "outcome": "handled"}),
    make_event(
        "g-1",
        "egov.kpi",
        {
            "domain": "budgeting",
            "metric": "apbd_realization_pct",
            "opd": "ALL",
            "period": "2026-10",
            "value": 71.2,
            "target": 80,
            "unit": "pct",
        },
    ),
    make_event(
        "g-2",
        "egov.kpi",
        {"domain": "procurement", "metric": "tender_count", "opd": "DSDABM", "period": "2026-11-26", "value": 12},
    ),
]


@pytest.mark.parametrize("event", VALID, ids=lambda e: e["type"])
def test_every_type_of_the_contract_is_accepted(event):
    parsed = parse_event(json.dumps(event))
    assert parsed.type == event["type"]
    assert parsed.event_id == event["event_id"]
    assert parsed.occurred_at.utcoffset().total_seconds() == 0  # stored in UTC


def test_occurred_at_is_converted_to_utc():
    parsed = parse_event(json.dumps(VALID[0]))
    assert parsed.occurred_at.isoformat() == "2026-11-27T01:15:02+00:00"


def test_unknown_extra_fields_are_ignored_for_forward_compatibility():
    event = dict(VALID[1], trace_id="abc")
    event["data"] = dict(event["data"], future_field=1)
    assert parse_event(json.dumps(event)).data.status == "dispositioned"


def _variant(base, path, value):
    event = json.loads(json.dumps(base))
    target = event
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return json.dumps(event)


_DELETE = object()
BAD = {
    "not json": ("{'event_id': 1", "not valid UTF-8 JSON"),
    "not utf-8": (b'{"event_id": "\xff"}', "not valid UTF-8 JSON"),
    "array": ("[1, 2]", "must be a JSON object"),
    "missing event_id": (_variant(VALID[0], ["event_id"], _DELETE), "event_id"),
    "empty event_id": (_variant(VALID[0], ["event_id"], ""), "event_id"),
    "event_id too long": (_variant(VALID[0], ["event_id"], "x" * 129), "event_id"),
    "missing type": (_variant(VALID[0], ["type"], _DELETE), "missing required field 'type'"),
    "unknown type": (_variant(VALID[0], ["type"], "complaint.deleted"), "unknown type"),
    "unknown schema": (_variant(VALID[0], ["schema"], 2), "unknown schema version 2"),
    "schema as string": (_variant(VALID[0], ["schema"], "1"), "schema"),
    "naive timestamp": (_variant(VALID[0], ["occurred_at"], "2026-11-27T08:15:02"), "without a UTC offset"),
    "not a timestamp": (_variant(VALID[0], ["occurred_at"], "yesterday"), "occurred_at"),
    "missing complaint_id": (_variant(VALID[0], ["data", "complaint_id"], _DELETE), "complaint_id"),
    "unknown channel": (_variant(VALID[0], ["data", "channel"], "pigeon"), "channel"),
    "category not a code": (_variant(VALID[0], ["data", "category"], "Jalan Rusak!"), "category"),
    "lat as string": (_variant(VALID[0], ["data", "lat"], "-7.3"), "lat"),
    "lat without lon": (_variant(VALID[0], ["data", "lon"], _DELETE), "lat and lon"),
    "sla_hours negative": (_variant(VALID[0], ["data", "sla_hours"], -1), "sla_hours"),
    "reporter not an object": (_variant(VALID[0], ["data", "reporter"], "Siti"), "reporter"),
    "dispositioned without opd": (_variant(VALID[1], ["data", "opd"], _DELETE), "requires opd"),
    "unknown status": (_variant(VALID[1], ["data", "status"], "archived"), "status"),
    "priority as string": (_variant(VALID[3], ["data", "priority"], "1"), "priority"),
    "priority as bool": (_variant(VALID[3], ["data", "priority"], True), "priority"),
    "priority out of range": (_variant(VALID[3], ["data", "priority"], 4), "priority"),
    "unknown incident category": (_variant(VALID[3], ["data", "category"], "alien"), "category"),
    "naive call_answered_at": (_variant(VALID[3], ["data", "call_answered_at"], "2026-11-27T08:15:09"), "UTC offset"),
    "unknown outcome": (_variant(VALID[6], ["data", "outcome"], "lost"), "outcome"),
    "value as string": (_variant(VALID[7], ["data", "value"], "71.2"), "value"),
    "impossible period": (_variant(VALID[7], ["data", "period"], "2026-13"), "period"),
    "unknown domain": (_variant(VALID[7], ["data", "domain"], "sports"), "domain"),
    "data missing": (_variant(VALID[7], ["data"], _DELETE), "data"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_refused_with_a_reason(name):
    raw, expected = BAD[name]
    with pytest.raises(InvalidEvent) as caught:
        parse_event(raw)
    assert expected in caught.value.reason


def test_nan_is_not_a_number_here():
    raw = json.dumps(VALID[7]).replace("71.2", "NaN")
    with pytest.raises(InvalidEvent):
        parse_event(raw)


def test_events_larger_than_64_kib_are_refused():
    event = json.loads(json.dumps(VALID[0]))
    event["data"]["text"] = "x" * 19_000
    event["data"]["reporter"]["address"] = "y" * 900
    event["padding"] = "z" * MAX_EVENT_BYTES
    with pytest.raises(InvalidEvent, match="larger than the 65536-byte limit"):
        parse_event(json.dumps(event))


def test_an_event_on_the_wrong_stream_is_refused():
    with pytest.raises(InvalidEvent, match="does not belong on the 'incidents' stream"):
        parse_event(json.dumps(VALID[0]), stream="incidents")


def test_fingerprint_ignores_key_order_but_not_content():
    a = json.dumps(VALID[0])
    b = json.dumps(dict(reversed(list(VALID[0].items()))))
    c = _variant(VALID[0], ["data", "category"], "sampah")
    assert parse_event_with_fingerprint(a)[1] == parse_event_with_fingerprint(b)[1]
    assert parse_event_with_fingerprint(a)[1] != parse_event_with_fingerprint(c)[1]


def test_json_schema_describes_every_type():
    schema = json_schema()
    text = json.dumps(schema)
    for event_type in (
        "complaint.created",
        "complaint.status",
        "incident.reported",
        "incident.dispatched",
        "incident.arrived",
        "incident.closed",
        "egov.kpi",
    ):
        assert event_type in text
    assert schema["$schema"].endswith("2020-12/schema")
