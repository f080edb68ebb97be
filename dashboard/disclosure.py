"""Small-count suppression of published tables (statistical disclosure control), as plain code.

A count from 1 to THRESHOLD-1 (1..4) could point at a person (one missing-person report in a district this
month), so it is published as "<5" (primary suppression). A published total would give a single
suppressed cell away (total minus the others), so in every line (a row or a column whose total is
published) the suppressed cells must be either none, or at least two cells whose sum is at least
THRESHOLD; where that is not yet so, the smallest unsuppressed non-zero cell of the line is suppressed
too (secondary suppression), until every line is safe. A total that is itself 1..4 is suppressed.
Zeros are published: they are exact and tell nothing about a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

THRESHOLD = 5
SUPPRESSED = "<5"


def is_small(value: int) -> bool:
    return 0 < value < THRESHOLD


def _line_needs_more(values: Sequence[int], hidden: Sequence[bool]) -> bool:
    count = sum(hidden)
    if count == 0:
        return False
    return count == 1 or sum(v for v, h in zip(values, hidden) if h) < THRESHOLD


def _hide_next(values: Sequence[int], hidden: list[bool]) -> bool:
    """Suppress the smallest unsuppressed non-zero cell of a line; False when there is none left."""
    candidates = [(v, i) for i, (v, h) in enumerate(zip(values, hidden)) if not h and v > 0]
    if not candidates:
        return False
    hidden[min(candidates)[1]] = True
    return True


def suppress_line(values: Sequence[int]) -> list[bool]:
    """Which cells of one line (whose total is published) must be suppressed."""
    hidden = [is_small(v) for v in values]
    while _line_needs_more(values, hidden) and _hide_next(values, hidden):
        pass
    return hidden


def suppress_table(cells: Sequence[Sequence[int]]) -> tuple[list[list[bool]], list[bool], list[bool]]:
    """(cells, row totals, column totals) to suppress in a rows x columns table with its margins.

    A line that cannot be made safe (a one-row table: the column total is the cell) has its total
    suppressed instead.
    """
    hidden = [[is_small(v) for v in row] for row in cells]
    n_cols = len(cells[0]) if cells else 0
    changed = True
    while changed:
        changed = False
        for r, row in enumerate(cells):
            while _line_needs_more(row, hidden[r]) and _hide_next(row, hidden[r]):
                changed = True
        for c in range(n_cols):
            column = [row[c] for row in cells]
            flags = [hidden[r][c] for r in range(len(cells))]
            while _line_needs_more(column, flags) and _hide_next(column, flags):
                changed = True
            for r in range(len(cells)):
                hidden[r][c] = flags[r]
    row_totals = [is_small(sum(row)) or _line_needs_more(row, hidden[r]) for r, row in enumerate(cells)]
    col_totals = []
    for c in range(n_cols):
        column = [row[c] for row in cells]
        col_totals.append(is_small(sum(column)) or _line_needs_more(column, [h[c] for h in hidden]))
    return hidden, row_totals, col_totals


@dataclass(frozen=True)
class Cell:
    """A published count: its value, or None when suppressed (shown as "<5")."""

    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None

    def as_json(self) -> int | str:
        return SUPPRESSED if self.value is None else self.value


def publish_line(values: dict[str, int]) -> tuple[dict[str, int | str], int | str]:
    """(cells, total) of a one-way table keyed by code, suppressed for publication."""
    keys = list(values)
    hidden = suppress_line([values[k] for k in keys])
    cells = {k: (SUPPRESSED if h else int(values[k])) for k, h in zip(keys, hidden)}
    return cells, publish_count(sum(values.values()))


def publish_count(value: int) -> int | str:
    """A single count standing alone (a city-wide monthly figure): 1..4 becomes "<5"."""
    return SUPPRESSED if is_small(int(value)) else int(value)


def publish_rate(numerator: int, denominator: int, min_denominator: int) -> float | None:
    """A percentage only when its denominator is large enough to say something and to hide a person."""
    if denominator < max(min_denominator, THRESHOLD) or denominator <= 0:
        return None
    return round(100.0 * numerator / denominator, 1)
