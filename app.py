"""Pantau Surabaya: the entry point.

    python app.py --help        the command line (cli/)
    gunicorn 'app:server'       the web app in production (its settings from the environment)

`create_app(settings)` (web/factory.py) builds an app; tests build their own.
"""

from __future__ import annotations

import sys
from functools import cache

from cli import main
from web.factory import create_app

__all__ = ["create_app", "main"]  # and `server`, built on first access


@cache
def _server():
    return create_app().server


def __getattr__(name: str):
    # gunicorn 'app:server' gets a server built from the environment once, when first asked for (importing
    # app.py for create_app or the command line builds nothing).
    if name == "server":
        return _server()
    raise AttributeError(name)


if __name__ == "__main__":
    sys.exit(main())
