"""The briefing's panels from the column copy (data_sources.kpi.columns) equal the SQL path's, number for
number, on randomised data on both databases; and the copy follows what the ingestor stores."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from dashboard.filters import WIB, KpiFilter
from data_sources.kpi import columns
from data_sources.kpi.columns import ColumnStore
from data_sources.stream.producer import publish
from data_sources.views import briefing as panels
from tests.conftest import make_event
from tests.support.kpi_data import NOW, complaint, incident, load

pytestmark = pytest.mark.integration

CHANNELS = ("whatsapp", "telepon", "sms", "email")
CATEGORIES = ("jalan_rusak", "banjir", "sampah", "pju_mati")
OPDS = ("DSDABM", "DLH", "DPRKPP", None)
KECAMATAN = ("35.78.01", "35.78.02", "35.78.03", None)
PANELS = ("headline", "previous", "league", "trend")


def _random_rows(seed: int, n: int = 900) -> tuple[list[dict], list[dict]]:
    """Complaints and incidents over the 150 days before NOW, and some after it (a replay's future): every
    NULL, negative durations (clock skew), answers after `now`, reopened and rejected ones, odd SLA spans."""
    rng = random.Random(seed)
    complaints = []
    for i in range(n):
        created = NOW - dt.timedelta(hours=rng.uniform(-30, 24 * 150), microseconds=rng.randrange(1_000_000))
        answered = rng.random() < 0.8
        row = complaint(
            f"C-{seed}-{i}",
            created,
            first_response_h=rng.choice([rng.uniform(-2, 80), rng.uniform(0, 30), 24.0]) if answered else None,
            resolved_h=rng.uniform(-1, 400) if answered and rng.random() < 0.6 else None,
            sla_hours=rng.choice([24.0, 24.0, 72.0, 0.5, 240.0]),
            channel=rng.choice(CHANNELS),
            reply_channel=rng.choice((None, *CHANNELS)),
            category=rng.choice(CATEGORIES),
            opd=rng.choice(OPDS),
            kecamatan=rng.choice(KECAMATAN),
            status=rng.choice((None, None, "rejected", "in_progress")),
            reopened=rng.choice((0, 0, 0, 1, 2)),
        )
        complaints.append(row)
    incidents = []
    for i in range(n // 2):
        reported = NOW - dt.timedelta(minutes=rng.uniform(-60, 60 * 24 * 150), microseconds=rng.randrange(1_000_000))
        incidents.append(
            incident(
                f"I-{seed}-{i}",
                reported,
                response_min=rng.choice((None, rng.uniform(-3, 40), 7.4)),
                answer_s=rng.choice((None, rng.uniform(-5, 40), 15.0, 20.0)),
                dispatch_min=rng.choice((None, rng.uniform(-1, 10))),
                scene_min=rng.choice((None, rng.uniform(-2, 90))),
                category=rng.choice(("fire", "flood", "accident", "medical")),
                kecamatan=rng.choice(KECAMATAN),
                active=rng.random() < 0.1,
            )
        )
    return complaints, incidents


def _filters() -> list[KpiFilter]:
    today = NOW.date()

    def last(days, **values):
        return KpiFilter(date_from=today - dt.timedelta(days=days - 1), date_to=today + dt.timedelta(days=1), **values)

    return [
        last(1),
        last(7),
        last(30),
        last(120),  # weekly trend
        KpiFilter(date_from=today - dt.timedelta(days=60), date_to=today - dt.timedelta(days=20)),  # closed
        last(120, opd=("DSDABM", "DLH")),
        last(30, kecamatan=("35.78.01", "unknown")),
        last(120, channel=("whatsapp", "sms"), category=("banjir", "sampah", "jalan_rusak")),
        last(60, kecamatan=("unknown",), incident_category=("fire", "flood")),
        last(30, opd=("NOPE",)),  # selects nothing
    ]


def _compute(engine, f: KpiFilter, now: dt.datetime, settings) -> dict:
    with engine.connect() as conn:
        return {name: getattr(panels, f"{name}_panel")(conn, f, now, settings) for name in PANELS}


def _same(sql, cols, path=""):
    """Equal, except the 112 mean (SQL sums floats, the copy whole milliseconds): within its last digit."""
    if isinstance(sql, dict):
        assert sql.keys() == cols.keys(), path
        for k in sql:
            _same(sql[k], cols[k], f"{path}.{k}")
    elif isinstance(sql, list):
        assert len(sql) == len(cols), path
        for i, (a, b) in enumerate(zip(sql, cols)):
            _same(a, b, f"{path}[{i}]")
    elif path.endswith("mean_min") and sql is not None and cols is not None:
        assert abs(sql - cols) <= 1e-4, path
    else:
        assert sql == cols, path


def test_every_panel_equals_the_sql_path(engine, settings):
    load(engine, *_random_rows(19))
    store = ColumnStore.load(engine)
    assert store.complaints.n == 900 and store.incidents.n == 450
    sql, cols = settings.with_overrides(kpi_columns=False), settings.with_overrides(kpi_columns=True)
    columns.install(engine, store)
    used = 0
    try:
        for now in (NOW, NOW - dt.timedelta(days=3, hours=5, microseconds=17)):  # a replay's `now` too
            for f in _filters():
                expected = _compute(engine, f, now, sql)
                found = _compute(engine, f, now, cols)
                _same(expected, found, f.key())
                used += 1
        # the data is not trivial: the figures compared hold every kind of value
        text = json.dumps(_compute(engine, _filters()[3], NOW, sql))
        assert '"overdue_unanswered": 0' not in text and '"rejected_pct": null' not in text
    finally:
        columns.forget(engine)
    assert used == 20


def test_the_copy_is_used_and_differs_when_stale(engine, settings):
    """The comparison above can fail: rows written behind the copy's back change the SQL answer, not the
    copy's, until it is loaded again."""
    complaints, incidents = _random_rows(7, 200)
    load(engine, complaints[:100], incidents)
    store = ColumnStore.load(engine)
    load(engine, complaints[100:])  # forgets the copy: install it again, stale
    columns.install(engine, store)
    f = _filters()[3]
    try:
        with engine.connect() as conn:
            stale = panels.headline_panel(conn, f, NOW, settings.with_overrides(kpi_columns=True))
            true = panels.headline_panel(conn, f, NOW, settings.with_overrides(kpi_columns=False))
    finally:
        columns.forget(engine)
    assert stale["complaints"]["received"] < true["complaints"]["received"]


def _publish(redis_client, settings, events: list[dict]) -> None:
    for e in events:
        publish(redis_client, settings, e)


def _created(cid: str, at: dt.datetime, **data) -> dict:
    body = {"complaint_id": cid, "channel": "whatsapp", "category": "banjir", "opd": "DSDABM", "kecamatan": "35.78.01"}
    return make_event(f"{cid}-c", "complaint.created", {**body, **data}, at.isoformat())


def _status(cid: str, n: int, status: str, at: dt.datetime, **data) -> dict:
    return make_event(
        f"{cid}-s{n}", "complaint.status", {"complaint_id": cid, "status": status, **data}, at.isoformat()
    )


def test_the_copy_follows_the_ingestor(engine, settings, redis_client, ingest_until_idle):
    """Complaints created, answered, moved to another OPD, resolved and reopened through the ingestor: the
    copy loaded before them reads them again by their events, and every panel still equals SQL's."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    t0 = now - dt.timedelta(days=2)
    events = [_created(f"K-{i}", t0 + dt.timedelta(minutes=7 * i), opd=("DSDABM", "DLH")[i % 2]) for i in range(30)]
    _publish(redis_client, settings, events)
    ingest_until_idle()
    store = ColumnStore.load(engine)
    columns.install(engine, store)
    today = now.astimezone(WIB).date()
    f = KpiFilter(date_from=today - dt.timedelta(days=7), date_to=today + dt.timedelta(days=1))
    cols, sql = settings.with_overrides(kpi_columns=True), settings.with_overrides(kpi_columns=False)
    try:
        before = _compute(engine, f, now, cols)
        later = [
            _created("K-new", now - dt.timedelta(hours=1), kecamatan="35.78.02"),
            _created("K-old", t0 - dt.timedelta(days=1)),  # a late creation, out of time order
        ]
        for i in range(0, 30, 2):
            at = t0 + dt.timedelta(minutes=7 * i + 30)
            later.append(_status(f"K-{i}", 1, "responded", at, reply_channel="whatsapp"))
            later.append(_status(f"K-{i}", 2, "dispositioned", at + dt.timedelta(minutes=5), opd="DPRKPP"))
            later.append(_status(f"K-{i}", 3, "resolved", at + dt.timedelta(hours=3)))
        later.append(_status("K-0", 4, "reopened", now - dt.timedelta(minutes=10)))
        _publish(redis_client, settings, later)
        ingest_until_idle()
        after = _compute(engine, f, now, cols)
        assert store.complaints.n == 32  # the same copy, kept current (not a reload)
        _same(_compute(engine, f, now, sql), after)
        assert after["headline"]["complaints"]["received"] == before["headline"]["complaints"]["received"] + 2
        assert after["headline"]["complaints"]["answered"] == 15
        assert {r["opd"] for r in after["league"]} >= {"DPRKPP"}
    finally:
        columns.forget(engine)


def _wait_for_copy(engine, settings, timeout_s: float = 30.0):
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            store = columns.current(conn, settings)
        if store is not None:
            store.lock.release()
            return store
        time.sleep(0.05)
    raise AssertionError("the column copy did not load")


def test_a_worker_loads_its_copy_in_the_background_and_forgets_it_on_demand(engine, settings):
    """The first request answers from SQL and starts the load; later ones use the copy; a copy loaded before
    rows were written behind its back (forget) is never installed; switched off, none is used."""
    complaints, incidents = _random_rows(3, 120)
    load(engine, complaints[:60], incidents)
    on = settings.with_overrides(kpi_columns=True)
    try:
        with engine.connect() as conn:
            assert columns.current(conn, on) is None  # loading now
        first = _wait_for_copy(engine, on)
        assert first.complaints.n == 60
        load(engine, complaints[60:])  # forgets the copy
        second = _wait_for_copy(engine, on)
        assert second is not first and second.complaints.n == 120
        with engine.connect() as conn:
            assert columns.current(conn, settings.with_overrides(kpi_columns=False)) is None
            assert columns.current(conn, None) is None
    finally:
        columns.forget(engine)
