"""Alerts end to end: events through the real ingestor, the evaluator at a fixed clock on PostgreSQL and
SQLite, e-mail to a real SMTP server and webhooks to a real HTTP receiver."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest
from sqlalchemy import select

from dashboard.alert_rules import config_from_settings
from data_sources import redis_keys
from data_sources.alerts import store
from data_sources.alerts.delivery import Deliverer, send_email
from data_sources.alerts.delivery import SmtpServer as SmtpTarget
from data_sources.alerts.evaluator import Evaluator, EvaluatorLock, evaluate
from data_sources.store.alert_models import AlertDelivery, AlertLogEntry
from data_sources.stream.producer import publish
from tests.conftest import make_event
from tests.support.alert_receivers import SmtpServer, WebhookReceiver

T0 = dt.datetime(2026, 11, 27, 1, 0, tzinfo=dt.UTC)  # 08:00 WIB
SECRET = "a-webhook-secret-of-some-length"
PERSONAL = ("Siti Rahayu", "081234567890", "3578010101900001", "Jl. Kenanga 12", "lubang besar di depan rumah saya")
LADDER = """\
[rules.complaint_sla]
escalate_after_hours = 4

[webhooks.hook]
url = "{hook}"
format = "generic"
secret = "{secret}"

[webhooks.am]
url = "{am}"
format = "alertmanager"

[ladder]
opd_team = ["tpkpm@surabaya.go.id"]
opd_head = ["kepala@surabaya.go.id"]
media_center = ["mc@surabaya.go.id", "webhook:hook", "webhook:am"]
sekda = ["sekda@surabaya.go.id"]

