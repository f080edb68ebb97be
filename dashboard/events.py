"""The event contract of ../shared/EVENTS.md as strict pydantic models.

`parse_event` turns the raw `event` field of a stream entry into a typed event or raises
`InvalidEvent` with a reason a producer can act on. Unknown extra fields are ignored, because
the contract grows only by optional fields and an older Pantau must keep accepting newer events.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

MAX_EVENT_BYTES = 64 * 1024
SCHEMA_VERSION = 1

CHANNELS = ("phone", "sms", "whatsapp", "email", "app", "web", "twitter", "instagram", "facebook", "walk_in")
COMPLAINT_CATEGORIES = (
    "jalan_rusak",
    "banjir_genangan",
    "sampah",
    "penerangan_jalan",
    "administrasi_kependudukan",
    "kesehatan",
    "pendidikan",
    "perizinan",
    "ketertiban_umum",
    "lainnya",
)
COMPLAINT_STATUSES = ("verified", "dispositioned", "in_progress", "responded", "resolved", "rejected", "reopened")
INCIDENT_CATEGORIES = (
    "fire",
    "flood",
    "traffic_accident",
    "medical",
    "social",
    "missing_person",
    "infrastructure",
    "other",
)
INCIDENT_OUTCOMES = ("handled", "false_alarm", "transferred", "cancelled")
EGOV_DOMAINS = ("planning", "staffing", "procurement", "budgeting")
EGOV_UNITS = ("pct", "idr", "count", "days")
INFO_CHANNELS = ("web", "email", "letter", "walk_in", "phone", "app")
INFO_STATUSES = (
    "acknowledged",
    "extended",
    "granted",
    "partially_granted",
    "rejected",
    "not_held",
    "objection_filed",
    "objection_answered",
    "dispute_filed",
)

Channel = Literal[CHANNELS]  # type: ignore[valid-type]
ComplaintStatus = Literal[COMPLAINT_STATUSES]  # type: ignore[valid-type]
IncidentCategory = Literal[INCIDENT_CATEGORIES]  # type: ignore[valid-type]

Identifier = Annotated[StrictStr, Field(min_length=1, max_length=128)]
# Categories and metric codes are open lists in the contract ("e.g."), so they are checked by shape.
Code = Annotated[StrictStr, Field(pattern=r"^[a-z0-9_]{1,64}$")]
OpdCode = Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9_.\-]{1,32}$")]
PlaceRef = Annotated[StrictStr, Field(min_length=1, max_length=100)]
ShortText = Annotated[StrictStr, Field(max_length=200)]
FreeText = Annotated[StrictStr, Field(max_length=20_000)]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Latitude = Annotated[float, Field(strict=True, ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(strict=True, ge=-180, le=180, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Location(_Strict):
    kecamatan: PlaceRef | None = None
    kelurahan: PlaceRef | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None

    @model_validator(mode="after")
    def _both_coordinates(self):
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon come together or not at all")
        return self


class Reporter(_Strict):
    name: ShortText | None = None
    phone: ShortText | None = None
    email: ShortText | None = None
    nik: ShortText | None = None
    address: Annotated[StrictStr, Field(max_length=1000)] | None = None


class Caller(_Strict):
    name: ShortText | None = None
    phone: ShortText | None = None


class ComplaintCreatedData(Location):
    complaint_id: Identifier
    channel: Channel
    category: Code
    opd: OpdCode | None = None
    text: FreeText | None = None
    reporter: Reporter | None = None
    sla_hours: Annotated[float, Field(strict=True, gt=0, le=24 * 90, allow_inf_nan=False)] | None = None


class ComplaintStatusData(_Strict):
    complaint_id: Identifier
    status: ComplaintStatus
    opd: OpdCode | None = None
    reply_channel: Channel | None = None
    note: FreeText | None = None

    @model_validator(mode="after")
    def _disposition_names_opd(self):
        if self.status == "dispositioned" and self.opd is None:
            raise ValueError("a 'dispositioned' status requires opd")
        return self


class IncidentReportedData(Location):
    incident_id: Identifier
    category: IncidentCategory
    priority: Annotated[StrictInt, Field(ge=1, le=3)]
    call_answered_at: AwareDatetime | None = None
    caller: Caller | None = None
    description: FreeText | None = None


class IncidentDispatchedData(_Strict):
    incident_id: Identifier
    unit: Annotated[StrictStr, Field(min_length=1, max_length=64)]
    agency: Annotated[StrictStr, Field(min_length=1, max_length=32)]


class IncidentArrivedData(_Strict):
    incident_id: Identifier
    unit: Annotated[StrictStr, Field(min_length=1, max_length=64)]


class IncidentClosedData(_Strict):
    incident_id: Identifier
    outcome: Literal[INCIDENT_OUTCOMES]  # type: ignore[valid-type]


class Requester(_Strict):
    name: ShortText | None = None
    nik: ShortText | None = None
    email: ShortText | None = None
    phone: ShortText | None = None
    address: Annotated[StrictStr, Field(max_length=1000)] | None = None
    organisation: ShortText | None = None


class InfoRequestCreatedData(_Strict):
    request_id: Identifier
    opd: OpdCode
    channel: Literal[INFO_CHANNELS]  # type: ignore[valid-type]
    information_kind: Code | None = None
    requester: Requester | None = None
    text: FreeText | None = None


class InfoRequestStatusData(_Strict):
    request_id: Identifier
    status: Literal[INFO_STATUSES]  # type: ignore[valid-type]
    reason: FreeText | None = None
    exemption: Code | None = None  # e.g. pasal_17_a (UU KIP art. 17)
    note: FreeText | None = None

    @model_validator(mode="after")
    def _statutory_fields(self):
        # UU KIP: an extension needs a written reason, a refusal names its exemption
        if self.status == "extended" and not (self.reason or "").strip():
            raise ValueError("an 'extended' status requires a reason")
        if self.status == "rejected" and self.exemption is None:
            raise ValueError("a 'rejected' status requires the exemption it rests on (e.g. pasal_17_a)")
        return self


_PERIOD_RE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


class EgovKpiData(_Strict):
    domain: Literal[EGOV_DOMAINS]  # type: ignore[valid-type]
    metric: Code
    opd: OpdCode
    period: StrictStr
    value: Number
    target: Number | None = None
    unit: Literal[EGOV_UNITS] | None = None  # type: ignore[valid-type]

    @field_validator("period")
    @classmethod
    def _real_period(cls, value: str) -> str:
        if not _PERIOD_RE.match(value):
            raise ValueError("period must be YYYY-MM or YYYY-MM-DD")
        try:
            dt.date.fromisoformat(value if len(value) == 10 else value + "-01")
        except ValueError:
            raise ValueError(f"period {value!r} is not a real month or day") from None
        return value


class _Envelope(_Strict):
    event_id: Identifier
    occurred_at: AwareDatetime
    source: Annotated[StrictStr, Field(max_length=64)] | None = None
    schema_version: Literal[1] = Field(alias="schema")

    @field_validator("occurred_at")
    @classmethod
    def _to_utc(cls, value: dt.datetime) -> dt.datetime:
        return value.astimezone(dt.UTC)

    @field_validator("schema_version", mode="before")
    @classmethod
    def _schema_is_int(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"schema must be the integer {SCHEMA_VERSION}")
        return value


class ComplaintCreated(_Envelope):
    type: Literal["complaint.created"]
    data: ComplaintCreatedData


class ComplaintStatusChanged(_Envelope):
    type: Literal["complaint.status"]
    data: ComplaintStatusData


class IncidentReported(_Envelope):
    type: Literal["incident.reported"]
    data: IncidentReportedData


class IncidentDispatched(_Envelope):
    type: Literal["incident.dispatched"]
    data: IncidentDispatchedData


class IncidentArrived(_Envelope):
    type: Literal["incident.arrived"]
    data: IncidentArrivedData


class IncidentClosed(_Envelope):
    type: Literal["incident.closed"]
    data: IncidentClosedData


class EgovKpiReading(_Envelope):
    type: Literal["egov.kpi"]
    data: EgovKpiData


class InfoRequestCreated(_Envelope):
    type: Literal["info_request.created"]
    data: InfoRequestCreatedData


class InfoRequestStatusChanged(_Envelope):
    type: Literal["info_request.status"]
    data: InfoRequestStatusData


Event = Annotated[
    ComplaintCreated
    | ComplaintStatusChanged
    | IncidentReported
    | IncidentDispatched
    | IncidentArrived
    | IncidentClosed
    | EgovKpiReading
    | InfoRequestCreated
    | InfoRequestStatusChanged,
    Field(discriminator="type"),
]
EVENT_TYPES = (
    "complaint.created",
    "complaint.status",
    "incident.reported",
    "incident.dispatched",
    "incident.arrived",
    "incident.closed",
    "egov.kpi",
    "info_request.created",
    "info_request.status",
)
# Which stream carries which types; an event on the wrong stream is refused.
STREAM_TYPES = {
    "complaints": {"complaint.created", "complaint.status"},
    "incidents": {"incident.reported", "incident.dispatched", "incident.arrived", "incident.closed"},
    "egov": {"egov.kpi"},
    "info": {"info_request.created", "info_request.status"},
}
_EVENT_ADAPTER: TypeAdapter = TypeAdapter(Event)


class InvalidEvent(ValueError):
    """The entry breaks the contract; `reason` says how, for the dead-letter stream."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False)[:5]:
        where = ".".join(str(p) for p in item["loc"]) or "event"
        message = item["msg"]
        if item["type"] == "union_tag_invalid":
            message = f"unknown type; expected one of {', '.join(EVENT_TYPES)}"
        elif item["type"] == "union_tag_not_found":
            message = "missing required field 'type'"
        elif item["type"] == "timezone_aware":
            message = "timestamp without a UTC offset is ambiguous"
        elif item["type"] == "literal_error" and item["loc"][-1:] == ("schema",):
            message = f"unknown schema version {item.get('input')!r}; expected {SCHEMA_VERSION}"
        parts.append(f"{where}: {message}")
    more = len(error.errors()) - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def parse_event(raw: bytes | str, stream: str | None = None) -> Event:
    """Validate one entry's `event` value; raise InvalidEvent with a reason."""
    return parse_event_with_fingerprint(raw, stream)[0]


