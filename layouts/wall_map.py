"""The wall's incidents map as one SVG image: the 31 kecamatan, the fire posts, the active 112 incidents
(shape and colour by category, size by priority, as on every map of the project) and the legend with
their counts. No WebGL: a wall PC without a GPU spent 110-120 ms of software readback on every frame of
the MapLibre map (issue 19 item 2), where the browser rasterises this image once per change.

The image is drawn in the map panel's CSS pixels at 1920x1080 (MAP_PANEL_PX) and scales with its
viewBox, so a 3840x2160 wall shows the same map at twice the pixels, text included: no text under
MIN_MAP_TEXT_PX at 1080p (40 px at 2160p) in either scene's panel. A pure function: data in, SVG text out.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from dashboard import kecamatan_facts
from dashboard.i18n import format_number, label
from dashboard.reference import CITY_BBOX
from data_sources.geo.boundaries import Boundaries, browser_geojson
from layouts.map_figures import FONT, _count, _t, _theme
from layouts.map_incidents import CATEGORY_STYLE, FIRE_POST_RADIUS_M, PRIORITY_RADIUS_M, _unit_shape

MIN_MAP_TEXT_PX = 20
# The image's text size: the overview's map panel is lower (944x609 at 1080p), where the image is drawn at
# 609/664 of its size, and its text must still be 20 px.
MAP_TEXT_PX = 22
MAP_PANEL_PX = (944, 664)  # the map panel of the overview and 112 scenes at 1920x1080 (assets/wall.css)
LEGEND_ROW_PX = 34
LEGEND_PAD_PX = 12
MARGIN_PX = 16
# An incident's shape is at least this large on the wall whatever the city's scale, so a priority-3
# incident stays a readable shape from five metres.
MIN_SHAPE_RADIUS_PX = {1: 13.0, 2: 10.0, 3: 7.5}
BOX_CLEARANCE_PX = 10  # between the city's outline and the legend or the notes
TEXT_WIDTH_EM = 0.56
NOTE_CHARS = 32  # a system sans-serif's mean advance, to size the legend's box


def wall_map(incidents: list[Mapping[str, Any]], boundaries: Boundaries, lang: str) -> str:
    """The map panel's image (SVG text) for the snapshot's incidents, in `lang`."""
    return map_svg(
        incidents,
        kecamatan_facts.fire_posts(),
        browser_geojson(boundaries),
        lang,
        schematic=boundaries.schematic,
    )


def map_svg(
    incidents: list[Mapping[str, Any]],
    fire_posts: Iterable[Mapping[str, Any]],
    geojson: Mapping[str, Any],
    lang: str,
    *,
    schematic: bool = False,
) -> str:
    """The incidents map as SVG text (see the module's docstring). Reads only the category, priority,
    kecamatan and coordinates of an incident: nothing personal can reach the image."""
    colours = _theme("dark")
    width, height = MAP_PANEL_PX
    placed = [(inc, p) for inc in incidents if (p := _place(inc)) is not None]
    without_place = len(incidents) - len(placed)
    posts = [p for post in fire_posts if (p := _place(post)) is not None]
    legend_rows = _legend_rows(placed, bool(posts), lang)
    legend_w = _legend_width(legend_rows, lang) if legend_rows else 0
    notes = ([_count("map.without_place", without_place, lang)] if without_place else []) + (
        [_t("map.schematic", lang)] if schematic else []
    )
    # short lines: a narrow box in the corner leaves the city room to grow beside it
    notes = [line for note in notes for line in textwrap.wrap(note, NOTE_CHARS)]
    boxes = []
    if legend_rows:
        boxes.append(
            (MARGIN_PX, MARGIN_PX, legend_w, LEGEND_ROW_PX * (len(legend_rows) + bool(placed)) + LEGEND_PAD_PX)
        )
    if notes:
        boxes.append(_notes_box(notes))
    project = _fitted(geojson, boxes, legend_w)
    per_area: dict[str, int] = {}
    for inc in incidents:
        code = inc.get("kecamatan_code")
        if code:
            per_area[code] = per_area.get(code, 0) + 1

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'font-family="{escape(FONT)}" font-size="{MAP_TEXT_PX}">',
        f'<rect width="{width}" height="{height}" fill="{colours["land"]}"/>',
        f'<g fill="{colours["area"]}" stroke="{colours["area_line"]}" stroke-width="1.2" stroke-linejoin="round">',
    ]
    for feature in geojson["features"]:
        name = str(feature["properties"].get("name", feature["id"]))
        here = _count("map.active_here", per_area.get(str(feature["id"]), 0), lang)
        parts.append(
            f'<path d="{_geometry_path(feature["geometry"], project)}"><title>{escape(name)}: {escape(here)}</title></path>'
        )
    parts.append("</g>")
    metres_px = project.metres_px
    if posts:
        radius = max(FIRE_POST_RADIUS_M * metres_px, 6.0)
        shapes = "".join(_shape("house", *project(lon, lat), radius) for lon, lat in posts)
        parts.append(f'<path d="{shapes}" fill="{colours["fire_post"]}" stroke="{colours["paper"]}" stroke-width="1"/>')
    for priority in (3, 2, 1):  # the most urgent drawn last, on top
        radius = max(PRIORITY_RADIUS_M[priority] * metres_px, MIN_SHAPE_RADIUS_PX[priority])
        for category, (kind, colour) in CATEGORY_STYLE.items():
            group = [p for inc, p in placed if _priority(inc) == priority and _category(inc) == category]
            if group:
                shapes = "".join(_shape(kind, *project(lon, lat), radius) for lon, lat in group)
                parts.append(
                    f'<path d="{shapes}" fill="{colour}" stroke="{colours["shape_line"]}" '
                    f'stroke-width="{1.6 if priority == 1 else 1.2}" stroke-linejoin="round"/>'
                )
    if legend_rows:
        parts.append(_legend(legend_rows, legend_w, bool(placed), colours, lang))
    if notes:
        parts.append(_notes(notes, colours))
    parts.append("</svg>")
    return "".join(parts)


class _Projection:
    """Longitude and latitude to the panel's pixels: equirectangular at the city's latitude (the city spans
    a fifth of a degree, where it is as true as Web Mercator), `scale` pixels per degree of latitude, the
    city's east edge at the panel's right margin, its middle at the panel's (or, `low`, its south edge at
    the bottom margin)."""

    def __init__(self, scale: float, low: bool = False):
        west, south, east, north = CITY_BBOX
        width, height = MAP_PANEL_PX
        self.cos = math.cos(math.radians((south + north) / 2))
        self.scale = scale
        self.x0 = width - MARGIN_PX - east * self.cos * scale
        middle = height - MARGIN_PX - (north - south) * scale / 2 if low else height / 2
        self.y0 = middle + (north + south) / 2 * scale
        self.metres_px = scale / 110_574.0

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return self.x0 + lon * self.cos * self.scale, self.y0 - lat * self.scale


def _fitted(geojson: Mapping[str, Any], boxes: list[tuple[float, float, float, float]], legend_w: float) -> _Projection:
    """The largest city that keeps clear of the legend and the notes (boxes of x, y, width, height): the
    city's outline leaves its corners empty, so it can grow past the legend's column into them."""
    west, south, east, north = CITY_BBOX
    width, height = MAP_PANEL_PX
    span_x = (east - west) * math.cos(math.radians((south + north) / 2))
    whole = min((width - 2 * MARGIN_PX) / span_x, (height - 2 * MARGIN_PX) / (north - south))
    beside = min((width - legend_w - 3 * MARGIN_PX) / span_x, (height - 2 * MARGIN_PX) / (north - south))
    corners = [
        (lon, lat)
        for feature in geojson["features"]
        for polygon in _polygons(feature["geometry"])
        for ring in polygon
        for lon, lat, *_ in ring
    ]
    clear = [
        (x - BOX_CLEARANCE_PX, y - BOX_CLEARANCE_PX, w + 2 * BOX_CLEARANCE_PX, h + 2 * BOX_CLEARANCE_PX)
        for x, y, w, h in boxes
    ]

    def fits(scale: float, low: bool) -> bool:
        project = _Projection(scale, low)
        return not any(
            bx <= px <= bx + bw and by <= py <= by + bh
            for px, py in (project(*c) for c in corners)
            for bx, by, bw, bh in clear
        )

    best = _Projection(beside)
    for low in (False, True):  # in the middle, or down by the bottom margin, clear of a tall legend
        small, large = beside, whole
        if not fits(small, low):
            continue
        for _ in range(12):
            middle = (small + large) / 2
            small, large = (middle, large) if fits(middle, low) else (small, middle)
        if small > best.scale:
            best = _Projection(small, low)
    return best


def _polygons(geometry: Mapping[str, Any]) -> list:
    return geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]


def _geometry_path(geometry: Mapping[str, Any], project: _Projection) -> str:
    rings = []
    for polygon in _polygons(geometry):
        for ring in polygon:
            points = [project(lon, lat) for lon, lat, *_ in ring]
            rings.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z")
    return "".join(rings)


def _shape(kind: str, cx: float, cy: float, radius: float) -> str:
    # the unit shapes have y upwards; the image's y grows downwards
    points = [(cx + dx * radius, cy - dy * radius) for dx, dy in _unit_shape(kind)]
    return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z"


def _legend_rows(placed: list, posts: bool, lang: str) -> list[tuple[str, str, str, str | None]]:
    """(shape, fill, label, count) for each category on the map, then the fire posts."""
    counts: dict[str, int] = {}
    for inc, _ in placed:
        counts[_category(inc)] = counts.get(_category(inc), 0) + 1
    rows: list[tuple[str, str, str, str | None]] = [
        (kind, colour, label("incident_category", c, lang), format_number(counts[c], lang))
        for c, (kind, colour) in CATEGORY_STYLE.items()
        if c in counts
    ]
    if posts:
        rows.append(("house", _theme("dark")["fire_post"], _t("map.fire_post", lang), None))
    return rows


def _legend_width(rows: list, lang: str) -> float:
    longest = max(len(text) + (len(count) + 2 if count else 0) for _, _, text, count in rows)
    longest = max(longest, len(_t("map.size_hint", lang)) - 2)
    return round(44 + longest * MAP_TEXT_PX * TEXT_WIDTH_EM + LEGEND_PAD_PX)


def _legend(rows: list, width: float, hint: bool, colours: Mapping[str, Any], lang: str) -> str:
    height = LEGEND_ROW_PX * (len(rows) + hint) + LEGEND_PAD_PX
    parts = [
        f'<g transform="translate({MARGIN_PX},{MARGIN_PX})">',
        f'<rect width="{width}" height="{height}" rx="6" fill="{colours["panel"]}" stroke="{colours["area_line"]}"/>',
    ]
    for i, (kind, fill, text, count) in enumerate(rows):
        cy = LEGEND_PAD_PX / 2 + LEGEND_ROW_PX * i + LEGEND_ROW_PX / 2
        line = colours["paper"] if kind == "house" else colours["shape_line"]
        parts.append(
            f'<path d="{_shape(kind, 22, cy, 9 if kind != "house" else 8)}" fill="{fill}" stroke="{line}" stroke-width="1.2"/>'
        )
        counted = f' <tspan font-weight="700">{escape(count)}</tspan>' if count else ""
        parts.append(
            f'<text x="42" y="{cy:.1f}" dominant-baseline="central" fill="{colours["text"]}">{escape(text)}{counted}</text>'
        )
    if hint:
        cy = LEGEND_PAD_PX / 2 + LEGEND_ROW_PX * len(rows) + LEGEND_ROW_PX / 2
        parts.append(
            f'<text x="12" y="{cy:.1f}" dominant-baseline="central" fill="{colours["muted"]}">'
            f"{escape(_t('map.size_hint', lang))}</text>"
        )
    parts.append("</g>")
    return "".join(parts)


def _notes_box(lines: list[str]) -> tuple[float, float, float, float]:
    width, height = MAP_PANEL_PX
    box_w = min(
        round(max(len(s) for s in lines) * MAP_TEXT_PX * TEXT_WIDTH_EM + 2 * LEGEND_PAD_PX), width - 2 * MARGIN_PX
    )
    box_h = LEGEND_ROW_PX * len(lines) + LEGEND_PAD_PX
    return MARGIN_PX, height - MARGIN_PX - box_h, box_w, box_h


def _notes(lines: list[str], colours: Mapping[str, Any]) -> str:
    left, top, box_w, box_h = _notes_box(lines)
    parts = [
        f'<g transform="translate({left},{top})">',
        f'<rect width="{box_w}" height="{box_h}" rx="6" fill="{colours["panel"]}" stroke="{colours["area_line"]}"/>',
    ]
    for i, text in enumerate(lines):
        cy = LEGEND_PAD_PX / 2 + LEGEND_ROW_PX * i + LEGEND_ROW_PX / 2
        parts.append(
            f'<text x="{LEGEND_PAD_PX}" y="{cy:.1f}" dominant-baseline="central" fill="{colours["muted"]}">'
            f"{escape(text)}</text>"
        )
    parts.append("</g>")
    return "".join(parts)


def _place(value: Mapping[str, Any]) -> tuple[float, float] | None:
    try:
        lon, lat = float(value["lon"]), float(value["lat"])
    except (KeyError, TypeError, ValueError):
        return None
    return (lon, lat) if math.isfinite(lon) and math.isfinite(lat) else None


def _priority(incident: Mapping[str, Any]) -> int:
    value = incident.get("priority")
    return value if value in PRIORITY_RADIUS_M else 3


def _category(incident: Mapping[str, Any]) -> str:
    value = incident.get("category")
    return value if value in CATEGORY_STYLE else "other"
