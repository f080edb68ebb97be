"""`python app.py alerts ...`: the alert evaluator and what an operator does with alerts.

    alerts run [--once]           the evaluator (one per deployment: a second one waits as a stand-by);
                                  --once evaluates a single time, delivers what is due and exits
    alerts list [--json]          firing alerts, active silences, deliveries not yet sent (with their error)
    alerts test CHANNEL           a test message now: `email` (every address of the ladder), an address, or webhook:NAME
    alerts silence (--rule R | --group OPD | --subject ID)... --hours H --reason TEXT [--by NAME]
    alerts unsilence ID           ends a silence now
    alerts ack ID [--by NAME]     acknowledges a firing alert: it is not repeated any more
    alerts history [--csv] [--limit N]   the record of alerts, deliveries, acknowledgements and silences

Exit 0: done; 1: a test message failed, or `run --once` left deliveries failing; 2: bad input.
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import json
import signal
import sys
import threading

from dashboard.alert_rules import RULES, AlertRulesError

HISTORY_FIELDS = (
    "at",
    "event",
    "rule",
    "subject",
    "stage",
    "group_key",
    "target",
    "actor",
    "detail",
    "alert_id",
    "delivery_id",
)


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("alerts", help="the alert evaluator; list, test, silence and acknowledge alerts")
    sub = p.add_subparsers(dest="alerts_command", required=True)
    run = sub.add_parser("run", help="evaluate the rules on every data version and deliver (one per deployment)")
    run.add_argument("--once", action="store_true", help="evaluate once, deliver what is due, exit")
    listing = sub.add_parser("list", help="firing alerts, silences and pending deliveries")
    listing.add_argument("--json", action="store_true")
    test = sub.add_parser("test", help="send a test message on a channel")
    test.add_argument("channel", help="email, an e-mail address, or webhook:NAME")
    silence = sub.add_parser("silence", help="stop sending what matches, for a time, with a reason")
    silence.add_argument("--rule", choices=RULES)
    silence.add_argument("--group", help="an OPD code, or 112, feed, city")
    silence.add_argument("--subject", help="a complaint or incident number")
    silence.add_argument("--hours", type=float, required=True)
    silence.add_argument("--reason", required=True)
    silence.add_argument("--by", default=None, help="who silences (default: the login name)")
    unsilence = sub.add_parser("unsilence", help="end a silence now")
    unsilence.add_argument("id", type=int)
    ack = sub.add_parser("ack", help="acknowledge a firing alert")
    ack.add_argument("id", type=int)
    ack.add_argument("--by", default=None)
    history = sub.add_parser("history", help="the alerts' record")
    history.add_argument("--csv", action="store_true")
    history.add_argument("--limit", type=int, default=1000)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _config(settings):
    from dashboard.alert_rules import config_from_settings

    return config_from_settings(settings)


def run(settings, args) -> int:
    from data_sources.alerts import store
    from data_sources.store.database import engine_for, upgrade

    try:
        config = _config(settings)
    except AlertRulesError as exc:
        print(f"alert rules: {exc}", file=sys.stderr)
        return 2
    engine = engine_for(settings)
    upgrade(engine)
    command = args.alerts_command
    actor = getattr(args, "by", None) or getpass.getuser()
    try:
        if command == "run":
            return _run(settings, engine, config, once=args.once)
        if command == "list":
            return _list(store.listing(engine, _now()), args.json)
        if command == "test":
            return _test(settings, engine, config, args.channel)
        if command == "silence":
            if args.hours <= 0 or args.hours > 24 * 30:
                print("--hours must be above 0 and at most 720", file=sys.stderr)
                return 2
            now = _now()
            silence_id = store.silence(
                engine,
                until=now + dt.timedelta(hours=args.hours),
                reason=args.reason,
                actor=actor,
                now=now,
                rule=args.rule,
                group=args.group,
                subject=args.subject,
            )
            print(f"silence {silence_id} until {(now + dt.timedelta(hours=args.hours)).isoformat()}")
            return 0
        if command == "unsilence":
            store.end_silence(engine, args.id, actor, _now())
            return 0
        if command == "ack":
            store.acknowledge(engine, args.id, actor, _now())
            return 0
        if command == "history":
            return _history(store.history(engine, args.limit), args.csv)
    except store.AlertActionError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 2


def _run(settings, engine, config, *, once: bool) -> int:
    from data_sources.alerts.evaluator import Evaluator
    from data_sources.stream.connection import connect

    evaluator = Evaluator(engine, connect(settings), settings, config)
    if once:
        summary = evaluator.tick(force=True)
        if summary is None:
            print("another evaluator holds the lock: nothing done", file=sys.stderr)
            return 1
        evaluator.lock.release()
        print(json.dumps(summary))
        from data_sources.alerts import store

        failing = [d for d in store.listing(engine, _now())["pending_deliveries"] if d["attempts"]]
        return 1 if failing else 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        evaluator.run(stop)
    except KeyboardInterrupt:
        stop.set()
    return 0


def _list(listing: dict, as_json: bool) -> int:
    if as_json:
        print(json.dumps(listing, default=str, indent=2, ensure_ascii=False))
        return 0
    for a in listing["firing"]:
        ack = f" (acknowledged by {a['acknowledged_by']})" if a["acknowledged_at"] else ""
        print(
            f"{a['id']:>6}  {a['rule']:<18} {a['stage']:<10} {a['group_key']:<10} {a['subject']}  since {a['started_at']}{ack}"
        )
    for s in listing["silences"]:
        what = " ".join(f"{k}={s[k]}" for k in ("rule", "group_key", "subject") if s[k])
        print(f"silence {s['id']}: {what} until {s['until']} by {s['created_by']}: {s['reason']}")
    for d in listing["pending_deliveries"]:
        print(f"delivery {d['id']} to {d['target']}: {d['attempts']} attempts, {d['last_error'] or 'not tried yet'}")
    if not any(listing.values()):
        print("no alerts firing")
    return 0


def _history(rows: list[dict], as_csv: bool) -> int:
    if as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=HISTORY_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "at": row["at"].isoformat()})
        return 0
    for row in rows:
        parts = [
            row[k] for k in ("event", "rule", "stage", "group_key", "subject", "target", "actor", "detail") if row[k]
        ]
        print(row["at"].isoformat(), *parts)
    return 0


def _test(settings, engine, config, channel: str) -> int:
    from sqlalchemy import insert

    from dashboard.i18n import t
    from data_sources.alerts.delivery import Deliverer
    from data_sources.store.alert_models import AlertLogEntry

    if channel == "email":
        targets = sorted({x for step in config.ladder.values() for x in step if not x.startswith("webhook:")})
    elif channel.startswith("webhook:"):
        if channel.removeprefix("webhook:") not in config.webhooks:
            print(f"no webhook {channel!r} in the configuration", file=sys.stderr)
            return 2
        targets = [channel]
    elif "@" in channel:
        targets = [channel]
    else:
        print("CHANNEL must be email, an e-mail address or webhook:NAME", file=sys.stderr)
        return 2
    if not targets:
        print("no e-mail address configured (PANTAU_ALERT_EMAIL_TO or the rules file's ladder)", file=sys.stderr)
        return 2
    lang, now = config.language, _now()
    kind = t("alert.kind.test", lang)
    message = {
        "kind": "test",
        "rule": "test",
        "stage": "test",
        "group": "city",
        "step": 0,
        "severity": "info",
        "subject": f"[Pantau] {kind}",
        "title": kind,
        "body": t("alert.test_body", lang, channel=channel),
        "link": f"{config.base_url}/briefing",
        "items": [],
        "at": now.isoformat(),
    }
    deliverer, failed = Deliverer(engine, settings, config), 0
    for target in targets:
        try:
            deliverer.send(target, message)
            outcome, detail = "delivered", "test"
        except Exception as exc:  # any failure is reported, with its reason
            failed += 1
            outcome, detail = "delivery_failed", f"test: {type(exc).__name__}: {exc}"[:500]
        with engine.begin() as conn:
            conn.execute(insert(AlertLogEntry).values(at=now, event=outcome, target=target, detail=detail))
        print(f"{target}: {'sent' if outcome == 'delivered' else detail}")
    return 1 if failed else 0
