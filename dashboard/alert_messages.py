"""The words of an alert: subject and body of one Notice, in the configured language, public facts only.

Everything shown comes from a Finding's facts, which the evaluation queries fill from public columns (numbers,
codes, times); nothing here could print a name, a phone number or a complaint's text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from dashboard.alert_rules import STEPS, AlertConfig
from dashboard.alerts import Notice
from dashboard.i18n import format_datetime, format_number, kecamatan_name, label, t

MAX_LINES = 50  # a message lists at most this many subjects; the rest are counted
SEVERITY = {"at_risk": "warning", "critical": "critical", "breached": "critical", "escalated": "critical"}


@dataclass(frozen=True)
class Message:
    subject: str
    title: str
    lines: tuple[str, ...]
    link: str
    body: str
    severity: str


def group_name(group: str, lang: str) -> str:
    if group in ("city", "112", "feed"):
        return t(f"alert.group.{group}", lang)
    return t("alert.group.none", lang) if group in ("-", "") else group


def title_of(rule: str, stage: str, config: AlertConfig, lang: str) -> str:
    if rule == "complaint_sla" and stage == "escalated" and config.escalate_after_hours < 1:
        minutes = config.escalate_after_hours * 60  # under an hour (a rules file's 0.1 h, the demo's seconds)
        decimals = 0 if minutes == round(minutes) else 1
        return t("alert.rule.complaint_sla.escalated_minutes", lang, minutes=format_number(minutes, lang, decimals))
    if rule == "complaint_sla":
        hours = config.escalate_after_hours
        decimals = 0 if hours == round(hours) else 1
        return t(f"alert.rule.complaint_sla.{stage}", lang, hours=format_number(hours, lang, decimals))
    return t(f"alert.rule.{rule}", lang)


def link_for(notice: Notice, config: AlertConfig) -> str:
    """The briefing's view of what the message is about: one complaint, or the OPD's view."""
    base = f"{config.base_url}/briefing"
    if notice.rule == "complaint_sla" and len(notice.items) == 1:
        return f"{base}?complaint={quote(notice.items[0]['subject'], safe='')}"
    if notice.group not in ("city", "112", "feed", "-", ""):
        return f"{base}?{urlencode({'period': 'today', 'opd': notice.group})}"
    return f"{base}?period=today"


def render(notice: Notice, config: AlertConfig, lang: str | None = None) -> Message:
    lang = lang or config.language
    title = title_of(notice.rule, notice.stage, config, lang)
    group = group_name(notice.group, lang)
    items = notice.items
    lines = [_line(notice.rule, item, config, lang) for item in items[:MAX_LINES]]
    if len(items) > MAX_LINES:
        lines.append(t("alert.more", lang, n=len(items) - MAX_LINES))
    kind = t(f"alert.kind.{notice.kind}", lang)
    subject = t("alert.subject", lang, kind=kind, title=title, group=group, n=len(items))
    link = link_for(notice, config)
    step = t("alert.step", lang, step=t(f"alert.step.{STEPS[notice.step]}", lang))
    body = "\n".join(
        [
            f"{kind}: {title}",
            group,
            step,
            "",
            *lines,
            "",
            t("alert.open_link", lang, url=link),
            "",
            t("alert.footer", lang),
        ]
    )
    severity = "info" if notice.kind == "resolved" else SEVERITY.get(notice.stage, "critical")
    return Message(subject, title, tuple(lines), link, body, severity)


def _when(value: str | None, lang: str) -> str:
    return format_datetime(dt.datetime.fromisoformat(value), lang) if value else "–"


def _line(rule: str, item: dict, config: AlertConfig, lang: str) -> str:
    f = item["facts"]
    if rule == "complaint_sla":
        line = t(
            "alert.line.complaint",
            lang,
            id=f["complaint_id"],
            category=label("complaint_category", f.get("category"), lang),
            place=kecamatan_name(f.get("kecamatan_code"), lang),
            opd=f.get("opd") or t("alert.group.none", lang),
            due=_when(f.get("due_at"), lang),
        )
        return f"{line}\n  {config.base_url}/briefing?complaint={quote(f['complaint_id'], safe='')}"
    if rule == "opd_breach_share":
        return t(
            "alert.line.opd_share",
            lang,
            opd=f["opd"],
            breached=f["breached"],
            total=f["total"],
            pct=format_number(f["pct"], lang, 1),
            threshold=format_number(config.opd_breach_share_pct, lang),
        )
    if rule in ("incident_dispatch", "incident_arrival"):
        return t(
            "alert.line.incident",
            lang,
            id=f["incident_id"],
            category=label("incident_category", f["category"], lang),
            place=kecamatan_name(f.get("kecamatan_code"), lang),
            reported=_when(f["reported_at"], lang),
            minutes=format_number(f["minutes"], lang, 1),
        )
    if rule == "response_p90":
        return t(
            "alert.line.response",
            lang,
            value=format_number(f["p90_min"], lang, 1),
            n=f["n"],
            threshold=format_number(config.response_p90_minutes, lang, 1),
        )
    if rule == "feed_stale":
        return t(
            "alert.line.feed",
            lang,
            stream=t(f"stream.{f['stream']}", lang) if f["stream"] != "info" else "PPID",
            since=_when(f.get("last_read_at"), lang),
            threshold=format_number(config.feed_stale_minutes, lang),
        )
    if rule == "deadletter_surge":
        return t("alert.line.deadletter", lang, n=f["count"], threshold=config.deadletters_per_hour)
    if rule == "egov_red":
        return t(
            "alert.line.egov",
            lang,
            opd=f["opd"],
            metric=f["metric"],
            value=format_number(f["value"], lang, 1),
            target=format_number(f["target"], lang, 1),
        )
    raise ValueError(f"no message for rule {rule!r}")
