"""`python app.py kpi --json [--from D] [--to D] [--now T] [filters]`: the headline figures.

The JSON object is nested: the dotted names of the figures (complaints.received,
complaints.responded_within_sla_pct, incidents.response_p50_min, ...) are paths into it, and
complaints_by_kecamatan maps a Kemendagri code (or `unknown`) to a count. --from and --to are WIB dates;
--to is exclusive. --now fixes the clock (ISO 8601; a time without offset is read as WIB).
"""

from __future__ import annotations

import json
import sys

from dashboard.filters import FilterError, make_filter, parse_now


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("kpi", help="headline KPI figures of a period")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--from", dest="date_from", help="first day, YYYY-MM-DD (WIB)")
    p.add_argument("--to", dest="date_to", help="day after the last, YYYY-MM-DD (WIB, exclusive)")
    p.add_argument("--now", help="fix the clock, ISO 8601")
    for name in ("opd", "kecamatan", "channel", "category", "incident-category"):
        p.add_argument(f"--{name}", action="append", help="repeat or separate with commas")


def _joined(values):
    return ",".join(values) if values else None


def run(settings, args) -> int:
    from data_sources.kpi.headline import headline
    from data_sources.store.database import engine_for, upgrade

    try:
        f = make_filter(
            date_from=args.date_from,
            date_to=args.date_to,
            opd=_joined(args.opd),
            kecamatan=_joined(args.kecamatan),
            channel=_joined(args.channel),
            category=_joined(args.category),
            incident_category=_joined(args.incident_category),
        )
        now = parse_now(args.now)
    except FilterError as exc:
        print(f"kpi: {exc}", file=sys.stderr)
        return 2
    engine = engine_for(settings)
    upgrade(engine)
    with engine.connect() as conn:
        figures = headline(conn, f, now, settings=settings)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        for section in ("complaints", "incidents", "info_requests"):
            for key, value in figures[section].items():
                if not isinstance(value, dict):
                    print(f"{section}.{key}: {value}")
    return 0
