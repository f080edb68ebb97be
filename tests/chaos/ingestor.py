"""Ingestor processes that SIGKILL themselves at a random point, for the chaos test (tests/chaos/test_chaos.py).

    python -m tests.chaos.ingestor                 one ingestor; settings from the PANTAU_* environment,
                                                   the plan from PANTAU_CHAOS_SEED (unset or "none": no kill)
    python -m tests.chaos.ingestor --fork-server   imports everything once, then forks one ingestor per line
                                                   "spawn <consumer-name> <seed>" read on stdin and answers
                                                   "pid <consumer-name> <pid>"; reports "exit <pid> <status>"

The plan drawn from the seed: a point and the batch at which to die there.
  after_read     the batch is read (pending on this consumer), nothing stored
  mid_batch      inside the database transaction, after the k-th SQL statement of the batch (not committed)
  before_commit  the whole batch applied in the open transaction, just before COMMIT
  after_commit   committed to the database, before the Redis MULTI that acknowledges it
  none           never dies by itself (it may still be killed from outside)
Before dying it appends "<pid> <consumer> <point> <batch>" to $PANTAU_CHAOS_KILL_LOG.
SIGTERM stops it cleanly (exit status 0).
"""

from __future__ import annotations

import logging
import os
import random
import select
import signal
import sys
import threading

from dashboard.settings import load_settings
from data_sources.store.database import engine_for, session_factory
from data_sources.stream import ingest
from data_sources.stream.connection import connect

POINTS = ("after_read", "mid_batch", "before_commit", "after_commit")
# The share of ingestors that never kill themselves (they keep the stream moving between crashes).
SURVIVOR_SHARE = 0.25


def plan_for(seed: str | None) -> tuple[str, int, int]:
    """(point, batch number, statement number) drawn from the seed."""
    if seed in (None, "", "none"):
        return "none", 0, 0
    rng = random.Random(seed)
    point = "none" if rng.random() < SURVIVOR_SHARE else rng.choice(POINTS)
    return point, rng.randint(1, 4), rng.randint(1, 4)


class ChaosIngestor(ingest.Ingestor):
    """An Ingestor that dies at its plan's point; everything else is the real code."""

    def __init__(self, *args, plan: tuple[str, int, int], kill_log: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.point, self.at_batch, self.at_statement = plan
        self.kill_log = kill_log
        self.batches = 0
        self.armed = False
        self.statements = 0

    def die(self, point: str) -> None:
        if self.kill_log:
            fd = os.open(self.kill_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.write(fd, f"{os.getpid()} {self.consumer} {point} {self.batches}\n".encode())
            os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)

    def process(self, entries):
        self.batches += 1
        self.armed = self.batches == self.at_batch and self.point != "none"
        self.statements = 0
        if self.armed and self.point == "after_read":
            self.die("after_read")
        return super().process(entries)

    def on_statement(self) -> None:
        if self.armed and self.point == "mid_batch":
            self.statements += 1
            if self.statements >= self.at_statement:
                self.die("mid_batch")

    def after_apply(self) -> None:
        # Still inside the transaction: a mid_batch plan with fewer statements than drawn dies here too.
        if self.armed and self.point in ("mid_batch", "before_commit"):
            self.die(self.point)

    def _acknowledge(self, entries, result):
        if self.armed and self.point == "after_commit":
            self.die("after_commit")
        return super()._acknowledge(entries, result)


def _install_hooks(worker: ChaosIngestor, engine) -> None:
    from sqlalchemy import event

    real_apply = ingest.apply_batch

    def apply_then_maybe_die(*args, **kwargs):
        result = real_apply(*args, **kwargs)
        worker.after_apply()
        return result

    ingest.apply_batch = apply_then_maybe_die

    @event.listens_for(engine, "after_cursor_execute")
    def _count(*_args, **_kwargs):
        worker.on_statement()


def run_one(consumer: str | None, seed: str | None, locator=None) -> None:
    settings = load_settings()
    if consumer:
        settings = settings.with_overrides(consumer_name=consumer)
    # The chaos test kills often: look for abandoned entries every half second, not every 5 s.
    ingest.CLAIM_INTERVAL_S = float(os.environ.get("PANTAU_CHAOS_CLAIM_INTERVAL_S", "0.5"))
    engine = engine_for(settings)
    worker = ChaosIngestor(
        settings,
        connect(settings),
        session_factory(engine),
        plan=plan_for(seed),
        kill_log=os.environ.get("PANTAU_CHAOS_KILL_LOG"),
    )
    if locator is not None:
        worker._locator = locator
    _install_hooks(worker, engine)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    logging.getLogger(__name__).info("chaos ingestor %s: plan %s", settings.consumer_name, plan_for(seed))
    worker.run(stop)
    logging.getLogger(__name__).info(
        "chaos ingestor %s: ingested %d stream entries", settings.consumer_name, worker.processed_entries
    )


def _logging() -> None:
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format=f"%(asctime)s {os.getpid()} %(levelname)s %(name)s: %(message)s"
    )


def fork_server() -> None:
    """Import and load once, fork per request: an ingestor is up in milliseconds, not seconds."""
    settings = load_settings()
    from data_sources.geo.locator import locator_for

    locator = locator_for(settings)
    children: set[int] = set()
    log_path = os.environ.get("PANTAU_CHAOS_PROCESS_LOG", os.devnull)
    out = sys.stdout

    def say(line: str) -> None:
        out.write(line + "\n")
        out.flush()

    def reap() -> None:
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            children.discard(pid)
            code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
            say(f"exit {pid} {code}")

    say("ready")
    buffer = b""
    stdin = sys.stdin.fileno()
    while True:
        ready, _, _ = select.select([stdin], [], [], 0.05)
        reap()
        if not ready:
            continue
        chunk = os.read(stdin, 4096)
        if not chunk:  # the test closed our stdin: stop every child and leave
            for pid in list(children):
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            while children:
                pid, status = os.wait()
                children.discard(pid)
                code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
                say(f"exit {pid} {code}")
            return
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            parts = line.decode().split()
            if len(parts) != 3 or parts[0] != "spawn":
                continue
            _, name, seed = parts
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                    os.dup2(fd, 1)
                    os.dup2(fd, 2)
                    os.close(stdin)
                    sys.stdout = sys.stderr = os.fdopen(2, "w", buffering=1)
                    _logging()
                    random.seed()  # the parent's generator state must not be shared by every child
                    run_one(name, seed, locator)
                    code = 0
                except BaseException:
                    logging.getLogger(__name__).exception("chaos ingestor %s crashed", name)
                finally:
                    os._exit(code)
            children.add(pid)
            say(f"pid {name} {pid}")


def main(argv: list[str]) -> None:
    if argv[:1] == ["--fork-server"]:
        fork_server()
        return
    _logging()
    run_one(None, os.environ.get("PANTAU_CHAOS_SEED"))


if __name__ == "__main__":
    main(sys.argv[1:])
