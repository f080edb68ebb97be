"""The briefing's figures as plain dicts: daily trends, the e-government trends against target, and the
complaints map by kecamatan."""

from __future__ import annotations

from collections.abc import Mapping

from dashboard import i18n, kpi
from dashboard.i18n import t

FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", Arial, sans-serif'
BLUE, ORANGE, GREEN, RED, GREY = "#1d4e89", "#c2410c", "#15803d", "#b91c1c", "#6b7280"


def _layout(lang: str, **extra) -> dict:
    layout = {
        "font": {"family": FONT, "size": 14, "color": "#111827"},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "separators": ",." if i18n.language(lang) == "id" else ".,",
        "margin": {"l": 56, "r": 24, "t": 36, "b": 40},
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": 1.08, "x": 0},
    }
    layout.update(extra)
    return layout


def empty_figure(text: str = "") -> dict:
    return {
        "data": [],
        "layout": {
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "paper_bgcolor": "#ffffff",
            "plot_bgcolor": "#ffffff",
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
            "annotations": [{"text": text, "showarrow": False, "font": {"size": 16}}] if text else [],
        },
    }


def _day_labels(buckets: list[str], lang: str) -> list[str]:
    months = i18n.MONTHS[i18n.language(lang)]
    return [f"{int(b[8:10])} {months[int(b[5:7]) - 1]}" for b in buckets]


def trend_figure(trend: Mapping, lang: str) -> dict:
    """Four stacked series over the period: complaints received, % within SLA, 112 reports, 112 response."""
    s = trend["series"]
    x = _day_labels([p["bucket"] for p in s], lang)
    axes = {}
    domains = [(0.78, 1.0), (0.53, 0.73), (0.28, 0.48), (0.0, 0.23)]
    titles = (
        "briefing.trend.received",
        "briefing.trend.sla_pct",
        "briefing.trend.incidents",
        "briefing.trend.response",
    )
    for n, (dom, key) in enumerate(zip(domains, titles), start=1):
        axes[f"yaxis{n if n > 1 else ''}"] = {
            "domain": dom,
            "title": {"text": ""},
            "gridcolor": "#e5e7eb",
            "zeroline": False,
            "rangemode": "tozero",
        }
        axes[f"xaxis{n if n > 1 else ''}"] = {
            "anchor": f"y{n if n > 1 else ''}",
            "showticklabels": n == 4,
            "matches": "x" if n > 1 else None,
            "type": "category",
        }
    annotations = [
        {
            "text": f"<b>{t(k, lang)}</b>",
            "xref": "paper",
            "yref": "paper",
            "x": 0,
            "y": d[1] + 0.005,
            "xanchor": "left",
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": 13},
        }
        for d, k in zip(domains, titles)
    ]
    data = [
        {
            "type": "bar",
            "x": x,
            "y": [p["received"] for p in s],
            "marker": {"color": BLUE},
            "name": t("briefing.trend.received", lang),
            "xaxis": "x",
            "yaxis": "y",
            "showlegend": False,
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": x,
            "y": [p["sla_pct"] for p in s],
            "connectgaps": False,
            "line": {"color": GREEN, "width": 3},
            "name": t("briefing.trend.sla_pct", lang),
            "xaxis": "x2",
            "yaxis": "y2",
            "showlegend": False,
        },
        {
            "type": "bar",
            "x": x,
            "y": [p["incidents"] for p in s],
            "marker": {"color": ORANGE},
            "name": t("briefing.trend.incidents", lang),
            "xaxis": "x3",
            "yaxis": "y3",
            "showlegend": False,
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": x,
            "y": [p["response_p50_min"] for p in s],
            "name": "p50",
            "line": {"color": ORANGE, "width": 3},
            "xaxis": "x4",
            "yaxis": "y4",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "x": x,
            "y": [p["response_p90_min"] for p in s],
            "name": "p90",
            "line": {"color": ORANGE, "width": 2, "dash": "dot"},
            "xaxis": "x4",
            "yaxis": "y4",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "x": [x[0], x[-1]] if x else [],
            "y": [kpi.CITY_RESPONSE_MINUTES] * 2,
            "name": t("briefing.trend.city", lang),
            "line": {"color": GREY, "dash": "dash", "width": 1.5},
            "xaxis": "x4",
            "yaxis": "y4",
            "hoverinfo": "skip",
        },
    ]
    axes["yaxis2"]["range"] = [0, 100]
    axes["yaxis2"]["rangemode"] = None
    return {
        "data": data,
        "layout": _layout(
            lang,
            height=620,
            annotations=annotations,
            legend={
                "orientation": "h",
                "y": 0.235,
                "x": 1,
                "xanchor": "right",
                "yanchor": "bottom",
                "bgcolor": "rgba(255,255,255,0.8)",
            },
            margin={"l": 56, "r": 24, "t": 24, "b": 40},
            **axes,
        ),
    }