[ladder.opd.DSDABM]
opd_team = ["tpkpm.dsdabm@surabaya.go.id"]
"""


def created(cid: str, opd: str, at: dt.datetime) -> dict:
    data = {
        "complaint_id": cid,
        "channel": "whatsapp",
        "category": "jalan_rusak",
        "opd": opd,
        "kecamatan": "Tegalsari",
        "text": PERSONAL[4],
        "reporter": {"name": PERSONAL[0], "phone": PERSONAL[1], "nik": PERSONAL[2], "address": PERSONAL[3]},
    }
    return make_event(f"{cid}-c", "complaint.created", data, at.isoformat())


@pytest.fixture
def alert_settings(settings, tmp_path):
    def build(smtp: SmtpServer, hook: WebhookReceiver, am: WebhookReceiver, **more):
        rules = tmp_path / "rules.toml"
        rules.write_text(LADDER.format(hook=hook.url(), am=am.url("/api/v2/alerts"), secret=SECRET))
        return settings.with_overrides(
            smtp_url=smtp.url,
            alert_email_from="pantau@surabaya.go.id",
            alert_rules_path=rules,
            alert_base_url="https://pantau.surabaya.go.id",
            **more,
        )

    return build


def run_at(engine, client, settings, config, now):
    summary = evaluate(engine, client, settings, config, now)
    Deliverer(engine, settings, config).deliver_due(now)
    return summary


def all_text(smtp: SmtpServer, *hooks: WebhookReceiver) -> str:
    return "\n".join(
        [m.subject + "\n" + m.body for m in smtp.inbox] + [r["raw"].decode() for h in hooks for r in h.received]
    )


def test_unanswered_complaints_escalate_by_the_ladder_grouped_once_per_stage_and_resolve(
    settings, alert_settings, engine, redis_client, ingest_until_idle
):
    for cid, opd in (("MC-1", "DSDABM"), ("MC-2", "DSDABM"), ("MC-3", "DINKES")):
        publish(redis_client, settings, created(cid, opd, T0))
    ingest_until_idle()
    with SmtpServer() as smtp, WebhookReceiver() as hook, WebhookReceiver() as am:
        s = alert_settings(smtp, hook, am)
        config = config_from_settings(s)

        def inbox_of(address):
            return [m.subject for m in smtp.inbox if address in m.to]

        run_at(engine, redis_client, s, config, T0 + dt.timedelta(hours=11))  # 46 % used: nothing yet
        assert smtp.inbox == []
        run_at(engine, redis_client, s, config, T0 + dt.timedelta(hours=13))  # at risk: the OPD teams
        assert len(smtp.wait_for(2)) == 2
        dsdabm = next(m for m in smtp.inbox if "tpkpm.dsdabm@surabaya.go.id" in m.to)
        assert "MC-1" in dsdabm.body and "MC-2" in dsdabm.body and "(2)" in dsdabm.subject
        assert "Tegalsari" in dsdabm.body and "Jalan rusak" in dsdabm.body and "DSDABM" in dsdabm.body
        assert "batas 28 Nov 2026 08.00 WIB" in dsdabm.body
        assert "https://pantau.surabaya.go.id/briefing?period=today&opd=DSDABM" in dsdabm.body
        assert inbox_of("tpkpm@surabaya.go.id") == [
            "[Pantau] PERINGATAN: Aduan waspada (≥ 50% waktu 1x24 jam) – DINKES (1)"
        ]

        run_at(engine, redis_client, s, config, T0 + dt.timedelta(hours=13, minutes=30))  # the same state: nothing new
        assert len(smtp.inbox) == 2
        run_at(engine, redis_client, s, config, T0 + dt.timedelta(hours=19))  # critical: the heads too
        assert len(smtp.wait_for(6)) == 6 and len(inbox_of("kepala@surabaya.go.id")) == 2

        publish(
            redis_client,
            settings,
            make_event(
                "r3",
                "complaint.status",
                {"complaint_id": "MC-3", "status": "responded"},
                (T0 + dt.timedelta(hours=20)).isoformat(),
            ),
        )
        ingest_until_idle()
        run_at(engine, redis_client, s, config, T0 + dt.timedelta(hours=25))  # MC-3 resolved; MC-1/2 breached
        run_at(engine, redis_client, s, config, T0 + dt.timedelta(hours=29))  # 4 h past: the Sekda's office
        assert len(smtp.wait_for(15)) == 15
        stages = [
            m.subject.split(": ", 1)[1].split(" – ")[0] for m in smtp.inbox if "tpkpm.dsdabm@surabaya.go.id" in m.to
        ]
        assert stages == [
            "Aduan waspada (≥ 50% waktu 1x24 jam)",
            "Aduan kritis (≥ 75% waktu 1x24 jam)",
            "Aduan lewat batas 1x24 jam",
            "Aduan lewat batas 4 jam atau lebih",
        ]
        assert inbox_of("sekda@surabaya.go.id") == [
            "[Pantau] PERINGATAN: Aduan lewat batas 4 jam atau lebih – DSDABM (2)"
        ]
        assert [m for m in inbox_of("tpkpm@surabaya.go.id") if "SELESAI" in m] == [
            "[Pantau] SELESAI: Aduan kritis (≥ 75% waktu 1x24 jam) – DINKES (1)"
        ]
        # the Media Center's webhooks got the breach and the escalation, signed, and Alertmanager its alerts
        assert [r["json"]["stage"] for r in hook.received] == ["breached", "escalated"]
        for r in hook.received:
            expected = "sha256=" + hmac.new(SECRET.encode(), r["raw"], hashlib.sha256).hexdigest()
            assert r["headers"]["X-Pantau-Signature"] == expected
        assert am.received[0]["path"] == "/api/v2/alerts"
        assert {a["labels"]["subject"] for a in am.received[0]["json"]} == {"MC-1", "MC-2"}
        text = all_text(smtp, hook, am)
        assert not [p for p in PERSONAL if p in text]
        assert redis_client.get(redis_keys.alerts_firing_key(settings)) == b"2"
        with engine.connect() as conn:  # closed here, not whenever the garbage collector gets to it
            events = [e for (e,) in conn.execute(select(AlertLogEntry.event).order_by(AlertLogEntry.id))]
        assert {"fired", "superseded", "resolved", "delivered"} <= set(events)


def test_acknowledged_alerts_stop_repeating_and_silenced_ones_are_kept_but_not_sent(
    settings, alert_settings, engine, redis_client, ingest_until_idle
):
    publish(redis_client, settings, created("MC-1", "DSDABM", T0))
    publish(redis_client, settings, created("MC-2", "DINKES", T0))
    ingest_until_idle()
    with SmtpServer() as smtp, WebhookReceiver() as hook, WebhookReceiver() as am:
        s = alert_settings(smtp, hook, am, alert_repeat_minutes=30)
        config = config_from_settings(s)
        now = T0 + dt.timedelta(hours=13)
        store.silence(
            engine, until=now + dt.timedelta(hours=1), reason="rapat koordinasi", actor="sekda", now=now, group="DINKES"
        )
        run_at(engine, redis_client, s, config, now)
        assert [m.subject for m in smtp.wait_for(1)] == [
            "[Pantau] PERINGATAN: Aduan waspada (≥ 50% waktu 1x24 jam) – DSDABM (1)"
        ]
        dsdabm = next(a for a in store.listing(engine, now)["firing"] if a["subject"] == "MC-1")
        store.acknowledge(engine, dsdabm["id"], "tpkpm", now)
        run_at(engine, redis_client, s, config, now + dt.timedelta(minutes=40))  # DSDABM acked: no repeat
        assert len(smtp.inbox) == 1
        run_at(engine, redis_client, s, config, now + dt.timedelta(minutes=61))  # the silence is over
        assert [m.subject for m in smtp.wait_for(2)][1].endswith("DINKES (1)")
        with pytest.raises(store.AlertActionError):
            store.silence(engine, until=now + dt.timedelta(hours=1), reason=" ", actor="x", now=now, rule="egov_red")
        history = [(h["event"], h["actor"]) for h in store.history(engine)]
        assert ("acknowledged", "tpkpm") in history and ("silenced", "sekda") in history


def test_a_receiver_that_fails_then_recovers_gets_every_message_in_order(
    settings, alert_settings, engine, redis_client, ingest_until_idle
):
    for i in range(3):
        publish(redis_client, settings, created(f"MC-{i}", f"OPD{i}", T0 + dt.timedelta(hours=i)))
    ingest_until_idle()
    with SmtpServer() as smtp, WebhookReceiver(fail_first=4) as hook, WebhookReceiver() as am:
        s = alert_settings(smtp, hook, am)
        config = config_from_settings(s)
        deliverer = Deliverer(engine, s, config)
        now = T0 + dt.timedelta(hours=24, minutes=30)
        for step in range(6):  # breaches one after another, while the receiver is down, then up
            evaluate(engine, redis_client, s, config, now)
            deliverer.deliver_due(now)
            now += dt.timedelta(minutes=30)
        pending = store.listing(engine, now)["pending_deliveries"]
        assert pending == []
        with engine.connect() as conn:
            queued = conn.execute(
                select(AlertDelivery.message, AlertDelivery.status, AlertDelivery.attempts)
                .where(AlertDelivery.target == "webhook:hook")
                .order_by(AlertDelivery.id)
            ).all()
            failures = (
                conn.execute(select(AlertLogEntry.detail).where(AlertLogEntry.event == "delivery_failed"))
                .scalars()
                .all()
            )
        got = [(r["json"]["kind"], r["json"]["subject"], r["json"]["at"]) for r in hook.received]
        assert got == [(json.loads(m)["kind"], json.loads(m)["subject"], json.loads(m)["at"]) for m, _, _ in queued]
        firsts = [r["json"]["items"][0]["subject"] for r in hook.received if r["json"]["kind"] == "firing"]
        assert firsts[:3] == ["MC-0", "MC-1", "MC-2"]
        assert len(failures) == 4 and all("HTTP 503" in f for f in failures)
        assert {status for _, status, _ in queued} == {"sent"} and sum(a for _, _, a in queued) == len(queued) + 4


def test_one_evaluator_per_deployment_and_another_takes_over_when_it_dies(redis_settings):
    from data_sources.stream.connection import connect

    client = connect(redis_settings)
    try:
        first, second = EvaluatorLock(client, redis_settings), EvaluatorLock(client, redis_settings)
        assert first.hold() and not second.hold() and first.hold()  # renewed, still not the other's
        client.pexpire(redis_keys.alerts_lock_key(redis_settings), 1)  # the first process died: its TTL runs out
        while client.exists(redis_keys.alerts_lock_key(redis_settings)):
            pass
        assert second.hold() and not first.hold()
        second.release()
        assert first.hold()
    finally:
        client.delete(redis_keys.alerts_lock_key(redis_settings))
        client.close()


def test_smtp_with_starttls_and_login(tmp_path):
    import ssl

    with SmtpServer(tls_dir=tmp_path) as smtp:
        context = ssl.create_default_context(cafile=str(smtp.cert))
        server = SmtpTarget("127.0.0.1", smtp.port, tls=False, starttls=True, user="user", password="secret-pass")
        send_email(server, "pantau@surabaya.go.id", "mc@surabaya.go.id", "Uji", "isi", context=context)
        assert [m.subject for m in smtp.wait_for(1)] == ["Uji"]


def test_evaluator_tick_evaluates_only_with_the_lock(settings, alert_settings, engine, redis_client, ingest_until_idle):
    publish(redis_client, settings, created("MC-1", "DSDABM", T0))
    ingest_until_idle()
    with SmtpServer() as smtp, WebhookReceiver() as hook, WebhookReceiver() as am:
        s = alert_settings(smtp, hook, am)
        config = config_from_settings(s)
        clock = lambda: T0 + dt.timedelta(hours=25)
        one, two = Evaluator(engine, redis_client, s, config, clock), Evaluator(engine, redis_client, s, config, clock)
        assert one.tick()["opened"] == 1 and two.tick() is None
        assert [m.subject for m in smtp.wait_for(1)][0].endswith("DSDABM (1)")
        one.lock.release()
        assert two.tick()["opened"] == 0  # took over: the same alert is not sent again
        assert len(smtp.inbox) == 3  # team, head and Media Center: once each
        assert {a["facts"]["complaint_id"] for a in store.listing(engine, clock())["firing"]} == {"MC-1"}


def test_the_other_rules_fire_from_the_kpi_queries(settings, engine, redis_client):
    from sqlalchemy import insert

    from dashboard.alert_rules import AlertConfig
    from data_sources.alerts.evaluator import findings_at
    from data_sources.store.models import DeadLetter, EgovReading
    from tests.support.kpi_data import complaint, incident, load

    now = T0 + dt.timedelta(hours=10)  # 18:00 WIB
    waiting = [
        {**incident("112-A", now - dt.timedelta(minutes=5), active=True), "units_dispatched": 0},  # no unit after 5 min
        incident("112-B", now - dt.timedelta(minutes=9), dispatch_min=1, active=True),  # dispatched, not arrived
        {**incident("112-C", now - dt.timedelta(minutes=9), active=True), "priority": 2},  # priority 2: not watched
    ]
    slow = [incident(f"112-S{i}", now - dt.timedelta(minutes=50), response_min=20 + i) for i in range(6)]
    # DSDABM: 12 complaints due today by now, 4 answered late or not at all (33 %); DINKES: 12, none missed
    due_today = [
        complaint(
            f"D{i}",
            now - dt.timedelta(hours=30),
            first_response_h=(30 if i < 2 else 2 if i >= 4 else None),
            opd="DSDABM",
        )
        for i in range(12)
    ] + [complaint(f"K{i}", now - dt.timedelta(hours=30), first_response_h=1, opd="DINKES") for i in range(12)]
    load(engine, complaints=due_today, incidents=waiting + slow)
    with engine.begin() as conn:
        conn.execute(
            insert(EgovReading),
            [
                dict(
                    domain="budgeting",
                    metric="apbd_realization_pct",
                    opd="DSDABM",
                    period="2026-11",
                    value=40.0,
                    target=80.0,
                    unit="pct",
                    occurred_at=now,
                    event_id="e1",
                ),
                dict(
                    domain="budgeting",
                    metric="apbd_realization_pct",
                    opd="DINKES",
                    period="2026-11",
                    value=79.0,
                    target=80.0,
                    unit="pct",
                    occurred_at=now,
                    event_id="e2",
                ),
            ],
        )
        conn.execute(
            insert(DeadLetter),
            [
                dict(
                    stream="complaints",
                    entry_id=f"1-{i}",
                    reason="bad",
                    event="{}",
                    created_at=now - dt.timedelta(minutes=i),
                )
                for i in range(60)
            ],
        )
    found = findings_at(engine, redis_client, settings, AlertConfig(), now)
    keys = {(f.rule, f.subject) for f in found if f.rule != "complaint_sla"}
    assert keys == {
        ("incident_dispatch", "112-A"),
        ("incident_arrival", "112-B"),
        ("response_p90", "city"),
        ("opd_breach_share", "DSDABM"),
        ("egov_red", "DSDABM:apbd_realization_pct"),
        ("egov_red", "ALL:apbd_realization_pct"),  # the city's derived mean, 59.5 of 80
        ("deadletter_surge", "deadletter"),
    }
    share = next(f for f in found if f.rule == "opd_breach_share")
    assert (share.facts["breached"], share.facts["total"]) == (4, 12)
    p90 = next(f for f in found if f.rule == "response_p90")
    assert p90.facts["n"] == 6 and p90.facts["p90_min"] == 24.5


def test_the_evaluator_knows_when_the_next_complaint_changes_stage(engine):
    from dashboard.sla import SlaPolicy
    from data_sources.kpi.alert_conditions import next_sla_change
    from tests.support.kpi_data import complaint, load

    load(engine, complaints=[complaint("A", T0), complaint("B", T0 + dt.timedelta(hours=2), first_response_h=1)])
    with engine.connect() as conn:

        def after(hours):
            return next_sla_change(conn, T0 + dt.timedelta(hours=hours), SlaPolicy(), 4.0)

        assert after(1) == T0 + dt.timedelta(hours=12)  # at risk at half of its 24 hours
        assert after(12.5) == T0 + dt.timedelta(hours=18)  # critical at three quarters
        assert after(20) == T0 + dt.timedelta(hours=24)  # breached
        assert after(25) == T0 + dt.timedelta(hours=28)  # escalated after 4 hours past its deadline
        assert after(29) is None  # nothing left to change; B was answered


def test_chat_webhooks_get_one_text_with_every_line_and_its_link():
    from dashboard.alert_rules import AlertConfig, Webhook
    from dashboard.alerts import Finding, plan
    from data_sources.alerts.delivery import webhook_body
    from data_sources.alerts.store import render

    facts = {
        "complaint_id": "MC-7",
        "category": "sampah",
        "kecamatan_code": "35.78.05",
        "opd": "DLH",
        "due_at": T0.isoformat(),
    }
    config = AlertConfig(base_url="https://pantau.surabaya.go.id")
    notice = plan([], [Finding("complaint_sla", "MC-7", "breached", "DLH", facts)], T0, config).notices[0]
    message = render(notice, config)
    body = json.loads(
        webhook_body(
            Webhook("chat", "https://chat.example/h", "chat"),
            {"subject": message.subject, "lines": list(message.lines), "link": message.link},
        )
    )
    assert list(body) == ["text"]
    assert "MC-7 · Sampah · Tegalsari · DLH" in body["text"]
    assert "https://pantau.surabaya.go.id/briefing?complaint=MC-7" in body["text"]
