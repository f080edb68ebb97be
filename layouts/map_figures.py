"""Maps of Surabaya as plain figure dicts: a choropleth of any KPI by kecamatan, and the live 112 incidents.

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

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

from dashboard import i18n
from dashboard.i18n import format_number, format_time, kecamatan_name, label
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
# Okabe-Ito colours; "other" takes grey because the palette's black vanishes on the dark theme.
CATEGORY_STYLE: dict[str, tuple[str, str]] = {
    "fire": ("triangle", "#D55E00"),
    "flood": ("circle", "#56B4E9"),
    "traffic_accident": ("diamond", "#E69F00"),
    "medical": ("cross", "#009E73"),
    "social": ("square", "#CC79A7"),
    "missing_person": ("star", "#F0E442"),
    "infrastructure": ("hexagon", "#0072B2"),
    "other": ("triangle-down", "#999999"),
}
PRIORITY_RADIUS_M = {1: 560.0, 2: 400.0, 3: 280.0}  # priority 1 is the most urgent
PRIORITY_HOVER_PX = {1: 24, 2: 18, 3: 14}
FIRE_POST_RADIUS_M = 230.0
LEGEND_WIDTH_PX = 300
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


def _unit_shape(kind: str) -> list[tuple[float, float]]:
    """The corners of a shape around (0, 0), sized to weigh about as much on screen as the unit circle."""

    def ring(n: int, radius: float, start: float) -> list[tuple[float, float]]:
        return [
            (radius * math.cos(start + 2 * math.pi * k / n), radius * math.sin(start + 2 * math.pi * k / n))
            for k in range(n)
        ]

    if kind == "circle":
        return ring(16, 1.0, 0.0)
    if kind == "triangle":
        return ring(3, 1.35, math.pi / 2)
    if kind == "triangle-down":
        return ring(3, 1.35, -math.pi / 2)
    if kind == "square":
        return ring(4, 1.25, math.pi / 4)
    if kind == "diamond":
        return ring(4, 1.3, 0.0)
    if kind == "hexagon":
        return ring(6, 1.1, 0.0)
    if kind == "star":
        outer, inner = ring(5, 1.45, math.pi / 2), ring(5, 0.62, math.pi / 2 + math.pi / 5)
        return [p for pair in zip(outer, inner) for p in pair]
    if kind == "cross":
        a, b = 0.42, 1.2
        return [
            (a, b),
            (a, a),
            (b, a),
            (b, -a),
            (a, -a),
            (a, -b),
            (-a, -b),
            (-a, -a),
            (-b, -a),
            (-b, a),
            (-a, a),
            (-a, b),
        ]
    if kind == "house":
        return [(-0.9, -0.9), (0.9, -0.9), (0.9, 0.25), (0.0, 1.1), (-0.9, 0.25)]
    raise ValueError(f"unknown shape {kind!r}")


def _shape_polygon(kind: str, lon: float, lat: float, radius_m: float) -> list[list[float]]:
    metres_per_deg_lat = 110_574.0
    metres_per_deg_lon = 111_320.0 * math.cos(math.radians(lat))
    ring = [
        [round(lon + dx * radius_m / metres_per_deg_lon, 5), round(lat + dy * radius_m / metres_per_deg_lat, 5)]
        for dx, dy in _unit_shape(kind)
    ]
    return ring + [ring[0]]


def _shape_layers(
    points: Iterable[tuple[float, float]],
    kind: str,
    radius_m: float,
    fill: str,
    line: str,
    line_width: float,
    name: str,
) -> list[dict]:
    # one MultiPolygon per layer: the shapes of a group never need telling apart on the map, only on hover
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [[_shape_polygon(kind, lon, lat, radius_m)] for lon, lat in points],
                },
            }
        ],
    }
    return [
        {
            "name": f"{name}-fill",
            "sourcetype": "geojson",
            "source": collection,
            "type": "fill",
            "color": fill,
            "opacity": 1.0,
        },
        {
            "name": f"{name}-line",
            "sourcetype": "geojson",
            "source": collection,
            "type": "line",
            "color": line,
            "line": {"width": line_width},
        },
    ]


def _when(value: object, lang: str) -> str | None:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return format_time(value, lang)
    return None


def _place(value: object) -> tuple[float, float] | None:
    """(lon, lat) of an incident or post, or None when it has no usable coordinates."""
    try:
        lon, lat = float(value["lon"]), float(value["lat"])  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        return None
    return (lon, lat) if math.isfinite(lon) and math.isfinite(lat) else None


def incidents_figure(
    incidents: list[Mapping],
    fire_posts: Iterable[Mapping],
    geojson: Mapping,
    lang: str,
    *,
    theme: str = "dark",
    schematic: bool = False,
    title: str | None = None,
    style: str | None = None,
    legend: bool = True,
    viewport: tuple[int, int] | None = None,
) -> dict:
    """Live 112 incidents on the kecamatan map, with the fire posts.

    An incident is a mapping with `category`, `priority` (1 highest to 3), `lat`, `lon`, and optionally
    `incident_id`, `kecamatan_code`, `reported_at` (aware datetime or ISO text). Only these fields are read,
    so nothing personal can reach the figure.
    """
    colours, lang = _theme(theme), i18n.language(lang)
    placed = [(inc, _place(inc)) for inc in incidents]
    without_place = sum(1 for _, p in placed if p is None)
    placed = [(inc, p) for inc, p in placed if p is not None]
    posts = [(post, _place(post)) for post in fire_posts]
    posts = [(post, p) for post, p in posts if p is not None]

    per_area: dict[str, int] = {}  # every incident of a kecamatan, with coordinates or without
    for inc in incidents:
        code = inc.get("kecamatan_code")
        if code:
            per_area[code] = per_area.get(code, 0) + 1
    areas = _codes_and_names(geojson)
    tiles = bool(style) and style != OFFLINE
    data: list[dict] = [
        {
            "type": "choroplethmap",
            "geojson": geojson,
            "featureidkey": "id",
            "locations": [c for c, _ in areas],
            "z": [0] * len(areas),
            "colorscale": [[0, colours["area"]], [1, colours["area"]]],
            "showscale": False,
            "marker": {"opacity": 0.25 if tiles else 1.0, "line": {"color": colours["area_line"], "width": 1.2}},
            "customdata": [[n, _count("map.active_here", per_area.get(c, 0), lang)] for c, n in areas],
            "hovertemplate": "<b>%{customdata[0]}</b><br>%{customdata[1]}<extra></extra>",
        }
    ]

    layers = (
        _shape_layers(
            (p for _, p in posts),
            "house",
            FIRE_POST_RADIUS_M,
            colours["fire_post"],
            colours["paper"],
            1.0,
            "fire-posts",
        )
        if posts
        else []
    )
    for priority in (3, 2, 1):  # the most urgent drawn last, on top
        for category, (kind, colour) in CATEGORY_STYLE.items():
            group = [p for inc, p in placed if _priority(inc) == priority and _category(inc) == category]
            if group:
                layers += _shape_layers(
                    group,
                    kind,
                    PRIORITY_RADIUS_M[priority],
                    colour,
                    colours["shape_line"],
                    1.6 if priority == 1 else 1.2,
                    f"incidents-{category}-p{priority}",
                )

    if posts:
        data.append(
            {
                "type": "scattermap",
                "mode": "markers",
                "lon": [p[0] for _, p in posts],
                "lat": [p[1] for _, p in posts],
                "marker": {"size": 14, "opacity": 0},
                "customdata": [[post.get("name", ""), post.get("address", "")] for post, _ in posts],
                "hovertemplate": f"<b>{_t('map.fire_post', lang)}</b><br>%{{customdata[0]}}<br>%{{customdata[1]}}<extra></extra>",
            }
        )
    if placed:
        data.append(
            {
                "type": "scattermap",
                "mode": "markers",
                "lon": [p[0] for _, p in placed],
                "lat": [p[1] for _, p in placed],
                "marker": {"size": [PRIORITY_HOVER_PX[_priority(inc)] for inc, _ in placed], "opacity": 0},
                "customdata": [_incident_hover(inc, lang) for inc, _ in placed],
                "hovertemplate": "<b>%{customdata[0]}</b><br>%{customdata[1]}<br>%{customdata[2]}<extra></extra>",
            }
        )

    wide = (viewport or DEFAULT_VIEWPORT)[0] >= 800  # room for the legend beside the city, not over it
    layout = _map_layout(
        style, theme, lang, title, viewport, (LEGEND_WIDTH_PX + 24 if legend and wide else 16, 16, 16, 16)
    )
    layout["map"]["layers"] = layers
    if legend:
        _add_legend(layout, placed, bool(posts), theme, lang)
    notes = ([_count("map.without_place", without_place, lang)] if without_place else []) + (
        [_t("map.schematic", lang)] if schematic else []
    )
    if notes:
        layout["annotations"].append(_note("<br>".join(notes), theme))
    return {"data": data, "layout": layout}


def _priority(incident: Mapping) -> int:
    value = incident.get("priority")
    return value if value in PRIORITY_RADIUS_M else 3


def _category(incident: Mapping) -> str:
    value = incident.get("category")
    return value if value in CATEGORY_STYLE else "other"


def _incident_hover(incident: Mapping, lang: str) -> list[str]:
    priority = _priority(incident)
    head = label("incident_category", _category(incident), lang)
    place = kecamatan_name(incident.get("kecamatan_code"), lang)
    when = _when(incident.get("reported_at"), lang)
    detail = _t("map.priority_top", lang) if priority == 1 else _t("map.priority", lang, n=priority)
    return [head, f"{detail} · {place}", _t("map.reported", lang, time=when) if when else ""]


def _svg_path(kind: str, cx: float, cy: float, radius_px: float) -> str:
    # pixel shapes: y grows upwards from the anchor
    points = [(cx + dx * radius_px, cy + dy * radius_px) for dx, dy in _unit_shape(kind)]
    return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z"


def _add_legend(layout: dict, placed: list, posts: bool, theme: str, lang: str) -> None:
    """Shape, colour and count of each category present, in a panel at the top left (drawn in pixels)."""
    colours = _theme(theme)
    counts: dict[str, int] = {}
    for inc, _ in placed:
        counts[_category(inc)] = counts.get(_category(inc), 0) + 1
    rows = [
        (
            CATEGORY_STYLE[c][0],
            CATEGORY_STYLE[c][1],
            colours["shape_line"],
            f"{label('incident_category', c, lang)}  <b>{format_number(counts[c], lang)}</b>",
        )
        for c in CATEGORY_STYLE
        if c in counts
    ]
    if posts:
        rows.append(("house", colours["fire_post"], colours["paper"], _t("map.fire_post", lang)))
    if not rows:
        return
    row_px, x_anchor, y_anchor = 30, 0.012, 0.985
    hint = 1 if placed else 0
    height, width = row_px * (len(rows) + hint) + 14, LEGEND_WIDTH_PX
    pixel = {
        "xref": "paper",
        "yref": "paper",
        "xsizemode": "pixel",
        "ysizemode": "pixel",
        "xanchor": x_anchor,
        "yanchor": y_anchor,
        "layer": "above",
    }
    layout["shapes"].append(
        {
            **pixel,
            "type": "rect",
            "x0": 0,
            "x1": width,
            "y0": 0,
            "y1": -height,
            "fillcolor": colours["panel"],
            "line": {"color": colours["area_line"], "width": 1},
        }
    )
    for i, (kind, fill, line, text) in enumerate(rows):
        cy = -(7 + row_px * i + row_px / 2)
        layout["shapes"].append(
            {
                **pixel,
                "type": "path",
                "path": _svg_path(kind, 22, cy, 9 if kind != "house" else 8),
                "fillcolor": fill,
                "line": {"color": line, "width": 1.2},
            }
        )
        layout["annotations"].append(
            {
                "text": text,
                "xref": "paper",
                "yref": "paper",
                "x": x_anchor,
                "y": y_anchor,
                "xanchor": "left",
                "yanchor": "middle",
                "xshift": 42,
                "yshift": cy,
                "showarrow": False,
                "font": {"size": 17, "color": colours["text"]},
            }
        )
    if hint:
        layout["annotations"].append(
            {
                "text": _t("map.size_hint", lang),
                "xref": "paper",
                "yref": "paper",
                "x": x_anchor,
                "y": y_anchor,
                "xanchor": "left",
                "yanchor": "middle",
                "xshift": 12,
                "yshift": -(7 + row_px * len(rows) + row_px / 2),
                "showarrow": False,
                "font": {"size": 14, "color": colours["muted"]},
            }
        )
