"""The briefing's pure builders: tiles, grids' columns, figures, the e-gov pivot, in both languages."""

import json

from dash import html

from dashboard.briefing import change
from data_sources.geo import boundaries as geo
from layouts import briefing_figures as figures
from layouts import briefing_panels as panels


def _text(component) -> str:
    """Every text in a Dash component tree, in order."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return "".join(_text(c) for c in component)
    return _text(getattr(component, "children", None))


def _figures(received=1234, prev_received=1000, p90=11.26, prev_p90=12.0):
    complaints = {
        "received": received,
        "answered_within_sla": 900,
        "sla_measured": 1000,
        "responded_within_sla_pct": 90.0,
        "first_response_p50_h": 3.5,
        "first_response_p90_h": 30.0,
    }
    incidents = {"reported": 50, "response_p50_min": 6.5, "response_p90_min": p90, "within_7_4_min_pct": 61.0}
    return {
        "current": {
            "complaints": complaints,
            "incidents": incidents,
            "sla_watch": {"on_track": 3, "at_risk": 2, "critical": 1, "breached": 4},
        },
        "previous": {
            "complaints": {
                **complaints,
                "received": prev_received,
                "responded_within_sla_pct": 92.5,
                "first_response_p90_h": 30.0,
            },
            "incidents": {**incidents, "reported": 50, "response_p90_min": prev_p90},
        },
    }


def test_tiles_in_indonesian_and_english():
    tiles = panels.tiles(_figures(), "id")
    text = [_text(t) for t in tiles]
    assert (
        text[0].startswith("Aduan masuk1.234")
        and "▲ +234 (+23,4%)" in text[0]
        and "periode sebelumnya 1.000" in text[0]
    )
    assert "90,0%" in text[1] and "IK 95% 88,0–91,7%" in text[1] and "▼ −2,5 pp" in text[1]
    assert "sama dengan periode sebelumnya" in text[2]  # p90 unchanged
    assert "10" in text[3] and "4 lewat batas" in text[3]
    assert "6,5 · 11,3 mnt" in text[5] and "▼ −0,7 mnt p90" in text[5]
    english = [_text(t) for t in panels.tiles(_figures(), "en")]
    assert "1,234" in english[0] and "previous period 1,000" in english[0]
    # a better response time is green, a worse one red
    good = panels.tiles(_figures(p90=10.0), "id")[5]
    bad = panels.tiles(_figures(p90=14.0), "id")[5]
    assert "is-good" in json.dumps(good.to_plotly_json(), default=lambda o: o.to_plotly_json())
    assert "is-bad" in json.dumps(bad.to_plotly_json(), default=lambda o: o.to_plotly_json())
    assert change(5, 0) == {"delta": 5, "pct": None} and change(None, 3) == {"delta": None, "pct": None}


def test_columns_format_in_the_browser_by_language():
    cols = {c["field"]: c for c in panels.column_defs("league", "id")}
    assert cols["rank"]["pinned"] == "left" and cols["opd"]["pinned"] == "left"
    assert cols["rate_pct"]["valueFormatter"]["function"] == "pantauNumber(params.value, 1, 'id')"
    assert cols["rate_pct"]["headerName"] == "% ≤ SLA"
    times = {c["field"]: c for c in panels.column_defs("complaints", "en")}
    assert (
        "pantauTime" in times["created_at"]["valueFormatter"]["function"]
        and "'Oct'" not in times["created_at"]["valueFormatter"]["function"]
    )


def test_egov_pivot_puts_the_city_first_with_states():
    latest = [
        {
            "domain": "budgeting",
            "metric": "apbd_realization_pct",
            "opd": "DLH",
            "value": 70.0,
            "target": 80.0,
            "unit": "pct",
            "rag": "red",
        },
        {
            "domain": "budgeting",
            "metric": "apbd_realization_pct",
            "opd": "ALL",
            "value": 75.0,
            "target": 80.0,
            "unit": "pct",
            "rag": "amber",
        },
        {
            "domain": "procurement",
            "metric": "tender_count",
            "opd": "DLH",
            "value": 4.0,
            "target": 3.0,
            "unit": "count",
            "rag": "green",
        },
    ]
    cols, rows = panels.egov_pivot(latest, "id")
    assert [c["headerName"] for c in cols] == ["OPD", "Realisasi APBD", "Jumlah tender"]
    assert rows[0] == {"opd": "Seluruh kota", "m0": 75.0, "m0_rag": "amber", "m0_target": 80.0, "m0_label": "Target"}
    assert rows[1]["m1_rag"] == "green" and rows[1]["m0"] == 70.0


def test_trend_and_map_figures():
    series = [
        {
            "bucket": f"2026-11-{d:02d}",
            "received": d,
            "within": 1,
            "sla_measured": 2,
            "sla_pct": 50.0,
            "first_response_p50_h": 1.0,
            "incidents": 2,
            "response_p50_min": 6.0,
            "response_p90_min": 9.0,
        }
        for d in (27, 28, 29, 30)
    ]
    fig = figures.trend_figure({"weekly": False, "series": series}, "id")
    assert fig["data"][0]["x"] == ["27 Nov", "28 Nov", "29 Nov", "30 Nov"] and fig["layout"]["separators"] == ",."
    assert fig["data"][-1]["y"] == [7.4, 7.4]
    boundaries = geo.schematic_boundaries()
    figure = figures.map_figure(
        {"35.78.01": 10, "unknown": 4},
        geo.browser_geojson(boundaries),
        schematic=True,
        style="offline",
        lang="en",
        selected=("35.78.01",),
    )
    outline = figure["layout"]["map"]["layers"][-1]
    assert [f["id"] for f in outline["source"]["features"]] == ["35.78.01"]
    assert "unknown" not in json.dumps(figure["data"][-1]["locations"])
    assert isinstance(panels.history(None, "en")[0], html.P)
