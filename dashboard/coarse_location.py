"""Where a sensitive 112 incident is shown on shared screens: a coarse place, never its exact point.

A `social` or `missing_person` report may point at a person (a family in trouble, a missing child), and
the public embeds give these categories nothing finer than a city-wide monthly count. The wall and the
viewers' map show them at the interior point of their kelurahan when it is known, else at the centre
of a fixed grid cell of about 500 m; the exact point stays in the store for the officers' views.
"""

from __future__ import annotations

import math

from dashboard.reference import kelurahan_by_code

SENSITIVE_INCIDENT_CATEGORIES = ("social", "missing_person")
GRID_M = 500.0
_GRID_LAT = GRID_M / 110_574.0  # degrees of latitude in 500 m
_GRID_LON = GRID_M / (111_320.0 * math.cos(math.radians(-7.27)))  # at Surabaya's latitude: a fixed grid


def is_sensitive(category: object) -> bool:
    return category in SENSITIVE_INCIDENT_CATEGORIES


def grid_point(lat: float, lon: float) -> tuple[float, float]:
    """The centre of the ~500 m grid cell holding (lat, lon)."""
    cell_lat = (math.floor(lat / _GRID_LAT) + 0.5) * _GRID_LAT
    cell_lon = (math.floor(lon / _GRID_LON) + 0.5) * _GRID_LON
    return round(cell_lat, 5), round(cell_lon, 5)


def coarse_point(lat: float | None, lon: float | None, kelurahan_code: str | None) -> dict[str, float] | None:
    """{"lat", "lon"} of the kelurahan's interior point, else of the grid cell; None with neither."""
    place = kelurahan_by_code().get(kelurahan_code or "")
    if place is not None:
        return {"lat": place.lat, "lon": place.lon}
    if lat is None or lon is None or not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    cell_lat, cell_lon = grid_point(lat, lon)
    return {"lat": cell_lat, "lon": cell_lon}
