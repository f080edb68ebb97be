"""Embed benchmark: widget-data requests (POST /embed/_dash-update-component, the six widgets in turn) from
200 concurrent keep-alive clients on loopback, against gunicorn (2 gthread workers, this machine's 2 cores),
beside the floor: a trivial Dash callback served the same way (bench/embed_floor.py).

- `embed.requests_per_s`: capacity, closed loop (every client sends again as soon as it has its answer).
- `embed.p99_ms`: the 99th percentile latency when the 200 clients together offer 1,000 requests per second
  (the target load), measured from each request's scheduled time.
- `embed.floor_requests_per_s` / `embed.floor_p99_ms`: the same two measurements of the trivial callback;
  `embed.ratio_to_floor` = requests_per_s / floor_requests_per_s.
The load generator (bench/loadgen.py) is a separate process sharing the two cores with the server.

Where a target is missed, `profile()` says where a request's time goes: cProfile over cached widget
requests through the WSGI stack in one process (no sockets, no other load), printed as the top functions,
with `embed.service_ms` (the request's own CPU time) and the machine's load average beside the figures.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from bench.embed_floor import FLOOR_PAYLOAD
from dashboard.embed_widgets import WIDGETS
from dashboard.settings import Settings
from data_sources.store.database import make_engine, upgrade
from tests.support.embed_data import seed
from tests.support.services import free_port

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 200
TARGET_RATE = 1000.0
CALLBACK = "/embed/_dash-update-component"


def widget_payload(widget: str) -> dict:
    return {
        "output": "embed-body.children",
        "outputs": {"id": "embed-body", "property": "children"},
        "inputs": [
            {"id": "embed-url", "property": "pathname", "value": f"/embed/{widget}"},
            {"id": "embed-url", "property": "search", "value": "?lang=id&theme=light"},
            {"id": "embed-refresh", "property": "n_intervals", "value": None},
        ],
        "changedPropIds": ["embed-url.pathname"],
        "state": [],
    }


def _serve(target: str, env: dict, workers: int = 2, threads: int = 4):
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-k",
            "gthread",
            "--threads",
            str(threads),
            "--backlog",
            "2048",
            "--keep-alive",
            "30",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            target,
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/embed/_dash-layout", timeout=2).read()
            return proc, port
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"gunicorn {target} did not start") from None
            time.sleep(0.3)


def _load(port: int, bodies_file: Path, seconds: float, rate: float | None = None) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "bench.loadgen",
        str(port),
        CALLBACK,
        str(bodies_file),
        "--clients",
        str(CLIENTS),
        "--seconds",
        str(seconds),
    ] + (["--rate", str(rate)] if rate else [])
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 120, check=True)
    return json.loads(out.stdout)


def _measure(target: str, env: dict, bodies: list[dict], tmp: Path, seconds: float) -> tuple[dict, dict]:
    bodies_file = tmp / f"bodies-{uuid.uuid4().hex[:6]}.json"
    bodies_file.write_text(json.dumps(bodies))
    proc, port = _serve(target, env)
    try:
        for body in bodies:  # every widget computed and cached before the clock runs
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{CALLBACK}", json.dumps(body).encode(), {"Content-Type": "application/json"}
            )
            assert urllib.request.urlopen(request, timeout=30).status == 200
        closed = _load(port, bodies_file, seconds)
        paced = _load(port, bodies_file, seconds, rate=TARGET_RATE)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return closed, paced


def profile(settings, requests: int = 3000, top: int = 10) -> tuple[float, str]:
    """(ms per cached widget request without profiling, the top functions by own time with profiling)."""
    import cProfile
    import io
    import pstats

    from web.factory import create_app

    client = create_app(settings.with_overrides(embed_rate_limit=(10**8, 60))).server.test_client()
    bodies = [json.dumps(widget_payload(w)) for w in WIDGETS]

    def post(i: int) -> None:
        client.post(CALLBACK, data=bodies[i % len(bodies)], content_type="application/json")

    for i in range(len(bodies) * 2):
        post(i)
    started = time.perf_counter()
    for i in range(requests):
        post(i)
    service_ms = (time.perf_counter() - started) / requests * 1000
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(requests):
        post(i)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return service_ms, out.getvalue()


def run(quick: bool, redis_url: str) -> dict:
    seconds = 8.0 if quick else 20.0
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        settings = Settings(
            redis_url=redis_url,
            database_url=f"sqlite:///{tmp / 'embed.db'}",
            data_dir=tmp,
            stream_prefix=f"bench-embed-{uuid.uuid4().hex[:8]}",
            block_ms=100,
        )
        engine = make_engine(settings.resolved_database_url)
        upgrade(engine)
        seed(settings, engine, dt.datetime.now(dt.UTC))
        engine.dispose()
        env = {
            **os.environ,
            "PANTAU_REDIS_URL": redis_url,
            "PANTAU_DATABASE_URL": settings.resolved_database_url,
            "PANTAU_DATA_DIR": str(tmp),
            "PANTAU_STREAM_PREFIX": settings.stream_prefix,
            "PANTAU_EMBED_RATE_LIMIT": "100000000/60",
            "PANTAU_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
        floor_closed, floor_paced = _measure("bench.embed_floor:server", env, [FLOOR_PAYLOAD], tmp, seconds)
        closed, paced = _measure("app:server", env, [widget_payload(w) for w in WIDGETS], tmp, seconds)
        load = os.getloadavg()[0]
        service_ms, top = profile(settings)
    errors = closed["errors"] + paced["errors"]
    if closed["requests_per_s"] < TARGET_RATE or paced["p99_ms"] > 50:
        print(
            f"embed: target missed (load average {load:.1f} on {os.cpu_count()} cores); where a request's "
            f"time goes, {service_ms:.2f} ms of it in one process:\n{top}"
        )
    return {
        "embed.requests_per_s": closed["requests_per_s"],
        "embed.p99_ms": paced["p99_ms"],
        "embed.p50_ms": paced["p50_ms"],
        "embed.achieved_at_target_per_s": paced["requests_per_s"],
        "embed.closed_loop_p99_ms": closed["p99_ms"],
        "embed.floor_requests_per_s": floor_closed["requests_per_s"],
        "embed.floor_p99_ms": floor_paced["p99_ms"],
        "embed.ratio_to_floor": round(closed["requests_per_s"] / max(floor_closed["requests_per_s"], 1e-9), 3),
        "embed.errors": errors,
        "embed.service_ms": round(service_ms, 3),
        "embed.loadavg_1m": round(load, 2),
    }


if __name__ == "__main__":
    from tests.support.services import shared_redis_url

    url, handle = shared_redis_url()
    try:
        for key, value in run("--quick" in sys.argv, url).items():
            print(f"{key:<32} {value}")
    finally:
        if handle is not None:
            handle.close()