def parse_event_with_fingerprint(raw: bytes | str, stream: str | None = None) -> tuple[Event, str]:
    """The event and a stable hash of its body, to tell a retry from a conflicting reuse of an event_id."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_EVENT_BYTES:
        raise InvalidEvent(f"event is {len(raw)} bytes, larger than the {MAX_EVENT_BYTES}-byte limit")
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidEvent(f"not valid UTF-8 JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidEvent(f"event must be a JSON object, got {type(document).__name__}")
    try:
        event = _EVENT_ADAPTER.validate_python(document)
    except ValidationError as exc:
        raise InvalidEvent(_describe(exc)) from None
    if stream is not None and stream in STREAM_TYPES and event.type not in STREAM_TYPES[stream]:
        raise InvalidEvent(f"type {event.type!r} does not belong on the {stream!r} stream")
    return event, hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


def validate_document(document: dict[str, Any]) -> Event:
    """Validate an event already decoded from JSON (the event API decodes a whole batch at once); the same
    rules as parse_event, without decoding again or fingerprinting. The caller checks the encoded size."""
    try:
        return _EVENT_ADAPTER.validate_python(document)
    except ValidationError as exc:
        raise InvalidEvent(_describe(exc)) from None


def json_schema() -> dict[str, Any]:
    """The JSON Schema that producers can validate their events against."""
    schema = _EVENT_ADAPTER.json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Pantau Surabaya event (schema 1)"
    schema["description"] = (
        "One entry's `event` field on {prefix}:complaints, {prefix}:incidents, {prefix}:egov or {prefix}:info; "
        f"UTF-8 JSON of at most {MAX_EVENT_BYTES} bytes."
    )
    return schema
