"""Alerts as a state machine, plain Python with the clock passed in.

Each evaluation gives the conditions that hold now (`Finding`s: one complaint at one SLA stage, one OPD over
its breach share, ...). Against the alerts still firing, `plan` decides what changes:

- a finding with no firing alert of its (rule, subject) opens one; a firing alert whose subject is now at
  another stage (a complaint gone from critical to breached) is superseded by the new one, without a message
  of its own: the new stage's message says it, one ladder step higher;
- a firing alert whose finding is gone resolves, with a message if it had been sent;
- what opens, repeats or resolves in one evaluation is grouped by (rule, stage, group): one message for the
  30 complaints of one OPD that breach at 09:00, listing their numbers;
- a firing alert is sent again every `repeat_minutes` while it holds, unless acknowledged;
- a silence (until a time, with a reason) covers a rule, a group or one subject: what it covers is kept and
  recorded but not sent; still firing when the silence ends, it is sent then.

Once per condition and state: an alert is identified by (rule, subject, stage), and only `plan` opens one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dashboard.alert_rules import AlertConfig, step_of


@dataclass(frozen=True)
class Finding:
    """A condition that holds at the evaluation's `now`. `facts` are public facts only (numbers, codes)."""

    rule: str
    subject: str  # a complaint number, an incident number, an OPD code, "city", a stream name ...
    stage: str  # the complaint's SLA stage, or "firing"
    group: str  # what messages are grouped by, and whose ladder is used: an OPD code, or "112", "feed", "city"
    facts: Mapping = field(default_factory=dict, compare=False, hash=False)


@dataclass
class Alert:
    """A firing alert as the store holds it."""

    id: int
    rule: str
    subject: str
    stage: str
    group: str
    step: int
    started_at: dt.datetime | None
    last_notified_at: dt.datetime | None = None
    acknowledged_at: dt.datetime | None = None
    facts: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class Silence:
    until: dt.datetime
    rule: str | None = None
    group: str | None = None
    subject: str | None = None
    id: int = 0

    def covers(self, rule: str, group: str, subject: str, now: dt.datetime) -> bool:
        return (
            now < self.until
            and self.rule in (None, rule)
            and self.group in (None, group)
            and self.subject in (None, subject)
        )


@dataclass
class Notice:
    """One message to send: a group of alerts that opened, repeat or resolved together."""

    kind: str  # "firing", "repeat" or "resolved"
    rule: str
    stage: str
    group: str
    step: int
    items: list[dict]  # per alert: subject, facts, alert_id (None for a new one, filled in by the caller)
    new_keys: list[tuple[str, str, str]] = field(default_factory=list)  # (rule, subject, stage) of new alerts


@dataclass
class Plan:
    opened: list[Finding] = field(default_factory=list)
    opened_silenced: list[Finding] = field(default_factory=list)
    superseded: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    notified: list[int] = field(default_factory=list)  # existing alerts sent now (repeat, or after a silence)
    notices: list[Notice] = field(default_factory=list)


def plan(
    firing: Iterable[Alert],
    findings: Iterable[Finding],
    now: dt.datetime,
    config: AlertConfig,
    silences: Iterable[Silence] = (),
) -> Plan:
    silences = [s for s in silences if now < s.until]
    firing_by_key = {(a.rule, a.subject): a for a in firing}
    found: dict[tuple[str, str], Finding] = {}
    for finding in findings:
        found[(finding.rule, finding.subject)] = finding  # one stage per subject: the last given wins
    result = Plan()
    groups: dict[tuple[str, str, str, str], Notice] = {}

    def add(kind: str, rule: str, stage: str, group: str, item: dict) -> Notice:
        notice = groups.get((kind, rule, stage, group))
        if notice is None:
            notice = groups[(kind, rule, stage, group)] = Notice(kind, rule, stage, group, step_of(rule, stage), [])
        notice.items.append(item)
        return notice

    def silenced(rule: str, group: str, subject: str) -> bool:
        return any(s.covers(rule, group, subject, now) for s in silences)

    repeat = dt.timedelta(minutes=config.repeat_minutes)
    for key, alert in sorted(firing_by_key.items()):
        finding = found.get(key)
        if finding is None:
            result.resolved.append(alert.id)
            if alert.last_notified_at is not None and not silenced(alert.rule, alert.group, alert.subject):
                item = {"subject": alert.subject, "facts": dict(alert.facts), "alert_id": alert.id}
                add("resolved", alert.rule, alert.stage, alert.group, item)
        elif finding.stage != alert.stage:
            result.superseded.append(alert.id)  # the new stage opens below
        elif not silenced(alert.rule, alert.group, alert.subject):
            if alert.last_notified_at is None:
                kind = "firing"  # opened under a silence that has ended since
            elif alert.acknowledged_at is None and now - alert.last_notified_at >= repeat:
                kind = "repeat"
            else:
                continue
            result.notified.append(alert.id)
            add(
                kind,
                alert.rule,
                alert.stage,
                alert.group,
                {"subject": alert.subject, "facts": dict(finding.facts), "alert_id": alert.id},
            )
    for key, finding in sorted(found.items()):
        alert = firing_by_key.get(key)
        if alert is not None and alert.stage == finding.stage:
            continue
        if silenced(finding.rule, finding.group, finding.subject):
            result.opened_silenced.append(finding)
            continue
        result.opened.append(finding)
        notice = add(
            "firing",
            finding.rule,
            finding.stage,
            finding.group,
            {"subject": finding.subject, "facts": dict(finding.facts), "alert_id": None},
        )
        notice.new_keys.append((finding.rule, finding.subject, finding.stage))
    # Escalation order: lower ladder steps first, then resolutions, within a kind by rule and group.
    order = {"firing": 0, "repeat": 1, "resolved": 2}
    result.notices = sorted(groups.values(), key=lambda n: (order[n.kind], n.step, n.rule, n.group, n.stage))
    for notice in result.notices:
        notice.items.sort(key=lambda item: item["subject"])
    return result


def complaint_findings(rows: Iterable[Mapping], now: dt.datetime, config: AlertConfig) -> list[Finding]:
    """Complaints awaiting their first response at or past at-risk (from the KPI engine's SLA states), as
    findings; a complaint breached for `escalate_after_hours` is at the last stage, escalated."""
    if "complaint_sla" not in config.enabled:
        return []
    escalate = dt.timedelta(hours=config.escalate_after_hours)
    findings = []
    for row in rows:
        stage = row["state"]
        if stage == "breached" and now - row["due_at"] >= escalate:
            stage = "escalated"
        stage = _highest_enabled(stage, config.complaint_stages)
        if stage is None:
            continue
        facts = {
            "complaint_id": row["complaint_id"],
            "category": row["category"],
            "kecamatan_code": row["kecamatan_code"],
            "opd": row["opd"],
            "due_at": row["due_at"].isoformat(),
        }
        findings.append(Finding("complaint_sla", row["complaint_id"], stage, row["opd"] or "-", facts))
    return findings


def _highest_enabled(stage: str, enabled: tuple[str, ...]) -> str | None:
    """A stage that is switched off falls back to the highest enabled one below it."""
    from dashboard.alert_rules import COMPLAINT_STAGES

    for candidate in reversed(COMPLAINT_STAGES[: COMPLAINT_STAGES.index(stage) + 1]):
        if candidate in enabled:
            return candidate
    return None
