"""`python app.py audit [--user NAME] [--from WHEN] [--to WHEN] [--json]`: who read whose personal data.

Lists the audit log (data_sources/store/audit.py) in time order: time (WIB), account, role, action, and what
was read (a complaint id, or the list's filter and how many complaints it returned). --from is inclusive,
--to exclusive; each is a WIB day (YYYY-MM-DD, its start) or an ISO time with offset. For admins on the
server: the log names officers' accounts, so it is not shown on the web. Exit 2: bad arguments.
"""

from __future__ import annotations

import json

from cli.times import wib_instant


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("audit", help="the audit log of personal-data reads")
    p.add_argument("--user", help="only this account")
    p.add_argument("--from", dest="start", type=wib_instant, help="from this WIB day (YYYY-MM-DD) or ISO time")
    p.add_argument("--to", dest="end", type=wib_instant, help="before this WIB day (YYYY-MM-DD) or ISO time")
    p.add_argument("--json", action="store_true", help="one JSON array")


def run(settings, args) -> int:
    from dashboard.i18n import to_wib
    from data_sources.store import audit
    from data_sources.store.database import engine_for, upgrade

    engine = engine_for(settings)
    upgrade(engine)
    rows = audit.entries(engine, user=args.user, start=args.start, end=args.end)
    engine.dispose()
    out = [
        {
            "at": to_wib(r["at"]).isoformat(timespec="seconds"),
            "user": r["user_name"],
            "role": r["role"],
            "action": r["action"],
            "complaint_id": r["complaint_id"],
            "filter": r["filter"],
            "rows": r["rows"],
        }
        for r in rows
    ]
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    for r in out:
        what = f"complaint {r['complaint_id']}" if r["complaint_id"] else (r["filter"] or "")
        count = "" if r["rows"] is None else f" ({r['rows']} complaints)"
        print(f"{r['at']}  {r['user']:<20} {r['role']:<8} {r['action']:<18} {what}{count}")
    if not out:
        print("no entries")
    return 0
