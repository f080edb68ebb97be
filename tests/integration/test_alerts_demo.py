"""Issue 17's "done when", watched: the real demo process (`app.py demo`: embedded Redis, SQLite, the
simulator, the ingestor, the evaluator) with a real SMTP server and a real webhook receiver, and the demo's
short SLA (PANTAU_DEMO_ALERT_SLA_SECONDS, demo only), delivers the complaints the simulator leaves unanswered
at every ladder step, in order, by e-mail and webhook, and a resolved message when one is answered."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import threading
import time
import uuid

from tests.integration.test_cli import ROOT, clean_env
from tests.support.alert_receivers import SmtpServer, WebhookReceiver
from tests.support.services import free_port

STAGES = ("at_risk", "critical", "breached", "escalated")
SLA_S = 12
PERSONAL_KEYS = ("reporter", "phone", "nik", "address", "text", "name")


def run_demo(
    smtp: SmtpServer, hook: WebhookReceiver, data_dir, redis_url: str, prefix: str
) -> tuple[subprocess.Popen, list[str]]:
    env = clean_env(
        PANTAU_DATA_DIR=str(data_dir),
        PANTAU_REDIS_URL=redis_url,  # the machine's Redis, so that the test can answer a complaint
        PANTAU_STREAM_PREFIX=prefix,
        PANTAU_SMTP_URL=smtp.url,
        PANTAU_ALERT_EMAIL_FROM="pantau@surabaya.go.id",
        PANTAU_ALERT_EMAIL_TO="mc@surabaya.go.id",
        PANTAU_ALERT_WEBHOOK_URL=hook.url(),
        PANTAU_ALERT_WEBHOOK_SECRET="a-webhook-secret-of-some-length",
        PANTAU_DEMO_ALERT_SLA_SECONDS=str(SLA_S),
        PYTHONUNBUFFERED="1",
    )
    process = subprocess.Popen(
        [sys.executable, "app.py", "demo", "--port", str(free_port()), "--backfill-days", "0.3", "--rate", "5"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    threading.Thread(target=lambda: output.extend(process.stdout), daemon=True).start()
    return process, output


def stages_by_complaint(hook: WebhookReceiver) -> dict[str, list[str]]:
    """complaint number -> the stages its firing webhooks announced, in arrival order."""
    seen: dict[str, list[str]] = {}
    for request in list(hook.received):
        body = request["json"]
        if body["rule"] == "complaint_sla" and body["kind"] == "firing":
            for item in body["items"]:
                seen.setdefault(item["subject"], []).append(body["stage"])
    return seen


def answer(redis_url: str, prefix: str, complaint: str) -> None:
    """An officer's first response, sent as the intake systems send it: an event on the demo's stream."""
    from dashboard.settings import Settings
    from data_sources.stream.connection import connect
    from data_sources.stream.producer import publish
    from tests.conftest import make_event

    settings = Settings(redis_url=redis_url, stream_prefix=prefix)
    client = connect(settings)
    body = {"complaint_id": complaint, "status": "responded", "reply_channel": "whatsapp"}
    event = make_event(f"{complaint}-answered-by-test", "complaint.status", body, dt.datetime.now(dt.UTC).isoformat())
    publish(client, settings, event)
    client.close()


def wait_until(condition, process, output, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        assert process.poll() is None, "".join(output[-40:])
        time.sleep(0.5)
    return condition()


def test_the_demo_delivers_every_ladder_step_and_a_resolution_by_email_and_webhook(tmp_path, redis_url):
    prefix = f"test-demo-{uuid.uuid4().hex[:8]}"
    with SmtpServer() as smtp, WebhookReceiver() as hook:
        process, output = run_demo(smtp, hook, tmp_path, redis_url, prefix)
        try:

            def walked():
                return [c for c, stages in stages_by_complaint(hook).items() if tuple(stages) == STAGES]

            everything = wait_until(walked, process, output, 120)
            assert everything, f"no complaint went through every step: {stages_by_complaint(hook)}"
            complaint = everything[0]
            answer(redis_url, prefix, complaint)

            def resolved():
                return [
                    r
                    for r in hook.received
                    if r["json"]["kind"] == "resolved" and complaint in [i["subject"] for i in r["json"]["items"]]
                ]

            assert wait_until(resolved, process, output, 60), "no resolved message"
            assert resolved()[0]["json"]["stage"] == "escalated"
            # the complaint went live unanswered: each step once, in ladder order, by webhook and by e-mail
            mails = [m for m in smtp.wait_for(len(hook.received)) if complaint in m.body]
            titles = [m.subject.split(": ", 1)[1] for m in mails if m.subject.startswith("[Pantau] PERINGATAN")]
            assert len(titles) == 4, titles
            for title, start in zip(titles, ("Aduan waspada", "Aduan kritis", "Aduan lewat batas 1x24", "Aduan lewat")):
                assert title.startswith(start), titles
            assert all(f"/briefing?complaint={complaint}" in m.body for m in mails)
            for request in hook.received:
                assert request["headers"]["X-Pantau-Signature"].startswith("sha256=")
                assert request["headers"]["Idempotency-Key"].startswith("pantau-alert-")
                items = [i["facts"] for i in request["json"]["items"]]
                assert not [k for facts in items for k in facts if k in PERSONAL_KEYS]
            assert [m.subject.split(":")[0] for m in mails if "SELESAI" in m.subject] == ["[Pantau] SELESAI"]
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
            forget_streams(redis_url, prefix)


def forget_streams(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()
