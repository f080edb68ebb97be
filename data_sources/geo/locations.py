"""Where an event happened: kecamatan and kelurahan codes from codes, names or coordinates."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dashboard import reference


@dataclass(frozen=True)
class ResolvedLocation:
    kecamatan_code: str | None
    kelurahan_code: str | None
    # how it was found: code_or_name, coordinates, none (nothing given), unknown (given but unusable)
    method: str

    @property
    def known(self) -> bool:
        return self.kecamatan_code is not None


UNKNOWN = ResolvedLocation(None, None, "unknown")
NOT_GIVEN = ResolvedLocation(None, None, "none")


def default_locator():
    """The schematic map's locator (data_sources.geo.locator), for callers that have no settings."""
    from data_sources.geo.locator import locator_for

    return locator_for(None)


def resolve(
    kecamatan: str | None, kelurahan: str | None, lat: float | None, lon: float | None, locator=None
) -> ResolvedLocation:
    """The contract's rule: coordinates outside the city or an unknown kecamatan make the location unknown."""
    return resolve_many([(kecamatan, kelurahan, lat, lon)], locator)[0]


def resolve_many(places, locator=None) -> list[ResolvedLocation]:
    """Resolve (kecamatan, kelurahan, lat, lon) tuples; coordinates are located in one vectorised call."""
    locator = locator or default_locator()
    results: list[ResolvedLocation | None] = [None] * len(places)
    located_by_point: dict[int, tuple[str, str] | None] = {}
    point_idx = [i for i, p in enumerate(places) if p[2] is not None and p[3] is not None]
    if point_idx:
        found = locator.locate(np.array([places[i][3] for i in point_idx]), np.array([places[i][2] for i in point_idx]))
        located_by_point = dict(zip(point_idx, found))
    for i, (kec_ref, kel_ref, lat, lon) in enumerate(places):
        if i in located_by_point and located_by_point[i] is None:
            results[i] = UNKNOWN
            continue
        kec_code = reference.match_kecamatan(kec_ref) if kec_ref else None
        if kec_ref and kec_code is None:
            results[i] = UNKNOWN
            continue
        kel_code = reference.match_kelurahan(kel_ref, kec_code) if kel_ref else None
        if kel_code is not None:
            results[i] = ResolvedLocation(
                reference.kelurahan_by_code()[kel_code].kecamatan_code, kel_code, "code_or_name"
            )
        elif kec_code is not None:
            results[i] = ResolvedLocation(kec_code, None, "code_or_name")
        elif i in located_by_point:
            kec, kel = located_by_point[i]
            results[i] = ResolvedLocation(kec, kel, "coordinates")
        elif kel_ref:
            results[i] = UNKNOWN
        else:
            results[i] = NOT_GIVEN
    return results  # type: ignore[return-value]


class CityOutline:
    """Whether points are inside the city at all: the union of the kecamatan as one prepared polygon. The
    producers' front door needs no kecamatan code, only in or out, and one polygon answers a batch in one
    vectorised call where the locator walks every kecamatan and kelurahan."""

    def __init__(self, boundaries):
        import shapely

        self._shapely = shapely
        self.geometry = shapely.union_all(boundaries.frame.geometry.to_numpy())
        shapely.prepare(self.geometry)

    def contains(self, lons, lats) -> np.ndarray:
        return self._shapely.intersects_xy(self.geometry, np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))


def city_outline(settings) -> CityOutline:
    from data_sources.geo.boundaries import boundaries_for

    return _outline(boundaries_for(settings, "kecamatan"))


@lru_cache(maxsize=4)
def _outline(boundaries) -> CityOutline:
    return CityOutline(boundaries)


def outside_city(places, outline: CityOutline) -> list[bool]:
    """Which (kecamatan, kelurahan, lat, lon) places the ingestor would keep with their location unknown:
    coordinates outside the city, or a kecamatan or kelurahan name that is none of the city's."""
    by_name = resolve_many([(kec, kel, None, None) for kec, kel, _, _ in places])  # names only: no locator call
    outside = [r.method == "unknown" for r in by_name]
    points = [i for i, p in enumerate(places) if p[2] is not None and p[3] is not None]
    if points:
        inside = outline.contains([places[i][3] for i in points], [places[i][2] for i in points])
        for i, ok in zip(points, inside.tolist()):
            outside[i] = outside[i] or not ok
    return outside
