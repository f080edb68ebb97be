"""Open311 GeoReport v2 at /open311/v2 (the rules and both formats are in dashboard/open311.py).

    GET  discovery.{json,xml}                 where this endpoint is and what it speaks
    GET  services.{json,xml}                  the complaint categories
    GET  services/{code}.{json,xml}           a category's attributes (the optional kecamatan)
    POST requests.{json,xml}                  form-encoded, with api_key: becomes a complaint.created
    GET  requests.{json,xml}                  public view, 90 days or 1000 requests at most
    GET  requests/{id}.{json,xml}             one request (its complaint number)

A POST goes through the same gateway as POST /api/v1/events (data_sources/stream/gateway.py): the key must
be a producer's registered with --open311, the event is checked as any other, and the request number is
answered only once Redis confirmed the XADD. Errors are the spec's `errors` (a list of code and description)
with 404 for what does not exist, 403 for the api_key, 400 for the rest; 429 and 503 carry Retry-After.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import flask
import orjson
import redis
from sqlalchemy.exc import SQLAlchemyError

from callbacks.access import current_services
from dashboard import open311 as spec
from dashboard.i18n import language, t
from dashboard.producers import OPEN311_TYPE
from data_sources.store.producers import verify
from data_sources.views import open311 as views
from web import api

log = logging.getLogger(__name__)

PREFIX = "/open311/v2/"
ENDPOINT_PREFIX = "pantau_open311_"
SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
MAX_FORM_BYTES = 64 * 1024
MAX_SPAN = dt.timedelta(days=90)


def _lang() -> str:
    return language(flask.request.values.get("lang", current_services().settings.default_language))


def _answer(fmt: str, body: Any, root: str, item: str | None, status: int = 200) -> flask.Response:
    data = orjson.dumps(body) if fmt == "json" else spec.to_xml(root, item, body)
    return flask.Response(data, status, content_type=spec.FORMATS[fmt])


def _errors(fmt: str, status: int, description: str, **headers: str) -> flask.Response:
    if fmt == "json":
        data = orjson.dumps([{"code": status, "description": description}])
    else:
        data = spec.errors_xml([(status, description)])
    response = flask.Response(data, status, content_type=spec.FORMATS[fmt])
    response.headers.update(headers)
    return response


def _check_jurisdiction(lang: str) -> None:
    given = (flask.request.values.get("jurisdiction_id") or "").strip()
    if given and given != current_services().settings.open311_jurisdiction:
        raise spec.Open311Error(404, t("open311.error.jurisdiction", lang, value=given[:100]))


def _services() -> list[str]:
    return sorted(api.gateway().categories)


def get_discovery(fmt: str):
    settings = current_services().settings
    body = {
        "changeset": "2026-12-05T00:00:00+07:00",
        "contact": "Media Center Kota Surabaya",
        "key_service": "app.py producers add NAME --types complaint.created --source NAME --open311",
        "endpoints": [
            {
                "specification": SPEC_URL,
                "url": flask.request.host_url.rstrip("/") + PREFIX.rstrip("/"),
                "changeset": "2026-12-05T00:00:00+07:00",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
        "jurisdiction_id": settings.open311_jurisdiction,
    }
    return _answer(fmt, body, "discovery", None)


def get_services(fmt: str):
    lang = _lang()
    _check_jurisdiction(lang)
    return _answer(fmt, spec.service_list(_services(), lang), "services", "service")


def get_service(code: str, fmt: str):
    lang = _lang()
    _check_jurisdiction(lang)
    if code not in _services():
        raise spec.Open311Error(404, t("open311.error.service_code", lang, value=code[:64]))
    return _answer(fmt, spec.service_definition(code, lang), "service_definition", None)


def _form() -> dict[str, str]:
    request = flask.request
    if request.mimetype != "application/x-www-form-urlencoded":
        raise spec.Open311Error(400, t("open311.error.form", _lang()))
    if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
        raise spec.Open311Error(413, t("open311.error.too_long", _lang(), field="body", limit=MAX_FORM_BYTES))
    request.max_form_memory_size = MAX_FORM_BYTES
    return {k: v for k, v in request.form.items()}


def post_request(fmt: str):
    lang = _lang()
    form = _form()
    _check_jurisdiction(lang)
    try:
        scope = verify(current_services().engine, form.get("api_key", "").strip())
    except SQLAlchemyError:
        return _errors(fmt, 503, t("open311.error.unavailable", lang), **{"Retry-After": "5"})
    if scope is None or not scope.open311 or not scope.allows_type(OPEN311_TYPE):
        return _errors(fmt, 403, t("open311.error.api_key", lang))
    code = (form.get("service_code") or "").strip()
    if not code:
        raise spec.Open311Error(400, t("open311.error.missing", lang, field="service_code"))
    if code not in _services():
        raise spec.Open311Error(404, t("open311.error.service_code", lang, value=code[:64]))
    event = spec.event_from_form(form, scope.source, dt.datetime.now(dt.UTC), lang)
    try:
        api.rate_limit(scope, 1)
        result = api.gateway().submit(scope, [event])[0]
    except api.Refusal as refusal:
        retry = refusal.response.headers.get("Retry-After", "5")
        key = "open311.error.rate" if refusal.response.status_code == 429 else "open311.error.unavailable"
        return _errors(fmt, refusal.response.status_code, t(key, lang, seconds=retry), **{"Retry-After": retry})
    except redis.RedisError:
        return _errors(fmt, 503, t("open311.error.unavailable", lang), **{"Retry-After": "5"})
    if result.status != 202:
        return _errors(fmt, 400, t("open311.error.refused", lang, reason=result.reason))
    request_id = event["data"]["complaint_id"]
    log.info("open311: %s posted %s (%s)", scope.name, request_id, result.entry_id)
    body = [
        {
            "service_request_id": request_id,
            "service_notice": t("open311.notice", lang, id=request_id),
            "account_id": None,
        }
    ]
    return _answer(fmt, body, "service_requests", "request")


def _w3_param(name: str, lang: str) -> dt.datetime | None:
    raw = (flask.request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise spec.Open311Error(400, t("open311.error.parameter", lang, field=name, value=raw[:40]))
    return value


def _listed(raw: str | None) -> list[str]:
    return [p.strip() for p in (raw or "").split(",") if p.strip()]


def get_requests(fmt: str):
    lang = _lang()
    _check_jurisdiction(lang)
    engine = current_services().engine
    ids = _listed(flask.request.args.get("service_request_id"))
    if ids:  # "this overrides all other arguments"
        rows = views.requests_by_id(engine, ids)
    else:
        statuses = set(_listed(flask.request.args.get("status")))
        if not statuses <= {"open", "closed"}:
            raise spec.Open311Error(
                400, t("open311.error.parameter", lang, field="status", value=",".join(sorted(statuses))[:40])
            )
        codes = _listed(flask.request.args.get("service_code"))
        unknown = [c for c in codes if c not in _services()]
        if unknown:
            raise spec.Open311Error(404, t("open311.error.service_code", lang, value=unknown[0][:64]))
        start, end = _w3_param("start_date", lang), _w3_param("end_date", lang)
        end = end or (start + MAX_SPAN if start else dt.datetime.now(dt.UTC))
        start = start or end - MAX_SPAN
        if end < start or end - start > MAX_SPAN:
            raise spec.Open311Error(
                400, t("open311.error.parameter", lang, field="start_date/end_date", value="> 90 days")
            )
        rows = views.requests_between(engine, start, end, codes, statuses or None, spec.CLOSED_STATUSES)
    return _answer(fmt, [spec.public_request(r, lang) for r in rows], "service_requests", "request")


def get_request(request_id: str, fmt: str):
    lang = _lang()
    _check_jurisdiction(lang)
    rows = views.requests_by_id(current_services().engine, [request_id])
    if not rows:
        raise spec.Open311Error(404, t("open311.error.request", lang, value=request_id[:128]))
    return _answer(fmt, [spec.public_request(rows[0], lang)], "service_requests", "request")


def _format_of_path() -> str:
    return "json" if flask.request.path.endswith(".json") else "xml"


def _on_error(exc: spec.Open311Error):
    return _errors(_format_of_path(), exc.status, exc.description)


def guard():
    """Under /open311/: our routes, else the spec's 404 (never Dash's catch-all HTML shell)."""
    request = flask.request
    if not request.path.startswith("/open311/"):
        return None
    if request.endpoint and request.endpoint.startswith(ENDPOINT_PREFIX):
        return None
    return _errors(_format_of_path(), 404, t("open311.error.not_found", _lang()))


def _after(response: flask.Response) -> flask.Response:
    if flask.request.path.startswith("/open311/"):
        response.headers.pop("Set-Cookie", None)
        endpoint = flask.request.endpoint or ""
        if endpoint.endswith(("_services", "_service", "_discovery")) and response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=300"
        elif flask.request.method == "GET" and response.status_code == 200:
            response.headers["Cache-Control"] = "no-cache"  # a citizen following a complaint sees it change
        else:
            response.headers["Cache-Control"] = "no-store"
    return response


def install(server: flask.Flask) -> None:
    fmt = "<any(json,xml):fmt>"
    rules = (
        (f"{PREFIX}discovery.{fmt}", "discovery", get_discovery, ["GET"]),
        (f"{PREFIX}services.{fmt}", "services", get_services, ["GET"]),
        (f"{PREFIX}services/<code>.{fmt}", "service", get_service, ["GET"]),
        (f"{PREFIX}requests.{fmt}", "requests", get_requests, ["GET"]),
        (f"{PREFIX}requests.{fmt}", "post_request", post_request, ["POST"]),
        (f"{PREFIX}requests/<request_id>.{fmt}", "request", get_request, ["GET"]),
    )
    for path, name, view, methods in rules:
        server.add_url_rule(path, ENDPOINT_PREFIX + name, view, methods=methods)
    server.register_error_handler(spec.Open311Error, _on_error)
    server.before_request_funcs.setdefault(None, []).insert(1, guard)
    server.after_request(_after)
