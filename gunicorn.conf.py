"""gunicorn reads this file from the working directory: `gunicorn 'app:server'` in production and the
benchmarks (bench/embed.py) alike.

After a worker has built the app, its ~160,000 long-lived objects (Dash, Plotly, GeoPandas, the layouts)
are moved out of the garbage collector's sight (gc.freeze). Without it every full collection walks them
all: 140 to 320 ms measured on this 2-core machine under load, a pause that every request in flight waits
for (the embed benchmark's p99). Objects made later are collected as usual.

gunicorn takes no scheme from a header: by default it believes X-Forwarded-Proto (and -Protocol, -Ssl)
from any peer on 127.0.0.1, whatever PANTAU_PROXY_COUNT says. Which forwarded headers to believe is decided
in the app, by one rule for gunicorn and waitress alike (web/proxy.py).
"""

import gc

secure_scheme_headers = {}


def post_worker_init(worker):
    gc.freeze()
