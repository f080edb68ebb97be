"""An ingestor process that SIGKILLs itself at a chosen point of its first batch (for crash tests).

    python -m tests.support.crashing_ingestor before_commit|after_commit
Settings come from the PANTAU_* environment like the real `app.py ingest`.
"""

import os
import signal
import sys
import threading

from dashboard.settings import load_settings
from data_sources.store.database import engine_for, session_factory
from data_sources.stream import ingest
from data_sources.stream.connection import connect


def die(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)


def main(point: str) -> None:
    if point == "after_commit":
        # the batch is committed to the database; the XACK never happens
        ingest.Ingestor._acknowledge = die
    elif point == "before_commit":
        real_apply = ingest.apply_batch

        def apply_then_die(*args, **kwargs):
            real_apply(*args, **kwargs)
            die()

        ingest.apply_batch = apply_then_die
    else:
        raise SystemExit(f"unknown crash point {point!r}")
    settings = load_settings()
    worker = ingest.Ingestor(settings, connect(settings), session_factory(engine_for(settings)))
    worker.run(threading.Event(), until_idle=True)
    raise SystemExit("the crash point was never reached")


if __name__ == "__main__":
    main(sys.argv[1])
