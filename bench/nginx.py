"""Embed requests through nginx's cache (deploy/nginx/pantau.conf, HTTPS) against straight to gunicorn (2 gthread
workers, plain HTTP), in the same run on the same machine, with `wrk` (Debian's, in C) as the load generator.

The requests are the widgets' data (POST /embed/_dash-update-component, the six widgets in turn), the costly
part of an embed. Two measurements per target:
- capacity: 200 keep-alive connections, closed loop (each sends again as soon as it has its answer);
- paced: 20 connections, each waiting 20 ms between requests (wrk's delay()), about 1,000 requests per second
  offered: the p99 at the issue's target load (the achieved rate is printed beside it).
`wrk`'s own CPU time is measured (its process's rusage) and given as a share of the machine, so that a
figure capped by the generator shows as such.

    python -m bench.nginx [--seconds 8]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.embed import CALLBACK, widget_payload
from dashboard.embed_widgets import WIDGETS
from dashboard.settings import Settings
from data_sources.simulator.publish import publish_events
from data_sources.simulator.traffic import Simulator
from data_sources.stream.connection import connect
from data_sources.stream.stream_state import all_stream_states
from tests.support.nginx_stack import NginxStack

LUA = """
local bodies = {BODIES}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i + 1
  return wrk.format(nil, "{PATH}", nil, bodies[(i % #bodies) + 1])
end
{DELAY}
"""
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _script(folder: Path, paced_ms: int | None) -> Path:
    bodies = "{" + ", ".join(json.dumps(json.dumps(widget_payload(w))) for w in WIDGETS) + "}"
    delay = f"delay = function() return {paced_ms} end" if paced_ms else ""
    path = folder / f"wrk-{paced_ms or 'closed'}.lua"
    path.write_text(LUA.replace("{BODIES}", bodies).replace("{PATH}", CALLBACK).replace("{DELAY}", delay))
    return path


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def wrk(url: str, script: Path, connections: int, seconds: float) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "1",
            "-c",
            str(connections),
            "-d",
            f"{max(1, round(seconds))}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    latency = {q: _ms(v) for q, v in re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)$", out, re.M)
    return {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": latency["50"],
        "p99_ms": latency["99"],
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1).strip() if socket_errors else "",
        "wrk_cpu_cores": round(cpu / wall, 3),
        "wrk_cpu_share": round(cpu / wall / os.cpu_count(), 3),
    }


def _ingested(stack: NginxStack) -> bool:
    settings = Settings(redis_url=stack.redis_url, stream_prefix=stack.prefix)
    client = connect(settings)
    try:
        return all(s.pending == 0 and s.oldest_unacked_ms is None for s in all_stream_states(client, settings))
    finally:
        client.close()


def run(redis_url: str, seconds: float = 8.0) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk (scripts/test installs it)")
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as tmp:
        folder = Path(tmp)
        env = {"PANTAU_EMBED_RATE_LIMIT": "100000000/60", "PANTAU_BLOCK_MS": "200"}
        # two nginx workers, as Debian's nginx.conf (worker_processes auto) gives on this two-core machine
        with NginxStack(folder, redis_url, env, nginx_workers=os.cpu_count() or 1) as stack:
            settings = Settings(redis_url=redis_url, stream_prefix=stack.prefix)
            client = connect(settings)
            publish_events(client, settings, Simulator(seed=5, rate_scale=0.02).generate(3000, dt.datetime.now(dt.UTC)))
            client.close()
            deadline = time.monotonic() + 120
            while not _ingested(stack) and time.monotonic() < deadline:
                time.sleep(0.5)
            for widget in WIDGETS:  # every widget computed, and in nginx's cache, before the clock runs
                body = json.dumps(widget_payload(widget)).encode()
                headers = {"Content-Type": "application/json"}
                assert stack.direct("POST", CALLBACK, headers=headers, body=body).status == 200
                assert stack.request("POST", CALLBACK, headers=headers, body=body).status == 200
            cached = stack.request("POST", CALLBACK, headers=headers, body=body)
            assert cached.header("X-Cache-Status") == "HIT", cached.header("X-Cache-Status")
            closed, paced = _script(folder, None), _script(folder, 20)
            via = f"https://127.0.0.1:{stack.https_port}"
            direct = f"http://127.0.0.1:{stack.app_port}"
            figures = {}
            for name, url in (("nginx", via), ("direct", direct)):
                capacity = wrk(url, closed, 200, seconds)
                at_target = wrk(url, paced, 20, seconds)
                figures.update({f"nginx_bench.{name}.{k}": v for k, v in capacity.items()})
                figures.update({f"nginx_bench.{name}.paced_{k}": v for k, v in at_target.items()})
    figures["nginx_bench.ratio_requests_per_s"] = round(
        figures["nginx_bench.nginx.requests_per_s"] / max(figures["nginx_bench.direct.requests_per_s"], 1e-9), 2
    )
    figures["nginx_bench.loadavg_1m"] = round(os.getloadavg()[0], 2)
    return figures


if __name__ == "__main__":
    from tests.support.services import shared_redis_url

    parser = argparse.ArgumentParser(prog="python -m bench.nginx")
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    url, handle = shared_redis_url()
    try:
        for key, value in run(url, args.seconds).items():
            print(f"{key:<44} {value}")
    finally:
        if handle is not None:
            handle.close()
