"""The PPID report's publication on random tables of cells: every count randomly rounded to base 5 by its own
key (within 5 of the truth, the same cells always the same figure), the city a line of cells of its own, no
row that would say "1 to 4", rows in the order of the published figures, medians only over enough answers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dashboard.disclosure import BASE, KEY_MODULUS, round_cell
from dashboard.ppid_public import COLUMNS, publish_report

SECRET = b"ppid-unit-secret"
count = st.integers(0, 40)
key = st.integers(0, KEY_MODULUS - 1)


def opd_cells(values, keys) -> dict:
    granted, partial, rejected, not_held, open_, objections = values
    answered = granted + partial + rejected + not_held
    counts = {
        "received": answered + open_,
        "granted": granted,
        "partially_granted": partial,
        "rejected": rejected,
        "not_held": not_held,
        "in_process": open_,
        "objections": min(objections, answered),
        "answered": answered,
    }
    return {
        **{name: (n, keys[i] if n else 0) for i, (name, n) in enumerate(counts.items())},
        "median_working_days": 4.25,
    }


tables = st.lists(st.tuples(st.tuples(*[count] * 6), st.lists(key, min_size=8, max_size=8)), min_size=1, max_size=8)


@given(tables, st.dictionaries(st.sampled_from(["pasal_17_b", "pasal_17_h", "unknown"]), st.tuples(count, key)))
def test_every_published_count_is_a_multiple_of_5_within_5_of_the_truth(table, cited):
    figures = {
        "opds": {f"OPD{i}": opd_cells(values, keys) for i, (values, keys) in enumerate(table)},
        "exemptions": cited,
        "city_median_working_days": 5.0,
    }
    report = publish_report(figures, SECRET, 10)
    assert report == publish_report(figures, SECRET, 10)  # the same cells, the same figures
    opds = figures["opds"]
    rows = {r["opd"]: r for r in report["rows"]}
    for code, f in opds.items():
        if code not in rows:  # only an OPD whose requests round to 0, so "no row" reads as 0
            assert round_cell(*f["received"], SECRET) == 0 and f["received"][0] < BASE
            continue
        for c in COLUMNS:
            assert rows[code][c] % BASE == 0 and abs(rows[code][c] - f[c][0]) < BASE, (code, c)
            assert rows[code][c] == round_cell(*f[c], SECRET)
    for c in COLUMNS:  # the city: a cell of its own, rounded from all its requests' keys
        n, k = sum(f[c][0] for f in opds.values()), sum(f[c][1] for f in opds.values())
        assert report["total"][c] == round_cell(n, k, SECRET) and abs(report["total"][c] - n) < BASE
    published = [r["received"] for r in report["rows"]]
    assert published == sorted(published, reverse=True) and 0 not in published
    for code, (n, k) in cited.items():
        shown = report["exemptions"].get(code, 0)
        assert shown == round_cell(n, k, SECRET) and abs(shown - n) < BASE
    assert 0 not in report["exemptions"].values()
    assert "<5" not in repr(report)
    answered = report["answered"]
    assert answered % BASE == 0 and abs(answered - sum(f["answered"][0] for f in opds.values())) < BASE
    if report["answered_pct"] is not None:  # a rate of the published counts, never of the raw ones
        assert report["answered_pct"] == round(min(100.0, 100 * answered / report["total"]["received"]), 1)


def test_a_total_is_not_the_sum_of_its_rounded_cells():
    """Three OPDs of 2 granted each: each may round to 0 or 5, the city's 6 rounds from its own key to 5 or
    10; publishing the sum of the rounded cells would let a reader take an OPD's cell back out."""
    cells = {f"OPD{i}": opd_cells((2, 0, 0, 0, 0, 0), [101 * i + j for j in range(8)]) for i in range(3)}
    report = publish_report({"opds": cells, "exemptions": {}}, SECRET, 10)
    assert report["total"]["granted"] == round_cell(6, sum(c["granted"][1] for c in cells.values()), SECRET)
    assert report["total"]["granted"] in (5, 10)


def test_medians_need_enough_published_answers_and_an_empty_period_is_empty():
    big = opd_cells((20, 6, 7, 5, 3, 6), list(range(1, 9)))
    thin = opd_cells((2, 0, 1, 0, 1, 1), list(range(11, 19)))
    report = publish_report({"opds": {"DINKES": big, "DLH": thin}, "city_median_working_days": 5.04}, SECRET, 10)
    rows = {r["opd"]: r for r in report["rows"]}
    assert rows["DINKES"]["median_working_days"] == 4.2  # 38 answers
    if "DLH" in rows:
        assert rows["DLH"]["median_working_days"] is None  # 3 answers: too few
    assert report["total"]["median_working_days"] == 5.0 and report["min_answers"] == 10
    empty = publish_report({"opds": {}, "exemptions": {}}, SECRET, 10)
    assert empty["rows"] == [] and all(empty["total"][c] == 0 for c in COLUMNS) and empty["answered_pct"] is None
