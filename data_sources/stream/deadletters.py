"""Dead letters kept no longer than needed: they hold raw refused events, with reporters' names, phones and
NIK, so they get a retention of their own (PANTAU_DEADLETTER_RETENTION_DAYS), in the dead-letter stream and
in the dead_letters table alike.

The ingestor's retention loop calls `apply_retention` (beside the stream trim); `app.py deadletters purge`
calls `purge` with a date of the operator's choosing, or everything. The stream is trimmed by entry id (the
time it was dead-lettered: XADD's own clock), the table by `created_at`.
"""

from __future__ import annotations

import datetime as dt
import logging

import redis
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from dashboard.settings import Settings
from data_sources import redis_keys
from data_sources.store.models import DeadLetter

log = logging.getLogger(__name__)


def purge(
    client: redis.Redis, sessions: sessionmaker[Session], settings: Settings, *, before: dt.datetime | None
) -> dict[str, int]:
    """Delete the dead letters made before `before` (None: all of them); returns what went from where."""
    key = redis_keys.deadletter_key(settings)
    if before is None:
        stream = client.xlen(key)
        client.delete(key)
    else:
        stream = client.xtrim(key, minid=f"{max(0, int(before.timestamp() * 1000))}-0", approximate=False)
    with sessions.begin() as session:
        statement = delete(DeadLetter)
        if before is not None:
            statement = statement.where(DeadLetter.created_at < before)
        table = session.execute(statement).rowcount or 0
    if stream or table:
        cut = "all" if before is None else f"before {before.isoformat()}"
        log.info("dead letters purged (%s): %d stream entries, %d rows", cut, stream, table)
    return {"stream": int(stream), "table": int(table)}


def retention_cutoff(settings: Settings, now: dt.datetime | None = None) -> dt.datetime:
    now = now or dt.datetime.now(dt.UTC)
    return now - dt.timedelta(days=settings.deadletter_retention_days)


def apply_retention(client: redis.Redis, sessions: sessionmaker[Session], settings: Settings) -> dict[str, int]:
    return purge(client, sessions, settings, before=retention_cutoff(settings))