def egov_trend_figure(egov: Mapping, lang: str) -> dict:
    """The city-wide value of each e-government metric over its last periods, against its target."""
    from dashboard.briefing_tables import metric_name

    trends = egov.get("trends") or {}
    if not trends:
        return empty_figure(t("wall.egov.empty", lang))
    names = sorted(trends)[:8]
    cols = min(2, len(names))  # four across left the titles overlapping and the periods unreadable
    rows = (len(names) + cols - 1) // cols
    data, layout = (
        [],
        _layout(
            lang,
            height=200 * rows,
            hovermode="closest",
            showlegend=False,
            annotations=[],
            margin={"l": 40, "r": 16, "t": 40, "b": 30},
        ),
    )
    gap = 0.06
    for n, name in enumerate(names):
        r, c = divmod(n, cols)
        xd = (c / cols + gap / 2, (c + 1) / cols - gap / 2)
        yd = (1 - (r + 1) / rows + 0.12 / rows, 1 - r / rows - 0.16 / rows)
        suffix = "" if n == 0 else str(n + 1)
        points = trends[name]
        x = [p["period"] for p in points]
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": x,
                "y": [p["value"] for p in points],
                "line": {"color": BLUE, "width": 3},
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
                "name": t("briefing.col.value", lang),
            }
        )
        if any(p.get("target") is not None for p in points):
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": x,
                    "y": [p.get("target") for p in points],
                    "line": {"color": GREY, "dash": "dash"},
                    "xaxis": f"x{suffix}",
                    "yaxis": f"y{suffix}",
                    "name": t("briefing.col.target", lang),
                }
            )
        layout[f"xaxis{suffix}"] = {
            "domain": xd,
            "anchor": f"y{suffix}",
            "type": "category",
            "tickfont": {"size": 11},
            "nticks": 6,
            "tickangle": 0,
        }
        layout[f"yaxis{suffix}"] = {"domain": yd, "anchor": f"x{suffix}", "gridcolor": "#e5e7eb", "rangemode": "tozero"}
        domain, metric = name.split("/", 1)
        layout["annotations"].append(
            {
                "text": f"<b>{metric_name(metric, lang)}</b> · {i18n.label('egov_domain', domain, lang)}",
                "xref": "paper",
                "yref": "paper",
                "x": xd[0],
                "y": yd[1] + 0.02,
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 13},
            }
        )
    return {"data": data, "layout": layout}


def map_figure(
    by_kecamatan: Mapping[str, int],
    geojson: Mapping,
    *,
    schematic: bool,
    style: str | None,
    lang: str,
    selected: tuple[str, ...] = (),
) -> dict:
    """Complaints per kecamatan on the light map; the filtered kecamatan outlined."""
    from layouts.map_figures import choropleth_figure

    values = {k: v for k, v in by_kecamatan.items() if k != "unknown"}
    figure = choropleth_figure(
        values,
        geojson,
        title=None,
        unit=t("briefing.unit.complaints", lang),
        lang=lang,
        schematic=schematic,
        theme="light",
        style=style,
        viewport=(720, 520),
    )
    # The outline layer is always there (empty without a selection): a map update that adds or removes a
    # layer makes MapLibre re-add sources it already has ("Map error").
    chosen = {
        "type": "FeatureCollection",
        "features": [f for f in geojson["features"] if str(f["id"]) in set(selected)],
    }
    figure["layout"]["map"].setdefault("layers", []).append(
        {"sourcetype": "geojson", "source": chosen, "type": "line", "color": RED, "line": {"width": 4}}
    )
    figure["layout"]["uirevision"] = "briefing-map"
    return figure
