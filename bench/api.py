"""Event API benchmark: events per second through POST /api/v1/events, in batches of 100 and one by one,
beside direct XADD of the same events measured in the same run (what a producer holding Redis credentials
would do). `python -m bench.api [--quick]`.

- The server: gunicorn, 2 gthread workers of 4 threads (this machine's 2 cores), the real app ('app:server')
  on the shared Redis and a SQLite store holding the producer's key (one indexed lookup per request).
- The clients: CLIENTS threads in this process, each with its own keep-alive connection, sharing the two
  cores with the server (as the embed benchmark's load generator does).
- The baselines: the same events XADDed directly, pipelined in chunks of 100 (`api.xadd_events_per_s`,
  beside the batches) and one XADD per round trip (`api.xadd_single_events_per_s`, beside one by one), from
  the same number of client threads.
- `api.batch_ratio_to_xadd` is the goal's figure (0.5 or more). Every event is checked to be accepted:
  a refused or failed one is counted in `api.errors`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path

import orjson

from bench.embed import _serve
from dashboard.producers import Scope
from dashboard.settings import Settings
from data_sources import redis_keys
from data_sources.redis_keys import SOURCES
from data_sources.simulator.traffic import Simulator
from data_sources.store.database import make_engine, upgrade
from data_sources.store.producers import add_producer
from data_sources.stream.connection import connect
from data_sources.stream.gateway import Gateway
from data_sources.stream.producer import encode, stream_for

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 8
BATCH = 100


def _events(count: int, settings: Settings) -> list[dict]:
    """Simulated traffic the front door accepts (the simulator also sends places outside the city)."""
    made = Simulator(seed=21).generate(count * 2, dt.datetime.now(dt.UTC))
    events = [dict(e, source="bench") for e in made if isinstance(e, dict)]
    refused, _ = Gateway(settings, None).check(Scope("bench", ("*",), "bench"), events)
    dropped = {r.index for r in refused}
    return [e for i, e in enumerate(events) if i not in dropped][:count]


def _run_threads(work: list, job) -> tuple[float, int]:
    """Run job(connection_state, item) for every item, CLIENTS threads; (seconds, errors)."""
    chunks = [work[i::CLIENTS] for i in range(CLIENTS)]
    errors = [0] * CLIENTS
    start = threading.Barrier(CLIENTS + 1)

    def worker(n: int) -> None:
        state: dict = {}
        start.wait()
        for item in chunks[n]:
            errors[n] += job(state, item)
        if "conn" in state:
            state["conn"].close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - began, sum(errors)


def _poster(port: int, key: str):
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def post(state: dict, body: bytes) -> int:
        conn = state.setdefault("conn", http.client.HTTPConnection("127.0.0.1", port, timeout=60))
        conn.request("POST", "/api/v1/events", body, headers)
        response = conn.getresponse()
        answer = orjson.loads(response.read())
        return 0 if response.status == 202 else answer.get("refused", 1)

    return post


def _xadder(settings: Settings, pipelined: bool):
    def xadd(state: dict, events: list[dict]) -> int:
        client = state.setdefault("redis", connect(settings))
        if pipelined:
            pipe = client.pipeline(transaction=False)
            for event in events:
                pipe.xadd(redis_keys.stream_key(settings, stream_for(event)), {"event": encode(event)})
            pipe.execute()
        else:
            for event in events:
                client.xadd(redis_keys.stream_key(settings, stream_for(event)), {"event": encode(event)})
        return 0

    return xadd


def _clear(client, settings) -> None:
    client.delete(*(redis_keys.stream_key(settings, s) for s in SOURCES))


def run(quick: bool, redis_url: str) -> dict:
    batched_n, single_n = (10_000, 2_000) if quick else (50_000, 10_000)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        settings = Settings(
            redis_url=redis_url,
            database_url=f"sqlite:///{tmp / 'api.db'}",
            data_dir=tmp,
            stream_prefix=f"bench-api-{uuid.uuid4().hex[:8]}",
        )
        events = _events(batched_n, settings)
        engine = make_engine(settings.resolved_database_url)
        upgrade(engine)
        _, key = add_producer(engine, "bench", "*", "bench")
        engine.dispose()
        env = {
            **os.environ,
            "PANTAU_REDIS_URL": redis_url,
            "PANTAU_DATABASE_URL": settings.resolved_database_url,
            "PANTAU_DATA_DIR": str(tmp),
            "PANTAU_STREAM_PREFIX": settings.stream_prefix,
            "PANTAU_API_RATE_LIMIT": "999999999/60",
            "PANTAU_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
        redis_client = connect(settings)
        proc, port = _serve("app:server", env)
        try:
            post = _poster(port, key)
            _run_threads([orjson.dumps(events[:BATCH])] * (CLIENTS * 2), post)  # warm: locator, pools
            _clear(redis_client, settings)
            batches = [events[i : i + BATCH] for i in range(0, len(events), BATCH)]
            xadd_s, _ = _run_threads(batches, _xadder(settings, pipelined=True))
            _clear(redis_client, settings)
            batch_s, batch_errors = _run_threads([orjson.dumps(b) for b in batches], post)
            stored = sum(redis_client.xlen(redis_keys.stream_key(settings, s)) for s in SOURCES)
            _clear(redis_client, settings)
            singles = events[:single_n]
            xadd_single_s, _ = _run_threads([[e] for e in singles], _xadder(settings, pipelined=False))
            _clear(redis_client, settings)
            single_s, single_errors = _run_threads([orjson.dumps(e) for e in singles], post)
            _clear(redis_client, settings)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            redis_client.close()
    figures = {
        "api.batch_events_per_s": round(batched_n / batch_s),
        "api.xadd_events_per_s": round(batched_n / xadd_s),
        "api.batch_ratio_to_xadd": round(xadd_s / batch_s, 3),
        "api.single_events_per_s": round(single_n / single_s),
        "api.xadd_single_events_per_s": round(single_n / xadd_single_s),
        "api.single_ratio_to_xadd_single": round(xadd_single_s / single_s, 3),
        "api.single_ratio_to_xadd": round((single_n / single_s) / (batched_n / xadd_s), 3),
        "api.errors": batch_errors + single_errors + (batched_n - stored),
    }
    return figures


def main() -> None:
    from tests.support.services import shared_redis_url

    parser = argparse.ArgumentParser(prog="python -m bench.api")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    url, handle = shared_redis_url()
    try:
        figures = run(args.quick, url)
    finally:
        if handle is not None:
            handle.close()
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
