"""The chaos run behind tests/chaos/test_chaos.py: a producer, a fleet of self-killing ingestors, Redis restarts,
database cuts, a safe trimmer; then a count of every confirmed entry's fate (tests/chaos/ledger.py).

Used by the test (short form) and by hand for a long run:
    .venv/bin/python -m tests.chaos.harness --database sqlite --events 50000 --minutes 10
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import redis

from dashboard.settings import Settings
from data_sources import redis_keys
from data_sources.store.database import make_engine, session_factory, upgrade
from data_sources.stream.producer import encode, stream_for
from data_sources.stream.retention import trim_streams
from tests.chaos.ledger import kill_lines, stats_agree, verify
from tests.chaos.run import ChaosConfig, ChaosRun
from tests.support.services import PostgresDatabase, RedisProcess

ROOT = Path(__file__).resolve().parents[2]


class DurableRedis(RedisProcess):
    """A private redis-server with AOF and `appendfsync always`: a confirmed XADD survives a SIGKILL."""

    def __init__(self):
        super().__init__(appendonly=True, extra_args=("--appendfsync", "always", "--maxmemory-policy", "noeviction"))


class Fleet:
    """Talks to `python -m tests.chaos.ingestor --fork-server`: spawn, kill, watch exits."""

    def __init__(self, env: dict[str, str]):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.chaos.ingestor", "--fork-server"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.alive: dict[int, str] = {}
        self.exits: list[tuple[int, int]] = []
        self._pids: collections.deque[int] = collections.deque()
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._spawned = threading.Condition(self._lock)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(60):
            raise RuntimeError("the chaos fork server did not start")

    def _read(self) -> None:
        for line in self.proc.stdout:
            parts = line.split()
            if parts == ["ready"]:
                self._ready.set()
            elif parts[:1] == ["pid"]:
                with self._lock:
                    self.alive[int(parts[2])] = parts[1]
                    self._pids.append(int(parts[2]))
                    self._spawned.notify_all()
            elif parts[:1] == ["exit"]:
                with self._lock:
                    self.alive.pop(int(parts[1]), None)
                    self.exits.append((int(parts[1]), int(parts[2])))

    def spawn(self, name: str, seed: str) -> int:
        with self._lock:
            self.proc.stdin.write(f"spawn {name} {seed}\n")
            self.proc.stdin.flush()
            if not self._spawned.wait_for(lambda: bool(self._pids), timeout=30):
                raise RuntimeError("the fork server did not answer")
            return self._pids.popleft()

    def live(self) -> list[int]:
        with self._lock:
            return list(self.alive)

    def kill(self, pid: int) -> bool:
        with self._lock:
            if pid not in self.alive:
                return False
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                return False
            return True

    def close(self) -> None:
        """SIGTERM every child (a clean stop) and wait for the server."""
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._reader.join(5)


def env_for(settings: Settings, workdir: Path) -> dict[str, str]:
    return dict(
        os.environ,
        PANTAU_REDIS_URL=settings.redis_url,
        PANTAU_DATABASE_URL=settings.database_url,
        PANTAU_STREAM_PREFIX=settings.stream_prefix,
        PANTAU_BATCH_SIZE=str(settings.batch_size),
        PANTAU_BLOCK_MS=str(settings.block_ms),
        PANTAU_CLAIM_IDLE_MS=str(settings.claim_idle_ms),
        PANTAU_DATA_DIR=str(settings.data_dir),
        PANTAU_LOG_LEVEL="INFO",
        PYTHONPATH=str(ROOT),
        PANTAU_CHAOS_KILL_LOG=str(workdir / "kills.log"),
        PANTAU_CHAOS_PROCESS_LOG=str(workdir / "ingestors.log"),
    )


def _body_and_stream(item) -> tuple[str, bytes]:
    if isinstance(item, bytes):
        return getattr(item, "stream", "complaints"), bytes(item)
    return stream_for(item), encode(item)


def produce(run: ChaosRun, items: list, done: threading.Event) -> None:
    """XADD in small pipelines at a steady pace; record what Redis confirmed, retry what it did not."""
    s = run.settings
    client = redis.Redis.from_url(s.redis_url, socket_timeout=5, socket_connect_timeout=2)
    chunk = 10
    pace = run.config.seconds / max(1, len(items) / chunk)
    start = time.monotonic()
    for n, i in enumerate(range(0, len(items), chunk)):
        batch = [_body_and_stream(item) for item in items[i : i + chunk]]
        while True:
            try:
                pipe = client.pipeline(transaction=False)
                for source, body in batch:
                    pipe.xadd(redis_keys.stream_key(s, source), {"event": body})
                ids = pipe.execute()
                break
            except redis.RedisError:
                run.unconfirmed.extend(batch)  # some may have landed: a second copy is harmless
                time.sleep(0.1)
        for (source, body), entry_id in zip(batch, ids):
            run.confirmed.append((source, entry_id.decode(), body))
        delay = start + (n + 1) * pace - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    client.close()
    done.set()


def cut_database(run: ChaosRun, admin_url: str | None, database_name: str | None) -> None:
    """PostgreSQL: terminate every connection of the test database, mid-transaction or not."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (database_name,),
        )
    run.db_cuts += 1


