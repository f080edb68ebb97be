"""Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2) as plain rules: the services, a service request's
public view, a POST's form turned into a `complaint.created` event, and both formats of every answer.

- Services are the complaint categories, named in Bahasa Indonesia (English with `lang=en`). Each has one
  optional attribute, `kecamatan` (a singlevaluelist of the 31), for apps without coordinates.
- A request's public view carries no personal data: no name, phone, e-mail or free text (`description` is
  always empty), the location as its kecamatan (name, and the kecamatan's interior point as lat/long),
  `status_notes` from the status code only. Requests in SENSITIVE_CATEGORIES are not shown at all.
- `closed` once the complaint is answered: its current status is responded, resolved or rejected (a
  `reopened` complaint is open again).
- XML is built with xml.etree (escaping is its job), JSON is the Spark-convention mapping: a list of objects
  for services, requests and errors, an object for a service definition.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
import xml.etree.ElementTree as ET
from typing import Any

from dashboard import events as ev
from dashboard.i18n import WIB, label, t
from dashboard.reference import kecamatan, kecamatan_by_code, match_kecamatan

# Civil-registry complaints name a person's documents; health complaints are health data: neither is listed
# publicly, even without names.
SENSITIVE_CATEGORIES = frozenset({"administrasi_kependudukan", "kesehatan"})
CLOSED_STATUSES = frozenset({"responded", "resolved", "rejected"})
CHANNEL = "app"  # what a complaint posted through Open311 came through
MAX_DESCRIPTION = 4000  # GeoReport v2: free text limited to 4,000 characters
MAX_FIELD = 200
KECAMATAN_ATTRIBUTE = "kecamatan"
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
_GROUPS = {
    "jalan_rusak": "infrastruktur",
    "banjir_genangan": "infrastruktur",
    "penerangan_jalan": "infrastruktur",
    "sampah": "lingkungan",
    "ketertiban_umum": "lingkungan",
}


class Open311Error(Exception):
    """An answer of the errors kind: HTTP status (404 unknown, 403 api_key, 400 the rest) and description."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description


def service_list(categories: list[str], lang: str) -> list[dict[str, Any]]:
    return [
        {
            "service_code": code,
            "service_name": label("complaint_category", code, lang),
            "description": t("open311.service.description", lang, name=label("complaint_category", code, lang).lower()),
            "metadata": True,
            "type": "realtime",
            "keywords": ", ".join(
                dict.fromkeys([label("complaint_category", code, "id"), label("complaint_category", code, "en"), code])
            ),
            "group": _GROUPS.get(code, "layanan"),
        }
        for code in categories
    ]


def service_definition(code: str, lang: str) -> dict[str, Any]:
    values = [{"key": k.code, "name": k.name} for k in sorted(kecamatan(), key=lambda k: k.name)]
    return {
        "service_code": code,
        "attributes": [
            {
                "variable": True,
                "code": KECAMATAN_ATTRIBUTE,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": None,
                "order": 1,
                "description": t("open311.attr.kecamatan", lang),
                "values": values,
            }
        ],
    }


