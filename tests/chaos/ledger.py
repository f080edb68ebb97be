"""The ledger of a chaos run (tests/chaos/harness.py): every confirmed entry's fate, counted against the store, the
dead-letter stream and table, the pending lists and the ingestors' own logs; and whether `app.py stats`
agrees with that count.
"""

from __future__ import annotations

import collections
from typing import Any

import redis
from sqlalchemy import func, select, text

from dashboard.events import MAX_EVENT_BYTES, InvalidEvent, parse_event_with_fingerprint
from data_sources import redis_keys
from tests.chaos.run import ChaosRun

LOSS_SIGNALS = ("were deleted from the stream", "deleted from the stream before it was read")


def kill_lines(run: ChaosRun) -> list[str]:
    path = run.workdir / "kills.log"
    return path.read_text().splitlines() if path.exists() else []


def _as_dead_letter(body: bytes) -> str:
    """What the dead-letter stream keeps of an entry: its text, cut at 64 KiB."""
    return body.decode("utf-8", "replace")[:MAX_EVENT_BYTES]


def verify(run: ChaosRun, engine, client: redis.Redis) -> dict[str, Any]:
    """Every confirmed entry's fate, counted. Problems are listed under "problems" (empty when all is well)."""
    from data_sources.store.models import (
        Complaint,
        ComplaintStatusEvent,
        DeadLetter,
        Incident,
        IncidentEvent,
        ProcessedEvent,
    )

    s = run.settings
    problems: list[str] = []
    with engine.connect() as c:
        processed = collections.Counter(c.scalars(select(ProcessedEvent.event_id)))
        dl_rows = collections.Counter(
            (r.stream, r.entry_id) for r in c.execute(select(DeadLetter.stream, DeadLetter.entry_id))
        )
        dl_reasons = {
            (r.stream, r.entry_id): r.reason
            for r in c.execute(select(DeadLetter.stream, DeadLetter.entry_id, DeadLetter.reason))
        }
        doubled_rows = 0
        for column in (
            ComplaintStatusEvent.event_id,
            IncidentEvent.event_id,
            Complaint.created_event_id,
            Incident.reported_event_id,
            ProcessedEvent.event_id,
        ):
            doubled_rows += c.scalar(
                select(func.count()).select_from(select(column).group_by(column).having(func.count() > 1).subquery())
            )
        counts = {
            "complaints": c.scalar(select(func.count()).select_from(Complaint)),
            "incidents": c.scalar(select(func.count()).select_from(Incident)),
        }
        if engine.dialect.name == "sqlite":
            integrity = c.execute(text("PRAGMA integrity_check")).scalar()
            if integrity != "ok":
                problems.append(f"SQLite integrity_check: {integrity}")
    key_to_source = {redis_keys.stream_key(s, src): src for src in ("complaints", "incidents", "egov")}
    dlq = collections.Counter()
    dlq_bodies: dict[tuple[str, str], bytes] = {}
    for _, fields in client.xrange(redis_keys.deadletter_key(s)):
        key = (key_to_source.get(fields[b"stream"].decode(), fields[b"stream"].decode()), fields[b"entry_id"].decode())
        dlq[key] += 1
        dlq_bodies[key] = fields.get(b"event", b"")

    valid_ids: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    poison: list[tuple[str, str]] = []
    created = {"complaints": set(), "incidents": set()}
    egov_keys = set()
    for source, entry_id, body in run.confirmed:
        try:
            event, _ = parse_event_with_fingerprint(body, stream=source)
        except InvalidEvent:
            poison.append((source, entry_id))
            continue
        valid_ids[event.event_id].append((source, entry_id))
        if event.type == "complaint.created":
            created["complaints"].add((event.data.complaint_id, event.event_id))
        elif event.type == "incident.reported":
            created["incidents"].add((event.data.incident_id, event.event_id))
        elif event.type == "egov.kpi":
            d = event.data
            egov_keys.add((d.domain, d.metric, d.opd, d.period))

    lost, conflicts = [], 0
    for event_id, entries in valid_ids.items():
        if processed[event_id] == 1:
            continue
        refused_as_conflict = [e for e in entries if dl_rows[e] and dl_reasons[e].startswith("conflict")]
        if refused_as_conflict:
            conflicts += 1
        else:
            lost.append(event_id)
    poison_lost = [p for p in poison if dlq[p] == 0 or dl_rows[p] == 0]
    poison_doubled = [p for p in poison if dlq[p] > 1 or dl_rows[p] > 1]
    dlq_doubled = [k for k, n in dlq.items() if n > 1]
    if lost:
        problems.append(f"{len(lost)} confirmed events not stored, e.g. {lost[:5]}")
    if poison_lost:
        problems.append(
            f"{len(poison_lost)} poison entries missing from the dead-letter stream or table, e.g. {poison_lost[:5]}"
        )
    if poison_doubled or dlq_doubled:
        problems.append(f"dead letters written more than once: {(poison_doubled + dlq_doubled)[:5]}")
    if doubled_rows:
        problems.append(f"{doubled_rows} event ids stored more than once")
    if set(dlq) != set(dl_rows):
        problems.append(
            f"dead-letter stream and table differ: stream only {sorted(set(dlq) - set(dl_rows))[:5]}, "
            f"table only {sorted(set(dl_rows) - set(dlq))[:5]}"
        )
    confirmed_keys = {(src, eid) for src, eid, _ in run.confirmed}
    # the dead letter holds the original as text cut at 64 KiB: compare the unconfirmed bodies the same way
    unconfirmed_bodies = {_as_dead_letter(body) for _, body in run.unconfirmed}
    extra = [k for k in dlq if k not in confirmed_keys]
    landed_unconfirmed = [k for k in extra if _as_dead_letter(dlq_bodies[k]) in unconfirmed_bodies]
    if len(landed_unconfirmed) != len(extra):
        problems.append(f"dead letters of entries nobody sent: {[k for k in extra if k not in landed_unconfirmed][:5]}")
    bad_reasons = [r for r in dl_reasons.values() if any(sig in r for sig in LOSS_SIGNALS) or "store refused" in r]
    if bad_reasons:
        problems.append(f"dead letters that signal loss or a store failure: {bad_reasons[:3]}")
    valid_stored_and_dead = [
        e for entries in valid_ids.values() for e in entries if dl_rows[e] and not dl_reasons[e].startswith("conflict")
    ]
    if valid_stored_and_dead:
        problems.append(f"valid entries dead-lettered: {[(e, dl_reasons[e]) for e in valid_stored_and_dead[:3]]}")

    pending = {}
    for src in ("complaints", "incidents", "egov"):
        try:
            pending[src] = client.xpending(redis_keys.stream_key(s, src), s.consumer_group)["pending"]
        except redis.ResponseError:
            pending[src] = 0
    if any(pending.values()):
        problems.append(f"entries still pending: {pending}")
    process_log = run.workdir / "ingestors.log"
    log_text = process_log.read_text(errors="replace") if process_log.exists() else ""
    loss_lines = [line for line in log_text.splitlines() if any(sig in line for sig in LOSS_SIGNALS)]
    if loss_lines:
        problems.append(f"ingestors logged a loss signal: {loss_lines[:3]}")
    crash_lines = [line for line in log_text.splitlines() if " crashed" in line or "Traceback" in line]
    if crash_lines:
        problems.append(f"ingestors crashed: {crash_lines[:3]}")
    if run.unexpected_exits:
        problems.append(f"ingestors exited unexpectedly: {run.unexpected_exits[:5]}")

    kills = collections.Counter(line.split()[2] for line in kill_lines(run))
    expected_complaints = len({cid for cid, _ in created["complaints"]})
    expected_incidents = len({iid for iid, _ in created["incidents"]})
    health = {
        k.decode(): int(v)
        for k, v in client.hgetall(f"{s.stream_prefix}:health").items()
        if k.decode().split(":")[0] in ("stored", "duplicates", "dead_letters")
    }
    return {
        "database": run.config.database,
        "seconds": round(run.seconds, 1),
        "events_confirmed": len(run.confirmed),
        "distinct_valid_events": len(valid_ids),
        "poison_confirmed": len(poison),
        "unconfirmed_xadds": len(run.unconfirmed),
        "unconfirmed_landed_poison": len(landed_unconfirmed),
        "kills": dict(kills) | {"external": run.external_kills},
        "kills_total": sum(kills.values()) + run.external_kills,
        "ingestors_started": run.spawned,
        "redis_restarts": run.redis_restarts,
        "db_cuts": run.db_cuts if run.config.database == "postgresql" else kills["mid_batch"] + kills["before_commit"],
        "db_cut_kind": "pg_terminate_backend" if run.config.database == "postgresql" else "kill mid-transaction",
        "trimmed_entries": run.trimmed,
        "lost": len(lost) + len(poison_lost),
        "duplicated": doubled_rows + len(poison_doubled) + len(dlq_doubled),
        "conflicts": conflicts,
        "dead_letters": sum(dlq.values()),
        "dead_letter_rows": sum(dl_rows.values()),
        "pending": sum(pending.values()),
        "expected": {
            "complaints": expected_complaints,
            "incidents": expected_incidents,
            "egov_readings": len(egov_keys),
            "dead_letters": len(poison) + len(landed_unconfirmed) + conflicts,
        },
        "store": counts,
        "health_counters": health,
        "problems": problems,
        # dead letters that none of the expected kinds explains, with their reasons (for a failing run)
        "unexplained_dead_letters": [
            (k, dl_reasons.get(k))
            for k in dl_rows
            if k not in set(poison) | set(landed_unconfirmed) and not (dl_reasons.get(k) or "").startswith("conflict")
        ][:5],
    }


def stats_agree(report: dict[str, Any]) -> list[str]:
    """Where `app.py stats --json` disagrees with the counted truth (empty when it agrees)."""
    stats, expected = report["stats_cli"], report["expected"]
    out = []
    for name in ("complaints", "incidents", "egov_readings", "dead_letters"):
        if stats[name] != expected[name]:
            out.append(
                f"stats {name} = {stats[name]}, expected {expected[name]}"
                + (f"; unexplained: {report['unexplained_dead_letters']}" if name == "dead_letters" else "")
            )
    if stats["pending"] != 0:
        out.append(f"stats pending = {stats['pending']}")
    if stats["deadletter_stream_length"] != report["dead_letters"]:
        out.append(
            f"stats deadletter_stream_length = {stats['deadletter_stream_length']}, counted {report['dead_letters']}"
        )
    dead_lettered = sum(st["dead_lettered"] for st in stats["streams"].values())
    if dead_lettered != report["dead_letters"]:
        out.append(f"stats dead_lettered counters sum to {dead_lettered}, counted {report['dead_letters']}")
    return out
