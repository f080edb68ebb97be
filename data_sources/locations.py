"""Where an event happened: kecamatan and kelurahan codes from codes, names or coordinates."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from data_sources import reference

# Farther than this from every kelurahan's centre point, a point inside the bounding box is outside
# the city (sea, Gresik, Sidoarjo). The largest kelurahan reach about 3 km from their centres.
MAX_KM_FROM_KELURAHAN = 3.0
_KM_PER_DEG_LAT = 110.6
_KM_PER_DEG_LON = 110.4  # at 7.3 degrees south


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


class NearestKelurahanLocator:
    """Assigns points to the kelurahan with the nearest centre: the schematic default.

    A deployment with the official boundary file uses the polygon locator of data_sources.geo instead;
    both take whole arrays at once so batches are assigned without a loop over points.
    """

    def __init__(self) -> None:
        rows = reference.kelurahan()
        self.codes = np.array([k.code for k in rows])
        self.kec_codes = np.array([k.kecamatan_code for k in rows])
        self.xy = np.array([[k.lon * _KM_PER_DEG_LON, k.lat * _KM_PER_DEG_LAT] for k in rows])

    def locate(self, lons: np.ndarray, lats: np.ndarray) -> list[tuple[str, str] | None]:
        lons = np.asarray(lons, dtype=float)
        lats = np.asarray(lats, dtype=float)
        if lons.size == 0:
            return []
        x0, y0, x1, y1 = reference.CITY_BBOX
        inside = (lons >= x0) & (lons <= x1) & (lats >= y0) & (lats <= y1)
        pts = np.stack([lons * _KM_PER_DEG_LON, lats * _KM_PER_DEG_LAT], axis=1)
        dist = np.linalg.norm(pts[:, None, :] - self.xy[None, :, :], axis=2)
        nearest = dist.argmin(axis=1)
        ok = inside & (dist[np.arange(len(pts)), nearest] <= MAX_KM_FROM_KELURAHAN)
        return [
            (str(self.kec_codes[i]), str(self.codes[i])) if good else None
            for i, good in zip(nearest, ok)
        ]


@lru_cache(maxsize=1)
def default_locator() -> NearestKelurahanLocator:
    return NearestKelurahanLocator()


def resolve(kecamatan: str | None, kelurahan: str | None, lat: float | None, lon: float | None,
            locator=None) -> ResolvedLocation:
    """The contract's rule: coordinates outside the city or an unknown kecamatan make the location unknown."""
    return resolve_many([(kecamatan, kelurahan, lat, lon)], locator)[0]


def resolve_many(places, locator=None) -> list[ResolvedLocation]:
    """Resolve (kecamatan, kelurahan, lat, lon) tuples; coordinates are located in one vectorised call."""
    locator = locator or default_locator()
    results: list[ResolvedLocation | None] = [None] * len(places)
    need_points: list[int] = []
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
            results[i] = ResolvedLocation(reference.kelurahan_by_code()[kel_code].kecamatan_code, kel_code, "code_or_name")
        elif kec_code is not None:
            results[i] = ResolvedLocation(kec_code, None, "code_or_name")
        elif i in located_by_point:
            kec, kel = located_by_point[i]
            results[i] = ResolvedLocation(kec, kel, "coordinates")
        elif kel_ref:
            results[i] = UNKNOWN
        else:
            need_points.append(i)
            results[i] = NOT_GIVEN
    return results  # type: ignore[return-value]
