"""The front door's rules alone: key format, scopes, the event check, and Open311's shapes and escaping."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from dashboard import open311
from dashboard import producers as rules

SCOPE = rules.Scope("mc", ("complaint.*", "incident.reported"), "media-center")


def event(**changes) -> dict:
    body = {
        "event_id": "mc-1-created",
        "type": "complaint.created",
        "occurred_at": "2026-11-27T08:15:02+07:00",
        "schema": 1,
        "data": {"complaint_id": "mc-1", "channel": "web", "category": "sampah"},
    }
    body.update(changes)
    return body


def test_keys_are_random_and_only_their_digest_identifies_them():
    one, two = rules.new_key(), rules.new_key()
    assert one != two and rules.looks_like_key(one) and len(one) == len("pantau_") + 43
    assert rules.key_digest(one) != rules.key_digest(two) and len(rules.key_digest(one)) == 64
    assert not rules.looks_like_key("pantau_short") and not rules.looks_like_key(None)
    assert rules.key_hint(one) == one[:11]


def test_type_patterns():
    assert rules.parse_types("complaint.*, incident.reported,complaint.*") == ("complaint.*", "incident.reported")
    for bad in ("", "complaint.deleted", "complaints.*", "*.created"):
        with pytest.raises(rules.ProducerError):
            rules.parse_types(bad)
    assert SCOPE.allows_type("complaint.status") and SCOPE.allows_type("incident.reported")
    assert not SCOPE.allows_type("incident.closed") and not SCOPE.allows_type("egov.kpi")
    assert rules.Scope("all", ("*",), "x").allows_type("egov.kpi")
    with pytest.raises(rules.ProducerError):
        rules.check_name("Media Center!")


def test_check_event_fills_the_source_and_refuses_with_a_reason():
    categories = rules.known_categories(["drainase"])
    parsed, raw = rules.check_event(event(), SCOPE, categories)
    assert parsed.source == "media-center" and b'"source":"media-center"' in raw
    assert rules.check_event(event(data={**event()["data"], "category": "drainase"}), SCOPE, categories)
    refusals = {
        "type_not_allowed": event(type="egov.kpi"),
        "source_not_allowed": event(source="sapawarga"),
        "unknown_category": event(data={**event()["data"], "category": "gossip"}),
        "invalid_event": event(occurred_at="2026-11-27T08:15:02"),
    }
    for error, document in refusals.items():
        with pytest.raises(rules.Refused) as caught:
            rules.check_event(document, SCOPE, categories)
        assert caught.value.error == error and caught.value.reason
    with pytest.raises(rules.Refused, match="UTC offset"):
        rules.check_event(event(occurred_at="2026-11-27T08:15:02"), SCOPE, categories)


def test_xml_is_escaped_by_the_library_and_reads_back_the_same():
    hostile = 'a <b>&amp; "c" \u2019 ]]> <!--'
    body = open311.to_xml("errors", "error", [{"code": 400, "description": hostile}])
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<errors>')
    assert ET.fromstring(body).findtext("error/description") == hostile


def test_a_public_request_has_the_spec_fields_and_nothing_personal():
    now = dt.datetime(2026, 11, 27, 1, 0, tzinfo=dt.UTC)
    row = {
        "complaint_id": "O311-1",
        "category": "sampah",
        "opd": "DLH",
        "kecamatan_code": "35.78.05",
        "status": "resolved",
        "status_at": now,
        "created_at": now,
        "due_at": now,
    }
    request = open311.public_request(row, "id")
    assert request["status"] == "closed" and request["description"] is None and request["agency_responsible"] == "DLH"
    assert request["requested_datetime"] == "2026-11-27T08:00:00+07:00"
    assert request["address"] == "Kec. Tegalsari, Kota Surabaya"
    assert open311.public_request({**row, "status": "reopened"}, "id")["status"] == "open"


def test_a_form_becomes_a_complaint_with_the_reporter_apart():
    form = {
        "service_code": "sampah",
        "address_string": "Jl. Embong Malang 1, Tegalsari",
        "first_name": "Budi",
        "phone": "0812",
        "description": "tumpukan sampah",
    }
    made = open311.event_from_form(form, "warga-app", dt.datetime(2026, 11, 27, tzinfo=dt.UTC), "id")
    assert made["type"] == "complaint.created" and made["source"] == "warga-app"
    data = made["data"]
    assert data["kecamatan"] == "Tegalsari" and data["channel"] == "app" and data["text"] == "tumpukan sampah"
    assert data["reporter"] == {"name": "Budi", "phone": "0812", "address": "Jl. Embong Malang 1, Tegalsari"}
    with pytest.raises(open311.Open311Error):
        open311.event_from_form({"service_code": "sampah", "lat": "-7.2"}, "x", dt.datetime.now(dt.UTC), "id")


def test_the_city_outline_agrees_with_the_locator():
    """The front door's in-or-out check (one polygon) refuses exactly what the ingestor would locate nowhere."""
    import numpy as np

    from dashboard.reference import CITY_BBOX
    from dashboard.settings import Settings
    from data_sources.geo.locations import city_outline, outside_city
    from data_sources.geo.locator import locator_for

    rng = np.random.default_rng(7)
    x0, y0, x1, y1 = CITY_BBOX
    lons, lats = rng.uniform(x0 - 0.05, x1 + 0.05, 4000), rng.uniform(y0 - 0.05, y1 + 0.05, 4000)
    settings = Settings()
    located = [place is not None for place in locator_for(settings).locate(lons, lats)]
    inside = city_outline(settings).contains(lons, lats).tolist()
    assert sum(located) > 1000 and inside == located
    places = [
        ("Tegalsari", None, None, None),
        ("Waru", None, None, None),
        (None, None, -6.2, 106.8),
        (None, None, None, None),
    ]
    assert outside_city(places, city_outline(settings)) == [False, True, True, False]
