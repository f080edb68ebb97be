"""The column copy's table mechanics: rows appended out of time order, written over, sorted again, and a
period's rows always exactly those whose time is in it."""

from __future__ import annotations

import random

import numpy as np
import pytest

from data_sources.kpi import columns
from data_sources.kpi.column_reading import COMPLAINTS
from data_sources.kpi.columns import ColumnTable

pytestmark = pytest.mark.unit


def _row(key: str, created: int, value: float) -> tuple:
    # as column_reading.select_columns reads a complaint: key, 4 times, 2 durations, 6 texts, 2 ints
    return (
        key,
        created,
        created + 10,
        columns.NEVER,
        columns.NEVER,
        value,
        None,
        "DLH",
        None,
        "sms",
        "x",
        None,
        "received",
        0,
        1,
    )


def _check(table: ColumnTable, truth: dict[str, tuple[int, float]], rng: random.Random) -> None:
    slots = table.slots_of(list(truth))
    assert (slots >= 0).all()
    assert table["created_at"][slots].tolist() == [t for t, _ in truth.values()]
    assert table["first_response_s"][slots].tolist() == [v for _, v in truth.values()]
    assert table.slots_of(["nope"]).tolist() == [-1]
    for _ in range(50):
        lo, hi = sorted(rng.randrange(-10, 1010) for _ in range(2))
        rows = table.rows_between(lo, hi)
        got = sorted(table["created_at"][rows].tolist())
        assert got == sorted(t for t, _ in truth.values() if lo <= t < hi)
    assert sorted(table["created_at"][table.rows_between(None, None)].tolist()) == sorted(t for t, _ in truth.values())


@pytest.mark.parametrize("tail_max", [5, 20_000])
def test_out_of_order_rows_updates_and_sorting(monkeypatch, tail_max):
    monkeypatch.setattr(columns, "UNSORTED_TAIL_MAX", tail_max)
    rng = random.Random(tail_max)
    table = ColumnTable(COMPLAINTS)
    truth: dict[str, tuple[int, float]] = {}
    for batch in range(30):
        rows = []
        for _ in range(rng.randrange(1, 12)):
            if truth and rng.random() < 0.3:  # an update of a row held, its time unchanged
                key = rng.choice(list(truth))
                created = truth[key][0]
            else:
                key, created = f"K{len(truth) + len(rows)}-{batch}", rng.randrange(0, 1000)
            value = float(rng.randrange(10_000))
            rows.append(_row(key, created, value))
        for key, created, *_rest in rows:
            truth[key] = (created, [r for r in rows if r[0] == key][-1][5])
        # a key twice in one batch is not what a refresh reads: keep the last only
        last = {r[0]: r for r in rows}
        table.upsert(list(last.values()))
        _check(table, truth, rng)
    assert table.n == len(truth)
    if tail_max == 5:
        assert table.n - table.sorted_until <= 5  # sorted again whenever the tail grew past it
    table.sort()
    assert table.sorted_until == table.n and np.all(np.diff(table["created_at"]) >= 0)
    _check(table, truth, rng)


def test_ranks_are_exact_on_large_sets_with_ties_and_outliers():
    """column_figures.ranks narrows a large set to the bins holding the wanted ranks: each rank must still be
    the sorted set's (mutating its offset arithmetic by one fails this)."""
    from data_sources.kpi import column_figures as cf

    rng = np.random.default_rng(3)
    for trial in range(16):
        n = int(rng.integers(cf.SMALL, cf.SMALL * 2))
        values = [
            np.round(rng.exponential(3600, n), 3),
            np.round(rng.normal(0, 100, n), 3),
            rng.integers(0, 5, n).astype(float),  # ties across the wanted ranks
            np.concatenate([np.full(n - 3, 7.0), [1e9, -1e9, 3.0]]),  # outliers: nearly all in one bin
        ][trial % 4]
        wanted = sorted({int(x) for x in rng.integers(0, n, 6)} | {0, n - 1, n // 2, n // 2 + 1})
        found, ordered = cf.ranks(values, wanted), np.sort(values)
        assert [found[k] for k in wanted] == [float(ordered[k]) for k in wanted]


def test_ranks_with_a_span_too_wide_for_bins():
    from data_sources.kpi import column_figures as cf

    values = np.concatenate([np.zeros(cf.SMALL), [1.7e308, -1.7e308]])
    found = cf.ranks(values, [0, 1, cf.SMALL + 1])
    assert found == {0: -1.7e308, 1: 0.0, cf.SMALL + 1: 1.7e308}
