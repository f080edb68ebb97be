"""The officers' part of the briefing: complaints with the reporter's personal data, a complaint's full
history, and the information requests with their requester. The only briefing code that reads personal_* tables; every function takes the reader (the
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
from data_sources.kpi import info_requests as kpi_info
from data_sources.kpi.complaints import C, complaint_where
from data_sources.store import audit
from data_sources.store.models import (
    Complaint,
    ComplaintStatusEvent,
    InfoRequest,
    PersonalComplaintNote,
    PersonalComplaintReporter,
    PersonalInfoRequester,
)
from data_sources.views.briefing import ppid_scope

LIST_LIMIT = 500
COMPLAINT_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")
R = PersonalComplaintReporter.__table__.c
S = ComplaintStatusEvent.__table__.c
N = PersonalComplaintNote.__table__.c
Q = InfoRequest.__table__.c
P = PersonalInfoRequester.__table__.c
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


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


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


def info_request_list(
    engine: Engine,
    f: KpiFilter,
    reader,
    now: dt.datetime,
    limit: int = LIST_LIMIT,
    *,
    purpose: str = "info_request_list",
) -> dict:
    """The period's information requests under the period and OPD filter, newest first, with the requester
    (name, organisation, e-mail, phone) and what was asked for; the deadline is the one in force at `now`."""
    _require(reader)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Q.request_id,
                Q.received_at,
                Q.opd,
                Q.channel,
                Q.information_kind,
                Q.original_due_at,
                Q.extended_at,
                Q.extended_due_at,
                Q.answer,
                Q.answered_at,
                Q.exemption,
                P.name,
                P.organisation,
                P.email,
                P.phone,
                P.text,
            )
            .select_from(InfoRequest.__table__.outerjoin(PersonalInfoRequester.__table__, P.request_id == Q.request_id))
            .where(*kpi_info.request_where(ppid_scope(f), now))
            .order_by(Q.received_at.desc(), Q.request_id)
            .limit(limit + 1)
        ).all()
    items = []
    for r in rows[:limit]:
        # what had happened by `now` only, as the figures count it
        extended = r.extended_at is not None and _aware(r.extended_at) <= now
        answered = r.answered_at is not None and _aware(r.answered_at) <= now
        items.append(
            {
                "request_id": r.request_id,
                "received_at": _iso(r.received_at),
                "opd": r.opd,
                "channel": r.channel,
                "information_kind": r.information_kind,
                "due_at": _iso(r.extended_due_at if extended else r.original_due_at),
                "extended": extended,
                "answer": r.answer if answered else None,
                "answered_at": _iso(r.answered_at) if answered else None,
                "exemption": r.exemption if answered else None,
                "requester_name": r.name,
                "requester_organisation": r.organisation,
                "requester_contact": " · ".join(v for v in (r.email, r.phone) if v) or None,
                "request_text": r.text,
            }
        )
    audit.record(engine, reader, purpose, filter=f.key(), rows=len(items))
    return {"items": items, "truncated": len(rows) > limit}
