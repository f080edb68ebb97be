"""Open311 GeoReport v2 as a client written by others uses it: both formats, a request posted with an API
key, read back, closed once the complaint is answered; errors in the spec's shape; no personal data in the
public answers, sensitive categories not listed. Real Redis, the ingestor, SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import orjson
import pytest

from data_sources import redis_keys
from data_sources.store.producers import add_producer
from tests.conftest import make_event

V2 = "/open311/v2"
REPORTER = {"first_name": "Siti", "last_name": "Rahayuningsih", "phone": "081234567890", "email": "siti.r@example.id"}
TEXT = "Lubang besar di depan rumah nomor 17, sudah tiga minggu"


@pytest.fixture
def app(settings, engine):
    from web.factory import create_app

    return create_app(settings, engine=engine)


@pytest.fixture
def client(app):
    return app.server.test_client()


@pytest.fixture
def key(engine):
    return add_producer(engine, "warga-app", "complaint.*", "warga-app", open311=True)[1]


def xml_items(response, item: str) -> list[dict]:
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert response.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(response.data)
    return [{child.tag: (child.text or "") for child in element} for element in root.iter(item)]


def test_a_client_lists_posts_reads_back_and_sees_it_closed_in_both_formats(
    client, key, settings, redis_client, ingest_until_idle
):
    services = client.get(f"{V2}/services.json").json
    codes = {s["service_code"]: s for s in services}
    assert codes["jalan_rusak"]["service_name"] == "Jalan rusak" and codes["jalan_rusak"]["type"] == "realtime"
    assert set(services[0]) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
    assert {s["service_code"] for s in xml_items(client.get(f"{V2}/services.xml"), "service")} == set(codes)
    definition = client.get(f"{V2}/services/jalan_rusak.xml")
    root = ET.fromstring(definition.data)
    assert root.tag == "service_definition" and root.findtext("attributes/attribute/code") == "kecamatan"
    assert len(root.findall("attributes/attribute/values/value")) == 31
    assert client.get(f"{V2}/services/jalan_rusak.json").json["attributes"][0]["datatype"] == "singlevaluelist"

    ids = {}
    for fmt, place in (
        ("json", {"lat": "-7.2575", "long": "112.7521"}),
        ("xml", {"address_string": "Jl. Kali Rungkut 5, Rungkut, Surabaya"}),
    ):
        form = {"api_key": key, "jurisdiction_id": "surabaya.go.id", "service_code": "jalan_rusak", "description": TEXT}
        posted = client.post(f"{V2}/requests.{fmt}", data={**form, **place, **REPORTER})
        assert posted.status_code == 200, posted.data
        answer = posted.json[0] if fmt == "json" else xml_items(posted, "request")[0]
        assert set(answer) == {"service_request_id", "service_notice", "account_id"}
        ids[fmt] = answer["service_request_id"]
    ingest_until_idle()

    for fmt, request_id in ids.items():
        response = client.get(f"{V2}/requests/{request_id}.{fmt}")
        request = response.json[0] if fmt == "json" else xml_items(response, "request")[0]
        assert request["status"] == "open" and request["service_code"] == "jalan_rusak"
        assert request["requested_datetime"].endswith("+07:00") and request["expected_datetime"]
        for personal in (*REPORTER.values(), TEXT, "Kali Rungkut"):
            assert personal.encode() not in response.data
    by_xml = xml_items(client.get(f"{V2}/requests/{ids['xml']}.xml"), "request")[0]
    assert by_xml["address"] == "Kec. Rungkut, Kota Surabaya"  # the kecamatan, from the address's parts

    answered_at = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)).replace(microsecond=0)
    answered = make_event(
        f"{ids['json']}-responded",
        "complaint.status",
        {"complaint_id": ids["json"], "status": "responded", "note": "Sudah ditambal"},
        occurred_at=answered_at.isoformat(),
    )
    redis_client.xadd(redis_keys.stream_key(settings, "complaints"), {"event": orjson.dumps(answered)})
    ingest_until_idle()
    closed = client.get(f"{V2}/requests/{ids['json']}.json").json[0]
    assert closed["status"] == "closed" and closed["status_notes"] == "Ditanggapi"
    assert dt.datetime.fromisoformat(closed["updated_datetime"]) == answered_at
    listed = client.get(f"{V2}/requests.json?status=closed").json
    assert [r["service_request_id"] for r in listed] == [ids["json"]]
    open_xml = xml_items(client.get(f"{V2}/requests.xml?status=open&service_code=jalan_rusak"), "request")
    assert [r["service_request_id"] for r in open_xml] == [ids["xml"]]
    both = client.get(f"{V2}/requests.json?service_request_id={ids['json']},{ids['xml']}").json
    assert len(both) == 2


def test_sensitive_requests_are_not_listed_at_all(client, key, ingest_until_idle):
    posted = client.post(
        f"{V2}/requests.json",
        data={"api_key": key, "service_code": "kesehatan", "lat": "-7.2575", "long": "112.7521", **REPORTER},
    )
    request_id = posted.json[0]["service_request_id"]
    ingest_until_idle()
    assert client.get(f"{V2}/requests/{request_id}.json").status_code == 404
    assert request_id.encode() not in client.get(f"{V2}/requests.json").data


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_have_the_spec_shape_and_change_nothing(client, key, engine, settings, redis_client, fmt):
    no_open311 = add_producer(engine, "events-only", "complaint.*", "x")[1]
    good = {"api_key": key, "service_code": "sampah", "lat": "-7.2575", "long": "112.7521"}
    cases = [
        (dict(good, api_key="pantau_" + "x" * 43), 403),
        ({k: v for k, v in good.items() if k != "api_key"}, 403),
        (dict(good, api_key=no_open311), 403),
        (dict(good, service_code="graffiti"), 404),
        (dict(good, service_code=""), 400),
        (dict(good, jurisdiction_id="jakarta.go.id"), 404),
        ({"api_key": key, "service_code": "sampah"}, 400),  # no location
        (dict(good, lat="-6.2", long="106.8"), 400),  # outside the city
        (dict(good, lat="abc"), 400),
        (dict(good, description="x" * 4001), 400),
    ]
    for form, status in cases:
        response = client.post(f"{V2}/requests.{fmt}", data=form)
        assert response.status_code == status, (form, response.data)
        if fmt == "json":
            assert response.json[0]["code"] == status and response.json[0]["description"]
        else:
            root = ET.fromstring(response.data)
            assert root.tag == "errors" and root.findtext("error/code") == str(status)
            assert root.findtext("error/description")
    as_json = client.post(f"{V2}/requests.{fmt}", json=good)  # the spec's POST is form-encoded
    assert as_json.status_code == 400
    assert redis_client.xlen(redis_keys.stream_key(settings, "complaints")) == 0
    assert client.get(f"{V2}/requests/NOPE.{fmt}").status_code == 404
    assert client.get(f"{V2}/services.{fmt}?jurisdiction_id=jakarta.go.id").status_code == 404
    assert client.get(f"{V2}/requests.{fmt}?start_date=2026-01-01").status_code == 400  # no UTC offset
    assert client.get(f"{V2}/requests.{fmt}?status=pending").status_code == 400
    unknown = client.get(f"{V2}/nothing.{fmt}")
    assert unknown.status_code == 404 and unknown.headers["Content-Type"].startswith(("application/json", "text/xml"))


def test_headers_of_public_and_posting_answers(client, key):
    listing = client.get(f"{V2}/requests.json")
    assert listing.headers["Access-Control-Allow-Origin"] == "*" and "Set-Cookie" not in listing.headers
    assert listing.headers["Content-Security-Policy"].startswith("default-src 'none'")
    posted = client.post(f"{V2}/requests.json", data={"api_key": "wrong", "service_code": "sampah"})
    assert "Access-Control-Allow-Origin" not in posted.headers and posted.headers["Cache-Control"] == "no-store"
    discovery = client.get(f"{V2}/discovery.json").json
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
