"""gunicorn reads this file from the working directory: `gunicorn 'app:server'` in production and the
benchmarks (bench/embed.py) alike.

After a worker has built the app, its ~160,000 long-lived objects (Dash, Plotly, GeoPandas, the layouts)
are moved out of the garbage collector's sight (gc.freeze). Without it every full collection walks them
all: 140 to 320 ms measured on this 2-core machine under load, a pause that every request in flight waits
for (the embed benchmark's p99). Objects made later are collected as usual.

gunicorn takes no scheme from a header: by default it believes X-Forwarded-Proto (and -Protocol, -Ssl)
from any peer on 127.0.0.1, whatever PANTAU_PROXY_COUNT says. Which forwarded headers to believe is decided
in the app, by one rule for gunicorn and waitress alike (web/proxy.py).

Prometheus (data_sources/metrics.py): with PROMETHEUS_MULTIPROC_DIR set, every worker writes its metrics to
files in that folder and /metrics sums them. The folder is emptied when gunicorn starts (a previous run's
counters would be added to this one's), and a worker that exits is marked dead so that its live gauges go.
"""

import gc
import os
import shutil
from pathlib import Path


def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        for child in path.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()


secure_scheme_headers = {}


def post_worker_init(worker):
    from web import wall_push

    # a stream holds one of this worker's threads: its push slots follow --threads (web/wall_push.py)
    wall_push.set_gunicorn_threads(worker.cfg.threads)
    gc.freeze()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
