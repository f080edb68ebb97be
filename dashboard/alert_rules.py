"""The alert rules' configuration: built-in thresholds, the escalation ladder, recipients and webhooks.

Read from a TOML file (PANTAU_ALERT_RULES_PATH) with the standard library's tomllib, checked whole at start:
every problem names the file's line. Without a file, the built-in rules send every ladder step to
PANTAU_ALERT_EMAIL_TO (and PANTAU_ALERT_WEBHOOK_URL, if set). See docs/alerts.md for an example file.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

# The city's escalation ladder, lowest first: the OPD's complaint team (TPKPM), the OPD's head, the Media
# Center coordinator, the Sekda's office. Each step's message also goes to the steps below it.
STEPS = ("opd_team", "opd_head", "media_center", "sekda")
RULES = (
    "complaint_sla",
    "opd_breach_share",
    "incident_dispatch",
    "incident_arrival",
    "response_p90",
    "feed_stale",
    "deadletter_surge",
    "egov_red",
)
COMPLAINT_STAGES = ("at_risk", "critical", "breached", "escalated")
WEBHOOK_FORMATS = ("generic", "chat", "alertmanager")
_EMAIL = re.compile(r"[^@\s<>,]+@[^@\s<>,]+")
_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")


class AlertRulesError(ValueError):
    """The rules file is malformed; the message names the line."""


@dataclass(frozen=True)
class Webhook:
    name: str
    url: str
    format: str = "generic"
    secret: str | None = None


@dataclass(frozen=True)
class AlertConfig:
    language: str = "id"
    base_url: str = "http://127.0.0.1:8050"
    repeat_minutes: float = 60.0
    enabled: frozenset[str] = frozenset(RULES)
    complaint_stages: tuple[str, ...] = COMPLAINT_STAGES
    escalate_after_hours: float = 4.0  # breached this long: the Sekda's office is told
    opd_breach_share_pct: float = 20.0
    opd_breach_min_complaints: int = 10
    dispatch_minutes: float = 3.0
    arrival_minutes: float = 7.4
    response_p90_minutes: float = 15.0
    response_min_incidents: int = 5
    feed_stale_minutes: float = 10.0
    feed_streams: tuple[str, ...] = ("complaints", "incidents")
    deadletters_per_hour: int = 50
    # step name -> targets (e-mail addresses, or "webhook:NAME"); per OPD overrides
    ladder: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ladder_by_opd: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    webhooks: dict[str, Webhook] = field(default_factory=dict)

    def recipients(self, group: str | None, step: int) -> tuple[str, ...]:
        """Everyone told at ladder step `step` about `group` (an OPD code, or a city-wide group): that step's
        targets and the steps' below it, the OPD's own where it has them, each once, in ladder order."""
        seen: dict[str, None] = {}
        own = self.ladder_by_opd.get(group or "", {})
        for name in STEPS[: step + 1]:
            for target in own.get(name, self.ladder.get(name, ())):
                seen.setdefault(target, None)
        return tuple(seen)


# The first ladder step of each rule (a complaint's step follows its SLA stage).
RULE_STEP = {
    "opd_breach_share": 1,
    "incident_dispatch": 2,
    "incident_arrival": 2,
    "response_p90": 2,
    "feed_stale": 2,
    "deadletter_surge": 2,
    "egov_red": 1,
}


def step_of(rule: str, stage: str) -> int:
    return COMPLAINT_STAGES.index(stage) if rule == "complaint_sla" else RULE_STEP[rule]


# rule table -> {key: (attribute of AlertConfig, type, low, high)}
_RULE_KEYS: dict[str, dict[str, tuple[str, type, float, float]]] = {
    "complaint_sla": {"escalate_after_hours": ("escalate_after_hours", float, 0.1, 720)},
    "opd_breach_share": {
        "threshold_pct": ("opd_breach_share_pct", float, 0, 100),
        "min_complaints": ("opd_breach_min_complaints", int, 1, 100_000),
    },
    "incident_dispatch": {"minutes": ("dispatch_minutes", float, 0.1, 1440)},
    "incident_arrival": {"minutes": ("arrival_minutes", float, 0.1, 1440)},
    "response_p90": {
        "threshold_minutes": ("response_p90_minutes", float, 0.1, 1440),
        "min_incidents": ("response_min_incidents", int, 1, 100_000),
    },
    "feed_stale": {"minutes": ("feed_stale_minutes", float, 1, 10_080)},
    "deadletter_surge": {"per_hour": ("deadletters_per_hour", int, 1, 10_000_000)},
    "egov_red": {},
}


def config_from_settings(settings) -> AlertConfig:
    """The built-in rules with the settings' recipients, then the rules file over them, if there is one."""
    targets: list[str] = [a.strip() for a in (settings.alert_email_to or "").split(",") if a.strip()]
    webhooks = {}
    if settings.alert_webhook_url:
        webhooks["default"] = Webhook(
            "default", settings.alert_webhook_url, settings.alert_webhook_format, settings.alert_webhook_secret
        )
        targets.append("webhook:default")
    config = AlertConfig(
        language=settings.alert_language,
        base_url=settings.alert_base_url.rstrip("/"),
        repeat_minutes=settings.alert_repeat_minutes,
        ladder={step: tuple(targets) for step in STEPS},
        webhooks=webhooks,
    )
    if settings.alert_rules_path is not None:
        config = load_rules(Path(settings.alert_rules_path), config)
    return config


