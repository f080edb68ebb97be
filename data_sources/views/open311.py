"""What GET /open311/v2/requests reads: public columns of `complaints` only (no personal table, no
coordinates, no text), never a complaint in a sensitive category (dashboard/open311.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from dashboard.open311 import SENSITIVE_CATEGORIES
from data_sources.store.models import Complaint

# Everything a public request may show; dashboard/open311.py public_request reads these names only.
PUBLIC_COLUMNS = (
    Complaint.complaint_id,
    Complaint.category,
    Complaint.opd,
    Complaint.kecamatan_code,
    Complaint.status,
    Complaint.status_at,
    Complaint.created_at,
    Complaint.due_at,
)
MAX_REQUESTS = 1000  # GeoReport v2: "90 days or first 1000 requests returned, whichever is smallest"


def _rows(engine: Engine, query) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def requests_by_id(engine: Engine, ids: list[str]) -> list[dict[str, Any]]:
    query = (
        select(*PUBLIC_COLUMNS)
        .where(Complaint.complaint_id.in_(ids[:MAX_REQUESTS]), Complaint.category.not_in(SENSITIVE_CATEGORIES))
        .order_by(Complaint.created_at.desc())
    )
    return _rows(engine, query)


def requests_between(
    engine: Engine,
    start: dt.datetime,
    end: dt.datetime,
    categories: list[str] | None = None,
    statuses: set[str] | None = None,
    closed_statuses: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    """Newest first, created in [start, end], at most MAX_REQUESTS."""
    query = select(*PUBLIC_COLUMNS).where(
        Complaint.created_at >= start,
        Complaint.created_at <= end,
        Complaint.category.not_in(SENSITIVE_CATEGORIES),
    )
    if categories:
        query = query.where(Complaint.category.in_(categories))
    if statuses == {"open"}:
        query = query.where(Complaint.status.not_in(closed_statuses))
    elif statuses == {"closed"}:
        query = query.where(Complaint.status.in_(closed_statuses))
    return _rows(engine, query.order_by(Complaint.created_at.desc()).limit(MAX_REQUESTS))
