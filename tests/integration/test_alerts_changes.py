"""The evaluator's passes over what changed (data_sources/alerts/changes.py) alert like full evaluations: after
every pass a full evaluation would change nothing, and the ladder's messages are the same, on PostgreSQL and
SQLite, with events through the real ingestor and e-mail to a real SMTP server."""

from __future__ import annotations

import datetime as dt

from dashboard.alert_rules import config_from_settings
from dashboard.alerts import plan
from data_sources.alerts import store
from data_sources.alerts.evaluator import Evaluator, findings_at
from data_sources.redis_keys import alerts_firing_key
from data_sources.stream.producer import publish
from tests.conftest import make_event
from tests.integration.test_alerts import T0, created
from tests.support.alert_receivers import SmtpServer

STEP = dt.timedelta(minutes=20)


def full_plan_changes(engine, client, settings, config, now) -> list:
    """What a full evaluation at `now` would open, resolve or supersede (nothing, if the passes kept up)."""
    with engine.connect() as conn:
        firing, silences = store.firing(conn), store.active_silences(conn, now)
    result = plan(firing, findings_at(engine, client, settings, config, now), now, config, silences)
    return [*(f.subject for f in result.opened), *result.resolved, *result.superseded]


def walk(settings, s, engine, redis_client, ingest_until_idle, start_h: float = 10) -> list[bool]:
    """The evaluator's passes every STEP from `start_h` to 34 hours after T0, each checked against a full one;
    at 20 hours MC-1 is answered and MC-4 arrives already at risk. Returns which passes were full ones."""
    for cid, opd, hours in (("MC-1", "DSDABM", 0), ("MC-2", "DSDABM", 0.5), ("MC-3", "DINKES", 3)):
        publish(redis_client, settings, created(cid, opd, T0 + dt.timedelta(hours=hours)))
    ingest_until_idle()
    config = config_from_settings(s)
    now = [T0 + dt.timedelta(hours=start_h)]
    evaluator = Evaluator(engine, redis_client, s, config, lambda: now[0])
    kinds = []
    try:
        while now[0] < T0 + dt.timedelta(hours=34):
            if now[0] == T0 + dt.timedelta(hours=20):
                answered = {"complaint_id": "MC-1", "status": "responded"}
                publish(redis_client, settings, make_event("r1", "complaint.status", answered, now[0].isoformat()))
                publish(redis_client, settings, created("MC-4", "DLH", now[0] - dt.timedelta(hours=13)))
                ingest_until_idle()
            kinds.append(evaluator.tick(force=True)["full"])
            assert full_plan_changes(engine, redis_client, s, config, now[0]) == [], now[0]
            with engine.connect() as conn:  # the wall's count, kept without counting at every pass
                assert redis_client.get(alerts_firing_key(s)) == str(store.firing_count(conn)).encode()
            now[0] += STEP
    finally:
        evaluator.lock.release()
    return kinds


def alert_settings(settings, smtp: SmtpServer, **more):
    return settings.with_overrides(
        smtp_url=smtp.url,
        alert_email_from="pantau@surabaya.go.id",
        alert_email_to="mc@surabaya.go.id",
        alert_repeat_minutes=1000,
        **more,
    )


def test_passes_over_changes_on_the_working_clock_alert_like_full_evaluations(
    settings, engine, redis_client, ingest_until_idle
):
    with SmtpServer() as smtp:
        s = alert_settings(settings, smtp, sla_mode="working")
        # from 08:20 WIB on a Friday: the office hours put at-risk hours before half of the 24 wall-clock hours
        kinds = walk(settings, s, engine, redis_client, ingest_until_idle, start_h=0.33)
        assert kinds[0] is True and not any(kinds[1:])
        assert "waspada" in smtp.wait_for(1)[0].subject


def test_passes_over_changes_alert_like_full_evaluations(settings, engine, redis_client, ingest_until_idle):
    with SmtpServer() as smtp:
        s = alert_settings(settings, smtp)
        kinds = walk(settings, s, engine, redis_client, ingest_until_idle)
        assert kinds[0] is True and not any(kinds[1:])  # one full evaluation, then only the changes
        subjects = [m.subject.removeprefix("[Pantau] ") for m in smtp.wait_for(14)]
        waspada, kritis, batas, empat = (
            "Aduan waspada (≥ 50% waktu 1x24 jam)",
            "Aduan kritis (≥ 75% waktu 1x24 jam)",
            "Aduan lewat batas 1x24 jam",
            "Aduan lewat batas 4 jam atau lebih",
        )
        assert subjects == [
            f"PERINGATAN: {waspada} – DSDABM (1)",  # MC-1 at 12:00
            f"PERINGATAN: {waspada} – DSDABM (1)",  # MC-2 at 12:30, seen at 12:40
            f"PERINGATAN: {waspada} – DINKES (1)",  # MC-3 at 15:00
            f"PERINGATAN: {kritis} – DSDABM (1)",
            f"PERINGATAN: {kritis} – DSDABM (1)",
            f"PERINGATAN: {waspada} – DLH (1)",  # MC-4, arrived at risk at 20:00
            f"SELESAI: {kritis} – DSDABM (1)",  # MC-1 answered at 20:00
            f"PERINGATAN: {kritis} – DINKES (1)",
            f"PERINGATAN: {batas} – DSDABM (1)",
            f"PERINGATAN: {kritis} – DLH (1)",
            f"PERINGATAN: {batas} – DINKES (1)",
            f"PERINGATAN: {empat} – DSDABM (1)",
            f"PERINGATAN: {batas} – DLH (1)",
            f"PERINGATAN: {empat} – DINKES (1)",
        ]
