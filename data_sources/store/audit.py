"""The audit log of personal-data reads (UU PDP 27/2022: the controller accounts for every access).

    audit.record(engine, reader, "complaint_list", filter=f.key(), rows=len(items))

data_sources/views/briefing_personal.py calls `record` on every read it serves, before the data leaves
(a read that cannot be logged fails, and nothing is shown). An entry names the reader's account and role,
the time, the action, and what was read: a complaint id, or the list's filter (dates and allowlisted codes)
and how many complaints it returned. Never a name, phone, NIK, address or text of a citizen.

`app.py audit` lists the entries; the ingestor's retention loop deletes those older than
PANTAU_AUDIT_RETENTION_DAYS (the database refuses updates, and deletions of entries younger than a day).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection, Engine

from data_sources.store.models import AuditEntry

# the export actions cover both personal lists (complaints, information requests): the filter says which period
ACTIONS = ("complaint_list", "complaint_history", "info_request_list", "export_csv", "export_xlsx")


def record(
    engine: Engine,
    reader,
    action: str,
    *,
    complaint_id: str | None = None,
    filter: str | None = None,
    rows: int | None = None,
) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    with engine.begin() as conn:
        conn.execute(
            insert(AuditEntry).values(
                at=dt.datetime.now(dt.UTC),
                user_name=str(reader.name)[:64],
                role=str(reader.role)[:16],
                action=action,
                complaint_id=complaint_id,
                filter=filter,
                rows=rows,
            )
        )


def entries(
    engine: Engine,
    *,
    user: str | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    limit: int | None = None,
) -> list[dict]:
    """Entries in time order; `start` inclusive, `end` exclusive."""
    query = select(AuditEntry.__table__).order_by(AuditEntry.at, AuditEntry.id)
    if user:
        query = query.where(AuditEntry.user_name == user.strip().lower())
    if start is not None:
        query = query.where(AuditEntry.at >= start)
    if end is not None:
        query = query.where(AuditEntry.at < end)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def retention_cutoff(settings, now: dt.datetime | None = None) -> dt.datetime:
    return (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=settings.audit_retention_days)


def delete_older_than(conn: Connection, cutoff: dt.datetime) -> int:
    return conn.execute(delete(AuditEntry).where(AuditEntry.at < cutoff)).rowcount or 0


def apply_retention(engine: Engine, settings, now: dt.datetime | None = None) -> int:
    """Delete the entries older than PANTAU_AUDIT_RETENTION_DAYS; returns how many went."""
    with engine.begin() as conn:
        return delete_older_than(conn, retention_cutoff(settings, now))
