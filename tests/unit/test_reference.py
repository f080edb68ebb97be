"""The reference table against the real boundary files in ../shared/geo."""

import json
from pathlib import Path

import numpy as np
import pytest

from dashboard import reference
from data_sources.geo.locations import default_locator, resolve

GEO = Path(__file__).resolve().parents[3] / "shared" / "geo"


def test_the_city_has_31_kecamatan_and_153_kelurahan_with_kemendagri_codes():
    kec = reference.kecamatan()
    kel = reference.kelurahan()
    assert len(kec) == 31 and len(kel) == 153
    assert [k.code for k in kec] == [f"35.78.{i:02d}" for i in range(1, 32)]
    assert all(k.kecamatan_code in reference.kecamatan_by_code() for k in kel)
    assert {k.kecamatan_code for k in kel} == {k.code for k in kec}


def test_reference_matches_the_shared_boundary_file():
    features = json.loads((GEO / "surabaya_kecamatan.geojson").read_text())["features"]
    assert {f["properties"]["kode"]: f["properties"]["nama"] for f in features} == {
        k.code: k.name for k in reference.kecamatan()
    }


@pytest.mark.parametrize(
    "spelling",
    [
        "Karang Pilang",
        "KARANG PILANG",
        "Karangpilang",
        "Kec. Karang Pilang",
        "kecamatan karang pilang",
        "35.78.01",
        "357801",
        "3578010",
    ],
)
def test_usual_spellings_match(spelling):
    assert reference.match_kecamatan(spelling) == "35.78.01"


def test_a_kelurahan_name_used_twice_needs_its_kecamatan():
    assert reference.match_kelurahan("Wonorejo") is None
    assert reference.match_kelurahan("Wonorejo", "35.78.03") == "35.78.03.1005"


def test_every_interior_point_falls_in_its_own_kecamatan():
    kec = reference.kecamatan()
    found = default_locator().locate(np.array([k.lon for k in kec]), np.array([k.lat for k in kec]))
    assert [f[0] for f in found] == [k.code for k in kec]


def test_points_outside_the_city_are_unknown():
    outside = [(-7.45, 112.72), (-7.10, 112.70), (-7.20, 112.84), (-6.2, 106.8)]
    for lat, lon in outside:
        assert not resolve(None, None, lat, lon).known, (lat, lon)
