"""The command line of app.py: one module per group of commands, parsed and dispatched here.

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
python app.py producers add NAME --types 'complaint.*' --source mc   (and list, revoke, rotate)
python app.py deadletters purge [--before DATE | --all]   delete dead letters (raw refused events)
python app.py audit [--user --from --to] [--json]        who read whose personal data
python app.py alerts run [--once]   the alert evaluator (and list, test, silence, unsilence, ack, history)
"""

from __future__ import annotations

import argparse
import logging
import sys

from cli import alerts as alerts_cli
from cli import audit as audit_cli
from cli import boundaries as boundaries_cli
from cli import data, run
from cli import deadletters as deadletters_cli
from cli import kpi as kpi_cli
from cli import producers as producers_cli
from cli import users as users_cli
from dashboard.settings import SettingsError, load_settings


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
    producers_cli.add_parser(sub)
    deadletters_cli.add_parser(sub)
    audit_cli.add_parser(sub)
    alerts_cli.add_parser(sub)
    return parser


COMMANDS = {
    "serve": run.serve,
    "ingest": run.ingest,
    "simulate": run.simulate,
    "init-db": data.init_db,
    "schema": data.schema,
    "stats": data.stats,
    "demo": run.demo,
    "boundaries": boundaries_cli.run,
    "kpi": kpi_cli.run,
    "users": users_cli.run,
    "producers": producers_cli.run,
    "deadletters": deadletters_cli.run,
    "audit": audit_cli.run,
    "alerts": alerts_cli.run,
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
