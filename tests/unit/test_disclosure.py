"""The publication policy's arithmetic: counts randomly rounded to base 5 by cell key, the fixed grid."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.disclosure import BASE, WIB, is_frozen, publication_instant, publish_rate, round_cell

SECRET = b"unit-secret"


@settings(max_examples=500, deadline=None)
@given(st.integers(0, 100_000), st.integers(0, 2**40))
def test_a_rounded_count_is_a_multiple_of_5_within_one_step(count, key_sum):
    published = round_cell(count, key_sum, SECRET)
    assert published % BASE == 0 and abs(published - count) < BASE
    assert published == round_cell(count, key_sum, SECRET)  # the same cell, the same figure
    assert count > 0 or published == 0


def test_a_new_record_redraws_the_rounding_and_a_draw_depends_on_the_secret():
    draws = {round_cell(7, k, SECRET) for k in range(50)}
    assert draws == {5, 10}
    assert [round_cell(7, k, SECRET) for k in range(64)] != [round_cell(7, k, b"other") for k in range(64)]


def test_rates_of_rounded_cells_need_a_sample():
    assert publish_rate(25, 30, 30) == 83.3 and publish_rate(25, 25, 30) is None and publish_rate(35, 30, 5) == 100.0


def test_the_grid_starts_at_wib_midnight_and_divides_the_day():
    now = dt.datetime(2026, 12, 5, 14, 37, 12, tzinfo=WIB)
    assert publication_instant(now, 3600) == dt.datetime(2026, 12, 5, 14, tzinfo=WIB)
    assert publication_instant(now, 21_600) == dt.datetime(2026, 12, 5, 12, tzinfo=WIB)
    assert publication_instant(now, 86_400) == dt.datetime(2026, 12, 5, tzinfo=WIB)
    end = dt.datetime(2026, 12, 1, tzinfo=WIB)
    assert not is_frozen(end, end + dt.timedelta(hours=47), 48) and is_frozen(end, end + dt.timedelta(hours=48), 48)
