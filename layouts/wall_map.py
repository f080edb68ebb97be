"""The wall's incidents map: the figure dict of the map panel, at 1920x1080 and at 3840x2160."""

from __future__ import annotations

import math
import re
from typing import Any

from dashboard import kecamatan_facts
from data_sources.geo.boundaries import Boundaries, browser_geojson
from layouts.map_figures import fit_view
from layouts.map_incidents import incidents_figure

MIN_MAP_TEXT_PX = 20
MAP_PANEL_PX = (944, 664)  # the map panel of the overview and 112 scenes at 1920x1080 (assets/wall.css)
MAP_SCALES = (1, 2)  # 1920x1080 and 3840x2160
LEGEND_TEXT_X_PX = 42  # where layouts.map_figures puts the legend's texts, right of their symbols


def wall_map(
    incidents: list[dict[str, Any]], boundaries: Boundaries, map_style: str, lang: str, scale: int = 1
) -> dict:
    """The incidents map (dark, offline style unless a tile server is configured) as a figure dict, laid out
    for the wall's map panel at 1920x1080 and, with `scale` 2, for the same panel at 3840x2160."""
    figure = incidents_figure(
        incidents,
        kecamatan_facts.fire_posts(),
        browser_geojson(boundaries),
        lang,
        theme="dark",
        schematic=boundaries.schematic,
        style=map_style,
        viewport=MAP_PANEL_PX,
    )
    for note in figure["layout"]["annotations"]:  # read from across a room: no text under 20 px
        note["font"]["size"] = max(note["font"].get("size", 0), MIN_MAP_TEXT_PX)
    _widen_legend(figure["layout"])
    return _scaled(figure, scale) if scale in MAP_SCALES and scale != 1 else figure


def _widen_legend(layout: dict) -> None:
    """The legend was drawn for 17 px text; at the wall's 20 px its longest row ("Kecelakaan lalu lintas 16")
    ran out of its box. Widen the box to the longest row and fit the city into what is left beside it."""
    box = next((s for s in layout["shapes"] if s.get("type") == "rect" and s.get("xsizemode") == "pixel"), None)
    rows = [a for a in layout["annotations"] if a.get("xshift") == LEGEND_TEXT_X_PX]
    if box is None or not rows:
        return
    longest = max(len(re.sub(r"<[^>]+>", "", a["text"])) for a in rows)
    width = max(box["x1"], LEGEND_TEXT_X_PX + longest * MIN_MAP_TEXT_PX * 0.58 + 16)
    box["x1"] = round(width)
    layout["map"].update(fit_view(MAP_PANEL_PX, (round(width) + 24, 16, 16, 16)))


def _scaled(figure: dict, scale: int) -> dict:
    """The map of a screen `scale` times larger: one zoom level per doubling (the city keeps its share of
    the panel, the legend its room beside it), and every size given in pixels (legend, notes, hover) times
    `scale`, or it would be half as large on a 4K wall as on a full-HD one."""
    layout = figure["layout"]
    layout["map"]["zoom"] = round(layout["map"]["zoom"] + math.log2(scale), 3)
    layout["font"]["size"] *= scale
    layout["hoverlabel"]["font"]["size"] *= scale
    for note in layout["annotations"]:
        note["font"]["size"] *= scale
        for key in ("xshift", "yshift"):
            if key in note:
                note[key] *= scale
    for shape in layout["shapes"]:
        if shape.get("xsizemode") == "pixel":
            for key in ("x0", "x1", "y0", "y1"):
                if key in shape:
                    shape[key] *= scale
            if "path" in shape:
                shape["path"] = re.sub(r"-?\d+(?:\.\d+)?", lambda m: f"{float(m.group()) * scale:.1f}", shape["path"])
            if "line" in shape:
                shape["line"]["width"] = shape["line"].get("width", 1) * scale
    return figure
