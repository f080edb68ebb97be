"""Sending the outbox: e-mail over SMTP and JSON webhooks, each target's messages in order, failures retried
with backoff (2 s doubling up to 10 minutes), recorded and shown, never dropped.

At most once per message, also across a takeover: each attempt is recorded (status `sending`, committed)
before a byte is sent. A process that dies during a send leaves that row `sending`; the evaluator that takes
over does not send it again: it marks it `uncertain`, logs it (delivery_uncertain) and shows it with the
failing ones, since the receiver may or may not have it. A send that fails with an error in a live process
is retried, as before: an error after the receiver took the message (a timeout waiting for its answer) is the
one case where it can arrive twice. Every copy of a message carries the same key, so receivers can drop
duplicates: the e-mail's Message-ID, and the webhooks' Idempotency-Key header.

Webhook payloads (docs/alerts.md): `generic` is the message as JSON; `chat` is {"text": ...}, which Slack,
Mattermost, Rocket.Chat and Google Chat incoming webhooks accept; `alertmanager` is a list of alerts for
Prometheus Alertmanager's POST /api/v2/alerts (labels, annotations, startsAt, endsAt when resolved). Every
request carries X-Pantau-Signature: sha256=<HMAC-SHA256 of the body with the webhook's secret>.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from dashboard.alert_rules import AlertConfig, Webhook
from data_sources.store.alert_models import AlertDelivery, AlertLogEntry

log = logging.getLogger(__name__)
D = AlertDelivery.__table__.c
BACKOFF_FIRST_S = 2.0
BACKOFF_MAX_S = 600.0
TIMEOUT_S = 10.0
SIGNATURE_HEADER = "X-Pantau-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
MESSAGE_ID_DOMAIN = "pantau.surabaya.go.id"


class DeliveryError(Exception):
    pass


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: bool  # smtps://: TLS from the first byte
    starttls: bool
    user: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpServer:
    """smtp://[user:pass@]host[:port][?starttls=1] or smtps://...; port 25 (smtp) or 465 (smtps) by default."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("PANTAU_SMTP_URL must look like smtp://[user:pass@]host:port")
    query = parse_qs(parts.query)
    tls = parts.scheme == "smtps"
    return SmtpServer(
        host=parts.hostname,
        port=parts.port or (465 if tls else 25),
        tls=tls,
        starttls=query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes"),
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def send_email(
    server: SmtpServer, sender: str, to: str, subject: str, body: str, *, context=None, key: str | None = None
) -> None:
    message = MIMEText(body, "plain", "utf-8")
    # the subject as encoded words whole: folded at its non-ASCII dash, a plain header reads back with two spaces
    message["From"], message["To"], message["Subject"] = sender, to, Header(subject, "utf-8")
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{key}@{MESSAGE_ID_DOMAIN}>" if key else make_msgid(domain=MESSAGE_ID_DOMAIN)
    context = context or ssl.create_default_context()
    client_type = smtplib.SMTP_SSL if server.tls else smtplib.SMTP
    kwargs = {"context": context} if server.tls else {}
    with client_type(server.host, server.port, timeout=TIMEOUT_S, **kwargs) as smtp:
        if server.starttls:
            smtp.starttls(context=context)
        if server.user:
            smtp.login(server.user, server.password or "")
        smtp.send_message(message)


def webhook_body(webhook: Webhook, message: dict) -> bytes:
    if webhook.format == "chat":
        text = (
            f"*{message['subject']}*\n" + "\n".join(message.get("lines") or [message["body"]]) + f"\n{message['link']}"
        )
        return json.dumps({"text": text}, ensure_ascii=False).encode()
    if webhook.format == "alertmanager":
        return json.dumps(_alertmanager(message), ensure_ascii=False).encode()
    fields = (
        "kind",
        "rule",
        "stage",
        "group",
        "step",
        "severity",
        "subject",
        "title",
        "body",
        "lines",
        "link",
        "items",
        "at",
    )
    return json.dumps({k: message[k] for k in fields if k in message}, ensure_ascii=False).encode()


def _alertmanager(message: dict) -> list[dict]:
    """One Alertmanager alert per item; resolved ones carry endsAt, so Alertmanager resolves them too."""
    out = []
    for item in message["items"]:
        alert = {
            "labels": {
                "alertname": f"pantau_{message['rule']}",
                "stage": message["stage"],
                "group": message["group"],
                "subject": item["subject"],
                "severity": message["severity"],
            },
            "annotations": {"summary": message["title"], "description": message["subject"]},
            "generatorURL": message["link"],
            "startsAt": message["at"],
        }
        if message["kind"] == "resolved":
            alert["endsAt"] = message["at"]
        out.append(alert)
    return out


def signature(secret: str | None, body: bytes) -> str:
    key = (secret or "").encode()
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def delivery_key(delivery_id: int, created_at: dt.datetime) -> str:
    """The same for every attempt of one outbox row, and unlike any other row's (ids restart in a new
    database, their creation times do not)."""
    return f"pantau-alert-{delivery_id}-{int(created_at.timestamp() * 1_000_000)}"


def send_webhook(webhook: Webhook, message: dict, key: str | None = None) -> None:
    body = webhook_body(webhook, message)
    headers = {"Content-Type": "application/json", "User-Agent": "pantau-alerts/1"}
    if key:
        headers[IDEMPOTENCY_HEADER] = key
    if webhook.secret:
        headers[SIGNATURE_HEADER] = signature(webhook.secret, body)
    request = urllib.request.Request(webhook.url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:
            answer.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code} from webhook {webhook.name}") from None


class Deliverer:
    """Sends what is due in the outbox, oldest first per target; a target whose oldest message fails waits."""

    def __init__(self, engine: Engine, settings, config: AlertConfig):
        self.engine = engine
        self.settings = settings
        self.config = config
        self.smtp = parse_smtp_url(settings.smtp_url) if settings.smtp_url else None

    def send(self, target: str, message: dict, key: str | None = None) -> None:
        if target.startswith("webhook:"):
            send_webhook(self.config.webhooks[target.removeprefix("webhook:")], message, key)
            return
        if self.smtp is None:
            raise DeliveryError("no SMTP server: set PANTAU_SMTP_URL")
        send_email(self.smtp, self.settings.alert_email_from, target, message["subject"], message["body"], key=key)

    def deliver_due(self, now: dt.datetime) -> tuple[int, int]:
        """(sent, failed) in this pass. Only the evaluator holding the lock delivers, one row at a time: a
        row still `sending` when a pass starts was left by a process that died during its send."""
        self._abandoned(now)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(D.id, D.target, D.message, D.attempts, D.next_attempt_at, D.created_at)
                .where(D.status == "pending")
                .order_by(D.id)
            ).all()
        blocked: set[str] = set()
        sent = failed = 0
        for row in rows:
            if row.target in blocked:
                continue
            if row.next_attempt_at > now:
                blocked.add(row.target)  # its later messages wait behind it
                continue
            if not self._claim(row, now):
                continue  # another process has it (it took the lock meanwhile)
            try:
                self.send(row.target, json.loads(row.message), delivery_key(row.id, row.created_at))
            except Exception as exc:  # every failure is recorded, shown and retried
                failed += 1
                blocked.add(row.target)
                self._record(row, now, ok=False, error=f"{type(exc).__name__}: {exc}"[:500])
                log.warning(
                    "alert delivery %s to %s failed (attempt %d): %s", row.id, row.target, row.attempts + 1, exc
                )
            else:
                sent += 1
                self._record(row, now, ok=True)
        return sent, failed

    def _claim(self, row, now: dt.datetime) -> bool:
        """Records the attempt before sending: committed, so a process taking over knows it began."""
        with self.engine.begin() as conn:
            claimed = conn.execute(
                update(AlertDelivery)
                .where(D.id == row.id, D.status == "pending")
                .values(status="sending", attempts=row.attempts + 1, next_attempt_at=now)
            ).rowcount
        return bool(claimed)

    def _abandoned(self, now: dt.datetime) -> None:
        """Rows left `sending`: never sent again (the receiver may have them), marked uncertain and shown."""
        note = "uncertain: the sender stopped during this attempt; not sent again (at most once)"
        with self.engine.begin() as conn:
            rows = conn.execute(select(D.id, D.target, D.attempts).where(D.status == "sending")).all()
            for row in rows:
                conn.execute(
                    update(AlertDelivery)
                    .where(D.id == row.id, D.status == "sending")
                    .values(status="uncertain", last_error=note)
                )
                conn.execute(
                    AlertLogEntry.__table__.insert().values(
                        at=now,
                        event="delivery_uncertain",
                        delivery_id=row.id,
                        target=row.target,
                        detail=f"attempt {row.attempts}: {note}",
                    )
                )
                log.warning("alert delivery %s to %s: %s", row.id, row.target, note)

    def _record(self, row, now: dt.datetime, *, ok: bool, error: str | None = None) -> None:
        attempts = row.attempts + 1
        values = {"attempts": attempts, "last_error": error}
        if ok:
            values.update(status="sent", sent_at=now)
        else:
            wait = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (attempts - 1))
            values.update(status="pending", next_attempt_at=now + dt.timedelta(seconds=wait))
        with self.engine.begin() as conn:
            conn.execute(update(AlertDelivery).where(D.id == row.id).values(**values))
            conn.execute(
                AlertLogEntry.__table__.insert().values(
                    at=now,
                    event="delivered" if ok else "delivery_failed",
                    delivery_id=row.id,
                    target=row.target,
                    detail=error or f"attempt {attempts}",
                )
            )
