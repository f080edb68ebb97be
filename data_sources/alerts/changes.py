"""Evaluating only what changed since the last pass, so that a data version costs what changed, not the
whole backlog (thousands of complaints past at-risk at a million stored).

Between two passes at `t0` and `now`, a complaint's finding can change in two ways only:
- its row changed: an event about it was stored (processed_events, on its processed_at index, after a
  watermark with an overlap for batches committed out of order); it is read again by its key;
- its clock crossed a stage (at risk, critical, breached, escalated) in (t0, now]: an indexed range of
  deadlines on the awaiting index, narrowed to the exact moments.
Every other firing complaint alert still holds at the same stage, and is only read when it may need a
message (a repeat, or the end of a silence). The other rules have few subjects and are read whole.

A full evaluation (the stateless `evaluate`) still runs when the process takes the lock, after a gap longer
than MAX_WINDOW (an outage, a clock jump), and every RECONCILE_EVERY_S: what no event tells (a row changed
by hand in the database, a complaint deleted) is set right then.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field

import redis
from sqlalchemy.engine import Engine

from dashboard.alert_rules import AlertConfig
from dashboard.alerts import Finding, complaint_findings, plan
from dashboard.sla import policy_from_settings
from data_sources import redis_keys
from data_sources.alerts import store
from data_sources.alerts.findings import findings_at, other_findings
from data_sources.kpi import alert_conditions as q

RECONCILE_EVERY_S = 300.0
MAX_WINDOW = dt.timedelta(hours=1)
EGOV_TTL_S = 60.0  # the RAG judgement of a reading also moves with the calendar, slowly


@dataclass
class ChangeWatch:
    """What the evaluator holding the lock remembers between passes; empty means: evaluate everything."""

    evaluated_at: dt.datetime | None = None  # the `now` of the last pass
    reconciled_at: float = -math.inf  # time.monotonic() of the last full evaluation
    watermark: dt.datetime | None = None  # the latest processed_at read
    seen: dict[str, dt.datetime] = field(default_factory=dict)  # event ids read inside the overlap
    span_max: dt.timedelta = dt.timedelta(0)  # the longest SLA span among the complaints awaiting an answer
    firing: int = 0  # alerts firing: only the evaluator opens and ends them
    egov_red: list | None = None  # the red e-government readings, read again on new readings or after EGOV_TTL_S
    egov_read_at: float = -math.inf

    def needs_full(self, now: dt.datetime) -> bool:
        return (
            self.evaluated_at is None
            or now < self.evaluated_at
            or now - self.evaluated_at > MAX_WINDOW
            or time.monotonic() - self.reconciled_at >= RECONCILE_EVERY_S
        )

    def reconciled(self, now: dt.datetime, watermark: dt.datetime | None, span_max: dt.timedelta, firing: int) -> None:
        self.evaluated_at, self.reconciled_at = now, time.monotonic()
        self.watermark, self.seen, self.span_max, self.firing = watermark, {}, span_max, firing
        self.egov_red = None

    def read(self, events: list[tuple[str, str, str, dt.datetime]]) -> None:
        self.watermark, self.seen = q.advance_window(self.watermark, self.seen, events)


def evaluate(engine: Engine, client: redis.Redis | None, settings, config: AlertConfig, now: dt.datetime) -> dict:
    """One evaluation at `now`: findings, the plan against what fires, written with its messages queued."""
    policy = policy_from_settings(settings)
    found = findings_at(engine, client, settings, config, now, policy)
    with engine.begin() as conn:
        next_change = None
        if "complaint_sla" in config.enabled:
            next_change = q.next_sla_change(conn, now, policy, config.escalate_after_hours)
        result = plan(store.firing(conn), found, now, config, store.active_silences(conn, now))
        deliveries = store.apply(conn, result, now, config)
        count = store.firing_count(conn)
    if client is not None:
        client.set(redis_keys.alerts_firing_key(settings), count)
    return _summary(found, result, deliveries, count, next_change)


def _summary(found, result, deliveries, count: int, next_change: dt.datetime | None) -> dict:
    """What one evaluation did, for the log and `alerts run --once`."""
    return {
        "findings": len(found),
        "opened": len(result.opened) + len(result.opened_silenced),
        "resolved": len(result.resolved),
        "superseded": len(result.superseded),
        "messages": len(result.notices),
        "deliveries": len(deliveries),
        "firing": count,
        "next_change_at": next_change.isoformat() if next_change else None,
    }


def evaluate_full(
    engine: Engine, client: redis.Redis | None, settings, config: AlertConfig, now: dt.datetime, watch: ChangeWatch
) -> dict:
    """The stateless evaluation of everything, and the watch set to continue from it."""
    with engine.connect() as conn:  # read first: what is stored meanwhile is read again by the next pass
        watermark, span_max = q.last_processed_at(conn), q.awaiting_span_max(conn)
    summary = evaluate(engine, client, settings, config, now)
    watch.reconciled(now, watermark, span_max, summary["firing"])
    return {**summary, "full": True}


def evaluate_changes(
    engine: Engine, client: redis.Redis | None, settings, config: AlertConfig, now: dt.datetime, watch: ChangeWatch
) -> dict:
    """One pass over what changed since `watch.evaluated_at`, written like a full one."""
    policy = policy_from_settings(settings)
    escalate = dt.timedelta(hours=config.escalate_after_hours)
    # how far ahead the next stage change is looked for: the interval's passes see further before it ends
    horizon = now + dt.timedelta(seconds=max(60.0, 2 * settings.alert_interval_s))
    start = watch.evaluated_at
    with engine.begin() as conn:
        since = q.events_after(watch.watermark)
        events = [e for e in q.events_since(conn, since) if e[0] not in watch.seen]
        changed = {subject for _, kind, subject, _ in events if kind.startswith("complaint.")}
        if "egov_red" in config.enabled and (
            watch.egov_red is None
            or any(kind.startswith("egov.") for _, kind, _, _ in events)
            or time.monotonic() - watch.egov_read_at >= EGOV_TTL_S
        ):
            watch.egov_red, watch.egov_read_at = q.egov_red(conn, settings), time.monotonic()
        touched: set[str] = set(changed)
        watched: dict[str, dict | None] = {}
        next_change = None
        if "complaint_sla" in config.enabled:
            for row in q.awaiting_rows_by_id(conn, changed):
                watch.span_max = max(watch.span_max, q.aware(row.due_at) - q.aware(row.created_at))
                watched[row.complaint_id] = q.watch_row(row, now, policy)
            for row in q.sla_changes_between(conn, start, horizon, policy, escalate, watch.span_max):
                moments = q.sla_stage_moments(q.aware(row.created_at), q.aware(row.due_at), policy, escalate)
                if any(start < m <= now for m in moments) and row.complaint_id not in changed:
                    touched.add(row.complaint_id)
                    watched[row.complaint_id] = q.watch_row(row, now, policy)
                later = [m for m in moments if now < m <= horizon]
                if later and (next_change is None or min(later) < next_change):
                    next_change = min(later)
        found = complaint_findings([w for w in watched.values() if w is not None], now, config)
        touched_alerts, others = store.firing_for_changes(conn, touched, now, config)
        for alert in others:  # unchanged since its last message: it still holds at its stage
            if alert.rule == "complaint_sla" and alert.subject not in touched:
                found.append(Finding(alert.rule, alert.subject, alert.stage, alert.group, alert.facts))
        found += other_findings(conn, client, settings, config, now, watch.egov_red)
        firing = {a.id: a for a in [*touched_alerts, *others]}
        result = plan(firing.values(), found, now, config, store.active_silences(conn, now))
        deliveries = store.apply(conn, result, now, config)
    opened, ended = len(result.opened) + len(result.opened_silenced), len(result.resolved) + len(result.superseded)
    count = watch.firing = watch.firing + opened - ended
    watch.read(events)
    watch.evaluated_at = now
    if client is not None:
        client.set(redis_keys.alerts_firing_key(settings), count)
    return {
        **_summary(found, result, deliveries, count, next_change),
        "changed": len(changed),
        "touched": len(touched),
        "full": False,
    }
