"""`python app.py deadletters purge [--before DATE | --all]`: delete dead letters, stream and table alike.

Dead letters are raw refused events and may hold reporters' names, phones and NIK. The ingestor deletes
those older than PANTAU_DEADLETTER_RETENTION_DAYS by itself; this command does it now: without arguments
by that same retention, with --before for those made before a WIB day (or an ISO time), with --all every
one. Prints what it deleted as JSON. Exit 2: bad arguments (nothing deleted).
"""

from __future__ import annotations

import json

from cli.times import wib_instant


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("deadletters", help="dead letters (refused events): purge")
    sub = p.add_subparsers(dest="deadletters_command", required=True)
    purge = sub.add_parser("purge", help="delete dead letters from the stream and the table")
    which = purge.add_mutually_exclusive_group()
    which.add_argument("--before", type=wib_instant, help="made before this WIB day (YYYY-MM-DD) or ISO time")
    which.add_argument("--all", action="store_true", help="every dead letter")


def run(settings, args) -> int:
    from data_sources.store.database import engine_for, session_factory, upgrade
    from data_sources.stream import deadletters
    from data_sources.stream.connection import connect

    engine = engine_for(settings)
    upgrade(engine)
    before = None if args.all else (args.before or deadletters.retention_cutoff(settings))
    report = deadletters.purge(connect(settings), session_factory(engine), settings, before=before)
    print(json.dumps({**report, "before": None if before is None else before.isoformat()}))
    engine.dispose()
    return 0
