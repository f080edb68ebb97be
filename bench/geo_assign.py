"""Assigning 100,000 points to kecamatan: the polygon locator on the official polygons and on the schematic
default, beside two floors measured in the same run over the same points.

- bbox floor: a plain numpy bounding-box test, what merely looking at every point costs;
- union floor: shapely.contains_xy on the prepared union of the city, one point-in-polygon test per point
  (it says inside or outside, but not which kecamatan).

`python -m bench.geo_assign` prints the figures; bench/__main__.py can merge `run()` into its table.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import shapely

from data_sources.geo import boundaries as geo
from data_sources.geo import locator as geo_locator

GEO = Path(__file__).resolve().parents[2] / "shared" / "geo"
POINTS = 100_000
REPEATS = 5


def _best(func, repeats: int = REPEATS) -> float:
    """The fastest of a few runs: the least disturbed by other work on a shared machine."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times)


def run(points: int = POINTS, seed: int = 7) -> dict:
    geo_locator.clear_caches()
    started = time.perf_counter()
    schematic = geo.schematic_boundaries()
    schematic_build = time.perf_counter() - started
    started = time.perf_counter()
    official = geo.load_boundaries(GEO / "surabaya_kecamatan.geojson")
    official_load = time.perf_counter() - started
    official_kelurahan = geo.load_boundaries(GEO / "surabaya_kelurahan.geojson", level="kelurahan")

    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = official.frame.total_bounds
    # the city's bounding box and a margin around it: most points inside, many in the sea and next door
    lons = rng.uniform(x0 - 0.03, x1 + 0.03, points)
    lats = rng.uniform(y0 - 0.03, y1 + 0.03, points)

    locator = geo_locator.PolygonLocator(official)
    with_kelurahan = geo_locator.PolygonLocator(official, official_kelurahan)
    schematic_locator = geo_locator.PolygonLocator(schematic)
    city = official.frame.union_all()
    shapely.prepare(city)

    official_s = _best(lambda: locator.locate(lons, lats))
    figures = {
        "geo.assign_100k_points_s": round(official_s, 4),
        "geo.assign_100k_points_arrays_s": round(_best(lambda: locator.assign(lons, lats)), 4),
        "geo.assign_100k_points_with_kelurahan_s": round(_best(lambda: with_kelurahan.locate(lons, lats)), 4),
        "geo.assign_100k_points_schematic_s": round(_best(lambda: schematic_locator.locate(lons, lats)), 4),
        "geo.baseline_bbox_100k_s": round(_best(lambda: (lons >= x0) & (lons <= x1) & (lats >= y0) & (lats <= y1)), 5),
    }
    union_s = _best(lambda: shapely.contains_xy(city, lons, lats))
    figures["geo.baseline_city_union_100k_s"] = round(union_s, 4)
    figures["geo.assign_vs_union_ratio"] = round(official_s / union_s, 2)
    figures["geo.points_inside_share"] = round(float(np.mean(locator.assign(lons, lats)[0] != None)), 3)  # noqa: E711
    figures["geo.load_official_file_s"] = round(official_load, 3)
    figures["geo.build_schematic_s"] = round(schematic_build, 3)
    return figures


def main() -> None:
    figures = run()
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
