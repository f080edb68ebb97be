"""Maps of Surabaya as plain figure dicts: a choropleth of any KPI by kecamatan, and the base every map
shares (style, view, layout, notes); the live 112 incidents are drawn by layouts/map_incidents.py.

The functions build JSON-ready dicts (lists, strings, numbers; no go.Figure): a callback sends a dict built
once per data change, serialised with orjson in about a millisecond, where a go.Figure costs 15-30 ms.

The default basemap works with no internet: a MapLibre style with one background layer and no sources,
sprites or glyphs, so no request leaves the machine and no text needs web fonts. Kecamatan are drawn by
the figure's own choroplethmap trace (which also names them on hover), incident shapes by GeoJSON fill
layers. A deployment with a tile server sets a style URL instead (PANTAU_MAP_STYLE).

Incident categories are told apart by shape and by colour (Okabe-Ito, safe for colour-blind readers);
priority by size. Shapes are drawn as polygons in metres, as MapLibre needs a sprite (a download) for
any marker but a circle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from dashboard import i18n
from dashboard.i18n import format_number
from dashboard.reference import CITY_BBOX

OFFLINE = "offline"
THEMES: dict[str, dict[str, Any]] = {
    # dark: the wall screens, matching assets/pantau.css
    "dark": {
        "paper": "#0b1220",
        "land": "#111a2b",
        "area": "#1c2840",
        "area_line": "#51617f",
        "text": "#f1f5f9",
        "muted": "#a8b3c5",
        "no_data": "#3a4456",
        "shape_line": "#f8fafc",
        "panel": "rgba(11,18,32,0.86)",
        "hover": "#151f33",
        "fire_post": "#cbd5e1",
        # viridis without its darkest tenth, which would sink into the background
        "scale": [
            "#482475",
            "#414487",
            "#355f8d",
            "#2a788e",
            "#21918c",
            "#22a884",
            "#44bf70",
            "#7ad151",
            "#bddf26",
            "#fde725",
        ],
    },
    # light: briefings, projectors and the public embeds
    "light": {
        "paper": "#ffffff",
        "land": "#eef1f5",
        "area": "#ffffff",
        "area_line": "#8a96a8",
        "text": "#111827",
        "muted": "#4b5563",
        "no_data": "#d9dde3",
        "shape_line": "#111827",
        "panel": "rgba(255,255,255,0.9)",
        "hover": "#ffffff",
        "fire_post": "#475569",
        "scale": [
            "#ffffd9",
            "#edf8b1",
            "#c7e9b4",
            "#7fcdbb",
            "#41b6c4",
            "#1d91c0",
            "#225ea8",
            "#253494",
            "#081d58",
        ],  # ColorBrewer YlGnBu
    },
}
# Panning stops this far around the city; wide enough not to limit zooming out on a small embed.
VIEW_BOUNDS = {
    "west": CITY_BBOX[0] - 0.6,
    "east": CITY_BBOX[2] + 0.6,
    "south": CITY_BBOX[1] - 0.45,
    "north": CITY_BBOX[3] + 0.45,
}
DEFAULT_VIEWPORT = (960, 720)  # the map's size in CSS pixels, when the caller does not say
TILE_PX = 512  # MapLibre's world is 512 px wide at zoom 0
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", Arial, sans-serif'


def _t(key: str, lang: str, **values: object) -> str:
    return i18n.t(key, i18n.language(lang), **values)


def _count(key: str, n: int, lang: str) -> str:
    return _t(f"{key}.one" if n == 1 else key, lang, n=format_number(n, lang))


def _theme(theme: str) -> dict[str, Any]:
    return THEMES.get(theme, THEMES["dark"])


# --- basemap ---------------------------------------------------------------------------------------


def offline_style(theme: str = "dark") -> dict:
    """A MapLibre style that needs nothing from the network: one background layer in the land colour."""
    return {
        "version": 8,
        "name": f"pantau-offline-{theme}",
        "sources": {},
        "layers": [{"id": "background", "type": "background", "paint": {"background-color": _theme(theme)["land"]}}],
    }


def map_style(style: str | None, theme: str = "dark") -> dict | str:
    """The `layout.map.style` value: the offline style by default, else a style URL or a plotly style name."""
    if not style or style == OFFLINE:
        return offline_style(theme)
    return style


def fit_view(viewport: tuple[int, int], pad: tuple[int, int, int, int] = (16, 16, 16, 16)) -> dict:
    """Centre and zoom that show the whole city in a map of `viewport` (width, height) CSS pixels, leaving
    `pad` (left, right, top, bottom) pixels free for the legend and the colour bar.

    Plotly does not fit a map holding a choroplethmap trace to its data, so the view is computed here.
    """
    width, height = viewport
    left, right, top, bottom = pad
    west, south, east, north = CITY_BBOX

    def merc(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    span_x = (east - west) / 360 * TILE_PX
    span_y = (merc(north) - merc(south)) / (2 * math.pi) * TILE_PX
    zoom = math.log2(max(min((width - left - right) / span_x, (height - top - bottom) / span_y), 1e-6))
    world = TILE_PX * 2**zoom
    # the city's centre goes to the middle of the free area, not of the whole map
    lon = (west + east) / 2 - (left - right) / 2 / world * 360
    y_mid = (merc(north) + merc(south)) / 2 + (top - bottom) / 2 / world * 2 * math.pi
    lat = math.degrees(2 * math.atan(math.exp(y_mid)) - math.pi / 2)
    return {"center": {"lon": round(lon, 5), "lat": round(lat, 5)}, "zoom": round(zoom, 3)}


def _map_layout(
    style: str | None,
    theme: str,
    lang: str,
    title: str | None,
    viewport: tuple[int, int] | None,
    pad: tuple[int, int, int, int],
) -> dict:
    colours = _theme(theme)
    width, height = viewport or DEFAULT_VIEWPORT
    top = 56 if title else 0
    layout: dict[str, Any] = {
        "map": {"style": map_style(style, theme), "bounds": VIEW_BOUNDS, **fit_view((width, height - top), pad)},
        "margin": {"l": 0, "r": 0, "t": top, "b": 0},
        "paper_bgcolor": colours["paper"],
        "font": {"family": FONT, "color": colours["text"], "size": 16},
        "separators": ",." if i18n.language(lang) == "id" else ".,",
        "hoverlabel": {
            "bgcolor": colours["hover"],
            "bordercolor": colours["area_line"],
            "font": {"family": FONT, "size": 18, "color": colours["text"]},
        },
        "showlegend": False,
        "uirevision": "map",  # a data update keeps whatever view a person chose
        "annotations": [],
        "shapes": [],
    }
    if title:
        layout["title"] = {
            "text": title,
            "x": 0.01,
            "xanchor": "left",
            "y": 0.985,
            "yanchor": "top",
            "font": {"size": 24, "color": colours["text"]},
        }
    return layout


def _note(text: str, theme: str, y: float = 0.012) -> dict:
    colours = _theme(theme)
    return {
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": 0.01,
        "y": y,
        "xanchor": "left",
        "yanchor": "bottom",
        "showarrow": False,
        "align": "left",
        "bgcolor": colours["panel"],
        "bordercolor": colours["area_line"],
        "borderpad": 6,
        "font": {"size": 15, "color": colours["muted"]},
    }


def _codes_and_names(geojson: Mapping) -> list[tuple[str, str]]:
    return [(str(f["id"]), str(f["properties"].get("name", f["id"]))) for f in geojson["features"]]


# --- choropleth ------------------------------------------------------------------------------------


def format_value(value: float, unit: str, lang: str, decimals: int = 0) -> str:
    number = format_number(value, lang, decimals)
    return f"{number}{unit}" if unit in ("%", "‰") else f"{number} {unit}".rstrip()


def choropleth_figure(
    values_by_kecamatan: Mapping[str, float | None],
    geojson: Mapping,
    *,
    title: str | None,
    unit: str,
    lang: str,
    schematic: bool,
    theme: str = "dark",
    decimals: int = 0,
    style: str | None = None,
    viewport: tuple[int, int] | None = None,
) -> dict:
    """Any KPI by kecamatan (counts, per 10,000 residents, SLA breach rate, incidents) on the city's map.

    `values_by_kecamatan` maps kecamatan codes (the GeoJSON feature ids) to numbers; a kecamatan without a
    number is drawn as "no data", never as zero. Hover texts and the colour bar use the language's format.
    """
    colours, lang = _theme(theme), i18n.language(lang)
    areas = _codes_and_names(geojson)
    known = [
        (c, n, float(values_by_kecamatan[c]))
        for c, n in areas
        if values_by_kecamatan.get(c) is not None and math.isfinite(float(values_by_kecamatan[c]))
    ]
    missing = [(c, n) for c, n in areas if c not in {k[0] for k in known}]
    top = max((v for _, _, v in known), default=0.0)
    outline = {"color": colours["area_line"], "width": 1.2}
    data: list[dict] = []
    if missing:
        data.append(
            {
                "type": "choroplethmap",
                "geojson": _subset(geojson, {c for c, _ in missing}),
                "featureidkey": "id",
                "locations": [c for c, _ in missing],
                "z": [0] * len(missing),
                "colorscale": [[0, colours["no_data"]], [1, colours["no_data"]]],
                "showscale": False,
                "marker": {"line": outline},
                "customdata": [[n, _t("map.no_data", lang)] for _, n in missing],
                "hovertemplate": "<b>%{customdata[0]}</b><br>%{customdata[1]}<extra></extra>",
            }
        )
    data.append(
        {
            "type": "choroplethmap",
            "geojson": _subset(geojson, {c for c, _, _ in known}) if missing else geojson,
            "featureidkey": "id",
            "locations": [c for c, _, _ in known],
            "z": [v for _, _, v in known],
            "zmin": min(0.0, min((v for _, _, v in known), default=0.0)),
            "zmax": top if top > 0 else 1.0,
            "colorscale": _scale(colours["scale"]),
            "marker": {"line": outline, "opacity": 0.92},
            "customdata": [[n, format_value(v, unit, lang, decimals)] for _, n, v in known],
            "hovertemplate": "<b>%{customdata[0]}</b><br>%{customdata[1]}<extra></extra>",
            "colorbar": {
                "title": {"text": unit, "side": "top", "font": {"size": 15, "color": colours["muted"]}},
                "thickness": 16,
                "len": 0.55,
                "x": 0.99,
                "xanchor": "right",
                "y": 0.5,
                "bgcolor": colours["panel"],
                "outlinewidth": 0,
                "tickformat": ",~f",
                "tickfont": {"size": 15, "color": colours["text"]},
                "xpad": 12,
                "ypad": 12,
            },
        }
    )
    layout = _map_layout(style, theme, lang, title, viewport, (16, 130, 16, 44 if schematic else 16))
    if schematic:
        layout["annotations"].append(_note(_t("map.schematic", lang), theme))
    return {"data": data, "layout": layout}


def _subset(geojson: Mapping, codes: set[str]) -> dict:
    """The features of these codes: each trace carries only its own polygons, so none is sent twice."""
    return {"type": "FeatureCollection", "features": [f for f in geojson["features"] if str(f["id"]) in codes]}


def _scale(colours: list[str]) -> list[list]:
    return [[round(i / (len(colours) - 1), 4), c] for i, c in enumerate(colours)]


# --- incidents -------------------------------------------------------------------------------------
