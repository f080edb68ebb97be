"""One figure, one meaning, on every screen: the live page, the wall, the briefing and the public embeds
rendered on the same data at the same `now`; every figure they share shows the same label and the same
number, and two different figures never share a label (dashboard/figures.py). On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import defaultdict

from dash.development.base_component import Component

from dashboard import figures
from dashboard.briefing import parse_view
from dashboard.embed_widgets import EmbedQuery
from dashboard.i18n import LANGUAGES, format_number, t
from data_sources.stream.connection import connect
from data_sources.views import briefing as briefing_data
from data_sources.views.embed import PublishedCache, widget_data
from data_sources.views.live import live_snapshot
from data_sources.views.wall import wall_snapshot
from layouts import briefing_panels, embed, live, wall_panels
from tests.support.kpi_data import complaint, incident, load

NOW = dt.datetime(2026, 12, 5, 7, 22, tzinfo=dt.UTC)  # 14:22 WIB, as in the issue
H = dt.timedelta(hours=1)
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# figures of the moment: the same whatever period a screen shows
MOMENT = {"complaints_open", "awaiting_first_response", "overdue_unanswered", "incidents_active"}


def _data(engine) -> None:
    """Six weeks of complaints and incidents: answered in time, late, never; open after an answer (so all open
    and awaiting a first response differ); re-opened; answered on another channel; active incidents."""
    rng = random.Random(20)
    complaints, incidents = [], []
    for n in range(900):
        created = NOW - dt.timedelta(hours=rng.uniform(0.1, 42 * 24))
        first = rng.choice([None, rng.uniform(0.2, 20), rng.uniform(20, 60)])
        if first is not None and created + first * H >= NOW:
            first = None
        resolved = rng.uniform(first, first + 200) if first is not None and rng.random() < 0.5 else None
        if resolved is not None and created + resolved * H >= NOW:
            resolved = None
        complaints.append(
            complaint(
                f"V-{n:04d}",
                created,
                first_response_h=first,
                resolved_h=resolved,
                channel=rng.choice(["whatsapp", "app", "phone"]),
                reply_channel=rng.choice([None, None, "phone"]),
                opd=rng.choice(["DSDABM", "DLH", "DINKES"]),
                reopened=1 if rng.random() < 0.1 else 0,
            )
        )
    for n in range(300):
        reported = NOW - dt.timedelta(hours=rng.uniform(0.1, 42 * 24))
        active = reported > NOW - 3 * H and n % 2 == 0
        incidents.append(
            incident(
                f"V-I-{n:04d}",
                reported,
                response_min=rng.uniform(3, 15) if reported < NOW - 0.5 * H else None,
                active=active,
                category=rng.choice(["fire", "flood", "medical"]),
            )
        )
    load(engine, complaints, incidents)


def _text(node) -> str:
    if node is None:
        return ""
    if isinstance(node, (str, int, float)):
        return str(node)
    if isinstance(node, (list, tuple)):
        return "".join(_text(n) for n in node)
    return _text(getattr(node, "children", None))


def _walk(node):
    if isinstance(node, (list, tuple)):
        for n in node:
            yield from _walk(n)
    elif isinstance(node, Component):
        yield node
        yield from _walk(getattr(node, "children", None))


def _part(node, *suffixes: str):
    for n in _walk(node):
        if str(getattr(n, "className", "") or "").split(" ")[0].endswith(suffixes):
            return n
    return None


def _unqualified(text: str, lang: str) -> str:
    for period in figures.PERIOD_QUALIFIERS:
        text = text.removesuffix(f" {t(f'figure.period.{period}', lang)}")
    return text


def shown(screen: str, tree, lang: str) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(screen, figure, label, numbers) of every figure a screen marks; a card's label is its title, a
    counted figure's ("53 lewat batas, ...") is its text with the number taken out."""
    out = []
    for node in _walk(tree):
        name = getattr(node, "data-figure", None)
        if name is None:
            continue
        title, value = _part(node, "-title", "-label"), _part(node, "-value", "-number")
        if title is not None and value is not None:
            label, numbers = _text(title), tuple(NUMBER.findall(_text(value)))
        else:
            text = _text(node)
            phrase, numbers = _unqualified(NUMBER.sub("{n}", text, count=1), lang), tuple(NUMBER.findall(text)[:1])
            # the vocabulary's phrase for the figure stands for its label; any other wording is kept, and fails
            label = figures.label(name, lang) if phrase == figures.count(name, "{n}", lang) else phrase
        out.append((screen, name, _unqualified(label, lang), numbers))
    return out


