"""Where an event happened: kecamatan and kelurahan codes from codes, names or coordinates."""

from __future__ import annotations

from dataclasses import dataclass

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