def _w3(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(WIB).isoformat(timespec="seconds") if moment else None


def public_request(row: dict[str, Any], lang: str) -> dict[str, Any]:
    """One complaint as GET requests shows it. `row` holds only public columns of `complaints`."""
    place = kecamatan_by_code().get(row["kecamatan_code"] or "")
    closed = row["status"] in CLOSED_STATUSES
    return {
        "service_request_id": row["complaint_id"],
        "status": "closed" if closed else "open",
        "status_notes": t(f"briefing.status.{row['status']}", lang)
        if f"briefing.status.{row['status']}" in _STATUS_KEYS
        else None,
        "service_name": label("complaint_category", row["category"], lang),
        "service_code": row["category"],
        "description": None,
        "agency_responsible": row["opd"],
        "service_notice": None,
        "requested_datetime": _w3(row["created_at"]),
        "updated_datetime": _w3(row["status_at"] or row["created_at"]),
        "expected_datetime": _w3(row["due_at"]),
        "address": f"Kec. {place.name}, Kota Surabaya" if place else "Kota Surabaya",
        "address_id": None,
        "zipcode": None,
        "lat": round(place.lat, 4) if place else None,
        "long": round(place.lon, 4) if place else None,
        "media_url": None,
    }


_STATUS_KEYS = frozenset(f"briefing.status.{s}" for s in ("received", *ev.COMPLAINT_STATUSES))


def _field(form: dict[str, str], name: str, lang: str, limit: int = MAX_FIELD) -> str | None:
    value = (form.get(name) or "").strip()
    if len(value) > limit:
        raise Open311Error(400, t("open311.error.too_long", lang, field=name, limit=limit))
    return value or None


def _coordinate(form: dict[str, str], name: str, lang: str) -> float | None:
    raw = _field(form, name, lang, 40)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Open311Error(400, t("open311.error.number", lang, field=name)) from None
    if not math.isfinite(value):
        raise Open311Error(400, t("open311.error.number", lang, field=name))
    return value


def event_from_form(form: dict[str, str], source: str, now: dt.datetime, lang: str) -> dict[str, Any]:
    """The `complaint.created` event of a POST requests form (already known: service_code is a service)."""
    lat, lon = _coordinate(form, "lat", lang), _coordinate(form, "long", lang)
    if (lat is None) != (lon is None):
        raise Open311Error(400, t("open311.error.lat_long", lang))
    address = _field(form, "address_string", lang, 1000)
    kecamatan_ref = _field(form, f"attribute[{KECAMATAN_ATTRIBUTE}]", lang, 100)
    if lat is None and address is None and _field(form, "address_id", lang) is None:
        raise Open311Error(400, t("open311.error.location", lang))
    if kecamatan_ref is None and address is not None and lat is None:
        # "from most specific to most general": the kecamatan is one of the comma-separated parts
        kecamatan_ref = next((p for p in reversed(address.split(",")) if match_kecamatan(p.strip())), None)
    request_id = f"O311-{now.astimezone(WIB):%Y%m%d}-{secrets.token_hex(4).upper()}"
    name = " ".join(p for p in (_field(form, "first_name", lang), _field(form, "last_name", lang)) if p) or None
    reporter = {
        "name": name,
        "phone": _field(form, "phone", lang),
        "email": _field(form, "email", lang),
        "address": address,
    }
    data: dict[str, Any] = {
        "complaint_id": request_id,
        "channel": CHANNEL,
        "category": form["service_code"],
        "reporter": {k: v for k, v in reporter.items() if v is not None} or None,
        "text": _field(form, "description", lang, MAX_DESCRIPTION),
    }
    if lat is not None:
        data.update(lat=lat, lon=lon)
    if kecamatan_ref is not None:
        data["kecamatan"] = kecamatan_ref.strip()
    return {
        "event_id": f"{request_id}-created",
        "type": "complaint.created",
        "occurred_at": now.isoformat(),
        "source": source,
        "schema": ev.SCHEMA_VERSION,
        "data": {k: v for k, v in data.items() if v is not None},
    }


# --- the two formats -------------------------------------------------------------------------------------


# The element of each item of a list (XML has no arrays; GeoReport v2 names them so).
_LIST_ITEMS = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}


def _xml_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _append(parent: ET.Element, tag: str, value: Any) -> None:
    child = ET.SubElement(parent, tag)
    if isinstance(value, list):
        item_tag = _LIST_ITEMS[tag]
        for item in value:
            if isinstance(item, dict):
                _fill(ET.SubElement(child, item_tag), item)
            else:
                ET.SubElement(child, item_tag).text = _xml_value(item)
    else:
        child.text = _xml_value(value)


def _fill(element: ET.Element, mapping: dict[str, Any]) -> None:
    for key, value in mapping.items():
        _append(element, key, value)


def to_xml(root_tag: str, item_tag: str | None, body: list[dict[str, Any]] | dict[str, Any]) -> bytes:
    root = ET.Element(root_tag)
    if item_tag is None:
        _fill(root, body)  # type: ignore[arg-type]
    else:
        for item in body:
            _fill(ET.SubElement(root, item_tag), item)  # type: ignore[arg-type]
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)


def errors_xml(errors: list[tuple[int, str]]) -> bytes:
    return to_xml("errors", "error", [{"code": code, "description": text} for code, text in errors])
