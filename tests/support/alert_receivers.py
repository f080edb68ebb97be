"""Real receivers for the alerts' tests and benchmark: an SMTP server (aiosmtpd, in this process) and an HTTP
webhook receiver (http.server in a thread) that can be told to fail its first requests."""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.support.services import free_port


@dataclass
class Received:
    to: list[str]
    subject: str
    body: str
    at: float  # time.monotonic() at receipt
    message_id: str = ""


class _Collector:
    def __init__(self, inbox: list[Received], arrived: threading.Condition):
        self.inbox, self.arrived = inbox, arrived

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.inbox.append(
                Received(
                    list(envelope.rcpt_tos),
                    str(message["Subject"]),
                    message.get_content(),
                    time.monotonic(),
                    str(message["Message-ID"] or ""),
                )
            )
            self.arrived.notify_all()
        return "250 OK"


class SmtpServer:
    """aiosmtpd on a free loopback port; with `tls_dir`, STARTTLS required and a login (user/secret-pass)."""

    def __init__(self, tls_dir: Path | None = None):
        self.inbox: list[Received] = []
        self.arrived = threading.Condition()
        self.port = free_port()
        kwargs = {}
        self.cert = None
        if tls_dir is not None:
            import ssl

            self.cert = tls_dir / "cert.pem"
            key = tls_dir / "key.pem"
            subprocess.run(
                [
                    "openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "1",
                    "-subj",
                    "/CN=127.0.0.1",
                    "-addext",
                    "subjectAltName=IP:127.0.0.1",
                    "-keyout",
                    str(key),
                    "-out",
                    str(self.cert),
                ],
                check=True,
                capture_output=True,
            )
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.cert, key)
            kwargs = dict(
                tls_context=context, require_starttls=True, auth_require_tls=True, authenticator=self._authenticate
            )
        self.controller = Controller(
            _Collector(self.inbox, self.arrived), hostname="127.0.0.1", port=self.port, **kwargs
        )

    @staticmethod
    def _authenticate(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"user" and auth_data.password == b"secret-pass"
        return AuthResult(success=ok)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.inbox) >= count, timeout)
            return list(self.inbox)


@dataclass
class WebhookReceiver:
    """Answers 503 to its first `fail_first` requests, then 200; records every request it answered 200. With
    `hold_first`, it records its first requests but answers them only once `release` is set (a sender can be
    killed while it waits); `holding` is set when one is held."""

    fail_first: int = 0
    hold_first: int = 0
    received: list[dict] = field(default_factory=list)
    refused: int = 0
    refused_headers: list[dict] = field(default_factory=list)
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.refused < receiver.fail_first:
                    receiver.refused += 1
                    receiver.refused_headers.append(dict(self.headers))
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver.received.append(
                    {"path": self.path, "headers": dict(self.headers), "raw": body, "json": json.loads(body)}
                )
                if len(receiver.received) <= receiver.hold_first:
                    receiver.holding.set()
                    receiver.release.wait(30)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"
