"""The live 112 incidents on the kecamatan map: shapes by category (Okabe-Ito colours), size by priority,
fire posts, the legend. A plain figure dict like every map of layouts/map_figures.py, whose base it uses."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping

from dashboard import i18n
from dashboard.i18n import format_number, format_time, kecamatan_name, label
from layouts.map_figures import DEFAULT_VIEWPORT, OFFLINE, _codes_and_names, _count, _map_layout, _note, _t, _theme

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
