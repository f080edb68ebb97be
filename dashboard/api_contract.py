"""The OpenAPI 3.1 document of /api/v1, generated from the same pydantic models the ingestor validates with
(dashboard/events.py) and from the answer models below, so the document cannot drift from the code."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

from dashboard import events as ev
from dashboard.producers import MAX_BATCH


class AcceptedItem(BaseModel):
    index: int = Field(description="position of the event in the request (0 for a single event)")
    event_id: str | None
    status: Literal[202]
    stream: Literal["complaints", "incidents", "egov"]
    entry_id: str = Field(description="the Redis stream entry id, given only once Redis confirmed the XADD")


class RefusedItem(BaseModel):
    index: int
    event_id: str | None
    status: Literal[400, 403]
    error: Literal["invalid_event", "unknown_category", "outside_city", "type_not_allowed", "source_not_allowed"]
    reason: str = Field(description="what is wrong, in terms a producer can act on")


class Answer(BaseModel):
    accepted: int
    refused: int
    results: list[AcceptedItem | RefusedItem]


class ErrorBody(BaseModel):
    error: str = Field(
        description="missing_key, invalid_key, unsupported_media_type, malformed_json, invalid_body, "
        "body_too_large, too_many_events, rate_limited, unavailable, not_found, method_not_allowed"
    )
    reason: str


class Health(BaseModel):
    can_publish: bool
    redis: Literal["ok", "unreachable"]
    memory_used_pct: float | None = None
    reason: str | None = None


def _schemas() -> dict[str, Any]:
    event_schema = TypeAdapter(ev.Event).json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    defs = event_schema.pop("$defs", {})
    defs["Event"] = event_schema
    for model in (Answer, ErrorBody, Health):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        defs.update(schema.pop("$defs", {}))
        defs[model.__name__] = schema
    return defs


def _error(description: str, retry: bool = False) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    if retry:
        answer["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}}
    return answer


@lru_cache(maxsize=4)
def openapi_document(max_body_bytes: int, rate_limit: tuple[int, int]) -> dict[str, Any]:
    answer = {"application/json": {"schema": {"$ref": "#/components/schemas/Answer"}}}
    events_body = {
        "oneOf": [
            {"$ref": "#/components/schemas/Event"},
            {"type": "array", "items": {"$ref": "#/components/schemas/Event"}, "minItems": 1, "maxItems": MAX_BATCH},
        ]
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Pantau Surabaya event API",
            "version": "1",
            "description": (
                "Publish events of the Pantau Surabaya contract (schema 1) without Redis credentials. "
                f"One event (a JSON object) or a batch of at most {MAX_BATCH} (a JSON array), at most "
                f"{max_body_bytes} bytes per request and {rate_limit[0]} events per {rate_limit[1]} s per key. "
                "Each event is answered by itself: its stream entry id once Redis confirmed it, or the reason "
                "it was refused. The same event_id sent again is stored once (a retry is safe)."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer", "description": "app.py producers add"}},
        },
        "security": [{"apiKey": []}],
        "paths": {
            "/events": {
                "post": {
                    "summary": "Publish one event or a batch",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": events_body}}},
                    "responses": {
                        "202": {"description": "every event accepted (entry ids given)", "content": answer},
                        "207": {
                            "description": "a batch with refused events: each item has its status",
                            "content": answer,
                        },
                        "400": {"description": "a single event refused, or a malformed body", "content": answer},
                        "401": _error("no key, or a key that is unknown or revoked"),
                        "403": {"description": "a single event outside the key's scope", "content": answer},
                        "413": _error("body over the limit, or more events than a batch may hold"),
                        "415": _error("Content-Type is not application/json"),
                        "429": _error("the key's rate limit is used up", retry=True),
                        "503": _error("Redis unavailable: nothing in the request was confirmed", retry=True),
                    },
                }
            },
            "/health": {
                "get": {
                    "summary": "Can producers publish now",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "yes",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}},
                        },
                        "503": {
                            "description": "no (Redis unreachable or full)",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}},
                        },
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI 3.1"}},
                }
            },
        },
    }
