"""The rules of the producers' front door (POST /api/v1/events, Open311): names, API keys, scopes, and what
an event must be to be accepted there. Plain Python: the web layer asks here, the store keeps the keys.

An API key is `pantau_` and 43 URL-safe characters (32 random bytes). Only its SHA-256 is stored: with 256
bits of entropy a fast hash is as good as a slow one against guessing, and it lets every request find its
producer with one indexed lookup. A key's scope is a list of event-type patterns (`complaint.*`,
`incident.reported`, `*`) and one `source`: the event's `source` must be the producer's own.

The API is stricter than the streams: an event the ingestor would keep with its location unknown, or with a
category nobody configured, is refused here with the reason, because the producer is still on the line to
fix it (the web layer checks the location against the map; see web/api.py).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson

from dashboard import events as ev

KEY_PREFIX = "pantau_"
KEY_RE = re.compile(r"^pantau_[A-Za-z0-9_-]{43}$")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
SOURCE_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
MAX_BATCH = 500
# What a producer registered with --open311 may publish through /open311/v2 (complaint.created only).
OPEN311_TYPE = "complaint.created"
_TYPE_FAMILIES = sorted({t.split(".", 1)[0] for t in ev.EVENT_TYPES})


class ProducerError(ValueError):
    """A name, scope or source the rules refuse; the message says why."""


class Refused(ValueError):
    """One event the front door does not accept: `status` (400 invalid, 403 outside the key's scope),
    a stable `error` code and the `reason` a producer can act on."""

    def __init__(self, status: int, error: str, reason: str):
        super().__init__(reason)
        self.status, self.error, self.reason = status, error, reason


@dataclass(frozen=True)
class Scope:
    """What one key may publish."""

    name: str
    types: tuple[str, ...]
    source: str
    open311: bool = False

    @cached_property
    def allowed_types(self) -> frozenset[str]:
        return frozenset(t for t in ev.EVENT_TYPES if any(type_matches(p, t) for p in self.types))

    def allows_type(self, event_type: str) -> bool:
        return event_type in self.allowed_types


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def key_hint(key: str) -> str:
    """The first characters of a key, stored so an operator can tell which key a producer holds."""
    return key[: len(KEY_PREFIX) + 4]


def looks_like_key(raw: object) -> bool:
    return isinstance(raw, str) and KEY_RE.match(raw) is not None


def check_name(raw: str) -> str:
    name = raw.strip().lower() if isinstance(raw, str) else ""
    if not NAME_RE.match(name):
        raise ProducerError(
            f"producer name {raw!r} is not valid: 2 to 64 characters, lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_source(raw: str) -> str:
    if not isinstance(raw, str) or not SOURCE_RE.match(raw):
        raise ProducerError(f"source {raw!r} is not valid: 1 to 64 letters, digits, '.', '_' or '-'")
    return raw


def parse_types(raw: str) -> tuple[str, ...]:
    """'complaint.*,incident.reported' -> its patterns; each names a known type, a family.* or *."""
    patterns = tuple(dict.fromkeys(p.strip() for p in (raw or "").split(",") if p.strip()))
    if not patterns:
        raise ProducerError("--types needs at least one event type, e.g. 'complaint.*,incident.*'")
    for pattern in patterns:
        family = pattern[:-2] if pattern.endswith(".*") else None
        if pattern != "*" and pattern not in ev.EVENT_TYPES and family not in _TYPE_FAMILIES:
            raise ProducerError(
                f"unknown event type {pattern!r}: use one of {', '.join(ev.EVENT_TYPES)}, "
                f"a family ({', '.join(f + '.*' for f in _TYPE_FAMILIES)}) or *"
            )
    return patterns


def type_matches(pattern: str, event_type: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


def known_categories(configured: Iterable[str] = ()) -> frozenset[str]:
    """The complaint categories the front door accepts: the contract's and any configured SLA category."""
    return frozenset(ev.COMPLAINT_CATEGORIES) | frozenset(configured)


def check_event(document: Any, scope: Scope, categories: frozenset[str]) -> tuple[ev.Event, bytes]:
    """One event of a request, checked as the ingestor checks it and then against the key's scope.

    Returns the typed event and the exact bytes to XADD. An event without `source` gets the producer's
    (so a retry produces the same bytes, and the ingestor's idempotence holds)."""
    if not isinstance(document, dict):
        raise Refused(400, "invalid_event", f"an event must be a JSON object, got {_json_type(document)}")
    event_type = document.get("type")
    if isinstance(event_type, str) and event_type in ev.EVENT_TYPES and not scope.allows_type(event_type):
        raise Refused(403, "type_not_allowed", f"this key may publish {', '.join(scope.types)}; not {event_type!r}")
    source = document.get("source")
    if source is None:
        document = {**document, "source": scope.source}
    elif source != scope.source:
        raise Refused(403, "source_not_allowed", f"this key publishes as source {scope.source!r}; got {source!r}")
    raw = orjson.dumps(document)
    if len(raw) > ev.MAX_EVENT_BYTES:
        raise Refused(
            400, "invalid_event", f"event is {len(raw)} bytes, larger than the {ev.MAX_EVENT_BYTES}-byte limit"
        )
    try:
        event = ev.validate_document(document)
    except ev.InvalidEvent as exc:
        raise Refused(400, "invalid_event", exc.reason) from None
    if event.type == "complaint.created" and event.data.category not in categories:
        raise Refused(
            400,
            "unknown_category",
            f"data.category {event.data.category!r} is not one of {', '.join(sorted(categories))}",
        )
    return event, raw


def location_of(event: ev.Event) -> tuple[str | None, str | None, float | None, float | None] | None:
    """(kecamatan, kelurahan, lat, lon) of an event that carries a location, else None."""
    data = event.data
    if not isinstance(data, ev.Location):
        return None
    if data.kecamatan is None and data.kelurahan is None and data.lat is None:
        return None
    return data.kecamatan, data.kelurahan, data.lat, data.lon


def outside_city_reason(place: tuple) -> str:
    kecamatan, _kelurahan, lat, lon = place
    if lat is not None:
        return f"data.lat/lon ({lat}, {lon}) is outside Kota Surabaya"
    return f"data.kecamatan {kecamatan!r} is not a kecamatan of Kota Surabaya"


def _json_type(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")
