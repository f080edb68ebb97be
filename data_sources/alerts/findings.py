"""The conditions that hold at a time `now`, from the KPI engine's queries and the feed's health in Redis."""

from __future__ import annotations

import datetime as dt

import redis
from sqlalchemy.engine import Engine

from dashboard.alert_rules import AlertConfig
from dashboard.alerts import Finding, complaint_findings
from dashboard.i18n import WIB
from dashboard.sla import policy_from_settings
from data_sources.kpi import alert_conditions as q
from data_sources.stream.health import stream_health


def findings_at(
    engine: Engine, client: redis.Redis | None, settings, config: AlertConfig, now: dt.datetime, policy=None
) -> list[Finding]:
    """Every condition that holds at `now`, from the KPI engine's queries (and the feed's health in Redis)."""
    policy = policy or policy_from_settings(settings)
    with engine.connect() as conn:
        out = []
        if "complaint_sla" in config.enabled:
            out += complaint_findings(q.sla_watch(conn, now, policy), now, config)
        return out + other_findings(conn, client, settings, config, now)


def other_findings(
    conn, client: redis.Redis | None, settings, config: AlertConfig, now: dt.datetime, egov_rows: list | None = None
) -> list[Finding]:
    """The conditions of every rule but the complaints' SLA: few subjects each, read whole at every pass
    (the e-government readings' red ones from `egov_rows` when given: they change only with new readings)."""
    on = config.enabled
    out: list[Finding] = []
    if "opd_breach_share" in on:
        day_start = now.astimezone(WIB).replace(hour=0, minute=0, second=0, microsecond=0)
        for row in q.opd_breach_shares(conn, now, day_start):
            pct = 100.0 * row["breached"] / row["total"]
            if row["total"] >= config.opd_breach_min_complaints and pct > config.opd_breach_share_pct:
                out.append(Finding("opd_breach_share", row["opd"], "firing", row["opd"], {**row, "pct": round(pct, 1)}))
    if on & {"incident_dispatch", "incident_arrival"}:
        for row in q.priority_one_waiting(conn, now, config.dispatch_minutes, config.arrival_minutes):
            rule = f"incident_{row['waiting_for']}"
            if rule in on:
                out.append(Finding(rule, row["incident_id"], "firing", "112", row))
    if "response_p90" in on:
        p90, n = q.response_p90_last_hour(conn, now)
        if p90 is not None and n >= config.response_min_incidents and p90 > config.response_p90_minutes:
            out.append(Finding("response_p90", "city", "firing", "112", {"p90_min": p90, "n": n}))
    if "deadletter_surge" in on:
        count = q.dead_letters_since(conn, now - dt.timedelta(hours=1))
        if count >= config.deadletters_per_hour:
            out.append(Finding("deadletter_surge", "deadletter", "firing", "feed", {"count": count}))
    if "egov_red" in on:
        for row in q.egov_red(conn, settings) if egov_rows is None else egov_rows:
            group = "city" if row["opd"] == "ALL" else row["opd"]
            out.append(Finding("egov_red", f"{row['opd']}:{row['metric']}", "firing", group, row))
    if "feed_stale" in on and client is not None:
        out += _stale_streams(client, settings, config, now)
    return out


def _stale_streams(client: redis.Redis, settings, config: AlertConfig, now: dt.datetime) -> list[Finding]:
    """A stream counts as stale when nothing was read from it for feed_stale_minutes although it has been read
    before (a stream never read belongs to a producer not yet connected, not to a stopped feed)."""
    out = []
    streams = stream_health(settings, client)["streams"]
    for name in config.feed_streams:
        last = streams.get(name, {}).get("last_read_at")
        if last and now - dt.datetime.fromisoformat(last) >= dt.timedelta(minutes=config.feed_stale_minutes):
            out.append(Finding("feed_stale", name, "firing", "feed", {"stream": name, "last_read_at": last}))
    return out
