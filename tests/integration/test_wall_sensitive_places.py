"""Issue 15 item 10: the exact point of a `social` or `missing_person` incident reaches no wall or viewer."""

from __future__ import annotations

import json
import math

from callbacks import wall as wall_callbacks
from dashboard.coarse_location import GRID_M, grid_point
from dashboard.reference import kelurahan_by_code
from data_sources.geo.boundaries import boundaries_for
from data_sources.stream.producer import publish
from data_sources.views import wall as wall_feed
from layouts.wall_map import wall_map
from tests.integration.test_live_feed import NOW, incident, services_context

# exact points an attacker would look for; the fire's is the control (it must stay exact)
SOCIAL = (-7.286137, 112.801463)  # with its kelurahan: Keputih
MISSING = (-7.263719, 112.742281)  # coordinates only
FIRE = (-7.271144, 112.756329)
KEPUTIH = "35.78.09.1001"


def _forms(point: tuple[float, float]) -> list[str]:
    """How a coordinate pair can be written in a response: to 6 and 5 decimals (4 decimals, 11 m, match
    the corners of the map's symbols by chance: the points are checked by distance below)."""
    return [f"{v:.{n}f}".rstrip("0") for v in point for n in (6, 5)]


def _metres(a, b) -> float:
    return math.hypot((a[0] - b[0]) * 110_574, (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0])))


def test_no_wall_response_carries_the_exact_point_of_a_sensitive_incident(
    settings, engine, redis_client, ingest_until_idle
):
    events = [
        incident("S-1", "social", 0.5, lat=SOCIAL[0], lon=SOCIAL[1], kelurahan=KEPUTIH),
        incident("S-2", "missing_person", 0.4, lat=MISSING[0], lon=MISSING[1], kecamatan="35.78.06"),
        incident("F-1", "fire", 0.3, lat=FIRE[0], lon=FIRE[1]),
    ]
    for event in events:
        publish(redis_client, settings, event)
    ingest_until_idle()
    snap = wall_feed.wall_snapshot(engine, settings, NOW)
    placed = {i["incident_id"]: (i["lat"], i["lon"]) for i in snap["map_incidents"]}
    keputih = kelurahan_by_code()[KEPUTIH]
    assert placed["S-1"] == (keputih.lat, keputih.lon)  # the kelurahan's interior point
    assert placed["S-2"] == grid_point(*MISSING) and 0 < _metres(placed["S-2"], MISSING) <= GRID_M
    assert placed["F-1"] == FIRE  # officers and crews need the exact point of the rest
    with services_context(settings, engine, redis_client):
        first = wall_callbacks.refresh({"known": None}, "")
        english = wall_callbacks.refresh({"known": None}, "?lang=en")
    sent = json.dumps([first, english])
    assert "S-1" in sent and "S-2" in sent  # they are on the wall
    for form in _forms(SOCIAL) + _forms(MISSING):
        assert form not in sent, form
    # The map is an image in the panel's pixels: it is drawn from the snapshot's coarse places above, and
    # an image drawn from the exact points would differ (so the comparison could see them).
    boundaries = boundaries_for(settings, "kecamatan")
    assert first["map"]["svg"] == wall_map(snap["map_incidents"], boundaries, "id")
    exact = {"S-1": SOCIAL, "S-2": MISSING}
    at_exact = [
        {**i, "lat": exact[i["incident_id"]][0], "lon": exact[i["incident_id"]][1]} if i["incident_id"] in exact else i
        for i in snap["map_incidents"]
    ]
    assert wall_map(at_exact, boundaries, "id") != first["map"]["svg"]
