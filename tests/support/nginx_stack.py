"""The production set-up of deploy/ run for real: Debian's nginx with deploy/nginx/pantau.conf (only its ports,
paths and certificate changed), a self-signed certificate made with openssl, gunicorn with 2 workers
(gunicorn.conf.py, Prometheus' multiprocess mode) and an ingestor process. For tests/integration/test_nginx.py
and bench/nginx.py.

    with NginxStack(tmp, redis_url, env={...}) as stack:
        stack.request("GET", "/healthz", source="127.0.0.3")   # through nginx over HTTPS, from 127.0.0.3
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.support.services import free_port

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx" / "pantau.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def make_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost"]
        + ["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def render_site(
    site: str, *, https_port: int, http_port: int, upstream_port: int, cert: Path, key: Path, cache: Path
) -> str:
    """The shipped site with this machine's ports and paths; every replacement must hit, so a changed
    site file fails here instead of running something else."""
    replacements = [
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;", ""),
        ("server 127.0.0.1:8050;", f"server 127.0.0.1:{upstream_port};"),
        ("/etc/ssl/pantau/fullchain.pem", str(cert)),
        ("/etc/ssl/pantau/privkey.pem", str(key)),
        ("/var/cache/nginx/", f"{cache}/"),
    ]
    for old, new in replacements:
        if old not in site:
            raise AssertionError(f"deploy/nginx/pantau.conf no longer holds {old!r}")
        site = site.replace(old, new)
    return site


def main_config(folder: Path, site: Path, workers: int = 1) -> str:
    temp = {k: folder / k for k in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""  # the workers must reach the test's private folders
    return (
        f"{user}worker_processes {workers};\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} warn;\n"
        "daemon off;\nevents { worker_connections 4096; }\n"
        "http {\n  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n"
        f"  access_log {folder / 'access.log'};\n"
        f"  client_body_temp_path {temp['body']};\n  proxy_temp_path {temp['proxy']};\n"
        f"  fastcgi_temp_path {temp['fastcgi']};\n  uwsgi_temp_path {temp['uwsgi']};\n  scgi_temp_path {temp['scgi']};\n"
        f"  include {site};\n}}\n"
    )


def _wait(proc: subprocess.Popen, ready, what: str, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"{what} did not start:\n{tail}")
        time.sleep(0.2)


class NginxStack:
    def __init__(
        self,
        folder: Path,
        redis_url: str,
        env: dict[str, str],
        *,
        ingestor: bool = True,
        threads: int = 4,
        nginx_workers: int = 1,
    ):
        self.nginx_workers = nginx_workers
        self.folder = folder
        self.redis_url = redis_url
        self.prefix = f"nginx-{uuid.uuid4().hex[:10]}"
        self.app_port, self.https_port, self.http_port = free_port(), free_port(), free_port()
        self.ingest_metrics_port = free_port()
        self.multiproc = folder / "prometheus"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PANTAU_REDIS_URL": redis_url,
            "PANTAU_DATABASE_URL": f"sqlite:///{folder / 'pantau.db'}",
            "PANTAU_DATA_DIR": str(folder / "data"),
            "PANTAU_STREAM_PREFIX": self.prefix,
            "PANTAU_PROXY_COUNT": "1",
            "PANTAU_LOG_LEVEL": "WARNING",
            **env,
        }
        self.threads = threads
        self.with_ingestor = ingestor
        self.procs: list[subprocess.Popen] = []
        self.context = ssl.create_default_context()

    # --- start and stop -------------------------------------------------------------------------

    def _spawn(self, args: list[str], log_name: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.folder / log_name, "wb")  # noqa: SIM115 - the child writes to it until it stops
        proc = subprocess.Popen(args, cwd=ROOT, env=env or self.env, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def start(self) -> NginxStack:
        (self.folder / "data").mkdir(exist_ok=True)
        subprocess.run([sys.executable, "app.py", "init-db"], cwd=ROOT, env=self.env, check=True, capture_output=True)
        cert, key = make_certificate(self.folder)
        self.cert = cert
        self.context = ssl.create_default_context(cafile=str(cert))
        gunicorn = self._spawn(
            [sys.executable, "-m", "gunicorn", "app:server", "-w", "2", "-k", "gthread", "--threads", str(self.threads)]
            + ["-b", f"127.0.0.1:{self.app_port}", "--no-control-socket", "--backlog", "2048", "--keep-alive", "30"],
            "gunicorn.log",
            {**self.env, "PROMETHEUS_MULTIPROC_DIR": str(self.multiproc)},
        )
        _wait(gunicorn, lambda: self._direct_ok("/healthz"), "gunicorn", self.folder / "gunicorn.log")
        if self.with_ingestor:
            ingest_env = dict(self.env)
            if self.env.get("PANTAU_METRICS_TOKEN"):  # the ingestor's port asks for the same token
                ingest_env["PANTAU_INGEST_METRICS_PORT"] = str(self.ingest_metrics_port)
            self.ingestor = self._spawn([sys.executable, "app.py", "ingest"], "ingest.log", ingest_env)
            _wait(self.ingestor, self._ingest_groups_ready, "the ingestor", self.folder / "ingest.log")
        site = self.folder / "pantau.conf"
        (self.folder / "cache").mkdir(exist_ok=True)
        site.write_text(
            render_site(
                SITE.read_text(),
                https_port=self.https_port,
                http_port=self.http_port,
                upstream_port=self.app_port,
                cert=cert,
                key=key,
                cache=self.folder / "cache",
            )
        )
        conf = self.folder / "nginx.conf"
        conf.write_text(main_config(self.folder, site, self.nginx_workers))
        check = subprocess.run([NGINX, "-t", "-c", str(conf)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t refused the site:\n{check.stderr}")
        self.nginx = self._spawn([NGINX, "-c", str(conf)], "nginx.log")
        _wait(self.nginx, lambda: self._https_ok(), "nginx", self.folder / "error.log")
        return self

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM if proc is not getattr(self, "nginx", None) else signal.SIGQUIT)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def __enter__(self) -> NginxStack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- requests -------------------------------------------------------------------------------

    def _direct_ok(self, path: str) -> bool:
        try:
            return self.direct("GET", path).status == 200
        except OSError:
            return False

    def _ingest_groups_ready(self) -> bool:
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            return bool(client.xinfo_groups(f"{self.prefix}:egov"))
        except redis.ResponseError:
            return False  # the stream is made with the group
        finally:
            client.close()

    def _https_ok(self) -> bool:
        try:
            return self.request("GET", "/healthz").status == 200
        except OSError:
            return False

    def request(self, method: str, path: str, *, source: str = "127.0.0.1", headers=None, body=None) -> Answer:
        """Through nginx over HTTPS (the certificate checked), from the loopback address `source`."""
        connection = http.client.HTTPSConnection(
            "localhost", self.https_port, context=self.context, timeout=30, source_address=(source, 0)
        )
        return _exchange(connection, method, path, headers, body)

    def plain(self, method: str, path: str) -> Answer:
        """nginx's plain-HTTP port (it only redirects)."""
        return _exchange(http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=30), method, path, None, None)

    def direct(self, method: str, path: str, *, headers=None, body=None) -> Answer:
        """Straight to gunicorn, past nginx."""
        connection = http.client.HTTPConnection("127.0.0.1", self.app_port, timeout=30)
        return _exchange(connection, method, path, headers, body)

    def alpn(self) -> str | None:
        """The protocol nginx picks when a client offers HTTP/2 and HTTP/1.1."""
        import socket

        context = ssl.create_default_context(cafile=str(self.cert))
        context.set_alpn_protocols(["h2", "http/1.1"])
        with socket.create_connection(("127.0.0.1", self.https_port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                return tls.selected_alpn_protocol()


def _exchange(connection, method, path, headers, body) -> Answer:
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()
