"""Small-count suppression: no published count from 1 to 4, and no total that gives a suppressed one away."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.disclosure import SUPPRESSED, THRESHOLD, publish_count, publish_line, suppress_line, suppress_table

counts = st.integers(min_value=0, max_value=40) | st.integers(min_value=0, max_value=6)


def _line_safe(values, hidden, total_hidden: bool = False) -> bool:
    """With the line's total published, the suppressed cells are none, or two or more summing to >= 5;
    or the total itself is suppressed."""
    total = sum(values)
    if 0 < total < THRESHOLD or total_hidden:
        return True  # the total is "<5" itself, or withheld
    shown = [h for h in hidden if h]
    if not shown:
        return True
    return len(shown) >= 2 and sum(v for v, h in zip(values, hidden) if h) >= THRESHOLD


@settings(max_examples=400, deadline=None)
@given(st.lists(counts, min_size=1, max_size=15))
def test_a_line_never_shows_a_small_count_or_gives_one_away(values):
    hidden = suppress_line(values)
    assert all(h for v, h in zip(values, hidden) if 0 < v < THRESHOLD)
    assert not any(h for v, h in zip(values, hidden) if v == 0)  # zeros are exact, never withheld
    assert _line_safe(values, hidden)
    cells, total = publish_line({f"k{i}": v for i, v in enumerate(values)})
    assert all(c == SUPPRESSED or c == 0 or c >= THRESHOLD for c in cells.values())
    assert total == SUPPRESSED or total == 0 or total >= THRESHOLD
    # what a reader can work out: the total minus the shown cells is the suppressed sum, never 1..4 alone
    if total != SUPPRESSED:
        rest = total - sum(c for c in cells.values() if c != SUPPRESSED)
        hidden_cells = [c for c in cells.values() if c == SUPPRESSED]
        assert rest == 0 and not hidden_cells or (len(hidden_cells) >= 2 and rest >= THRESHOLD)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda cols: st.lists(st.lists(counts, min_size=cols, max_size=cols), min_size=1, max_size=8)
    )
)
def test_a_table_with_row_and_column_totals_is_safe_in_every_line(cells):
    hidden, row_totals, col_totals = suppress_table(cells)
    for row, flags, total_hidden in zip(cells, hidden, row_totals):
        assert all(f for v, f in zip(row, flags) if 0 < v < THRESHOLD)
        assert _line_safe(row, flags, total_hidden)
        assert total_hidden or not 0 < sum(row) < THRESHOLD
    for c in range(len(cells[0])):
        assert _line_safe([row[c] for row in cells], [flags[c] for flags in hidden], col_totals[c])
    # a total is withheld only where its line could not be protected otherwise
    assert sum(col_totals) <= len(cells[0]) and (
        len(cells) > 1 or all(t or not any(flags[c] for flags in hidden) for c, t in enumerate(col_totals))
    )


def test_examples():
    assert suppress_line([3, 10, 12]) == [True, True, False]  # the 3 alone would follow from the total
    assert suppress_line([2, 1, 0, 20]) == [True, True, False, True]  # 2+1 < 5: one more
    assert suppress_line([4, 3, 50]) == [True, True, False]
    assert suppress_line([0, 0, 7]) == [False, False, False]
    assert publish_count(3) == SUPPRESSED and publish_count(0) == 0 and publish_count(5) == 5
