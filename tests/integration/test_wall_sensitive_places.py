"""Issue 15 item 10: the exact point of a `social` or `missing_person` incident reaches no wall or viewer."""

from __future__ import annotations

import json
import math
import time

from callbacks import wall as wall_callbacks
from dashboard.coarse_location import GRID_M, grid_point
from dashboard.reference import kelurahan_by_code
from data_sources.stream.producer import publish
from data_sources.views import wall as wall_feed
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


def _points(node) -> list[tuple[float, float]]:
    """Every (lat, lon) a figure or snapshot in a response places."""
    found = []
    if isinstance(node, dict):
        lat, lon = node.get("lat"), node.get("lon")
        if isinstance(lat, list) and isinstance(lon, list):
            found += [(a, b) for a, b in zip(lat, lon) if isinstance(a, float) and isinstance(b, float)]
        elif isinstance(lat, float) and isinstance(lon, float):
            found.append((lat, lon))
        for value in node.values():
            found += _points(value)
    elif isinstance(node, list):
        for value in node:
            found += _points(value)
    return found


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
        first = wall_callbacks.refresh(0, "", None)
        time.sleep(1.0)  # the map comes a second after the figures
        second = wall_callbacks.refresh(1, "", first[7])  # the known store, after the panels and the map
        english = wall_callbacks.refresh(2, "?lang=en", None)
    sent = json.dumps([first, second, english], default=lambda o: getattr(o, "to_plotly_json", lambda: str(o))())
    assert "S-1" in sent and "S-2" in sent  # they are on the wall
    assert f"{FIRE[0]}" in sent  # the map carries exact points: the check below could see them
    for form in _forms(SOCIAL) + _forms(MISSING):
        assert form not in sent, form
    points = _points(json.loads(sent))
    assert FIRE in points
    assert min(_metres(p, MISSING) for p in points) > 100 and min(_metres(p, SOCIAL) for p in points) > 100
