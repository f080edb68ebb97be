"""Small fixed data for the KPI tests, written straight into the tables (the ingest path has its own tests)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert

from data_sources.kpi import columns
from data_sources.store.models import Complaint, Incident

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # 19:00 WIB


def complaint(
    cid: str,
    created: dt.datetime,
    *,
    first_response_h: float | None = None,
    resolved_h: float | None = None,
    sla_hours: float = 24.0,
    channel: str = "whatsapp",
    reply_channel: str | None = None,
    category: str = "jalan_rusak",
    opd: str | None = "DSDABM",
    kecamatan: str | None = "35.78.01",
    status: str | None = None,
    reopened: int = 0,
) -> dict:
    fr = created + dt.timedelta(hours=first_response_h) if first_response_h is not None else None
    resolved = created + dt.timedelta(hours=resolved_h) if resolved_h is not None else None
    status = status or ("resolved" if resolved else ("responded" if fr else "received"))
    return dict(
        complaint_id=cid,
        created_event_id=f"{cid}-c",
        channel=channel,
        category=category,
        created_opd=opd,
        opd=opd,
        kecamatan_code=kecamatan,
        kelurahan_code=None,
        location_method="code" if kecamatan else "unknown",
        lat=None,
        lon=None,
        sla_hours=sla_hours,
        created_at=created,
        due_at=created + dt.timedelta(hours=sla_hours),
        status=status,
        status_at=created,
        first_response_at=fr,
        first_response_channel=(reply_channel or channel) if fr else None,
        resolved_at=resolved,
        reopened_count=reopened,
        is_open=status not in ("resolved", "rejected"),
        updated_at=created,
    )


def incident(
    iid: str,
    reported: dt.datetime,
    *,
    response_min: float | None = None,
    answer_s: float | None = None,
    dispatch_min: float | None = None,
    scene_min: float | None = None,
    category: str = "fire",
    kecamatan: str | None = "35.78.01",
    active: bool = False,
) -> dict:
    arrived = reported + dt.timedelta(minutes=response_min) if response_min is not None else None
    return dict(
        incident_id=iid,
        reported_event_id=f"{iid}-r",
        category=category,
        priority=1,
        kecamatan_code=kecamatan,
        kelurahan_code=None,
        location_method="code" if kecamatan else "unknown",
        lat=None,
        lon=None,
        reported_at=reported,
        call_answered_at=reported + dt.timedelta(seconds=answer_s) if answer_s is not None else None,
        first_dispatched_at=reported + dt.timedelta(minutes=dispatch_min) if dispatch_min is not None else None,
        first_arrived_at=arrived,
        closed_at=arrived + dt.timedelta(minutes=scene_min) if (arrived and scene_min is not None) else None,
        outcome=None,
        status="on_scene" if active else "closed",
        units_dispatched=1,
        is_active=active,
        updated_at=reported,
    )


def load(engine, complaints=(), incidents=()) -> None:
    """Rows written straight, without events: a column copy of the briefing would not see them (forgotten)."""
    columns.forget(engine)
    with engine.begin() as conn:
        if complaints:
            conn.execute(insert(Complaint.__table__), list(complaints))
        if incidents:
            conn.execute(insert(Incident.__table__), list(incidents))
