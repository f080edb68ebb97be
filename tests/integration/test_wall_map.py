"""The wall's map as one SVG image (issue 19 item 2): the 31 kecamatan, the incidents by shape, colour and size,
the legend with its counts, the notes; readable from five metres, and the city clear of the legend."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from dashboard.settings import Settings
from data_sources.geo.boundaries import boundaries_for
from layouts.map_incidents import CATEGORY_STYLE
from layouts.wall_map import MAP_PANEL_PX, MIN_MAP_TEXT_PX, wall_map

OVERVIEW_PANEL_PX = (944, 609)  # the overview's map panel at 1920x1080 (assets/wall.css): the image drawn smaller

SVG = "{http://www.w3.org/2000/svg}"
INCIDENTS = [
    {
        "incident_id": "112-A",
        "category": "fire",
        "priority": 1,
        "lat": -7.25,
        "lon": 112.70,
        "kecamatan_code": "35.78.05",
    },
    {
        "incident_id": "112-B",
        "category": "flood",
        "priority": 3,
        "lat": -7.30,
        "lon": 112.75,
        "kecamatan_code": "35.78.05",
    },
    {"incident_id": "112-C", "category": "flood", "priority": 2, "lat": -7.27, "lon": 112.78},
    {"incident_id": "112-D", "category": "<script>", "priority": 9, "lat": -7.28, "lon": 112.73},
    {"incident_id": "112-E", "category": "medical", "priority": 2},  # no coordinates: counted in the notes
]


@pytest.fixture(scope="module")
def boundaries():
    return boundaries_for(Settings(), "kecamatan")


def tree(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # well-formed: the text of every label is escaped


def test_every_kecamatan_every_incident_and_the_legend(boundaries):
    root = tree(wall_map(INCIDENTS, boundaries, "id"))
    assert root.get("viewBox") == f"0 0 {MAP_PANEL_PX[0]} {MAP_PANEL_PX[1]}"
    areas = [p for p in root.iter(f"{SVG}path") if p.find(f"{SVG}title") is not None]
    assert len(areas) == 31
    titles = {p.find(f"{SVG}title").text for p in areas}
    assert "Tegalsari: 2 insiden aktif" in titles and "Gubeng: 0 insiden aktif" in titles
    fills = {p.get("fill") for p in root.iter(f"{SVG}path")}
    assert {CATEGORY_STYLE[c][1] for c in ("fire", "flood", "other")} <= fills  # an unknown category is "other"
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "Kebakaran 1" in texts and "Banjir 2" in texts and "Lainnya 1" in texts
    assert "1 insiden tanpa koordinat" in texts and "Besar = prioritas lebih tinggi" in texts
    assert any(t.startswith("Peta skematis") for t in texts)  # the schematic boundaries say so


def test_priority_sets_the_size(boundaries):
    def shape_width(priority: int) -> float:
        root = tree(wall_map([{**INCIDENTS[1], "priority": priority}], boundaries, "en"))
        marks = [p for p in root.iter(f"{SVG}path") if p.get("fill") == CATEGORY_STYLE["flood"][1]]
        xs = [
            float(x) for x in re.findall(r"[ML](-?[\d.]+),", marks[0].get("d"))
        ]  # the map's mark, drawn before the legend's
        return max(xs) - min(xs)

    assert shape_width(1) > shape_width(2) > shape_width(3)


def test_no_text_under_twenty_pixels_at_1080p(boundaries):
    root = tree(wall_map(INCIDENTS, boundaries, "en"))
    drawn_at = min(OVERVIEW_PANEL_PX[0] / MAP_PANEL_PX[0], OVERVIEW_PANEL_PX[1] / MAP_PANEL_PX[1])
    sizes = [float(e.get("font-size")) for e in root.iter() if e.get("font-size")]
    assert float(root.get("font-size")) * drawn_at >= MIN_MAP_TEXT_PX
    assert min(sizes) * drawn_at >= MIN_MAP_TEXT_PX


def test_the_city_stays_clear_of_the_legend_and_the_notes(boundaries):
    for incidents in (INCIDENTS, INCIDENTS[:1], []):
        root = tree(wall_map(incidents, boundaries, "id"))
        boxes = []
        for group in root.iter(f"{SVG}g"):
            moved = re.fullmatch(r"translate\(([\d.]+),([\d.]+)\)", group.get("transform") or "")
            box = group.find(f"{SVG}rect")
            if moved and box is not None:
                x, y = float(moved[1]), float(moved[2])
                boxes.append((x, y, x + float(box.get("width")), y + float(box.get("height"))))
        assert len(boxes) == 2  # the legend (the fire posts at least) and the notes
        areas = [p for p in root.iter(f"{SVG}path") if p.find(f"{SVG}title") is not None]
        points = [(float(x), float(y)) for p in areas for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", p.get("d"))]
        inside = [(x, y) for x, y in points for x0, y0, x1, y1 in boxes if x0 <= x <= x1 and y0 <= y <= y1]
        assert inside == []
        assert all(0 <= x <= MAP_PANEL_PX[0] and 0 <= y <= MAP_PANEL_PX[1] for x, y in points)
