"""Commands on the stored data: the schema, the event contract, the stored counts."""

from __future__ import annotations

import json

from dashboard.settings import Settings


def init_db(settings: Settings, args) -> int:
    from data_sources.store.database import engine_for, upgrade

    upgrade(engine_for(settings))
    print(f"schema is current on {settings.resolved_database_url}")
    return 0


def schema(settings: Settings, args) -> int:
    from dashboard.events import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return 0


def stats(settings: Settings, args) -> int:
    from data_sources.store.database import engine_for, upgrade
    from data_sources.stream.connection import connect
    from data_sources.stream.health import collect_stats

    engine = engine_for(settings)
    upgrade(engine)
    stats = collect_stats(settings, engine, connect(settings))
    if args.json:
        print(json.dumps(stats, indent=2))
    else:
        for key in ("complaints", "incidents", "info_requests", "egov_readings", "dead_letters", "pending"):
            print(f"{key:>14}: {stats[key]}")
        for source, s in stats["streams"].items():
            print(f"{source:>14}: length {s['length']}, pending {s['pending']}, last read {s['last_entry_id']}")
    return 0
