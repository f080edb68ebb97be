"""The wall's benchmarks, against the real app in processes of its own (`app.py serve` and `app.py ingest`
on PostgreSQL and Redis) and headless Chromium:

- event_to_screen: XADD of a 112 incident until its row is in the page of each of 10 open walls, timed in
  every page at the animation frame that paints the new row, against the bench's clock (one machine, one
  clock); then the same with one wall (`event_to_screen.one_wall.*`, goal p95 under 300 ms). Each wall is
  a page in a browser context of its own: the Media Center's walls are ten machines, each its own browser,
  and a context has its own network context and socket pool. Ten pages of one context would share
  Chromium's 6 HTTP/1.1 connections per host, so ten push streams and the pages' requests would queue for
  one another, which no wall sees. Beside each,
  the same events' XADD until the ingestor's commit is announced (`event_to_commit`, the baseline): the part
  the screen cannot help. The goal for 10 walls on this two-core machine: p95 under 1 s (issue 19 item 2).
- wall.one_wall_cpu_cores: one wall (scene rotation, push, clock) while the simulator publishes at the
  city's busy-hour rate (the busiest hour of a simulated fortnight): the CPU of Chromium's renderers and
  GPU process together, in cores (goal under 0.05), beside the same browser showing a blank page for as
  long (`.blank_page_baseline`).
- wall.heap_growth_mb_per_h: one wall tab rotating its scenes while the simulator publishes 10 events/s; the
  JS heap after a forced GC (CDP HeapProfiler.collectGarbage, then Performance.getMetrics) sampled through
  the run, growth as the least-squares slope per hour. --quick (about two and a half minutes for both)
  samples one minute and extrapolates it to the hour: `wall.heap_growth_basis` says so beside the figure.

The wall may sit behind a wall token (PANTAU_WALL_TOKEN): the bench sets one for its server and opens
/wall?token=...; the wall ignores URL parameters it does not know, so this works before and after the gate.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import secrets
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from bench.common import CpuShares, percentile
from bench.wall_cpu import busy_hour_events_per_s, chromium_cpu_cores
from dashboard.settings import Settings
from data_sources.redis_keys import changes_channel
from data_sources.simulator.publish import publish_events
from data_sources.simulator.traffic import Simulator
from data_sources.stream.connection import connect
from data_sources.stream.producer import publish
from tests.support.services import CHROMIUM, CHROMIUM_ARGS, PostgresDatabase, free_port, port_open

ROOT = Path(__file__).resolve().parent.parent
SEED_EVENTS = 20_000
WALLS = 10  # the Media Center's walls on one small server (issue 19 item 2)

# Every row of the 112 ticker carries its incident id; record when each one first enters the page.
OBSERVE = """() => {
  window.__seen = {};
  new MutationObserver((mutations) => {
    const ids = [];
    for (const m of mutations) for (const node of m.addedNodes) {
      if (node.nodeType !== 1) continue;
      const found = node.matches('.wall-incident-id') ? [node] : node.querySelectorAll('.wall-incident-id');
      for (const el of found) { const id = el.textContent; if (id && !(id in window.__seen)) ids.push(id); }
    }
    // the frame that paints the row: its animation-frame callback runs just before the paint
    if (ids.length) requestAnimationFrame(() => {
      const at = Date.now();
      for (const id of ids) if (!(id in window.__seen)) window.__seen[id] = at;
    });
  }).observe(document.body, {childList: true, subtree: true});
  // where the time goes: each pulse's and each refresh's round trip to the server, and the browser's busy
  // main thread
  window.__polls = []; window.__refreshes = []; window.__busy = 0;
  performance.setResourceTimingBufferSize(100000);
  new PerformanceObserver((list) => list.getEntries().forEach((e) => {
    // a push stream's entry comes when it ends (30 s): not a pulse
    if (e.name.includes('/_wall/pulse') && !e.name.includes('push=1')) window.__polls.push(e.duration);
    else if (e.name.includes('_dash-update-component')) window.__refreshes.push(e.duration);
  })).observe({type: 'resource'});
  new PerformanceObserver((list) => list.getEntries().forEach((e) => { window.__busy += e.duration; }))
    .observe({type: 'longtask'});
  window.__since = Date.now();
}"""


@contextmanager
def wall_stack(database_url: str, redis_url: str | None, data_dir: Path, seed_events: int = SEED_EVENTS):
    """Seeded store, an ingestor and the web app, each its own process, as in production."""
    token = secrets.token_urlsafe(16)
    port = free_port()
    settings = Settings(
        redis_url=redis_url,
        database_url=database_url,
        data_dir=data_dir,
        stream_prefix=f"bench-wall-{uuid.uuid4().hex[:8]}",
        block_ms=200,
    )
    env = {
        **os.environ,
        "PANTAU_REDIS_URL": redis_url or "",
        "PANTAU_DATABASE_URL": database_url,
        "PANTAU_DATA_DIR": str(data_dir),
        "PANTAU_STREAM_PREFIX": settings.stream_prefix,
        "PANTAU_BLOCK_MS": "200",
        "PANTAU_PORT": str(port),
        "PANTAU_LOG_LEVEL": "WARNING",
        "PANTAU_WALL_TOKEN": token,
    }
    client = connect(settings)
    publish_events(client, settings, Simulator(seed=11).generate(seed_events, dt.datetime.now(dt.UTC)))
    python = [sys.executable, str(ROOT / "app.py")]
    subprocess.run([*python, "ingest", "--until-idle"], env=env, cwd=ROOT, check=True, timeout=600)
    processes = [
        subprocess.Popen([*python, "ingest"], env=env, cwd=ROOT),
        subprocess.Popen([*python, "serve"], env=env, cwd=ROOT),
    ]
    try:
        deadline = time.monotonic() + 60
        while not port_open("127.0.0.1", port):
            if time.monotonic() > deadline:
                raise RuntimeError("the wall's server did not start")
            time.sleep(0.2)
        yield (
            settings,
            client,
            f"http://127.0.0.1:{port}/wall?token={token}",
            {"app.serve": processes[1].pid, "app.ingest": processes[0].pid},
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        for key in client.scan_iter(f"{settings.stream_prefix}:*"):
            client.delete(key)
        client.close()


def open_wall(context, url: str):
    """A wall page in its steady state: live, and its map drawn."""
    page = context.new_page()
    page.goto(url, timeout=60_000)
    page.wait_for_selector("#wall-status.is-live", timeout=60_000)
    page.wait_for_selector("img.wall-map", state="attached", timeout=60_000)
    page.wait_for_timeout(1_000)
    return page


def one_wall_cpu(browser, settings, client, url: str, seconds: float) -> dict:
    """One wall rotating its scenes at the busy-hour rate, then a blank page as long: renderer + GPU cores."""
    rate = busy_hour_events_per_s()
    stop = threading.Event()
    published = [0]

    def traffic() -> None:
        simulator = Simulator(seed=29)
        simulator.advance(dt.datetime.now(dt.UTC))
        while not stop.wait(0.5):
            events = simulator.advance(dt.datetime.now(dt.UTC), events_per_second=rate)
            published[0] += len(publish_events(client, settings, events))

    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    feeder = threading.Thread(target=traffic, daemon=True)
    try:
        page = open_wall(context, url + "&rotate=10")
        feeder.start()
        page.wait_for_timeout(5_000)  # the first scenes drawn
        wall = chromium_cpu_cores(seconds)
        stop.set()
        feeder.join(timeout=5)
        page.goto("about:blank")
        page.wait_for_timeout(2_000)
        blank = chromium_cpu_cores(seconds)
    finally:
        stop.set()
        context.close()
    return {
        "wall.one_wall_cpu_cores": round(wall, 4),
        "wall.one_wall_cpu_cores.blank_page_baseline": round(blank, 4),
        "wall.one_wall_cpu_cores.goal": 0.05,
        "wall.one_wall_cpu_busy_hour_events_per_s": round(rate, 3),
        "wall.one_wall_cpu_events_published": published[0],
        "wall.one_wall_cpu_period_s": seconds,
    }


class Commits:
    """When the ingestor announced each commit (its pub/sub message after the data version moved)."""

    def __init__(self, client, settings):
        self.times: list[float] = []
        self._pubsub = client.pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(changes_channel(settings))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            if self._pubsub.get_message(timeout=0.05):
                self.times.append(time.time() * 1000)

    def first_after(self, moment_ms: float) -> float | None:
        return next((t for t in self.times if t >= moment_ms), None)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._pubsub.close()


def _ms(value: float) -> float | None:
    """A figure in ms to 0.1, or None (valid JSON, unlike NaN) where there was nothing to measure: a wall on
    its push never polls."""
    return None if math.isnan(value) else round(value, 1)


def event_to_screen(browser, settings, client, url: str, events: int, walls: int, pids: dict[str, int]) -> dict:
    # one browser context per wall: its own network context and socket pool, as ten screens are ten machines
    contexts = [browser.new_context(viewport={"width": 1920, "height": 1080}) for _ in range(walls)]
    try:
        pages = [open_wall(context, url + "&scene=112") for context in contexts]
        for page in pages:
            page.evaluate(OBSERVE)
        commits = Commits(client, settings)
        cpu = CpuShares(pids)
        started = time.monotonic()
        sent: dict[str, float] = {}
        rng = random.Random(5)
        for n in range(events):
            incident_id = f"112-B{n:04d}{uuid.uuid4().hex[:4]}"
            event = {
                "event_id": f"{incident_id}-reported",
                "type": "incident.reported",
                "schema": 1,
                "source": "bench",
                "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
                "data": {"incident_id": incident_id, "category": "flood", "priority": 3, "kecamatan": "Rungkut"},
            }
            sent[incident_id] = time.time() * 1000
            publish(client, settings, event)
            time.sleep(rng.uniform(0.4, 0.8))  # out of step with the 0.5 s poll, as real events are
        time.sleep(3)
        elapsed_s = time.monotonic() - started
        commits.close()
        cpu_shares = cpu.shares()
        latencies, lost, polls, refreshes, busy = [], 0, [], [], []
        for page in pages:
            seen = page.evaluate("() => window.__seen")
            polls += page.evaluate("() => window.__polls")
            refreshes += page.evaluate("() => window.__refreshes")
            busy.append(page.evaluate("() => window.__busy / (Date.now() - window.__since)"))
            for incident_id, at in sent.items():
                if incident_id in seen:
                    latencies.append(seen[incident_id] - at)
                else:
                    lost += 1
        to_commit = [c - at for at in sent.values() if (c := commits.first_after(at)) is not None]
    finally:
        for context in contexts:
            context.close()
    return {
        "event_to_screen.p50_ms": _ms(percentile(latencies, 50)),
        "event_to_screen.p95_ms": _ms(percentile(latencies, 95)),
        "event_to_screen.max_ms": round(max(latencies), 1) if latencies else None,
        "event_to_screen.events": events,
        "event_to_screen.walls": walls,
        "event_to_screen.poll_round_trip_p50_ms": _ms(percentile(polls, 50)),
        "event_to_screen.poll_round_trip_p95_ms": _ms(percentile(polls, 95)),
        "event_to_screen.refresh_round_trip_p50_ms": _ms(percentile(refreshes, 50)),
        "event_to_screen.refresh_round_trip_p95_ms": _ms(percentile(refreshes, 95)),
        "event_to_screen.page_busy_share": round(sum(busy) / len(busy), 3),
        # a wall hears of changes by the push; the pulse only while its push is down (or refused: no slot)
        "event_to_screen.pulses_per_wall_s": round(len(polls) / walls / max(1e-3, elapsed_s), 2),
        "event_to_screen.samples": len(latencies),
        "event_to_screen.not_seen": lost,
        "event_to_screen.event_to_commit_p50_ms": _ms(percentile(to_commit, 50)),
        "event_to_screen.event_to_commit_p95_ms": _ms(percentile(to_commit, 95)),
        # where the machine's time went meanwhile, in cores (2 on this machine): the profile of a miss
        **{f"event_to_screen.cpu_cores.{kind}": share for kind, share in cpu_shares.items()},
        "event_to_screen.cpu_cores.total": round(sum(cpu_shares.values()), 2),
    }


def heap_growth(browser, settings, client, url: str, seconds: float, extrapolated: bool, warm_up_s: float = 60) -> dict:
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    stop = threading.Event()
    published = [0]

    def traffic() -> None:  # the simulator's live mix, scaled to 10 events per second
        simulator = Simulator(seed=23)
        simulator.advance(dt.datetime.now(dt.UTC))
        while not stop.wait(0.5):
            events = simulator.advance(dt.datetime.now(dt.UTC), events_per_second=10)
            published[0] += len(publish_events(client, settings, events))

    feeder = threading.Thread(target=traffic, daemon=True)
    try:
        page = open_wall(context, url + "&rotate=10")
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")

        def sample() -> tuple[float, float, float]:
            cdp.send("HeapProfiler.collectGarbage")
            metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
            return time.monotonic(), metrics["JSHeapUsedSize"] / 1e6, metrics["Nodes"]

        feeder.start()
        page.wait_for_timeout(warm_up_s * 1000)  # warm up: every scene shown (a 40 s cycle), the map patched
        samples = [sample()]
        started = samples[0][0]
        while time.monotonic() - started < seconds:
            page.wait_for_timeout(10_000)
            samples.append(sample())
    finally:
        stop.set()
        feeder.join(timeout=5)
        context.close()
    hours = [(t - started) / 3600 for t, _, _ in samples]
    heap = [mb for _, mb, _ in samples]
    mean_h, mean_mb = sum(hours) / len(hours), sum(heap) / len(heap)
    slope = sum((h - mean_h) * (m - mean_mb) for h, m in zip(hours, heap)) / sum((h - mean_h) ** 2 for h in hours)
    period = round(hours[-1] * 3600)
    return {
        "wall.heap_growth_mb_per_h": round(slope, 2),
        "wall.heap_growth_basis": (
            f"measured over {period} s"
            if not extrapolated
            else f"EXTRAPOLATED to 1 h from {period} s"
            + (": a slope this short is noise, run --heap-minutes 12 or more" if period < 600 else "")
        ),
        "wall.heap_period_s": period,
        "wall.heap_start_mb": round(heap[0], 2),
        "wall.heap_end_mb": round(heap[-1], 2),
        "wall.heap_max_mb": round(max(heap), 2),
        "wall.dom_nodes_start": int(samples[0][2]),
        "wall.dom_nodes_end": int(samples[-1][2]),
        "wall.dom_nodes_max": int(max(n for _, _, n in samples)),
        "wall.events_published": published[0],
    }


def run(
    quick: bool,
    redis_url: str | None,
    data_dir: Path,
    *,
    events: int | None = None,
    heap_seconds: float | None = None,
    heap_only: bool = False,
    scaling: tuple[int, ...] = (),
) -> dict:
    """Both benchmarks on a PostgreSQL database of their own (the store's tables have no stream prefix).
    `scaling`: also event_to_screen with these numbers of walls (`event_to_screen.walls_<n>.*`), to find
    how many walls this machine carries within the target."""
    from playwright.sync_api import sync_playwright

    figures: dict = {}
    database = PostgresDatabase()
    try:
        seed = 5_000 if quick else SEED_EVENTS
        with wall_stack(database.url, redis_url, data_dir, seed) as (settings, client, url, pids):
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    events = 0 if heap_only else events or (30 if quick else 200)
                    if events:
                        figures.update(event_to_screen(browser, settings, client, url, events, WALLS, pids))
                        # the same with one wall: what the pipeline gives when the machine is not ten browsers
                        one = event_to_screen(browser, settings, client, url, 15 if quick else 50, 1, pids)
                        figures.update(
                            {k.replace("event_to_screen.", "event_to_screen.one_wall."): v for k, v in one.items()}
                        )
                        for walls in (n for n in scaling if n != WALLS):  # the 10 walls ran above
                            more = event_to_screen(browser, settings, client, url, events, walls, pids)
                            figures.update(
                                {
                                    k.replace("event_to_screen.", f"event_to_screen.walls_{walls}."): v
                                    for k, v in more.items()
                                }
                            )
                    if not heap_only:
                        figures.update(one_wall_cpu(browser, settings, client, url, 30 if quick else 120))
                    # The whole suite must finish within an hour: its heap run is half an hour, labelled as
                    # extrapolated; `python -m bench.wall --heap-only --heap-minutes 60` runs the full hour,
                    # `--heap-minutes 0` none.
                    heap_seconds = (60 if quick else 1800) if heap_seconds is None else heap_seconds
                    if heap_seconds > 0:
                        figures.update(
                            heap_growth(
                                browser, settings, client, url, heap_seconds, heap_seconds < 3600, 45 if quick else 60
                            )
                        )
                finally:
                    browser.close()
    finally:
        database.drop()
    return figures


if __name__ == "__main__":  # python -m bench.wall [--quick] [--events N] [--heap-minutes M] [--walls 3,5]
    import argparse
    import json
    import tempfile

    from tests.support.services import shared_redis_url

    redis_url, handle = shared_redis_url()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            parser = argparse.ArgumentParser(prog="python -m bench.wall")
            parser.add_argument("--quick", action="store_true")
            parser.add_argument("--events", type=int)
            parser.add_argument("--heap-minutes", type=float)
            parser.add_argument("--heap-only", action="store_true")
            parser.add_argument(
                "--walls", default="", help=f"also event_to_screen with these numbers of walls besides {WALLS}: 3,5"
            )
            args = parser.parse_args()
            scaling = tuple(int(n) for n in args.walls.split(",") if n.strip())
            heap = args.heap_minutes * 60 if args.heap_minutes is not None else None
            print(
                json.dumps(
                    run(
                        args.quick,
                        redis_url,
                        Path(tmp),
                        events=args.events,
                        heap_seconds=heap,
                        heap_only=args.heap_only,
                        scaling=scaling,
                    ),
                    indent=2,
                )
            )
    finally:
        if handle is not None:
            handle.close()
