"""The PPID figures of the KPI engine, on SQLite and PostgreSQL, against an independent computation.

The reference below is written apart from dashboard/ppid.py and data_sources/kpi/info_requests.py: it reads
the holiday table itself, keeps only the events that happened by `now`, derives each request from those alone,
and counts in Python. Requests are random and cross weekends, national holidays and cuti bersama (Nyepi and
Idul Fitri, Good Friday, Ascension, Idul Adha in 2026).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import delete

from dashboard.events import parse_event_with_fingerprint
from dashboard.filters import KpiFilter
from data_sources.kpi import info_requests
from data_sources.store.batch import Accepted
from data_sources.store.database import session_factory
from data_sources.store.models import (
    InfoRequest,
    InfoRequestStatusEvent,
    PersonalInfoRequester,
    PersonalInfoRequestNote,
    ProcessedEvent,
)
from data_sources.store.writer import apply_batch

WIB = dt.timezone(dt.timedelta(hours=7))
START = dt.datetime(2026, 3, 2, tzinfo=WIB)
OPDS = ("DINKES", "DISKOMINFO", "BAPPEDALITBANG")
STATUS_KINDS = (
    "acknowledged",
    "extended",
    "extended",
    "granted",
    "partially_granted",
    "rejected",
    "not_held",
    "objection_filed",
    "objection_answered",
    "dispute_filed",
)
ANSWERS = {"granted", "partially_granted", "rejected", "not_held"}

with open(Path(__file__).resolve().parents[2] / "dashboard" / "holidays_id.csv", encoding="utf-8") as fh:
    DAYS_OFF = {dt.date.fromisoformat(r["date"]) for r in csv.DictReader(fh) if r["kind"] != "working_day"}


def working(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in DAYS_OFF


def nth_after(day: dt.date, n: int) -> dt.date:
    while n:
        day += dt.timedelta(days=1)
        n -= working(day)
    return day


def wib_day(t: dt.datetime) -> dt.date:
    return t.astimezone(WIB).date()


def blank() -> dict:
    counts = ("n", "answered", "within", "overdue", "open", "extended", "objections", "obj_answered", "obj_within")
    return dict.fromkeys((*counts, "obj_overdue", "disputes"), 0) | {
        "kinds": dict.fromkeys(ANSWERS, 0),
        "exemptions": {},
        "days": [],
    }


def reference(requests, now: dt.datetime, date_from: dt.date, date_to: dt.date) -> dict[str, dict]:
    """{opd or 'ALL': figures}, computed from the raw requests and their events as of `now`."""
    out: dict[str, dict] = {}
    for r in requests:
        received = r["received"]
        if not (date_from <= wib_day(received) < date_to) or received > now:
            continue
        # ties in time are broken by arrival order (the order in which the events were stored)
        seen = sorted(((t, i, kind, ex) for i, (t, kind, ex) in enumerate(r["events"]) if t <= now))
        first_answer = next((e for e in seen if e[2] in ANSWERS), None)
        before_answer = [e for e in seen if first_answer is None or e < first_answer]
        due_day = nth_after(wib_day(received), 10)
        extension = next((e for e in before_answer if e[2] == "extended"), None)
        extended = extension is not None and wib_day(extension[0]) <= due_day
        if extended:
            due_day = nth_after(due_day, 7)
        objection = next((e for e in seen if e[2] == "objection_filed"), None)
        objection_answer = objection and next((e for e in seen if e[2] == "objection_answered" and e > objection), None)
        for key in (r["opd"], "ALL"):
            f = out.setdefault(key, blank())
            f["n"] += 1
            f["extended"] += extended
            f["disputes"] += any(e[2] == "dispute_filed" for e in seen)
            if first_answer:
                f["answered"] += 1
                f["within"] += wib_day(first_answer[0]) <= due_day
                f["kinds"][first_answer[2]] += 1
                if first_answer[2] == "rejected":
                    f["exemptions"][first_answer[3]] = f["exemptions"].get(first_answer[3], 0) + 1
                d, n = wib_day(received), 0
                while d < wib_day(first_answer[0]):
                    d += dt.timedelta(days=1)
                    n += working(d)
                f["days"].append(n)
            else:
                f["open"] += 1
                f["overdue"] += wib_day(now) > due_day
            if objection:
                f["objections"] += 1
                objection_due = nth_after(wib_day(objection[0]), 30)
                if objection_answer:
                    f["obj_answered"] += 1
                    f["obj_within"] += wib_day(objection_answer[0]) <= objection_due
                else:
                    f["obj_overdue"] += wib_day(now) > objection_due
    return out


def pct(a, b):
    return round(100.0 * a / b, 2) if b else None


def as_engine_figures(f: dict) -> dict:
    q = (lambda p: round(float(np.percentile(f["days"], p)), 2)) if f["days"] else (lambda p: None)
    return {
        "received": f["n"],
        "answered": f["answered"],
        "answered_within_deadline": f["within"],
        "unanswered_past_deadline": f["overdue"],
        "measured": f["answered"] + f["overdue"],
        "answered_within_deadline_pct": pct(f["within"], f["answered"] + f["overdue"]),
        "open": f["open"],
        "extended": f["extended"],
        **f["kinds"],
        "rejected_by_exemption": dict(sorted(f["exemptions"].items())),
        "objections": f["objections"],
        "objections_answered": f["obj_answered"],
        "objections_answered_within_deadline": f["obj_within"],
        "objections_past_deadline": f["obj_overdue"],
        "objections_answered_within_deadline_pct": pct(f["obj_within"], f["obj_answered"] + f["obj_overdue"]),
        "disputes": f["disputes"],
        "working_days_to_answer_p50": q(50),
        "working_days_to_answer_p90": q(90),
    }


# Times of day near the edges of a WIB day (00:00, before 07:00 WIB = the day before in UTC, 23:59) are
# where a clock that counts from the UTC day or ends the deadline at the wrong second goes wrong.
time_of_day = st.one_of(
    st.sampled_from((0, 1, 6 * 60 + 59, 7 * 60, 16 * 60 + 59, 23 * 60 + 59)), st.integers(0, 24 * 60 - 1)
)
minutes = st.builds(lambda day, minute: day * 24 * 60 + minute, st.integers(0, 120), time_of_day)
status_event = st.tuples(
    st.builds(lambda day, minute: day * 24 * 60 + minute, st.integers(0, 30), time_of_day),  # after receipt
    st.sampled_from(STATUS_KINDS),
    st.sampled_from(("pasal_17_a", "pasal_17_b", "pasal_17_j")),
)
one_request = st.tuples(minutes, st.sampled_from(OPDS), st.lists(status_event, max_size=6))


def events_of(generated) -> tuple[list[dict], list[dict]]:
    requests, events = [], []
    for n, (offset, opd, statuses) in enumerate(generated):
        received = START + dt.timedelta(minutes=offset)
        rid = f"PPID-{n}"
        events.append(
            {
                "event_id": f"{rid}-c",
                "type": "info_request.created",
                "occurred_at": received.isoformat(),
                "schema": 1,
                "data": {"request_id": rid, "opd": opd, "channel": "web"},
            }
        )
        stamped = []
        for k, (after, kind, exemption) in enumerate(statuses):
            # a day count after the WIB day of receipt, at a time of day
            t = START + dt.timedelta(minutes=(offset // 1440) * 1440 + after)
            data = {"request_id": rid, "status": kind}
            if kind == "rejected":
                data["exemption"] = exemption
            if kind == "extended":
                data["reason"] = "dokumen di arsip"
            events.append(
                {
                    "event_id": f"{rid}-s{k}",
                    "type": "info_request.status",
                    "occurred_at": t.isoformat(),
                    "schema": 1,
                    "data": data,
                }
            )
            stamped.append((t.astimezone(dt.UTC), kind, exemption if kind == "rejected" else None))
        requests.append({"opd": opd, "received": received.astimezone(dt.UTC), "events": stamped})
    return requests, events


@pytest.fixture
def sessions(engine):
    return session_factory(engine)


def _clear(engine):
    with engine.begin() as c:
        for model in (
            PersonalInfoRequestNote,
            PersonalInfoRequester,
            InfoRequestStatusEvent,
            InfoRequest,
            ProcessedEvent,
        ):
            c.execute(delete(model))


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    generated=st.lists(one_request, min_size=1, max_size=25),
    now_offset=minutes,
    period=st.tuples(st.integers(0, 60), st.integers(1, 120)),
    status_first=st.booleans(),
)
def test_figures_equal_an_independent_computation(engine, sessions, generated, now_offset, period, status_first):
    _clear(engine)
    requests, events = events_of(generated)
    if status_first:  # status events before their requests: kept, then reconciled
        events.sort(key=lambda e: e["type"] == "info_request.created")
    with sessions.begin() as session:
        half = len(events) // 2
        for part in (events[:half], events[half:]):
            accepted = []
            for i, e in enumerate(part):
                parsed, fingerprint = parse_event_with_fingerprint(json.dumps(e), stream="info")
                accepted.append(Accepted("info", f"{i}-0", parsed, fingerprint))
            apply_batch(session, accepted, [])
    now = (START + dt.timedelta(minutes=now_offset)).astimezone(dt.UTC)
    date_from = START.date() + dt.timedelta(days=period[0])
    date_to = date_from + dt.timedelta(days=period[1])
    with engine.connect() as conn:
        city, per_opd = info_requests.figures_by_opd(conn, KpiFilter(date_from, date_to), now)
    expected = reference(requests, now, date_from, date_to)
    assert city == as_engine_figures(expected.get("ALL", blank()))
    assert per_opd == {opd: as_engine_figures(f) for opd, f in expected.items() if opd != "ALL"}


def test_kpi_cli_has_an_info_requests_object(engine, sessions, settings, capsys):
    import argparse

    from cli import kpi as kpi_cli

    _clear(engine)
    # received Monday 16 March 2026: due 7 April; extended on 31 March: due 16 April (status days count from 2 March)
    generated = [
        (14 * 1440 + 9 * 60, "DINKES", [(15 * 1440 + 8 * 60, "extended", "pasal_17_a"), (26 * 1440, "granted", "")]),
        (14 * 1440 + 9 * 60, "DINKES", [(15 * 1440, "rejected", "pasal_17_b"), (16 * 1440, "objection_filed", "")]),
        (14 * 1440 + 9 * 60, "DISKOMINFO", [(27 * 1440, "partially_granted", "")]),  # 12 April: late
        (14 * 1440 + 9 * 60, "DISKOMINFO", []),  # never answered: past its deadline
        (14 * 1440 + 9 * 60, "DISKOMINFO", [(2 * 1440, "not_held", "")]),
    ]
    requests, events = events_of(generated)
    with sessions.begin() as session:
        accepted = [
            Accepted("info", f"{i}-0", *parse_event_with_fingerprint(json.dumps(e), stream="info"))
            for i, e in enumerate(events)
        ]
        apply_batch(session, accepted, [])
    parser = argparse.ArgumentParser()
    kpi_cli.add_parser(parser.add_subparsers(dest="command"))
    now = "2026-04-30T12:00:00+07:00"
    args = parser.parse_args(["kpi", "--json", "--from", "2026-03-01", "--to", "2026-04-01", "--now", now])
    assert kpi_cli.run(settings, args) == 0
    info = json.loads(capsys.readouterr().out)["info_requests"]
    assert {k: info[k] for k in ("received", "answered", "extended", "granted", "partially_granted")} == {
        "received": 5,
        "answered": 4,
        "extended": 1,
        "granted": 1,
        "partially_granted": 1,
    }
    assert (info["rejected"], info["not_held"], info["objections"]) == (1, 1, 1)
    assert info["rejected_by_exemption"] == {"pasal_17_b": 1}
    # within: the extended grant (11 April <= 16 April), the refusal, not_held; late: 12 April and the unanswered
    assert info["answered_within_deadline_pct"] == 60.0
    expected = reference(requests, dt.datetime.fromisoformat(now), dt.date(2026, 3, 1), dt.date(2026, 4, 1))
    assert info == as_engine_figures(expected["ALL"])
