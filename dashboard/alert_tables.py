"""The briefing's alert tables as rows (the grids and the exports): the firing alerts and the history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from dashboard.alert_messages import group_name, title_of
from dashboard.alert_rules import STEPS, AlertConfig
from dashboard.alerts import Silence
from dashboard.i18n import format_datetime, t

_CONFIG = AlertConfig()


def _iso(value) -> str | None:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def stage_name(stage: str | None, lang: str) -> str:
    return t(f"alerts.stage.{stage}", lang) if stage else ""


def alert_rows(firing: Iterable[Mapping], silences: Iterable[Mapping], now: dt.datetime, lang: str) -> list[dict]:
    active = [Silence(s["until"], s["rule"], s["group_key"], s["subject"], s["id"]) for s in silences]
    rows = []
    for a in firing:
        states = []
        if a["acknowledged_at"]:
            states.append(f"{t('alerts.acknowledged', lang)} ({a['acknowledged_by']})")
        if any(s.covers(a["rule"], a["group_key"], a["subject"], now) for s in active):
            states.append(t("alerts.silenced", lang))
        rows.append(
            {
                "alert_id": a["id"],
                "rule": title_of(a["rule"], a["stage"], _CONFIG, lang),
                "rule_code": a["rule"],
                "stage": stage_name(a["stage"], lang),
                "group": group_name(a["group_key"], lang),
                "group_code": a["group_key"],
                "subject": a["subject"],
                "started_at": _iso(a["started_at"]),
                "step": t(f"alert.step.{STEPS[a['step']]}", lang),
                "state": ", ".join(states),
            }
        )
    return rows


def history_rows(history: Iterable[Mapping], lang: str) -> list[dict]:
    return [
        {
            "at": _iso(h["at"]),
            "event": t(f"alerts.event.{h['event']}", lang),
            "rule": title_of(h["rule"], h["stage"] or "breached", _CONFIG, lang) if h["rule"] else "",
            "stage": stage_name(h["stage"], lang),
            "group": group_name(h["group_key"], lang) if h["group_key"] else "",
            "subject": h["subject"] or "",
            "recipient": h["target"] or "",
            "actor": h["actor"] or "",
            "detail": _detail(h, lang),
        }
        for h in history
    ]


def _detail(entry: Mapping, lang: str) -> str:
    """A silence's detail is stored as "<until ISO>|<reason>": shown as its end in WIB and the reason."""
    detail = entry["detail"] or ""
    if entry["event"] == "silenced" and "|" in detail:
        until, reason = detail.split("|", 1)
        try:
            return f"{t('alerts.until', lang, time=format_datetime(dt.datetime.fromisoformat(until), lang))} · {reason}"
        except ValueError:
            return detail
    return detail
