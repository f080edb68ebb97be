"""The alerts' rows: the firing alerts and silences a plan starts from, a plan applied in one transaction (its
messages queued in the outbox with it), acknowledgements, silences, the list and the history."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine

from dashboard.alert_messages import render
from dashboard.alert_rules import AlertConfig, step_of
from dashboard.alerts import Alert, Plan, Silence
from data_sources.store.alert_models import AlertDelivery, AlertLogEntry, AlertRecord, AlertSilence

A = AlertRecord.__table__.c
S = AlertSilence.__table__.c
LOG = AlertLogEntry.__table__


class AlertActionError(ValueError):
    """An acknowledgement or silence that cannot be done (unknown alert, no reason); the message says why."""


_ALERT_COLUMNS = (A.id, A.rule, A.subject, A.stage, A.group_key, A.step, A.started_at, A.last_notified_at)


def _alert(r, facts: bool = False) -> Alert:
    return Alert(
        r.id,
        r.rule,
        r.subject,
        r.stage,
        r.group_key,
        r.step,
        r.started_at,
        r.last_notified_at,
        r.acknowledged_at,
        json.loads(r.facts) if facts else {},
    )


def firing(conn: Connection) -> list[Alert]:
    """The firing alerts, without their facts (only a resolution's message needs them: apply reads those)."""
    return [_alert(r) for r in conn.execute(select(*_ALERT_COLUMNS, A.acknowledged_at).where(A.status == "firing"))]


def firing_for_changes(
    conn: Connection, subjects, now: dt.datetime, config: AlertConfig
) -> tuple[list[Alert], list[Alert]]:
    """What an evaluation of the changes starts from: (the firing complaint alerts of `subjects`, and the
    other firing alerts that may need a message now whatever changed: every rule's but the complaints', and
    the complaints' due a repeat or opened under a silence), with their facts."""
    columns = (*_ALERT_COLUMNS, A.acknowledged_at, A.facts)
    subjects = sorted(set(subjects))
    touched = []
    for start in range(0, len(subjects), 1000):
        chunk = subjects[start : start + 1000]
        where = (A.status == "firing", A.rule == "complaint_sla", A.subject.in_(chunk))
        touched += [_alert(r, True) for r in conn.execute(select(*columns).where(*where))]
    repeat_before = now - dt.timedelta(minutes=config.repeat_minutes)
    may_notify = or_(
        A.rule != "complaint_sla",
        A.last_notified_at.is_(None),
        and_(A.acknowledged_at.is_(None), A.last_notified_at <= repeat_before),
    )
    others = [_alert(r, True) for r in conn.execute(select(*columns).where(A.status == "firing", may_notify))]
    return touched, others


def active_silences(conn: Connection, now: dt.datetime) -> list[Silence]:
    rows = conn.execute(select(AlertSilence.__table__).where(S.until > now)).mappings()
    return [Silence(r["until"], r["rule"], r["group_key"], r["subject"], r["id"]) for r in rows]


def _log(conn: Connection, now: dt.datetime, event: str, **values) -> None:
    conn.execute(insert(LOG).values(at=now, event=event, **values))


def apply(conn: Connection, result: Plan, now: dt.datetime, config: AlertConfig) -> list[int]:
    """Writes the plan: new alerts, ended ones, notification times, the log, and one outbox row per message
    and target (in the plan's order, so each target receives them in that order). Returns the delivery ids.
    Rows go in batches (one statement per table, not per alert): a backlog of thousands opens in one go."""
    log_rows: list[dict] = []

    def log(event: str, **values) -> None:
        log_rows.append({"at": now, "event": event, **values})

    for ended, status in ((result.superseded, "superseded"), (result.resolved, "resolved")):
        for start in range(0, len(ended), 1000):
            chunk = ended[start : start + 1000]
            conn.execute(update(AlertRecord).where(A.id.in_(chunk)).values(status=status, ended_at=now))
            for alert_id, rule, subject, stage, group in conn.execute(
                select(A.id, A.rule, A.subject, A.stage, A.group_key).where(A.id.in_(chunk))
            ):
                log(status, alert_id=alert_id, rule=rule, subject=subject, stage=stage, group_key=group)
    notified_now = {key for notice in result.notices for key in notice.new_keys}
    opened = [*result.opened, *result.opened_silenced]
    by_key: dict[tuple[str, str, str], int] = {}
    if opened:
        rows = [
            {
                "rule": f.rule,
                "subject": f.subject,
                "stage": f.stage,
                "group_key": f.group,
                "step": step_of(f.rule, f.stage),
                "status": "firing",
                "facts": json.dumps(dict(f.facts), sort_keys=True),
                "started_at": now,
                "last_notified_at": now if (f.rule, f.subject, f.stage) in notified_now else None,
                "ended_at": None,
                "acknowledged_at": None,
                "acknowledged_by": None,
            }
            for f in opened
        ]
        ids = conn.execute(insert(AlertRecord).returning(A.id, sort_by_parameter_order=True), rows).scalars().all()
        for f, alert_id in zip(opened, ids, strict=True):
            key = (f.rule, f.subject, f.stage)
            by_key[key] = alert_id
            event = "fired" if key in notified_now else "fired_silenced"
            log(event, alert_id=alert_id, rule=f.rule, subject=f.subject, stage=f.stage, group_key=f.group)
    for start in range(0, len(result.notified), 1000):
        chunk = result.notified[start : start + 1000]
        conn.execute(update(AlertRecord).where(A.id.in_(chunk)).values(last_notified_at=now))
    resolved_ids = [i["alert_id"] for n in result.notices if n.kind == "resolved" for i in n.items]
    stored_facts = {}
    for start in range(0, len(resolved_ids), 1000):
        chunk = resolved_ids[start : start + 1000]
        stored_facts.update(conn.execute(select(A.id, A.facts).where(A.id.in_(chunk))).all())
    outbox = []
    for notice in result.notices:
        for item in notice.items:
            if notice.kind == "resolved":
                item["facts"] = json.loads(stored_facts[item["alert_id"]])
            if item["alert_id"] is None:
                item["alert_id"] = by_key[(notice.rule, item["subject"], notice.stage)]
        ids = [item["alert_id"] for item in notice.items]
        if notice.kind == "repeat":
            for item in notice.items:
                log(
                    "repeated",
                    alert_id=item["alert_id"],
                    rule=notice.rule,
                    subject=item["subject"],
                    stage=notice.stage,
                    group_key=notice.group,
                )
        payload = _payload(notice, render(notice, config), now)
        for target in config.recipients(notice.group, notice.step):
            outbox.append(_outbox_row(now, notice.kind, target, ids, payload))
    if log_rows:
        columns = ("alert_id", "delivery_id", "rule", "subject", "stage", "group_key", "target", "actor", "detail")
        conn.execute(insert(LOG), [{**dict.fromkeys(columns), **row} for row in log_rows])
    if not outbox:
        return []
    delivery = AlertDelivery.__table__
    return list(conn.execute(insert(delivery).returning(delivery.c.id, sort_by_parameter_order=True), outbox).scalars())


def _payload(notice, message, now: dt.datetime) -> dict:
    return {
        "kind": notice.kind,
        "rule": notice.rule,
        "stage": notice.stage,
        "group": notice.group,
        "step": notice.step,
        "severity": message.severity,
        "subject": message.subject,
        "title": message.title,
        "body": message.body,
        "lines": list(message.lines),
        "link": message.link,
        "items": [{"subject": i["subject"], "alert_id": i["alert_id"], "facts": i["facts"]} for i in notice.items],
        "at": now.isoformat(),
    }


def _outbox_row(now: dt.datetime, kind: str, target: str, alert_ids: list[int], payload: dict) -> dict:
    return {
        "created_at": now,
        "kind": kind,
        "target": target,
        "alert_ids": json.dumps(alert_ids),
        "message": json.dumps(payload, ensure_ascii=False),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": None,
        "sent_at": None,
    }


def enqueue(conn: Connection, now: dt.datetime, kind: str, target: str, alert_ids: list[int], payload: dict) -> int:
    row = _outbox_row(now, kind, target, alert_ids, payload)
    return conn.execute(insert(AlertDelivery).values(**row).returning(AlertDelivery.id)).scalar_one()


def acknowledge(engine: Engine, alert_id: int, actor: str, now: dt.datetime, note: str = "") -> None:
    with engine.begin() as conn:
        row = conn.execute(select(A.status, A.rule, A.subject, A.stage, A.group_key).where(A.id == alert_id)).first()
        if row is None or row.status != "firing":
            raise AlertActionError(f"alert {alert_id} is not firing")
        conn.execute(update(AlertRecord).where(A.id == alert_id).values(acknowledged_at=now, acknowledged_by=actor))
        _log(
            conn,
            now,
            "acknowledged",
            alert_id=alert_id,
            rule=row.rule,
            subject=row.subject,
            stage=row.stage,
            group_key=row.group_key,
            actor=actor,
            detail=note[:500] or None,
        )


def silence(
    engine: Engine,
    *,
    until: dt.datetime,
    reason: str,
    actor: str,
    now: dt.datetime,
    rule: str | None = None,
    group: str | None = None,
    subject: str | None = None,
) -> int:
    reason = (reason or "").strip()
    if not reason:
        raise AlertActionError("a silence needs a reason")
    if until <= now:
        raise AlertActionError("a silence must end in the future")
    if not (rule or group or subject):
        raise AlertActionError("a silence needs a rule, a group or a subject (silencing everything is not allowed)")
    with engine.begin() as conn:
        silence_id = conn.execute(
            insert(AlertSilence)
            .values(
                rule=rule,
                group_key=group,
                subject=subject,
                until=until,
                reason=reason[:500],
                created_by=actor,
                created_at=now,
            )
            .returning(AlertSilence.id)
        ).scalar_one()
        _log(
            conn,
            now,
            "silenced",
            rule=rule,
            subject=subject,
            group_key=group,
            actor=actor,
            detail=f"{until.isoformat()}|{reason[:400]}",
        )
    return silence_id


def end_silence(engine: Engine, silence_id: int, actor: str, now: dt.datetime) -> None:
    with engine.begin() as conn:
        done = conn.execute(update(AlertSilence).where(S.id == silence_id, S.until > now).values(until=now)).rowcount
        if not done:
            raise AlertActionError(f"silence {silence_id} is not active")
        _log(conn, now, "unsilenced", actor=actor, detail=f"silence {silence_id}")


def listing(engine: Engine, now: dt.datetime) -> dict:
    """The firing alerts, the active silences and the deliveries still pending (failing ones with their error),
    with those of the last day whose sender stopped during the attempt (uncertain: not sent again)."""
    recent = now - dt.timedelta(days=1)
    with engine.connect() as conn:
        alerts = [
            {**dict(r), "facts": json.loads(r["facts"])}
            for r in conn.execute(
                select(AlertRecord.__table__).where(A.status == "firing").order_by(A.step.desc(), A.started_at, A.id)
            ).mappings()
        ]
        silences = [dict(r) for r in conn.execute(select(AlertSilence.__table__).where(S.until > now)).mappings()]
        D = AlertDelivery.__table__.c
        pending = [
            dict(r)
            for r in conn.execute(
                select(D.id, D.kind, D.target, D.status, D.attempts, D.last_error, D.next_attempt_at, D.created_at)
                .where(or_(D.status == "pending", and_(D.status == "uncertain", D.next_attempt_at > recent)))
                .order_by(D.id)
            ).mappings()
        ]
    return {"firing": alerts, "silences": silences, "pending_deliveries": pending}


def firing_count(conn: Connection) -> int:
    return int(
        conn.execute(select(func.count()).select_from(AlertRecord.__table__).where(A.status == "firing")).scalar_one()
    )


def history(engine: Engine, limit: int = 500) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(LOG).order_by(LOG.c.id.desc()).limit(limit)).mappings()
        return [dict(r) for r in rows]
