"""The long-running commands: the web server, the ingestor, the simulator, and the demo (all in one)."""

from __future__ import annotations

import json
import logging
import threading

from dashboard.settings import Settings


def serve(settings: Settings, args) -> int:
    from waitress import serve

    from data_sources.store.database import engine_for
    from data_sources.stream.checks import startup_warnings
    from data_sources.stream.connection import connect
    from web import proxy, wall_push
    from web.factory import create_app

    settings = settings.with_overrides(host=args.host or settings.host, port=args.port or settings.port)
    startup_warnings(connect(settings), engine_for(settings), embedded_redis=settings.redis_url is None)
    print(f"Pantau Surabaya at http://{settings.host}:{settings.port}/", flush=True)
    # which forwarded headers to believe is decided in the app, by the same rule as under gunicorn
    serve(
        create_app(settings).server,
        host=settings.host,
        port=settings.port,
        threads=wall_push.WAITRESS_THREADS,  # pages' threads and the walls' push slots
        ident="pantau",
        **proxy.WAITRESS_OPTIONS,
    )
    return 0


def ingest(settings: Settings, args) -> int:
    from data_sources.store.database import engine_for, session_factory, upgrade
    from data_sources.stream.checks import startup_warnings
    from data_sources.stream.connection import connect
    from data_sources.stream.ingest import Ingestor

    engine = engine_for(settings)
    upgrade(engine)
    client = connect(settings)
    startup_warnings(client, engine, embedded_redis=settings.redis_url is None)
    ingestor = Ingestor(settings, client, session_factory(engine))
    if settings.ingest_metrics_port:
        from data_sources.stream.metrics_server import start_metrics_server

        start_metrics_server(settings, client)
    stop = threading.Event()
    try:
        ingestor.run(stop, until_idle=args.until_idle)
    except KeyboardInterrupt:
        stop.set()
    logging.getLogger("ingest").info("ingested %d stream entries", ingestor.processed_entries)
    return 0


def simulate(settings: Settings, args) -> int:
    import datetime as dt

    from data_sources.simulator.publish import publish_events, run_live
    from data_sources.simulator.traffic import Simulator
    from data_sources.stream.connection import connect

    client = connect(settings)
    simulator = Simulator(seed=args.seed, invalid_share=args.invalid_share)
    now = dt.datetime.now(dt.UTC)
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


def demo(settings: Settings, args) -> int:
    from cli.demo import run_demo

    settings = settings.with_overrides(host=args.host or settings.host, port=args.port or settings.port)
    run_demo(settings, seed=args.seed, backfill_days=args.backfill_days, rate=args.rate)
    return 0
