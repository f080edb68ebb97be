"""`python app.py producers ...`: the systems that may publish through the event API (/api/v1/events) and
Open311 (/open311/v2), each with its own API key.

    producers add NAME --types 'complaint.*,incident.*' --source mc [--open311] [--json]
    producers list [--json]
    producers revoke NAME               the key stops working at its next request
    producers rotate NAME [--json]      a new key; the old one stops working at once

`add` and `rotate` print the key once (with --json, an object whose `key` holds it); only its SHA-256 is
stored, so a lost key is replaced with `rotate`, never read back. Exit 0: done; 2: bad input (a name,
type or source the rules refuse, a producer that does not exist or exists already).
"""

from __future__ import annotations

import json
import sys

from dashboard.producers import ProducerError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("producers", help="systems that publish through the event API, and their keys")
    sub = p.add_subparsers(dest="producers_command", required=True)
    add = sub.add_parser("add", help="register a producer and print its API key (once)")
    add.add_argument("name")
    add.add_argument("--types", required=True, help="event types it may publish, e.g. 'complaint.*,incident.reported'")
    add.add_argument("--source", required=True, help="the `source` its events carry, e.g. media-center")
    add.add_argument("--open311", action="store_true", help="may also post Open311 service requests")
    add.add_argument("--json", action="store_true")
    listing = sub.add_parser("list", help="list the producers (never their keys)")
    listing.add_argument("--json", action="store_true")
    revoke = sub.add_parser("revoke", help="revoke a producer's key (at once)")
    revoke.add_argument("name")
    rotate = sub.add_parser("rotate", help="give a producer a new key; the old one stops working")
    rotate.add_argument("name")
    rotate.add_argument("--json", action="store_true")


def _print_key(info, key: str, as_json: bool, verb: str) -> None:
    if as_json:
        print(json.dumps({**info.as_json(), "key": key}, indent=2))
        return
    print(
        f"{verb} {info.name}: types {','.join(info.types)}, source {info.source}"
        + (", Open311" if info.open311 else "")
    )
    print(f"API key (shown once, store it now): {key}")


def run(settings, args) -> int:
    from data_sources.store import producers
    from data_sources.store.database import engine_for, upgrade

    engine = engine_for(settings)
    command = args.producers_command
    try:
        upgrade(engine)
        if command == "add":
            info, key = producers.add_producer(engine, args.name, args.types, args.source, args.open311)
            _print_key(info, key, args.json, "added")
        elif command == "list":
            rows = producers.list_producers(engine)
            if args.json:
                print(json.dumps([row.as_json() for row in rows], indent=2))
            for row in rows if not args.json else ():
                state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M} UTC" if row.revoked_at else "active"
                print(f"{row.name:<24} {row.key_hint}…  {','.join(row.types):<32} {row.source:<16} {state}")
            if not rows and not args.json:
                print("no producers yet: add one with `app.py producers add NAME --types 'complaint.*' --source NAME`")
        elif command == "revoke":
            info = producers.revoke_producer(engine, args.name)
            print(f"revoked {info.name}: its key no longer opens anything")
        elif command == "rotate":
            info, key = producers.rotate_key(engine, args.name)
            _print_key(info, key, args.json, "new key for")
    except ProducerError as exc:
        print(f"producers {command}: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 0
