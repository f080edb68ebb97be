"""The Media Center wall's snapshot: everything the wall shows, gathered from the KPI engine at once.

`wall_snapshot` is computed once per data version (and clock minute: SLA states and "today" move with
the clock) and shared through Redis by `shared_wall_snapshot`, so ten walls cost one computation. The
snapshot carries codes, numbers and times only (deadlines as epoch milliseconds: the browser counts
down), never a reporter, caller, requester, description or free text. `shared_wall_map` does the same for the
incidents map's image (an SVG built by layouts/wall_map.py), once per set of incidents shown and language.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import orjson
import redis
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from dashboard import kpi, ppid
from dashboard.coarse_location import coarse_point, is_sensitive
from dashboard.filters import KpiFilter, today_filter
from data_sources.kpi import complaints as kpi_complaints
from data_sources.kpi import egov as kpi_egov
from data_sources.kpi import incidents as kpi_incidents
from data_sources.kpi import info_requests as kpi_info
from data_sources.kpi.alert_conditions import firing_alerts
from data_sources.kpi.cache import KpiCache, clock_bucket
from data_sources.kpi.headline import headline
from data_sources.store.models import Complaint, Incident

SLA_BOARD_SIZE = 8
PPID_BOARD_SIZE = 8
NEWEST_INCIDENTS = 10
MAP_INCIDENTS = 300
CLOCK_BUCKET_S = 60
I = Incident.__table__.c
C = Complaint.__table__.c


def wall_snapshot(engine: Engine, settings, now: dt.datetime) -> dict[str, Any]:
    """The wall's figures at `now`, as a JSON-ready dict (see the module's docstring)."""
    today = today_filter(now)
    with engine.connect() as conn:
        figures = headline(conn, today, now, settings)
        received_yesterday = _received_yesterday_until(conn, today, now)
        sla = kpi_complaints.open_sla_states(conn, KpiFilter(), now, settings=settings, limit=SLA_BOARD_SIZE)
        active = kpi_incidents.active_incidents(conn, KpiFilter(), now, limit=MAP_INCIDENTS)
        places = _places(conn, [i["incident_id"] for i in active["incidents"]])
        newest = _newest_incidents(conn, now)
        newest_p1 = _newest_priority_one(conn, now)
        egov = [r for r in kpi_egov.latest(conn, settings=settings, now=now) if r["opd"] == kpi_egov.CITY]
        info_due = ppid_due(conn, settings, now)
        alerts = firing_alerts(conn)
    complaints, incidents = figures["complaints"], figures["incidents"]
    return {
        "computed_ms": _ms(now),
        "tiles": {
            "received_today": complaints["received"],
            "received_yesterday": received_yesterday,
            "sla_rate_pct": complaints["responded_within_sla_pct"],
            "sla_measured": complaints["sla_measured"],
            "sla_rate_by_deadline_pct": complaints["responded_by_deadline_pct"],
            "sla_due": complaints["due_in_period"],
            "response_p50_min": incidents["response_p50_min"],
            "response_p90_min": incidents["response_p90_min"],
            "response_measured": incidents["response_measured"],
            "city_response_min": kpi.CITY_RESPONSE_MINUTES,
            "incidents_today": incidents["reported"],
            "backlog": sla["open"],
            "sla_counts": sla["counts"],
            "alerts_firing": alerts["firing"],
            "alerts_unacknowledged": alerts["unacknowledged"],
        },
        "sla_board": [
            {
                "complaint_id": c["complaint_id"],
                "category": c["category"],
                "opd": c["opd"],
                "kecamatan_code": c["kecamatan_code"],
                "due_ms": _ms_of(c["due_at"]),
                "at_risk_ms": _ms_of(c["at_risk_at"]),
                "critical_ms": _ms_of(c["critical_at"]),
            }
            for c in sla["urgent"]
        ],
        "active_incidents": active["active"],
        "map_incidents": [
            {
                "incident_id": i["incident_id"],
                "category": i["category"],
                "priority": i["priority"],
                "kecamatan_code": i["kecamatan_code"],
                "reported_at": i["reported_at"],
                **places.get(i["incident_id"], {}),
            }
            for i in active["incidents"]
        ],
        "ppid": info_due,
        "newest_incidents": newest,
        "newest_p1": newest_p1,
        "egov": [
            {
                "domain": r["domain"],
                "metric": r["metric"],
                "period": r["period"],
                "value": r["value"],
                "target": r["target"],
                "unit": r["unit"],
                "rag": r["rag"],
                "yardstick": r["yardstick"],
                "yardstick_target": r["yardstick_target"],
            }
            for r in egov
        ],
    }


def ppid_due(conn, settings, now: dt.datetime) -> dict[str, Any]:
    """Information requests due today or overdue: counts, and the most overdue first with their deadline (epoch
    ms, the browser counts down the hours of a request due today) and working days left (negative: late).
    `next_workday_ms` is when the next working day begins, so the browser can add a day of lateness if it
    comes before the next snapshot. Codes and numbers only: no requester, no text."""
    calendar = ppid.calendar_from_settings(settings)
    due = kpi_info.due_requests(conn, now, calendar, limit=PPID_BOARD_SIZE)
    next_workday = ppid.nth_working_day_after(ppid.wib_date(now), 1, calendar)
    return {
        "overdue": int(due["overdue"]),
        "due_today": int(due["due_today"]),
        "next_workday_ms": _ms(ppid.end_of_day(next_workday - dt.timedelta(days=1)) + dt.timedelta(seconds=1)),
        "items": [
            {
                "request_id": r["request_id"],
                "opd": r["opd"],
                "information_kind": r["information_kind"],
                "extended": r["extended"],
                # a CASE of two UTC columns comes back as text without an offset from SQLite: it is UTC
                "due_ms": _ms(_aware(dt.datetime.fromisoformat(r["due_at"]))),
                "days_left": r["working_days_left"],
            }
            for r in due["items"]
        ],
    }


def shared_wall_snapshot(
    client: redis.Redis,
    engine: Engine,
    settings,
    now: dt.datetime,
    cache: KpiCache | None = None,
    *,
    version: str = "",
) -> dict[str, Any]:
    """The snapshot of the data version (default: the cache's current one) and clock minute, computed by
    one worker for all. A version given must have been read before the call: the snapshot is computed
    after it, so it holds at least that version's data."""
    cache = cache or KpiCache(client, settings)
    key = f"bucket={clock_bucket(now, CLOCK_BUCKET_S)}"
    return cache.get_or_compute("wall", key, lambda: wall_snapshot(engine, settings, now), version=version)


def next_refresh_at(now: dt.datetime) -> dt.datetime:
    """When the clock bucket of the shared snapshot runs out (today's figures and SLA states move on)."""
    start = int(now.timestamp()) // CLOCK_BUCKET_S * CLOCK_BUCKET_S
    return dt.datetime.fromtimestamp(start + CLOCK_BUCKET_S, dt.UTC)


def wall_map_key(snapshot: dict[str, Any], lang: str) -> str:
    """Names what the map shows, so a screen whose incidents did not change is not sent the map again."""
    body = orjson.dumps([lang, snapshot.get("map_incidents")])
    return hashlib.sha256(body).hexdigest()[:20]


def _received_yesterday_until(conn, today: KpiFilter, now: dt.datetime) -> int:
    """Complaints received yesterday from 00:00 WIB up to this clock time: at 09:00 "today" holds nine hours,
    so yesterday's whole day beside it would always look like a fall."""
    start = today.start_utc - dt.timedelta(days=1)
    until = min(now - dt.timedelta(days=1), today.start_utc)
    return int(
        conn.scalar(select(func.count()).select_from(Complaint).where(C.created_at >= start, C.created_at < until)) or 0
    )


def _places(conn, incident_ids: list[str]) -> dict[str, dict[str, float]]:
    """Coordinates of these incidents (the map's points); an incident without them is left out. A sensitive
    one (dashboard.coarse_location) gets its kelurahan's interior point or a ~500 m grid cell's centre:
    this snapshot reaches every wall and viewer."""
    if not incident_ids:
        return {}
    rows = conn.execute(
        select(I.incident_id, I.category, I.kelurahan_code, I.lat, I.lon).where(I.incident_id.in_(incident_ids))
    )
    places = {}
    for r in rows:
        if is_sensitive(r.category):
            place = coarse_point(r.lat, r.lon, r.kelurahan_code)
        else:
            place = {"lat": r.lat, "lon": r.lon} if r.lat is not None and r.lon is not None else None
        if place is not None:
            places[r.incident_id] = place
    return places


def _newest_incidents(conn, now: dt.datetime) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(I.incident_id, I.category, I.priority, I.kecamatan_code, I.status, I.reported_at, I.is_active)
        .where(I.reported_at <= now + dt.timedelta(minutes=5))
        .order_by(I.reported_at.desc(), I.incident_id.desc())
        .limit(NEWEST_INCIDENTS)
    ).all()
    return [
        {
            "incident_id": r.incident_id,
            "category": r.category,
            "priority": r.priority,
            "kecamatan_code": r.kecamatan_code,
            "status": r.status,
            "active": bool(r.is_active),
            "reported_ms": _ms(_aware(r.reported_at)),
        }
        for r in rows
    ]


def _newest_priority_one(conn, now: dt.datetime) -> dict[str, Any] | None:
    """The newest active priority-1 incident: a wall that sees a new one brings the 112 scene forward."""
    row = conn.execute(
        select(I.incident_id, I.reported_at)
        .where(I.priority == 1, I.is_active.is_(True), I.reported_at <= now + dt.timedelta(minutes=5))
        .order_by(I.reported_at.desc(), I.incident_id.desc())
        .limit(1)
    ).first()
    return {"incident_id": row.incident_id, "reported_ms": _ms(_aware(row.reported_at))} if row else None


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _ms_of(iso: str) -> int:
    return _ms(dt.datetime.fromisoformat(iso))
