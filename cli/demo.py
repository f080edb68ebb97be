"""Running the parts together: the ingestor as a thread, and the all-in-one demo."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import threading
import time

from cli.stop_signals import StopSignals
from dashboard.settings import Settings
from data_sources.store.database import engine_for, session_factory, upgrade
from data_sources.stream.checks import startup_warnings
from data_sources.stream.connection import connect, describe, stop_embedded
from data_sources.stream.ingest import Ingestor

log = logging.getLogger(__name__)


def start_ingestor_thread(settings: Settings, stop: threading.Event, engine=None) -> threading.Thread:
    engine = engine or engine_for(settings)
    ingestor = Ingestor(settings, connect(settings), session_factory(engine))
    thread = threading.Thread(target=ingestor.run, args=(stop,), name="ingestor", daemon=True)
    thread.start()
    return thread


def start_simulator_thread(
    settings: Settings,
    stop: threading.Event,
    *,
    seed: int,
    backfill_days: float,
    rate: float | None,
    invalid_share: float = 0.0,
) -> threading.Thread:
    from data_sources.simulator.publish import publish_events, run_live
    from data_sources.simulator.traffic import Simulator

    def work() -> None:
        client = connect(settings)
        simulator = Simulator(seed=seed, invalid_share=invalid_share)
        if backfill_days > 0:
            started = time.monotonic()
            history = simulator.backfill(backfill_days, dt.datetime.now(dt.UTC))
            publish_events(client, settings, history)
            log.info(
                "simulator: published %d events of %.1f days of history in %.1f s",
                len(history),
                backfill_days,
                time.monotonic() - started,
            )
        run_live(client, settings, simulator, rate, stop)

    thread = threading.Thread(target=work, name="simulator", daemon=True)
    thread.start()
    return thread


# DEMO ONLY, never a deployment's setting: every complaint's SLA this many seconds (instead of 1x24 hours),
# and the escalation to the Sekda's office as many seconds after its breach, so that the alerts of every
# ladder step can be watched arriving within minutes. Complaints whose event names its own hours keep them.
DEMO_ALERT_SLA_ENV = "PANTAU_DEMO_ALERT_SLA_SECONDS"


def demo_alert_sla_seconds() -> float | None:
    value = os.environ.get(DEMO_ALERT_SLA_ENV, "").strip()
    if not value:
        return None
    seconds = float(value)
    if not 4 <= seconds <= 86_400:
        raise ValueError(f"{DEMO_ALERT_SLA_ENV} must be 4 to 86400 seconds, got {value}")
    return seconds


def with_demo_alert_sla(settings: Settings, seconds: float) -> Settings:
    """The demo's settings with its short SLA (model_copy: below the real setting's floor of 0.1 hour)."""
    return settings.model_copy(update={"sla_default_hours": seconds / 3600})


def start_alerts_thread(
    settings: Settings, stop: threading.Event, engine, *, demo_sla_s: float | None = None
) -> threading.Thread:
    """The alert evaluator, as `app.py alerts run` runs it (its lock makes it the deployment's one)."""
    from dashboard.alert_rules import config_from_settings
    from data_sources.alerts.evaluator import Evaluator

    config = config_from_settings(settings)
    if demo_sla_s is not None:
        config = dataclasses.replace(config, escalate_after_hours=demo_sla_s / 3600)
    evaluator = Evaluator(engine, connect(settings), settings, config)
    thread = threading.Thread(target=evaluator.run, args=(stop,), name="alerts", daemon=True)
    thread.start()
    return thread


def run_demo(settings: Settings, *, seed: int, backfill_days: float, rate: float) -> None:
    """Embedded Redis, SQLite, ingestor, simulator and the web server in one process; Ctrl-C stops all.

    SIGTERM (`kill`, service managers), SIGHUP (a closed terminal) and Ctrl-C stop it the same way, also
    while it is still starting: every thread joined and the embedded Redis server shut down, since it
    runs as a process of its own that would otherwise outlive the demo."""
    from waitress import create_server

    from cli.users import demo_login
    from web import proxy, wall_push
    from web.factory import create_app

    stop_signals = StopSignals()
    stop_signals.install()
    demo_sla_s = demo_alert_sla_seconds()
    if demo_sla_s is not None:
        settings = with_demo_alert_sla(settings, demo_sla_s)
    stop = threading.Event()
    threads: list[threading.Thread] = []
    engine = web = None
    try:
        engine = engine_for(settings)
        upgrade(engine)
        login_line = demo_login(settings, engine)
        # starts the embedded Redis before the threads race to do it, and says what is misconfigured
        startup_warnings(connect(settings), engine, embedded_redis=settings.redis_url is None)
        threads.append(start_ingestor_thread(settings, stop, engine))
        threads.append(
            start_simulator_thread(
                settings, stop, seed=seed, backfill_days=backfill_days, rate=rate, invalid_share=0.002
            )
        )
        threads.append(start_alerts_thread(settings, stop, engine, demo_sla_s=demo_sla_s))
        web = create_server(
            create_app(settings, engine=engine).server,
            host=settings.host,
            port=settings.port,
            threads=wall_push.WAITRESS_THREADS,  # pages' threads and the walls' push slots
            ident="pantau",
            **proxy.WAITRESS_OPTIONS,
        )
        url = f"http://{settings.host}:{settings.port}/"
        print(
            f"\nPantau Surabaya demo is running: open {url}\n  {login_line}\n"
            f"  Redis: {describe(settings)}\n  Database: {settings.resolved_database_url}\n"
            + (
                f"  {DEMO_ALERT_SLA_ENV}={demo_sla_s:g}: DEMO ONLY, complaints' SLA {demo_sla_s:g} s (not 1x24 h)\n"
                if demo_sla_s is not None
                else ""
            )
            + "  Ctrl-C stops everything.\n",
            flush=True,
        )
        web.run()
    except KeyboardInterrupt:
        pass
    finally:
        stop_signals.cleanup_begins()
        print("stopping...", flush=True)
        stop.set()
        if web is not None:
            web.close()
        for thread in threads:
            thread.join(timeout=10)
        if engine is not None:
            engine.dispose()
        stop_embedded()