def run_chaos(config: ChaosConfig, log=print) -> dict[str, Any]:
    """The whole run: set up, chaos, drain, verify. Returns the report (see verify)."""
    workdir = Path(tempfile.mkdtemp(prefix="pantau-chaos-"))
    server = DurableRedis().start()
    database = None
    if config.database == "postgresql":
        database = PostgresDatabase()
        url = database.url
    else:
        url = f"sqlite:///{workdir / 'pantau.db'}"
    engine = make_engine(url)
    upgrade(engine)
    settings = Settings(
        redis_url=server.url,
        database_url=url,
        stream_prefix=f"chaos{config.seed}",
        data_dir=workdir,
        block_ms=200,
        claim_idle_ms=config.claim_idle_ms,
        batch_size=config.batch_size,
        consumer_name="chaos-drain",
    )
    run = ChaosRun(config, settings, workdir)
    try:
        _chaos(run, server, database, log)
        _drain(run, engine)
        client = redis.Redis.from_url(server.url)
        report = verify(run, engine, client)
        report["stats_cli"] = stats_cli(settings, workdir)
        report["stats_agree"] = stats_agree(report)
        report["tampered"] = {}
        for name, tamper in config.tampers.items():
            tamper(run, engine, client)
            after = verify(run, engine, client)
            after["stats_cli"] = stats_cli(settings, workdir)
            report["tampered"][name] = {
                "lost": after["lost"],
                "duplicated": after["duplicated"],
                "problems": after["problems"],
                "stats_agree": stats_agree(after),
            }
        return report
    finally:
        engine.dispose()
        server.close()
        if database is not None:
            database.drop()


