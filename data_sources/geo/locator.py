"""Locating events: which kecamatan and kelurahan a batch of coordinates falls in, by a vectorised spatial
join against the boundaries (the official file's, or the schematic map's)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely

from data_sources.geo.boundaries import Boundaries, _load_cached, _schematic, boundaries_for, browser_geojson
from data_sources.geo.schematic import schematic_layers

# Up to this many points a batch asks the tree: the ingestor's batches hold some tens to hundreds of new
# complaints and incidents, where a sweep's fixed cost of one pass per area (31 kecamatan, 153 kelurahan)
# is most of the work (100 points: 1.2 ms swept, 0.06 ms from the tree). From a thousand points on, the
# sweep is faster (20,000 points: 5 ms against 16 ms).
TREE_BATCH_POINTS = 500


class _AreaIndex:
    """Point-in-polygon for whole arrays. Large arrays: the points near the city sorted by longitude once, then
    per area the slice inside its bounding box goes to GEOS (prepared geometry), so a point meets only the
    areas near it. Small arrays: one query of an R-tree of the areas. A point on the edge between areas goes
    to the one of them that comes last in the file, either way."""

    def __init__(self, boundaries: Boundaries):
        self.codes = boundaries.frame["code"].to_numpy(dtype=object)
        self.codes_or_none = np.append(self.codes, None)  # indexed by lookup(): -1 picks the None
        self.geoms = boundaries.frame.geometry.to_numpy()
        shapely.prepare(self.geoms)
        self.bounds = shapely.bounds(self.geoms)
        self.tree = shapely.STRtree(self.geoms)

    def lookup(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Index of the area holding each point, -1 for none."""
        if x.size <= TREE_BATCH_POINTS:
            return self._lookup_in_tree(x, y)
        return self._lookup_by_sweep(x, y)

    def _lookup_in_tree(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        found = np.full(x.shape, -1, dtype=np.int64)
        points, areas = self.tree.query(shapely.points(x, y), predicate="intersects")
        np.maximum.at(found, points, areas)  # on an edge: the later area, as the sweep's overwriting gives
        return found

    def _lookup_by_sweep(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        found = np.full(x.shape, -1, dtype=np.int64)
        x0, y0 = self.bounds[:, 0].min(), self.bounds[:, 1].min()
        x1, y1 = self.bounds[:, 2].max(), self.bounds[:, 3].max()
        near = np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
        order = near[np.argsort(x[near])]
        xs = x[order]
        for i, (geom, (x0, y0, x1, y1)) in enumerate(zip(self.geoms, self.bounds)):
            band = order[np.searchsorted(xs, x0, "left") : np.searchsorted(xs, x1, "right")]
            candidates = band[(y[band] >= y0) & (y[band] <= y1)]
            if candidates.size:
                found[candidates[shapely.intersects_xy(geom, x[candidates], y[candidates])]] = i
        return found


class PolygonLocator:
    """Assigns coordinates to kecamatan (and kelurahan, when there is a kelurahan layer) by polygon.

    The locator of data_sources.geo.locations.resolve_many: `locate(lons, lats)` takes whole arrays.
    """

    def __init__(self, kecamatan: Boundaries, kelurahan: Boundaries | None = None):
        self.schematic = kecamatan.schematic
        self._kecamatan = _AreaIndex(kecamatan)
        self._kelurahan = _AreaIndex(kelurahan) if kelurahan is not None else None
        if kelurahan is not None:
            position = {code: i for i, code in enumerate(self._kecamatan.codes)}
            # each kelurahan's kecamatan as a row of the kecamatan layer (-1: that layer lacks it)
            self._parent = np.array([position.get(c, -1) for c in kelurahan.frame["kecamatan_code"]], dtype=np.int64)
            self._parent_codes = kelurahan.frame["kecamatan_code"].to_numpy(dtype=object)

    def assign(self, lons, lats) -> tuple[np.ndarray, np.ndarray]:
        """(kecamatan codes, kelurahan codes): object arrays holding None where a point is outside."""
        x = np.asarray(lons, dtype=float).ravel()
        y = np.asarray(lats, dtype=float).ravel()
        kec_idx = self._kecamatan.lookup(x, y)
        kec = self._kecamatan.codes_or_none[kec_idx]
        kel = np.full(x.shape, None, dtype=object)
        if self._kelurahan is not None:
            kel_idx = self._kelurahan.lookup(x, y)
            hit = kel_idx >= 0
            gap = hit & (kec_idx < 0)  # in a kelurahan that the kecamatan layer does not cover
            kec[gap] = self._parent_codes[kel_idx[gap]]
            # A kelurahan outside the kecamatan found (the two files disagree at an edge) is left out.
            agree = hit & ((self._parent[kel_idx] == kec_idx) | gap)
            kel[agree] = self._kelurahan.codes[kel_idx[agree]]
        return kec, kel

    def locate(self, lons, lats) -> list[tuple[str, str | None] | None]:
        kec, kel = self.assign(lons, lats)
        return [None if k is None else (k, l) for k, l in zip(kec.tolist(), kel.tolist())]


def locator_for(settings) -> PolygonLocator:
    """The locator for these settings: the official polygons when configured, else the schematic map."""
    return _locator(boundaries_for(settings, "kecamatan"), boundaries_for(settings, "kelurahan"))


@lru_cache(maxsize=4)
def _locator(kecamatan: Boundaries, kelurahan: Boundaries | None) -> PolygonLocator:
    return PolygonLocator(kecamatan, kelurahan)


def clear_caches() -> None:
    """Forget every file read and every shape derived from one (benchmarks measure cold starts with it)."""
    for cached in (_load_cached, _schematic, _locator, browser_geojson, schematic_layers):
        cached.cache_clear()