def load_rules(path: Path, base: AlertConfig) -> AlertConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AlertRulesError(f"{path}: cannot be read: {exc}") from None
    return parse_rules(text, base, str(path))


def parse_rules(text: str, base: AlertConfig, where: str = "rules") -> AlertConfig:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message says "(at line N, column M)"
        raise AlertRulesError(f"{where}: {exc}") from None
    lines = text.splitlines()

    def fail(problem: str, *path: str) -> AlertRulesError:
        return AlertRulesError(f"{where}, line {_line_of(lines, path)}: {'.'.join(path)} {problem}")

    changes: dict[str, Any] = {}
    _unknown(doc, {"language", "repeat_minutes", "rules", "ladder", "webhooks"}, (), fail)
    if "language" in doc:
        if doc["language"] not in ("id", "en"):
            raise fail('must be "id" or "en"', "language")
        changes["language"] = doc["language"]
    if "repeat_minutes" in doc:
        changes["repeat_minutes"] = _number(doc["repeat_minutes"], float, 1, 10_080, fail, "repeat_minutes")
    enabled = set(base.enabled)
    rules = _table(doc.get("rules", {}), fail, "rules")
    _unknown(rules, set(RULES), ("rules",), fail)
    for rule, table in rules.items():
        table = _table(table, fail, "rules", rule)
        _unknown(table, {"enabled", "stages", *_RULE_KEYS[rule]}, ("rules", rule), fail)
        if "enabled" in table:
            if not isinstance(table["enabled"], bool):
                raise fail("must be true or false", "rules", rule, "enabled")
            (enabled.add if table["enabled"] else enabled.discard)(rule)
        for key, (attribute, kind, low, high) in _RULE_KEYS[rule].items():
            if key in table:
                changes[attribute] = _number(table[key], kind, low, high, fail, "rules", rule, key)
        if "stages" in table:
            if rule != "complaint_sla":
                raise fail("is only for complaint_sla", "rules", rule, "stages")
            stages = table["stages"]
            if not isinstance(stages, list) or not stages or any(s not in COMPLAINT_STAGES for s in stages):
                raise fail(f"must list some of {', '.join(COMPLAINT_STAGES)}", "rules", rule, "stages")
            changes["complaint_stages"] = tuple(s for s in COMPLAINT_STAGES if s in stages)
    changes["enabled"] = frozenset(enabled)

    webhooks = dict(base.webhooks)
    for name, table in _table(doc.get("webhooks", {}), fail, "webhooks").items():
        table = _table(table, fail, "webhooks", name)
        _unknown(table, {"url", "format", "secret"}, ("webhooks", name), fail)
        if not _NAME.fullmatch(name):
            raise fail("is not a name of letters, digits, - and _", "webhooks", name)
        url = table.get("url")
        if not isinstance(url, str) or not re.fullmatch(r"https?://\S+", url):
            raise fail("must be an http(s):// address", "webhooks", name, "url")
        kind = table.get("format", "generic")
        if kind not in WEBHOOK_FORMATS:
            raise fail(f"must be one of {', '.join(WEBHOOK_FORMATS)}", "webhooks", name, "format")
        secret = table.get("secret")
        if secret is not None and (not isinstance(secret, str) or len(secret) < 16):
            raise fail("must be a string of at least 16 characters", "webhooks", name, "secret")
        webhooks[name] = Webhook(name, url, kind, secret)

    ladder = _table(doc.get("ladder", {}), fail, "ladder")
    _unknown(ladder, {*STEPS, "opd"}, ("ladder",), fail)
    default = dict(base.ladder)
    for step in STEPS:
        if step in ladder:
            default[step] = _targets(ladder[step], webhooks, fail, "ladder", step)
    by_opd = {}
    for opd, table in _table(ladder.get("opd", {}), fail, "ladder", "opd").items():
        table = _table(table, fail, "ladder", "opd", opd)
        _unknown(table, set(STEPS), ("ladder", "opd", opd), fail)
        by_opd[opd] = {step: _targets(v, webhooks, fail, "ladder", "opd", opd, step) for step, v in table.items()}
    for step, targets in default.items():  # the settings' webhook target must exist too
        _targets(list(targets), webhooks, fail, "ladder", step)
    return replace(base, **changes, ladder=default, ladder_by_opd=by_opd, webhooks=webhooks)


