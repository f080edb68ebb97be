"""Pantau Surabaya: the entry point.

    python app.py demo          everything in one process on the embedded defaults
    python app.py serve         the web app (production: gunicorn 'app:server')
    python app.py ingest        the ingestor (its own process in production)
    python app.py simulate      realistic Surabaya traffic onto the streams
    python app.py init-db       create or upgrade the database schema
    python app.py schema        the JSON Schema of the event contract
    python app.py stats --json  stored counts and the feed's health
    python app.py boundaries check PATH   what a GIS officer runs before handing over a boundary file
    python app.py kpi --json    the headline figures of a period, from the KPI engine
    python app.py users add NAME --role viewer|officer|admin --password-stdin   (and list, remove, ...)
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
from pathlib import Path

import dash
import flask

from dashboard.settings import Settings, SettingsError, load_settings
from data_sources import auth_routes, boundaries_cli, kpi_cli, users_cli
from data_sources.services import EXTENSION_KEY, Services

ROOT = Path(__file__).resolve().parent


def create_app(settings: Settings | None = None, *, engine=None, redis_client=None) -> dash.Dash:
    """Build the Dash app (and its Flask server) for these settings; tests build their own."""
    from callbacks import briefing as briefing_callbacks
    from callbacks import live as live_callbacks
    from callbacks import wall as wall_callbacks
    from layouts import briefing as briefing_layout
    from layouts import live as live_layout
    from layouts import wall as wall_layout

    settings = settings or load_settings()
    server = flask.Flask(__name__)
    server.extensions[EXTENSION_KEY] = Services(settings, engine, redis_client)
    app = dash.Dash(
        __name__,
        server=server,
        title="Pantau Surabaya",
        update_title=None,
        serve_locally=True,  # wall screens may have no internet: every script and style from here
        assets_folder=str(ROOT / "assets"),
        suppress_callback_exceptions=True,
        use_pages=True,
        pages_folder="",  # views are registered below, one module per view, not discovered from a folder
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    auth_routes.init_app(app)  # the login, the session cookie and the gate in front of everything but /embed
    dash.register_page("live", path="/", layout=live_layout.layout, title="Pantau Surabaya")
    live_callbacks.register()
    dash.register_page("wall", path="/wall", layout=wall_layout.layout, title="Pantau Surabaya — Wall")
    wall_callbacks.register()
    wall_callbacks.register_routes(server)
    dash.register_page("briefing", path="/briefing", layout=briefing_layout.layout, title="Pantau Surabaya — Briefing")
    briefing_callbacks.register()
    # dash.callback collects callbacks in a process-wide registry that the first app to serve a request
    # takes; bind them to this app now, so that every app built in one process gets its own.
    with server.app_context():
        app._setup_server()
    from callbacks import embed as embed_app  # the public embeds: a Dash app of its own at /embed/
    embed_app.create(server, settings)

    @server.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    return app


def __getattr__(name: str):
    # gunicorn 'app:server' gets a server built from the environment, only when asked for.
    if name == "server":
        return create_app().server
    raise AttributeError(name)


# --- the command line ------------------------------------------------------------------------------

def _cmd_serve(settings: Settings, args) -> int:
    from waitress import serve

    from data_sources.database import engine_for
    from data_sources.redis_checks import startup_warnings
    from data_sources.redis_connection import connect

    settings = settings.with_overrides(host=args.host or settings.host, port=args.port or settings.port)
    startup_warnings(connect(settings), engine_for(settings), embedded_redis=settings.redis_url is None)
    print(f"Pantau Surabaya at http://{settings.host}:{settings.port}/", flush=True)
    serve(create_app(settings).server, host=settings.host, port=settings.port, threads=8, ident="pantau")
    return 0


def _cmd_ingest(settings: Settings, args) -> int:
    from data_sources.database import engine_for, session_factory, upgrade
    from data_sources.ingest import Ingestor
    from data_sources.redis_checks import startup_warnings
    from data_sources.redis_connection import connect

    engine = engine_for(settings)
    upgrade(engine)
    client = connect(settings)
    startup_warnings(client, engine, embedded_redis=settings.redis_url is None)
    ingestor = Ingestor(settings, client, session_factory(engine))
    stop = threading.Event()
    try:
        ingestor.run(stop, until_idle=args.until_idle)
    except KeyboardInterrupt:
        stop.set()
    logging.getLogger("ingest").info("ingested %d stream entries", ingestor.processed_entries)
    return 0


def _cmd_simulate(settings: Settings, args) -> int:
    import datetime as dt

    from data_sources.redis_connection import connect
    from data_sources.simulator import Simulator, publish_events, run_live

    client = connect(settings)
    simulator = Simulator(seed=args.seed, invalid_share=args.invalid_share)
    now = dt.datetime.now(dt.timezone.utc)
    published = 0
    if args.backfill_days:
        published += len(publish_events(client, settings, simulator.backfill(args.backfill_days, now)))
    if args.count is not None and args.rate is None:
        published += len(publish_events(client, settings, simulator.generate(args.count, now)))
    elif args.rate is not None:
        stop = threading.Event()
        try:
            published += run_live(client, settings, simulator, args.rate, stop, count=args.count)
        except KeyboardInterrupt:
            stop.set()
    print(json.dumps({"published": published}))
    return 0


def _cmd_init_db(settings: Settings, args) -> int:
    from data_sources.database import engine_for, upgrade

    upgrade(engine_for(settings))
    print(f"schema is current on {settings.resolved_database_url}")
    return 0


def _cmd_schema(settings: Settings, args) -> int:
    from dashboard.events import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return 0


def _cmd_stats(settings: Settings, args) -> int:
    from data_sources.database import engine_for, upgrade
    from data_sources.health import collect_stats
    from data_sources.redis_connection import connect

    engine = engine_for(settings)
    upgrade(engine)
    stats = collect_stats(settings, engine, connect(settings))
    if args.json:
        print(json.dumps(stats, indent=2))
    else:
        for key in ("complaints", "incidents", "egov_readings", "dead_letters", "pending"):
            print(f"{key:>14}: {stats[key]}")
        for source, s in stats["streams"].items():
            print(f"{source:>14}: length {s['length']}, pending {s['pending']}, last read {s['last_entry_id']}")
    return 0


def _cmd_demo(settings: Settings, args) -> int:
    from data_sources.runtime import run_demo

    settings = settings.with_overrides(host=args.host or settings.host, port=args.port or settings.port)
    run_demo(settings, seed=args.seed, backfill_days=args.backfill_days, rate=args.rate)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="app.py", description="Pantau Surabaya")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (("serve", "run the web app"), ("demo", "everything in one process, embedded defaults")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--host")
        p.add_argument("--port", type=int)
        if name == "demo":
            p.add_argument("--seed", type=int, default=2026)
            p.add_argument("--backfill-days", type=float, default=14)
            p.add_argument("--rate", type=float, default=2.0, help="live events per second")
    p = sub.add_parser("ingest", help="read the streams into the database")
    p.add_argument("--until-idle", action="store_true", help="exit once every stream is drained and nothing is pending")
    p = sub.add_parser("simulate", help="publish simulated Surabaya traffic")
    p.add_argument("--count", type=int)
    p.add_argument("--rate", type=float, help="live events per second (runs until Ctrl-C or --count)")
    p.add_argument("--backfill-days", type=float, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--invalid-share", type=float, default=0.0, help="share of deliberately invalid events")
    sub.add_parser("init-db", help="create or upgrade the schema")
    sub.add_parser("schema", help="print the event JSON Schema")
    p = sub.add_parser("stats", help="stored counts and feed health")
    p.add_argument("--json", action="store_true")
    boundaries_cli.add_parser(sub)
    kpi_cli.add_parser(sub)
    users_cli.add_parser(sub)
    return parser


COMMANDS = {
    "serve": _cmd_serve, "ingest": _cmd_ingest, "simulate": _cmd_simulate, "init-db": _cmd_init_db,
    "schema": _cmd_schema, "stats": _cmd_stats, "demo": _cmd_demo, "boundaries": boundaries_cli.run,
    "kpi": kpi_cli.run, "users": users_cli.run,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return COMMANDS[args.command](settings, args)


if __name__ == "__main__":
    sys.exit(main())
