"""The built-in schematic map: kecamatan and kelurahan cells generated from the reference table alone.

The product may not ship the city's boundary polygons, so with no boundary file configured the map is
drawn from public facts: each kelurahan's centre and area, each kecamatan's interior point and area.

- Cells: a power diagram (a Voronoi diagram whose generators carry weights) of the 153 kelurahan centres
  and the 31 kecamatan interior points, weighted by area, so a large kelurahan claims more ground than
  its small neighbour. Having the interior points as generators puts every one of them in its own
  kecamatan.
- Outline: every cell clipped to a disc around its generator whose radius follows from the area, the
  union smoothed by a closing (grow, then shrink). This keeps the sea, Gresik and Sidoarjo outside.

Measured against the official polygons (tests/test_geo.py): about 97% of the city's area is covered,
about 6% of the outline lies outside it, and about 88% of random points in the city's bounding box get
the same kecamatan as from the official polygons.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

import geopandas as gpd
import numpy as np
import shapely

from dashboard import reference

METRIC_CRS = "EPSG:32749"  # UTM zone 49S: metres, and Surabaya lies near the zone's centre
# Tuned against the official polygons (see the module docstring); the product itself never reads them.
POWER_WEIGHT = 0.6  # share of a generator's equal-area disc (r^2) added to its power distance
DISC_FACTOR = 1.2  # outline disc radius, in radii of the generator's equal-area disc
SMOOTHING_M = 600.0  # closing distance that fills the gaps between discs
OUTLINE_SIMPLIFY_M = 20.0
FRAME_MARGIN_M = 20_000.0


def _clip(polygon: np.ndarray, a: np.ndarray, b: float) -> np.ndarray:
    """The part of a convex polygon (vertices in order) where a . x <= b (one Sutherland-Hodgman step)."""
    side = polygon @ a - b
    kept: list[np.ndarray] = []
    for k in range(len(polygon)):
        p, q, sp, sq = polygon[k], polygon[(k + 1) % len(polygon)], side[k], side[(k + 1) % len(polygon)]
        if sp <= 0:
            kept.append(p)
        if (sp <= 0) != (sq <= 0):
            kept.append(p + (q - p) * (sp / (sp - sq)))
    return np.array(kept) if len(kept) >= 3 else np.empty((0, 2))


def power_cells(xy: np.ndarray, weights: np.ndarray, frame: tuple[float, float, float, float]) -> list:
    """The power diagram of points `xy` (n x 2) with `weights`, each cell clipped to `frame`.

    Cell i holds the x with |x - p_i|^2 - w_i <= |x - p_j|^2 - w_j for every j: a half-plane per j.
    Only the half-planes that cut the current cell are applied, most violated first, so a cell costs a
    few vectorised tests instead of n clips.
    """
    origin = xy.mean(axis=0)
    pts = xy - origin  # small numbers keep the squared terms exact enough
    x0, y0, x1, y1 = (frame[0] - origin[0], frame[1] - origin[1], frame[2] - origin[0], frame[3] - origin[1])
    sq = (pts**2).sum(axis=1)
    cells = []
    for i in range(len(pts)):
        a = 2 * (pts - pts[i])  # one row per other generator
        b = sq - sq[i] - weights + weights[i]
        a[i], b[i] = 0.0, 1.0  # the generator's own row never cuts
        cell = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
        while len(cell):
            excess = cell @ a.T - b  # vertices x half-planes
            worst = excess.max(axis=0)
            j = int(worst.argmax())
            if worst[j] <= 1e-6:
                break
            cell = _clip(cell, a[j], b[j])
        cells.append(shapely.Polygon(cell + origin) if len(cell) else shapely.Polygon())
    return cells


def _keep_generators_home(shapes: dict, owners: list[str], points: np.ndarray, xy: np.ndarray) -> None:
    """Give each generator's kelurahan a small disc around it where weights pushed the point outside."""
    for i, (owner, point) in enumerate(zip(owners, points)):
        if shapes[owner].contains(point):
            continue
        gaps = np.sqrt(((xy - xy[i]) ** 2).sum(axis=1))
        gaps[i] = np.inf
        disc = point.buffer(min(150.0, gaps.min() / 2), quad_segs=8)
        for code in shapes:
            shapes[code] = shapes[code].union(disc) if code == owner else shapes[code].difference(disc)