def _table(value, fail, *path: str) -> dict:
    if not isinstance(value, dict):
        raise fail("must be a table", *path)
    return value


def _unknown(table: dict, known: set[str], path: tuple[str, ...], fail) -> None:
    for key in table:
        if key not in known:
            raise fail(f"is not known here (known: {', '.join(sorted(known))})", *path, key)


def _number(value, kind, low, high, fail, *path: str):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and isinstance(value, float)):
        raise fail(f"must be a {'whole ' if kind is int else ''}number", *path)
    if not low <= value <= high:
        raise fail(f"must be between {low} and {high}, got {value}", *path)
    return kind(value)


def _targets(value, webhooks: dict, fail, *path: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail('must be a list like ["tpkpm@surabaya.go.id", "webhook:chat"]', *path)
    for target in value:
        if target.startswith("webhook:"):
            if target.removeprefix("webhook:") not in webhooks:
                raise fail(f"names {target!r}, which no [webhooks.*] table defines", *path)
        elif not _EMAIL.fullmatch(target):
            raise fail(f"has {target!r}, which is neither an e-mail address nor webhook:NAME", *path)
    return tuple(value)


def _line_of(lines: list[str], path: tuple[str, ...]) -> int:
    """The line where `path` is written: its key under its table's header, else the header, else 1."""
    best = 1
    for depth in range(len(path), 0, -1):
        header = re.compile(r"\s*\[+\s*" + r"\s*\.\s*".join(map(re.escape, path[:depth])) + r"\s*\]+")
        for number, line in enumerate(lines, 1):
            if header.match(line):
                if depth == len(path):
                    return number
                key = re.compile(r"\s*" + re.escape(path[depth]) + r"\s*=")
                for offset, after in enumerate(lines[number:], number + 1):
                    if after.lstrip().startswith("["):
                        break
                    if key.match(after):
                        return offset
                return number
    key = re.compile(r"\s*" + re.escape(path[-1]) + r"\s*=") if path else None
    for number, line in enumerate(lines, 1):
        if key and key.match(line):
            return number
    return best