def _titles(node, marked: str | None = None) -> list[tuple[str | None, str]]:
    """(figure of the nearest marked element around it, or None; text) of every card title of a screen."""
    if isinstance(node, (list, tuple)):
        return [pair for n in node for pair in _titles(n, marked)]
    if not isinstance(node, Component):
        return []
    marked = getattr(node, "data-figure", None) or marked
    cls = str(getattr(node, "className", "") or "").split(" ")[0]
    own = [(marked, _text(node))] if cls.endswith(("-title", "-label")) and cls != "pantau-section-title" else []
    return own + _titles(getattr(node, "children", None), marked)


def render_all(engine, settings, lang: str) -> list:
    """Every screen at NOW: the live page, the wall, the briefing for today, this month and last month
    (a closed period), and the public "complaints this month / last month" widget."""
    live_tree = live.body(live_snapshot(engine, NOW), None, lang)
    wall_tree = wall_panels.tiles(wall_snapshot(engine, settings, NOW), lang).children()
    screens = [("live", "now", live_tree), ("wall", "today", wall_tree)]
    last_month = (NOW - dt.timedelta(days=10)).strftime("%Y-%m")
    for period, query in (
        ("today", {"period": "today"}),
        ("month", {"period": "month"}),
        ("last_month", {"period": "custom", "from": f"{last_month}-01", "to": f"{last_month}-30"}),
    ):
        f = parse_view(query, NOW).filter
        with engine.connect() as conn:
            data = {
                "current": briefing_data.headline_panel(conn, f, NOW, settings),
                "previous": briefing_data.previous_panel(conn, f, NOW),
            }
        screens.append((f"briefing {period}", period, briefing_panels.tiles(data, lang)))
    # The embeds publish under the disclosure policy (issue 15): a closed month, frozen and with every count
    # randomly rounded to base 5. They carry the same labels; their counts are compared within the rounding.
    cache = PublishedCache(connect(settings), settings, secret=b"vocabulary-test", clock=lambda: NOW)
    for period, context in (("this_month", "month"), ("last_month", "last_month")):
        query = EmbedQuery("complaints-month", lang, "light", period)
        screens.append((f"embed {period}", context, embed.body(query, widget_data(query, engine, cache, settings))))
    return screens


def _count(text: str, lang: str) -> int | None:
    """A whole number as the language writes it (id: 1.234, en: 1,234); None for a decimal (a rate)."""
    decimal, thousands = (",", ".") if lang == "id" else (".", ",")
    digits = text.replace(thousands, "")
    return int(digits) if digits.isdigit() and decimal not in text else None


def _same_within_rounding(exact: tuple, published: tuple, lang: str) -> bool:
    """A published (rounded) count is a multiple of 5 within 5 of the exact one; a rate is computed from
    rounded counts, so only its label is compared."""
    for e, p in zip(exact, published):
        ce, cp = _count(e, lang), _count(p, lang)
        if ce is not None and cp is not None and not (cp % 5 == 0 and abs(cp - ce) < 5):
            return False
    return len(exact) == len(published)


