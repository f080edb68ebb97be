"""The shared vocabulary: every figure has a label, a definition and an engine function, in both languages,
and no two figures share a label."""

import datetime as dt

import pytest

from dashboard import figures
from dashboard.i18n import LANGUAGES


@pytest.mark.parametrize("lang", LANGUAGES)
def test_one_label_and_one_definition_per_figure(lang):
    labels = [figures.label(name, lang) for name in figures.NAMES]
    assert len(set(labels)) == len(labels)
    assert all(figures.definition(name, lang) for name in figures.NAMES)
    assert len({figures.definition(name, lang) for name in figures.NAMES}) == len(figures.NAMES)
    for name in figures.COUNTED:
        assert figures.count(name, "7", lang).startswith("7 ")
    assert figures.mark("sla_rate", lang) == {"data-figure": "sla_rate", "title": figures.definition("sla_rate", lang)}
    with pytest.raises(KeyError):
        figures.mark("open", lang)


def test_a_period_runs_until_its_end():
    now = dt.datetime(2026, 12, 5, 7, 22, tzinfo=dt.UTC)
    assert figures.running(None, now) and figures.running(now + dt.timedelta(seconds=1), now)
    assert not figures.running(now, now)
