"""The published series as an attacker keeps it: a month of simulated events replayed in publication steps,
every differencing tried (consecutive publications, two periods, two widgets), and the examples of issue 15
item 2 (a large cell never shown as "<5")."""

from __future__ import annotations

import datetime as dt
import itertools
import threading

import pytest
from sqlalchemy import func, select

from dashboard.disclosure import BASE, publication_instant, round_cell
from dashboard.embed_widgets import WIB, make_query
from data_sources.simulator.publish import publish_events
from data_sources.simulator.traffic import Simulator
from data_sources.store.database import make_engine, session_factory, upgrade
from data_sources.store.models import Incident
from data_sources.stream.connection import connect
from data_sources.stream.ingest import Ingestor
from data_sources.views.embed import PublishedCache, widget_data
from tests.conftest import make_event

CADENCE_S = 6 * 3600
SECRET = b"test-cell-key-secret"
START = dt.datetime(2026, 11, 1, tzinfo=WIB)
END = dt.datetime(2026, 12, 3, 16, tzinfo=WIB)
ATTACK_AT = dt.datetime(2026, 11, 20, 14, 37, tzinfo=WIB)  # a missing person, at a minute the attacker knows
WIDGETS = {
    "this": ("complaints-month", "this_month"),
    "named": ("complaints-month", "2026-11"),
    "last": ("complaints-month", "last_month"),
    "trend": ("sla-trend", "6m"),
    "trend12": ("sla-trend", "12m"),
    "category": ("complaints-category", "this_month"),
    "map": ("complaints-map", "this_month"),
    "incidents": ("incidents-112", "6m"),
    "incidents12": ("incidents-112", "12m"),
    "ppid": ("ppid", "this_month"),
    "ppid-named": ("ppid", "2026-11"),
    "ppid-year": ("ppid", "this_year"),
}


def _ingest(settings, client, engine, events) -> None:
    publish_events(client, settings, events)
    stop = threading.Event()
    timer = threading.Timer(120, stop.set)
    timer.start()
    try:
        Ingestor(settings, client, session_factory(engine)).run(stop, until_idle=True)
    finally:
        timer.cancel()
    assert not stop.is_set()


