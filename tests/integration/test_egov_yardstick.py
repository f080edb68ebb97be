"""Issue 15 item 4: a running month's flow metric (tenders) is judged against a month-to-date yardstick on
the wall, the briefing and the public embed, and each says so; stock metrics keep the whole target."""

from __future__ import annotations

import datetime as dt
import json

from dashboard import kpi
from dashboard.filters import KpiFilter
from data_sources.stream.producer import publish
from data_sources.views import briefing as briefing_data
from data_sources.views import public_aggregates as agg
from data_sources.views import wall as wall_feed
from layouts import briefing_panels, wall_panels
from layouts import embed as embed_view
from tests.conftest import make_event

WIB = dt.timezone(dt.timedelta(hours=7))
DEC_5 = dt.datetime(2026, 12, 5, 9, 0, tzinfo=WIB)  # the morning the issue was read


def _reading(n: int, metric: str, unit: str, period: str, value: float, target: float, opd: str = "ALL") -> dict:
    domain = "budgeting" if metric.startswith("apbd") else "procurement"
    data = {"domain": domain, "metric": metric, "opd": opd, "period": period, "value": value, "target": target}
    return make_event(f"kpi-{n}", "egov.kpi", {**data, "unit": unit}, occurred_at="2026-12-05T08:00:00+07:00")


def test_a_running_months_tenders_are_judged_to_date_on_every_screen(settings, engine, redis_client, ingest_until_idle):
    for event in (
        _reading(1, "tender_count", "count", "2026-11", 15, 16),
        _reading(2, "tender_count", "count", "2026-12", 3, 16),  # 5 Dec 09:00: 16 x 105/744 h = 2.26 due, 3 let
        _reading(3, "tender_savings_idr", "idr", "2026-12", 0.65e9, 5e9),  # 0.65 of 0.71 due: amber
        _reading(4, "apbd_realization_pct", "pct", "2026-12", 71.5, 80),  # a stock: against the whole target
        _reading(5, "tender_count", "count", "2026-12", 0, 2, opd="DLH"),  # 0.3 tenders due: not judged yet
    ):
        publish(redis_client, settings, event)
    ingest_until_idle()
    wall = {r["metric"]: r for r in wall_feed.wall_snapshot(engine, settings, DEC_5)["egov"]}
    with engine.connect() as conn:
        embed = {r["metric"]: r for r in agg.egov_city_latest(conn, settings, DEC_5.astimezone(dt.UTC))}
        panel = briefing_data.egov_panel(conn, KpiFilter(), settings, DEC_5)
    briefing = {(r["opd"], r["metric"]): r for r in panel["latest"]}
    for rows in (wall, embed, {m: r for (o, m), r in briefing.items() if o == "ALL"}):
        tenders = rows["tender_count"]
        assert tenders["rag"] == "green" and tenders["yardstick"] == "to_date"  # was "red": 3 of 16
        assert tenders["yardstick_target"] == 2.26
        assert rows["tender_savings_idr"]["rag"] == "amber"
        assert rows["apbd_realization_pct"]["rag"] == "red" and rows["apbd_realization_pct"]["yardstick"] == "period"
    assert briefing[("DLH", "tender_count")]["rag"] is None  # 0 of 0.3 due: too early, not red
    # what the screens say: which yardstick
    plotly = lambda o: o.to_plotly_json()
    strip = wall_panels.egov_strip({"egov": list(wall.values())}, "en")
    wall_text = json.dumps([strip.head, strip.rows], default=plotly)
    assert "target to date 2.3 (month 16)" in wall_text and "target 80" in wall_text
    query = embed_view.EmbedQuery("egov", "en", "light", "latest")
    data = {"indicators": list(embed.values()), "months": [], "as_of": DEC_5.isoformat()}
    body = json.dumps(embed_view.body(query, data), default=plotly)
    assert '"2.3"' in body and "to date; month 16" in body and "prorated by the days passed" in body
    _, rows = briefing_panels.egov_pivot(panel["latest"], "en")
    city = next(row for row in rows if any(k.endswith("_label") and v == "Target to date" for k, v in row.items()))
    assert 2.26 in city.values()


def test_the_rule_itself():
    assert kpi.metric_kind("tender_count") == "flow" and kpi.metric_kind("apbd_realization_pct") == "stock"
    assert kpi.period_progress("2026-12", DEC_5) == (4 * 24 + 9) / (31 * 24)
    assert kpi.period_progress("2026-11", DEC_5) == 1.0
    closed = kpi.egov_judgement("tender_count", "count", 15, 16, "2026-11", DEC_5)
    assert closed == {"rag": "amber", "yardstick": "period", "yardstick_target": 16, "progress": 1.0}
    early = kpi.egov_judgement("tender_savings_idr", "idr", 0, 5e9, "2026-12", dt.datetime(2026, 12, 2, tzinfo=WIB))
    assert early["rag"] is None and early["yardstick"] == "to_date"