@lru_cache(maxsize=1)
def schematic_layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(kecamatan, kelurahan) GeoDataFrames in EPSG:4326 with columns code, name (and kecamatan_code)."""
    kelurahan, kecamatan = reference.kelurahan(), reference.kecamatan()
    members = defaultdict(list)
    for kel in kelurahan:
        members[kel.kecamatan_code].append(kel)

    lons = [k.lon for k in kelurahan] + [k.lon for k in kecamatan]
    lats = [k.lat for k in kelurahan] + [k.lat for k in kecamatan]
    generators = gpd.GeoSeries(gpd.points_from_xy(lons, lats), crs="EPSG:4326").to_crs(METRIC_CRS)
    xy = shapely.get_coordinates(generators.values)
    # An interior point stands for a share of its kecamatan the size of an average kelurahan there.
    areas_m2 = np.array([k.area_km2 for k in kelurahan] + [k.area_km2 / len(members[k.code]) for k in kecamatan]) * 1e6
    # The kelurahan an interior point's cell belongs to: the nearest centre in the same kecamatan.
    owners = [k.code for k in kelurahan]
    for k, (x, y) in zip(kecamatan, xy[len(kelurahan) :]):
        candidates = [(i, kel) for i, kel in enumerate(kelurahan) if kel.kecamatan_code == k.code]
        owners.append(min(candidates, key=lambda c: (xy[c[0], 0] - x) ** 2 + (xy[c[0], 1] - y) ** 2)[1].code)

    radius = np.sqrt(areas_m2 / np.pi)
    lo, hi = xy.min(axis=0) - FRAME_MARGIN_M, xy.max(axis=0) + FRAME_MARGIN_M
    cells = np.array(power_cells(xy, POWER_WEIGHT * radius**2, (lo[0], lo[1], hi[0], hi[1])), dtype=object)

    discs = shapely.buffer(generators.values, DISC_FACTOR * radius, quad_segs=16)
    # A small disc around each generator keeps every centre inside, whatever the weights did to its cell.
    anchors = shapely.buffer(generators.values, 150.0)
    outline = shapely.union_all(np.concatenate([shapely.intersection(cells, discs), anchors]))
    outline = outline.buffer(SMOOTHING_M, quad_segs=8).buffer(-SMOOTHING_M, quad_segs=8)
    outline = shapely.make_valid(outline.simplify(OUTLINE_SIMPLIFY_M), method="structure", keep_collapsed=False)

    # Snapping to a centimetre grid makes shared cell edges coincide exactly, so unions come out clean.
    cells = shapely.set_precision(cells, 0.01)
    owners_arr = np.array(owners)
    shapes = {code: shapely.union_all(cells[owners_arr == code]) for code in dict.fromkeys(owners)}
    _keep_generators_home(shapes, owners, generators.values, xy)
    by_code = reference.kelurahan_by_code()
    kel_rows = [
        {
            "code": code,
            "name": by_code[code].name,
            "kecamatan_code": by_code[code].kecamatan_code,
            "geometry": shapely.intersection(shape, outline, grid_size=0.01),
        }
        for code, shape in shapes.items()
    ]
    kel_frame = gpd.GeoDataFrame(kel_rows, geometry="geometry", crs=METRIC_CRS)
    kec_frame = kel_frame.dissolve(by="kecamatan_code", as_index=False)[["kecamatan_code", "geometry"]]
    kec_frame = kec_frame.rename(columns={"kecamatan_code": "code"})
    names = {k.code: k.name for k in kecamatan}
    kec_frame.insert(1, "name", kec_frame["code"].map(names))
    return kec_frame.to_crs("EPSG:4326"), kel_frame.to_crs("EPSG:4326")