def _counts(data, path=()) -> dict[tuple, int]:
    """Every published count of a widget's figures by its path (rates, minutes and texts left out)."""
    out = {}
    if isinstance(data, dict):
        for k, v in data.items():
            if k not in ("within_pct", "p50_min", "p90_min", "as_of", "version", "months", "month"):
                out.update(_counts(v, (*path, k)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            key = v.get("month", v.get("opd", i)) if isinstance(v, dict) else i  # a PPID row by its OPD
            out.update(_counts(v, (*path, key)))
    elif isinstance(data, int) and not isinstance(data, bool):
        out[path] = data
    else:
        assert data is None or isinstance(data, (str, float)), (path, data)
    return out


def _small(n: int) -> bool:
    return 1 <= abs(n) < BASE


@pytest.fixture(scope="module")
def replay(redis_url, tmp_path_factory):
    """The publications an attacker polling every 2 hours keeps, the month's events arriving as they happen,
    and one missing-person report at ATTACK_AT (stored before the poll that follows it)."""
    from dashboard.settings import Settings

    tmp = tmp_path_factory.mktemp("publication")
    settings = Settings(
        redis_url=redis_url,
        database_url=f"sqlite:///{tmp / 'pantau.db'}",
        data_dir=tmp,
        stream_prefix=f"pub-{tmp.name[-10:]}",
        block_ms=10,
        embed_refresh_s=CADENCE_S,
        embed_freeze_after_h=48,
    )
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    client = connect(settings)
    sim = Simulator(seed=21, rate_scale=0.05)
    sim.advance(START)
    clock = {"now": START}
    cache = PublishedCache(client, settings, secret=SECRET, clock=lambda: clock["now"])
    publications = []  # (poll time, {name: figures})
    now = START
    while now <= END:
        _ingest(settings, client, engine, sim.advance(now))  # what happened since the last poll arrives
        if now == ATTACK_AT.replace(hour=16, minute=0):
            report = {"incident_id": "ATTACK-1", "category": "missing_person", "priority": 1, "kecamatan": "Genteng"}
            _ingest(
                settings, client, engine, [make_event("attack-1", "incident.reported", report, ATTACK_AT.isoformat())]
            )
        clock["now"] = now
        figures = {}
        for name, (widget, period) in WIDGETS.items():
            figures[name] = widget_data(make_query(widget, {"period": period}), engine, cache, settings)
        publications.append((now, figures))
        now += dt.timedelta(hours=2)
    yield publications, engine
    keys = list(client.scan_iter(f"{settings.stream_prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()
    engine.dispose()


def test_the_replay_is_a_real_month(replay):
    publications, engine = replay
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Incident)) > 100
    november = [f for at, f in publications if at.month == 11]
    assert november[-1]["this"]["received"] >= 500


def test_no_count_from_1_to_4_in_any_publication_or_any_difference(replay):
    publications, _ = replay
    for at, figures in publications:
        counts = {name: _counts(f) for name, f in figures.items()}
        for name, cells in counts.items():
            assert not [(p, v) for p, v in cells.items() if _small(v)], (at, name)
            if "cells" in figures[name]:  # total minus the cells
                assert not _small(figures[name]["total"] - sum(figures[name]["cells"].values())), (at, name)
        # two widgets, two periods: the same month's received complaints wherever they appear
        month = f"{at.astimezone(WIB):%Y-%m}"
        same = [
            figures["this"]["received"],
            figures["category"]["total"],
            figures["map"]["total"],
            counts["trend"][("rows", month, "received")],
            counts["trend12"][("rows", month, "received")],
        ]
        if month == "2026-11":
            same.append(figures["named"]["received"])
        for a, b in itertools.combinations(same, 2):
            assert not _small(a - b), (at, same)
        for name in ("ppid", "ppid-year"):  # the city's column minus its OPDs, for every column
            report = figures[name]
            for column, total in report["total"].items():
                if isinstance(total, int):
                    assert not _small(total - sum(r[column] for r in report["rows"])), (at, name, column)
        if month == "2026-11":  # the month's report in two periods' names
            named = _counts(figures["ppid-named"])
            for path, n in _counts(figures["ppid"]).items():
                assert not _small(named.get(path, 0) - n), (at, path)
        for row in figures["incidents"]["rows"]:  # 6 months against 12 months
            twelve = next(r for r in figures["incidents12"]["rows"] if r["month"] == row["month"])
            assert not _small(twelve["reported"] - row["reported"])
    for (at1, f1), (at2, f2) in itertools.pairwise(publications):  # consecutive publications
        for name in WIDGETS:
            c1, c2 = _counts(f1[name]), _counts(f2[name])
            for path in c1.keys() & c2.keys():
                assert not _small(c2[path] - c1[path]), (at1, at2, name, path, c1[path], c2[path])


def test_no_single_events_minute(replay):
    """Publications sit on the fixed grid, and nothing between two grid instants changes a figure: the
    missing person reported at 14:37 is at most dated to the six-hour slot, whatever the attacker polls."""
    publications, _ = replay
    for at, figures in publications:
        instant = publication_instant(at, CADENCE_S)
        for f in figures.values():
            assert f["as_of"] == instant.isoformat()
            local = dt.datetime.fromisoformat(f["as_of"]).astimezone(WIB)
            assert local.minute == 0 and local.hour % 6 == 0
    by_slot = itertools.groupby(publications, key=lambda p: publication_instant(p[0], CADENCE_S))
    for _, polls in by_slot:
        polls = list(polls)
        assert len(polls) == 3 and all(p[1] == polls[0][1] for p in polls[1:]), "figures changed inside a slot"
    # the attack's slot and the one before it: published at 12:00 and 18:00, never at 14:37
    slots = [p for p in publications if p[0].astimezone(WIB).date() == ATTACK_AT.date()]
    assert {p[0].astimezone(WIB).hour for p in slots} >= {12, 14, 16, 18}
    text = repr([f for _, f in publications])
    assert "14:37" not in text and "07:37" not in text


def test_a_closed_month_is_published_once_and_frozen(replay):
    publications, _ = replay
    october = {repr(f["last"]["received"]) for at, f in publications if at.month == 11}
    assert len(october) == 1  # October: no data, published once
    for name in ("named", "ppid-named"):
        after = [_counts(f[name]) for at, f in publications if at >= dt.datetime(2026, 12, 3, tzinfo=WIB)]
        assert len(after) > 3 and all(f == after[0] for f in after), name
    assert _counts(publications[-1][1]["ppid-named"])[("total", "received")] > 0  # the simulator's requests
    frozen = [f["last"] for at, f in publications if at >= dt.datetime(2026, 12, 2, 0, tzinfo=WIB)]
    assert len({repr(f["received"]) for f in frozen}) == 1


def test_cell_keys_make_the_same_records_round_alike_and_stay_unbiased():
    assert round_cell(100, 12345, SECRET) == 100 and round_cell(0, 0, SECRET) == 0
    assert all(round_cell(38, k, SECRET) in (35, 40) for k in range(200))
    assert len({round_cell(38, 777, SECRET) for _ in range(5)}) == 1  # the same cell, the same figure
    ups = sum(round_cell(1, k, SECRET) == 5 for k in range(20_000)) / 20_000
    assert 0.18 < ups < 0.22  # a 1 rounds up one time in five: unbiased on average


def _bar_rows(node) -> dict[str, str]:
    """{bar name: shown value} of the bars in a callback's component tree."""
    out = {}
    if isinstance(node, dict):
        props = node.get("props", {})
        if props.get("className") == "embed-bar-row":
            name, _, value = (c["props"]["children"] if isinstance(c, dict) else c for c in props["children"])
            out[name] = value
        for child in (
            props.get("children") or [] if isinstance(props.get("children"), list) else [props.get("children")]
        ):
            out.update(_bar_rows(child))
    elif isinstance(node, list):
        for child in node:
            out.update(_bar_rows(child))
    return out


def test_large_cells_are_never_shown_as_small(redis_url, tmp_path):
    """Issue 15 item 2: Permits at 38 beside a 4 was "<5", and {A: 4, C: 100} published C as "<5"."""
    from dashboard.settings import Settings
    from web.factory import create_app

    settings = Settings(
        redis_url=redis_url,
        database_url=f"sqlite:///{tmp_path / 'pantau.db'}",
        data_dir=tmp_path,
        stream_prefix=f"pub2-{tmp_path.name[-10:]}",
        block_ms=10,
        embed_rate_limit=(100_000, 60),
    )
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    client = connect(settings)
    local = dt.datetime.now(WIB)
    months = [
        (local.year, local.month - k) if local.month > k else (local.year - 1, local.month - k + 12) for k in (1, 2)
    ]
    tables = {
        months[0]: {"kesehatan": 4, "perizinan": 38, "jalan_rusak": 100},
        months[1]: {"kesehatan": 4, "banjir_genangan": 100},
    }
    events = []
    for (year, month), counts in tables.items():
        for category, n in counts.items():
            for i in range(n):
                at = dt.datetime(year, month, 10, 9, tzinfo=WIB) + dt.timedelta(minutes=7 * i)
                data = {
                    "complaint_id": f"C-{year}{month}-{category}-{i}",
                    "channel": "web",
                    "category": category,
                    "kecamatan": "Genteng",
                    "text": "jalan",
                    "reporter": {"name": "Warga"},
                }
                events.append(make_event(f"e-{year}{month}-{category}-{i}", "complaint.created", data, at.isoformat()))
    try:
        _ingest(settings, client, engine, events)
        web = create_app(settings, engine=engine).server.test_client()
        shown = {}
        for (year, month), counts in tables.items():
            body = {
                "output": "embed-body.children",
                "outputs": {"id": "embed-body", "property": "children"},
                "inputs": [
                    {"id": "embed-url", "property": "pathname", "value": "/embed/complaints-category"},
                    {"id": "embed-url", "property": "search", "value": f"?lang=en&period={year}-{month:02d}"},
                    {"id": "embed-refresh", "property": "n_intervals", "value": None},
                ],
                "changedPropIds": ["embed-url.pathname"],
                "state": [],
            }
            r = web.post("/embed/_dash-update-component", json=body)
            assert r.status_code == 200, r.data[:300]
            assert b"<5" not in r.data and b"\\u003c5" not in r.data
            shown[(year, month)] = _bar_rows(r.get_json()["response"]["embed-body"]["children"])
        first, second = shown[months[0]], shown[months[1]]
        assert first["Permits"] in ("35", "40") and first["Damaged road"] == "100", first
        assert second["Flooding"] == "100" and second["Health"] in ("0", "5"), second
    finally:
        keys = list(client.scan_iter(f"{settings.stream_prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()
        engine.dispose()