def _chaos(run: ChaosRun, server: DurableRedis, database: PostgresDatabase | None, log) -> None:
    from data_sources.simulator.traffic import Simulator

    c = run.config
    rng = random.Random(c.seed)
    items = Simulator(c.seed, invalid_share=c.invalid_share, duplicate_share=c.duplicate_share).generate(
        c.events, dt.datetime(2026, 11, 27, 1, 30, tzinfo=dt.UTC)
    )
    fleet = Fleet(env_for(run.settings, run.workdir))
    produced = threading.Event()
    producer = threading.Thread(target=produce, args=(run, items, produced), daemon=True)
    trim_stop = threading.Event()
    trimmer = threading.Thread(target=_trim_loop, args=(run, trim_stop), daemon=True)
    started = time.monotonic()
    producer.start()
    trimmer.start()
    # Faults spread over the producer's time: Redis restarts and database cuts at drawn moments.
    restart_at = sorted(rng.uniform(0.1, 0.9) * c.seconds for _ in range(c.redis_restarts))
    cut_at = sorted(rng.uniform(0.05, 0.95) * c.seconds for _ in range(c.db_cuts)) if database else []
    next_external = rng.uniform(0.2, 1.0)
    try:
        while True:
            now = time.monotonic() - started
            kills = _self_kills(run) + run.external_kills
            if produced.is_set() and not restart_at and not cut_at and kills >= c.min_kills:
                break
            if now > c.seconds * 4 + 120:
                raise AssertionError(f"chaos did not finish: {kills} kills, producer done {produced.is_set()}")
            while len(fleet.live()) < c.ingestors:
                run.spawned += 1
                fleet.spawn(f"chaos-{run.spawned}", f"{c.seed}-{run.spawned}")
            if restart_at and now >= restart_at[0]:
                restart_at.pop(0)
                server.stop(kill=True)
                time.sleep(rng.uniform(0.2, 1.0))
                server.start()
                run.redis_restarts += 1
                log(f"  redis restarted ({run.redis_restarts}) at {now:.1f} s")
            if cut_at and now >= cut_at[0]:
                cut_at.pop(0)
                cut_database(run, database.admin_url, database.name)
                log(f"  database connections cut ({run.db_cuts}) at {now:.1f} s")
            if now >= next_external:
                live = fleet.live()
                if live and fleet.kill(rng.choice(live)):
                    run.external_kills += 1
                next_external = now + rng.expovariate(1 / max(0.2, c.seconds * c.external_kill_share / c.min_kills * 2))
            time.sleep(0.05)
    finally:
        fleet.close()
        trim_stop.set()
        trimmer.join(10)
        producer.join(5)
        run.seconds = time.monotonic() - started
    # SIGKILL: a self kill or one of ours; 0 or SIGTERM: the clean stop at the end. Anything else is a crash.
    run.unexpected_exits = [
        (pid, code) for pid, code in fleet.exits if code not in (0, -signal.SIGKILL, -signal.SIGTERM)
    ]


def _self_kills(run: ChaosRun) -> int:
    return len(kill_lines(run))


def _trim_loop(run: ChaosRun, stop: threading.Event) -> None:
    """Trim as hard as allowed (retention 0, max length 1) all the time: only acknowledged entries may go."""
    client = redis.Redis.from_url(run.settings.redis_url, socket_timeout=5, socket_connect_timeout=2)
    while not stop.wait(run.config.trim_every_s):
        try:
            if run.config.unsafe_trim:
                for src in ("complaints", "incidents", "egov"):
                    run.trimmed += client.xtrim(redis_keys.stream_key(run.settings, src), maxlen=0)
                continue
            report = trim_streams(client, run.settings, retention_ms_override=0, maxlen_override=1)
            run.trimmed += sum(r["trimmed"] for r in report.values())
        except redis.RedisError:
            pass
    client.close()


def _drain(run: ChaosRun, engine) -> None:
    """A healthy ingestor, as production would start after the storm, takes over and empties the group."""
    from data_sources.stream import ingest
    from data_sources.stream.connection import connect

    saved = ingest.CLAIM_INTERVAL_S
    ingest.CLAIM_INTERVAL_S = 0.2
    stop = threading.Event()
    timer = threading.Timer(run.config.drain_timeout_s, stop.set)
    timer.start()
    try:
        worker = ingest.Ingestor(run.settings, connect(run.settings), session_factory(engine))
        worker.run(stop, until_idle=True)
    finally:
        timer.cancel()
        ingest.CLAIM_INTERVAL_S = saved
    if stop.is_set():
        raise AssertionError(f"the final ingestor did not drain the streams in {run.config.drain_timeout_s} s")


def stats_cli(settings: Settings, workdir: Path) -> dict[str, Any]:
    env = env_for(settings, workdir)
    done = subprocess.run(
        [sys.executable, "app.py", "stats", "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise AssertionError(f"app.py stats --json failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="a long chaos run")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--events", type=int, default=30_000)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--restarts", type=int, default=10)
    parser.add_argument("--cuts", type=int, default=10)
    parser.add_argument("--ingestors", type=int, default=3)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    report = run_chaos(
        ChaosConfig(
            database=args.database,
            events=args.events,
            seconds=args.minutes * 60,
            min_kills=args.kills,
            redis_restarts=args.restarts,
            db_cuts=args.cuts,
            ingestors=args.ingestors,
            seed=args.seed,
            drain_timeout_s=600,
        )
    )
    report.pop("stats_cli")
    print(json.dumps(report, indent=2))
    return 1 if report["problems"] or report["stats_agree"] else 0


if __name__ == "__main__":
    sys.exit(main())
