"""Delivery at most once per message across a takeover: a real `app.py alerts run` killed (SIGKILL) while its
webhook request is in flight, and the evaluator that takes over does not send that message again; every copy
of a message carries one key (webhook Idempotency-Key, e-mail Message-ID) so receivers can drop duplicates."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid

from sqlalchemy import select

from data_sources.alerts import store
from data_sources.alerts.delivery import Deliverer, delivery_key
from data_sources.store.alert_models import AlertDelivery, AlertLogEntry
from data_sources.store.database import make_engine, upgrade
from tests.integration.test_alerts_cli import app
from tests.integration.test_cli import ROOT, clean_env
from tests.support.alert_receivers import SmtpServer, WebhookReceiver
from tests.support.kpi_data import complaint, load


def test_a_message_in_flight_when_its_evaluator_is_killed_is_not_sent_again(redis_url, tmp_path):
    db = f"sqlite:///{tmp_path / 'pantau.db'}"
    engine = make_engine(db)
    upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    load(engine, complaints=[complaint("MC-5", now - dt.timedelta(hours=30), opd="DLH")])
    with WebhookReceiver(hold_first=1) as hook:
        env = clean_env(
            PANTAU_REDIS_URL=redis_url,
            PANTAU_DATABASE_URL=db,
            PANTAU_DATA_DIR=str(tmp_path),
            PANTAU_STREAM_PREFIX=f"test-{uuid.uuid4().hex[:8]}",
            PANTAU_ALERT_WEBHOOK_URL=hook.url(),
            PANTAU_ALERT_LOCK_TTL_S="2",
        )
        evaluator = subprocess.Popen(
            [sys.executable, "app.py", "alerts", "run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            assert hook.holding.wait(60), "the evaluator never sent its webhook"
            os.kill(evaluator.pid, signal.SIGKILL)  # dies with its request unanswered
            assert evaluator.wait(10) == -signal.SIGKILL
        finally:
            if evaluator.poll() is None:
                evaluator.kill()
                evaluator.wait(10)
        hook.release.set()
        deadline = time.monotonic() + 30
        while True:  # the dead one's lock runs out after its TTL; then this one takes over
            taker = app("run", "--once", env=env)
            if taker.returncode != 1 or "holds the lock" not in taker.stderr or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert json.loads(taker.stdout.splitlines()[-1])["opened"] == 0, taker.stderr
        assert taker.returncode == 1  # it reports the uncertain delivery as needing attention
        assert len(hook.received) == 1  # not sent again
        with engine.connect() as conn:
            row = conn.execute(select(AlertDelivery.__table__)).one()
            events = conn.execute(select(AlertLogEntry.event, AlertLogEntry.delivery_id)).all()
        assert (row.status, row.attempts) == ("uncertain", 1)
        assert ("delivery_uncertain", row.id) in events and ("delivered", row.id) not in events
        assert hook.received[0]["headers"]["Idempotency-Key"] == delivery_key(row.id, row.created_at)
        listed = json.loads(app("list", "--json", env=env).stdout)["pending_deliveries"]
        assert [(d["id"], d["status"]) for d in listed] == [(row.id, "uncertain")]
    engine.dispose()


def test_every_attempt_of_a_message_carries_the_same_key(settings, engine):
    with SmtpServer() as smtp, WebhookReceiver(fail_first=1) as hook:
        s = settings.with_overrides(
            smtp_url=smtp.url,
            alert_email_from="pantau@surabaya.go.id",
            alert_email_to="mc@surabaya.go.id",
            alert_webhook_url=hook.url(),
        )
        from dashboard.alert_rules import config_from_settings

        config = config_from_settings(s)
        now = dt.datetime(2026, 11, 27, 1, 0, tzinfo=dt.UTC)
        # long enough to be folded at its dash, which a plain header would read back with two spaces before
        subject = "[Pantau] PERINGATAN: Aduan lewat batas 6 menit atau lebih – Tanpa OPD (1)"
        payload = {"kind": "test", "subject": subject, "body": "isi ≥", "items": [], "link": "-", "at": "-"}
        with engine.begin() as conn:
            ids = [store.enqueue(conn, now, "test", t, [], payload) for t in ("mc@surabaya.go.id", "webhook:default")]
        deliverer = Deliverer(engine, s, config)
        assert deliverer.deliver_due(now) == (1, 1)  # the e-mail went; the webhook answered 503
        assert deliverer.deliver_due(now + dt.timedelta(seconds=3)) == (1, 0)  # retried after its backoff
        with engine.connect() as conn:
            created = dict(conn.execute(select(AlertDelivery.id, AlertDelivery.created_at)).all())
        mail_key, hook_key = (delivery_key(i, created[i]) for i in ids)
        assert [m.message_id for m in smtp.wait_for(1)] == [f"<{mail_key}@pantau.surabaya.go.id>"]
        assert (smtp.inbox[0].subject, smtp.inbox[0].body.strip()) == (subject, "isi ≥")
        attempts = [*hook.refused_headers, *(r["headers"] for r in hook.received)]
        assert [h["Idempotency-Key"] for h in attempts] == [hook_key, hook_key]
        assert mail_key != hook_key
