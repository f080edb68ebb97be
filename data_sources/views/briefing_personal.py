"""The officers' part of the briefing: complaints with the reporter's personal data, and a complaint's
full history. The only briefing code that reads personal_* tables; every function takes the reader (the
logged-in user the callback got from callbacks/access.py) and checks the reader's role first, whoever calls
it, so no caller can forget the check. Every read it serves is written to the audit log first
(data_sources/store/audit.py): a read that cannot be logged fails.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.engine import Engine

from dashboard.filters import KpiFilter
from dashboard.roles import allowed
from data_sources.kpi.complaints import C, complaint_where
from data_sources.store import audit
from data_sources.store.models import Complaint, ComplaintStatusEvent, PersonalComplaintNote, PersonalComplaintReporter

LIST_LIMIT = 500
COMPLAINT_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")
R = PersonalComplaintReporter.__table__.c
S = ComplaintStatusEvent.__table__.c
N = PersonalComplaintNote.__table__.c
PERMISSION = "view_personal"


class NotPermitted(PermissionError):
    """The reader's role may not see personal data."""


def _require(reader) -> None:
    role = getattr(reader, "role", None)
    if not isinstance(role, str) or not allowed(role, PERMISSION):
        raise NotPermitted(f"{getattr(reader, 'name', 'an anonymous reader')} may not {PERMISSION}")


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()


def valid_complaint_id(value: object) -> str | None:
    return value if isinstance(value, str) and COMPLAINT_ID.match(value) else None


def complaint_list(
    engine: Engine, f: KpiFilter, reader, limit: int = LIST_LIMIT, *, purpose: str = "complaint_list"
) -> dict:
    """The period's complaints under the filter, newest first, with the reporter's name and phone.

    `purpose` is what the audit log calls the read: the list on screen, or an export (export_csv, ...)."""
    _require(reader)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                C.complaint_id,
                C.created_at,
                C.channel,
                C.category,
                C.opd,
                C.kecamatan_code,
                C.status,
                C.due_at,
                C.first_response_at,
                C.is_open,
                R.name,
                R.phone,
            )
            .select_from(
                Complaint.__table__.outerjoin(PersonalComplaintReporter.__table__, R.complaint_id == C.complaint_id)
            )
            .where(*complaint_where(f))
            .order_by(C.created_at.desc(), C.complaint_id)
            .limit(limit + 1)
        ).all()
    items = [
        {
            "complaint_id": r.complaint_id,
            "created_at": _iso(r.created_at),
            "channel": r.channel,
            "category": r.category,
            "opd": r.opd,
            "kecamatan_code": r.kecamatan_code,
            "status": r.status,
            "due_at": _iso(r.due_at),
            "first_response_at": _iso(r.first_response_at),
            "open": bool(r.is_open),
            "reporter_name": r.name,
            "reporter_phone": r.phone,
        }
        for r in rows[:limit]
    ]
    audit.record(engine, reader, purpose, filter=f.key(), rows=len(items))
    return {"items": items, "truncated": len(rows) > limit}


def complaint_history(engine: Engine, complaint_id: object, reader) -> dict | None:
    """A complaint's public facts, its reporter and text, and every status event with its note, in order."""
    _require(reader)
    cid = valid_complaint_id(complaint_id)
    if cid is None:
        return None
    with engine.connect() as conn:
        c = conn.execute(select(C).where(C.complaint_id == cid)).mappings().first()
        if c is None:
            return None
        reporter = (
            conn.execute(select(R.name, R.phone, R.email, R.nik, R.address, R.text).where(R.complaint_id == cid))
            .mappings()
            .first()
        )
        events = (
            conn.execute(
                select(S.event_id, S.status, S.opd, S.reply_channel, S.occurred_at, N.note)
                .select_from(
                    ComplaintStatusEvent.__table__.outerjoin(PersonalComplaintNote.__table__, N.event_id == S.event_id)
                )
                .where(S.complaint_id == cid)
                .order_by(S.occurred_at, S.id)
            )
            .mappings()
            .all()
        )
    audit.record(engine, reader, "complaint_history", complaint_id=cid, rows=1)
    return {
        "complaint": {k: (_iso(v) if isinstance(v, dt.datetime) else v) for k, v in c.items()},
        "reporter": dict(reporter) if reporter else {},
        "events": [
            {
                "status": e["status"],
                "opd": e["opd"],
                "reply_channel": e["reply_channel"],
                "occurred_at": _iso(e["occurred_at"]),
                "note": e["note"],
            }
            for e in events
        ],
    }