def test_every_shared_figure_has_one_label_and_one_number_on_every_screen(engine, settings):
    _data(engine)
    for lang in LANGUAGES:
        screens = render_all(engine, settings, lang)
        seen = defaultdict(list)  # (figure, period) -> [(screen, label, numbers)]
        labels = defaultdict(set)  # label -> figures
        for screen, context, tree in screens:
            for where, name, label, numbers in shown(screen, tree, lang):
                seen[(name, "now" if name in MOMENT else context)].append((where, label, numbers))
                labels[label].add(name)
            # a title that reads like a figure of the vocabulary is that figure, marked as such
            for marked, title in _titles(tree):
                meant = [n for n in figures.NAMES if _unqualified(title, lang) == figures.label(n, lang)]
                assert not meant or marked == meant[0], (screen, title, marked)

        shared = {key: shows for key, shows in seen.items() if len({s for s, _, _ in shows}) > 1}
        for key, shows in shared.items():
            exact = [(label, numbers) for where, label, numbers in shows if not where.startswith("embed")]
            assert len(set(exact)) <= 1, (key, shows)
            assert len({label for _, label, _ in shows}) == 1, (key, shows)
            # a closed month is published once, so its embed counts are the engine's, rounded
            if exact and key[1] == "last_month":
                for where, _, numbers in shows:
                    if where.startswith("embed"):
                        assert _same_within_rounding(exact[0][1], numbers, lang), (key, shows)
        for label, names in labels.items():
            assert len(names) == 1, f"{label!r} names {sorted(names)}"
        # what the issue found: the live page's open complaints and the wall's are two figures, two labels
        assert {name for name, _ in shared} >= {
            "complaints_received",
            "sla_rate",
            "sla_rate_by_deadline",
            "awaiting_first_response",
            "overdue_unanswered",
            "incidents_active",
            "incidents_reported",
            "response_112",
        }
        live_open = seen[("complaints_open", "now")]
        awaiting = seen[("awaiting_first_response", "now")]
        assert live_open[0][1] != awaiting[0][1] and live_open[0][2] != awaiting[0][2]
        # and the numbers are the engine's, not merely equal to each other
        snapshot = live_snapshot(engine, NOW)
        assert live_open[0][2] == (format_number(snapshot.open_complaints, lang),)
        assert ("briefing today", figures.label("sla_rate_by_deadline", lang)) in {
            (s, lb) for s, lb, _ in seen[("sla_rate_by_deadline", "today")]
        }


def test_a_running_day_is_measured_by_deadline(engine, settings):
    """The issue's "100,0 % beside 221 past deadline": at 14:22 no complaint created today can be late, so the
    rate by creation reads 100 %; the rate by deadline counts yesterday's complaints that fell due today."""
    created_yesterday = [
        complaint(f"D-{n}", NOW - dt.timedelta(hours=30 + n * 0.01), first_response_h=None) for n in range(30)
    ]
    answered_in_time = [complaint(f"E-{n}", NOW - dt.timedelta(hours=18), first_response_h=3) for n in range(10)]
    created_today = [complaint(f"T-{n}", NOW - dt.timedelta(hours=6), first_response_h=1) for n in range(20)]
    load(engine, created_yesterday + answered_in_time + created_today)
    snapshot = wall_snapshot(engine, settings, NOW)["tiles"]
    assert snapshot["sla_rate_pct"] == 100.0  # by creation: today's 20, all answered within the hour
    assert snapshot["sla_due"] == 30  # due today by 14:22: yesterday's 30 unanswered (the 10 fall due later)
    assert snapshot["sla_rate_by_deadline_pct"] == 0.0
    text = _text(wall_panels.tiles({"tiles": snapshot}, "id").children())
    assert "Tepat waktu (jatuh tempo)0,0%dari 30 jatuh tempo hari ini" in text
    assert "100,0" not in text


def test_rate_by_deadline_bounds(engine):
    """A deadline at `now` has passed; a closed period ends before its (exclusive) end; filters apply."""
    from dashboard.filters import make_filter
    from data_sources.kpi import complaints as kpi_complaints

    load(
        engine,
        [
            complaint("B-at-now", NOW - 24 * H, first_response_h=23),  # due exactly now, answered in time
            complaint("B-late", NOW - 30 * H, first_response_h=28, opd="DLH"),  # due 6 h ago, answered late
            complaint("B-not-due", NOW - 23 * H),  # due in an hour: no outcome yet
            complaint("B-yesterday", NOW - 48 * H, first_response_h=2),  # due yesterday 14:22 WIB
        ],
    )
    today = parse_view({"period": "today"}, NOW).filter
    yesterday = make_filter(date_from=today.date_from - dt.timedelta(days=1), date_to=today.date_from)
    with engine.connect() as conn:
        assert kpi_complaints.deadline_cohort(conn, today, NOW) == (2, 1)
        assert kpi_complaints.deadline_cohort(conn, make_filter(date_from=today.date_from, opd="DLH"), NOW) == (1, 0)
        assert kpi_complaints.deadline_cohort(conn, yesterday, NOW) == (1, 1)
        figures_today = kpi_complaints.period_figures(conn, today, NOW)
    assert (figures_today["due_in_period"], figures_today["responded_by_deadline_pct"]) == (2, 50.0)
