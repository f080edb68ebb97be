"""Boundaries and locations against the real polygons in ../shared/geo (never copied into the project)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from cli import boundaries as boundaries_cli
from dashboard import kecamatan_facts, reference
from dashboard.settings import Settings
from data_sources.geo import boundaries as geo
from data_sources.geo import locator as geo_locator
from data_sources.geo.locations import resolve_many

GEO = Path(__file__).resolve().parents[3] / "shared" / "geo"
KECAMATAN_FILE = GEO / "surabaya_kecamatan.geojson"
KELURAHAN_FILE = GEO / "surabaya_kelurahan.geojson"
# (lat, lon): Madura Strait, Sidoarjo, Gresik, north of the port, Jakarta
OUTSIDE = [(-7.20, 112.84), (-7.45, 112.72), (-7.16, 112.62), (-7.10, 112.70), (-6.2, 106.8)]


@pytest.fixture(scope="module")
def official():
    return geo.load_boundaries(KECAMATAN_FILE)


@pytest.fixture(scope="module")
def official_kelurahan():
    return geo.load_boundaries(KELURAHAN_FILE, level="kelurahan")


@pytest.fixture(scope="module")
def shapefile(tmp_path_factory) -> Path:
    """The kecamatan as a GIS office might hand them over: Shapefile, UTM zone 49S, its own field names."""
    frame = gpd.read_file(KECAMATAN_FILE).to_crs("EPSG:32749")
    frame = frame.rename(columns={"kode": "KODE_KEC", "nama": "NAMOBJ", "area_km2": "LUAS"}).drop(
        columns=["lat", "lon"]
    )
    frame["NAMOBJ"] = frame["NAMOBJ"].str.upper()
    path = tmp_path_factory.mktemp("shp") / "kecamatan_utm.shp"
    frame.to_file(path)
    return path


def _interior_points():
    kec = reference.kecamatan()
    return np.array([k.lon for k in kec]), np.array([k.lat for k in kec]), [k.code for k in kec]


# --- reading, matching, checking ----------------------------------------------------------------------


def test_the_official_file_matches_31_of_31_and_its_broken_ring_is_repaired():
    report = geo.check_boundaries(KECAMATAN_FILE)
    assert (report["features"], report["matched"], report["expected"]) == (31, 31, 31)
    assert report["unmatched"] == [] and report["missing"] == [] and report["ok"]
    assert report["crs"] == "EPSG:4326"
    assert report["area_km2"] == pytest.approx(336, abs=1)
    # the shared file really holds one self-intersecting ring (Gayungan)
    assert [r["code"] for r in report["repaired"]] == ["35.78.22"]


def test_a_utm_shapefile_with_other_field_names_matches_31_of_31(shapefile):
    report = geo.check_boundaries(shapefile, code_field="KODE_KEC", name_field="NAMOBJ")
    assert report["matched"] == 31 and report["unmatched"] == [] and report["ok"]
    assert report["crs"] == "EPSG:32749"  # as read, before reprojection
    assert report["area_km2"] == pytest.approx(336, abs=1)
    assert report["bounds"][0] == pytest.approx(112.59, abs=0.01)  # reprojected to degrees


def test_the_fields_are_found_when_not_configured(shapefile):
    report = geo.check_boundaries(shapefile)
    assert (report["code_field"], report["name_field"], report["matched"]) == ("KODE_KEC", "NAMOBJ", 31)


def test_names_alone_match_in_any_usual_spelling(tmp_path):
    frame = gpd.read_file(KECAMATAN_FILE)[["nama", "geometry"]]
    spellings = [lambda n: n.upper(), lambda n: n.replace(" ", ""), lambda n: f"Kec. {n}", lambda n: n.lower()]
    frame["WADMKC"] = [spellings[i % 4](n) for i, n in enumerate(frame["nama"])]
    path = tmp_path / "names.gpkg"
    frame.drop(columns=["nama"]).to_crs("EPSG:3857").to_file(path)
    report = geo.check_boundaries(path)
    assert report["name_field"] == "WADMKC" and report["matched"] == 31 and report["crs"] == "EPSG:3857"


def test_an_unknown_name_is_listed_with_its_reason(tmp_path):
    frame = gpd.read_file(KECAMATAN_FILE)
    frame.loc[4, ["kode", "nama"]] = ["35.78.99", "Kota Lama"]
    path = tmp_path / "unknown.geojson"
    frame.to_file(path)
    report = geo.check_boundaries(path, code_field="kode", name_field="nama")
    assert report["matched"] == 30 and not report["ok"]
    (entry,) = report["unmatched"]
    assert entry["feature"] == 4 and entry["code"] == "35.78.99"
    assert "'35.78.99' is not an official kecamatan code" in entry["reason"]
    assert "'Kota Lama' is not an official kecamatan name" in entry["reason"]
    assert [m["code"] for m in report["missing"]] == [reference.kecamatan()[4].code]


def test_a_self_intersecting_polygon_is_repaired_and_used(tmp_path):
    kec = reference.kecamatan_by_code()["35.78.09"]
    x, y, d = kec.lon, kec.lat, 0.01
    bowtie = shapely.Polygon([(x - d, y - d), (x + d, y + d), (x + d, y - d), (x - d, y + d), (x - d, y - d)])
    assert not bowtie.is_valid
    path = tmp_path / "bowtie.geojson"
    gpd.GeoDataFrame({"code": ["35.78.09"]}, geometry=[bowtie], crs="EPSG:4326").to_file(path)
    report = geo.check_boundaries(path)
    assert report["matched"] == 1 and report["repaired"][0]["problem"].startswith("Self-intersection")
    loaded = geo.load_boundaries(path)
    assert loaded.frame.geometry.is_valid.all()
    found = geo_locator.PolygonLocator(loaded).locate([x - d / 2, x + d / 2, x], [y, y, y + d / 2])
    assert found == [("35.78.09", None), ("35.78.09", None), None]  # the bowtie's two lobes, not its notch


def test_a_file_that_cannot_be_used_says_why(tmp_path):
    with pytest.raises(geo.BoundaryFileError, match="cannot read"):
        geo.check_boundaries(tmp_path / "missing.shp")
    with pytest.raises(geo.BoundaryFileError, match="no field 'KODE'"):
        geo.check_boundaries(KECAMATAN_FILE, code_field="KODE")
    points = tmp_path / "points.geojson"
    gpd.GeoDataFrame({"x": ["a"]}, geometry=[shapely.Point(112.7, -7.3)], crs="EPSG:4326").to_file(points)
    with pytest.raises(geo.BoundaryFileError, match="codes or names"):
        geo.check_boundaries(points)


def test_a_wrong_crs_is_flagged(tmp_path):
    frame = gpd.read_file(KECAMATAN_FILE).to_crs("EPSG:32749").set_crs("EPSG:32750", allow_override=True)
    path = tmp_path / "wrong_zone.gpkg"
    frame.to_file(path)
    report = geo.check_boundaries(path)
    assert report["matched"] == 31 and not report["ok"]
    assert any("outside Surabaya" in w for w in report["warnings"])


def test_the_kelurahan_layer_matches_153_and_a_name_used_twice_goes_by_its_centre(tmp_path):
    report = geo.check_boundaries(KELURAHAN_FILE, level="kelurahan")
    assert report["matched"] == 153 and report["ok"]
    by_name = geo.check_boundaries(KELURAHAN_FILE, code_field="nama", name_field="nama", level="kelurahan")
    assert by_name["matched"] == 153  # both Wonorejo, told apart by which centre lies inside


def test_a_file_is_read_once_per_modification(tmp_path):
    path = tmp_path / "kec.geojson"
    path.write_bytes(KECAMATAN_FILE.read_bytes())
    first = geo.load_boundaries(path)
    assert geo.load_boundaries(path) is first
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    assert geo.load_boundaries(path) is not first


def test_loaded_areas_form_a_clean_coverage(official):
    """Overlaps in the source get one owner, so a point is never in two kecamatan and edges simplify together."""
    assert official.report["overlaps"]  # the shared file has small overlaps between neighbours
    assert bool(shapely.coverage_is_valid(official.frame.to_crs(geo.METRIC_CRS).geometry.to_numpy()))


# --- locating points ------------------------------------------------------------------------------------


def test_every_interior_point_falls_in_its_own_kecamatan(official, shapefile):
    lons, lats, codes = _interior_points()
    for boundaries in (official, geo.load_boundaries(shapefile, "KODE_KEC", "NAMOBJ")):
        assert [f[0] for f in geo_locator.PolygonLocator(boundaries).locate(lons, lats)] == codes


def test_every_kelurahan_centre_falls_in_its_own_kelurahan(official, official_kelurahan):
    kel = reference.kelurahan()
    found = geo_locator.PolygonLocator(official, official_kelurahan).locate([k.lon for k in kel], [k.lat for k in kel])
    assert found == [(k.kecamatan_code, k.code) for k in kel]


def test_the_schematic_default_assigns_the_same_points_correctly():
    locator = geo_locator.locator_for(Settings())
    assert locator.schematic
    lons, lats, codes = _interior_points()
    assert [f[0] for f in locator.locate(lons, lats)] == codes
    kel = reference.kelurahan()
    assert locator.locate([k.lon for k in kel], [k.lat for k in kel]) == [(k.kecamatan_code, k.code) for k in kel]


@pytest.mark.parametrize("which", ["official", "schematic"])
def test_points_outside_the_city_are_unknown(which, official):
    locator = geo_locator.PolygonLocator(official) if which == "official" else geo_locator.locator_for(Settings())
    lats, lons = zip(*OUTSIDE)
    assert locator.locate(np.array(lons), np.array(lats)) == [None] * len(OUTSIDE)
    assert locator.locate([float("nan")], [-7.3]) == [None]
    results = resolve_many([(None, None, lat, lon) for lat, lon in OUTSIDE], locator)
    assert [r.method for r in results] == ["unknown"] * len(OUTSIDE)


def test_small_and_large_batches_put_every_point_in_the_same_area(official, official_kelurahan):
    """The R-tree (small batches) and the sweep (large ones) agree on every vertex and edge midpoint of the
    official polygons, where two or three areas meet, and on points scattered over and around the city."""
    rng = np.random.default_rng(7)
    for layer in (official, official_kelurahan):
        areas = geo_locator.PolygonLocator(layer)._kecamatan
        rings = shapely.get_coordinates(shapely.boundary(areas.geoms))
        midpoints = (rings[:-1] + rings[1:]) / 2
        x0, y0, x1, y1 = (
            areas.bounds[:, 0].min(),
            areas.bounds[:, 1].min(),
            areas.bounds[:, 2].max(),
            areas.bounds[:, 3].max(),
        )
        scattered = np.column_stack([rng.uniform(x0 - 0.02, x1 + 0.02, 3000), rng.uniform(y0 - 0.02, y1 + 0.02, 3000)])
        points = np.vstack([rings, midpoints, scattered, [[np.nan, -7.3]]])
        x, y = points[:, 0].copy(), points[:, 1].copy()
        by_tree, by_sweep = areas._lookup_in_tree(x, y), areas._lookup_by_sweep(x, y)
        assert (by_tree == by_sweep).all(), np.flatnonzero(by_tree != by_sweep)[:10]
        assert (by_sweep >= 0).sum() > len(rings)  # most points are inside some area: the comparison has teeth
        # lookup() picks between them by size
        assert (areas.lookup(x[:100], y[:100]) == by_sweep[:100]).all()


class CountingLocator(geo_locator.PolygonLocator):
    calls = 0

    def locate(self, lons, lats):
        self.calls += 1
        return super().locate(lons, lats)


def test_events_are_located_by_code_name_or_coordinates_in_one_batch(official):
    locator = CountingLocator(official)
    rng = np.random.default_rng(4)
    points = [
        (None, None, float(lat), float(lon))
        for lat, lon in zip(rng.uniform(-7.33, -7.22, 5000), rng.uniform(112.65, 112.78, 5000))
    ]
    places = [
        ("Kec. Karang Pilang", None, None, None),
        ("3578070", None, None, None),
        ("Kota Lama", None, None, None),
        (None, "Wonorejo", None, None),
        (None, None, -7.31693, 112.803197),
        (None, None, -7.20, 112.84),
    ] + points
    results = resolve_many(places, locator)
    assert locator.calls == 1  # thousands of points, one vectorised call
    assert [(r.kecamatan_code, r.method) for r in results[:6]] == [
        ("35.78.01", "code_or_name"),
        ("35.78.03", "code_or_name"),
        (None, "unknown"),
        (None, "unknown"),
        ("35.78.03", "coordinates"),
        (None, "unknown"),
    ]
    assert sum(r.known for r in results[6:]) > 4900


def test_the_schematic_map_against_the_official_polygons(official):
    """How far the built-in schematic can be trusted: printed, with floors."""
    schematic = geo.schematic_boundaries()
    real = official.frame.to_crs(geo.METRIC_CRS).union_all()
    drawn = schematic.frame.to_crs(geo.METRIC_CRS).union_all()
    covered, beyond = drawn.intersection(real).area / real.area, drawn.difference(real).area / real.area
    x0, y0, x1, y1 = official.frame.total_bounds
    rng = np.random.default_rng(2026)
    lons, lats = rng.uniform(x0, x1, 5000), rng.uniform(y0, y1, 5000)
    truth, _ = geo_locator.PolygonLocator(official).assign(lons, lats)
    guess, _ = geo_locator.PolygonLocator(schematic).assign(lons, lats)
    agree = float(np.mean(truth == guess))
    inside = truth != None  # noqa: E711 - elementwise
    agree_inside = float(np.mean(truth[inside] == guess[inside]))
    print(
        f"\nschematic outline covers {covered:.1%} of the city's area, {beyond:.1%} lies outside it; "
        f"same kecamatan for {agree:.1%} of 5,000 points in the city's bbox ({agree_inside:.1%} of those inside)"
    )
    assert covered >= 0.93 and beyond <= 0.10
    assert agree >= 0.85 and agree_inside >= 0.83


# --- browser GeoJSON, settings, population, fire posts, CLI ------------------------------------------------


def test_the_browser_geojson_is_simplified_once_and_keeps_every_kecamatan(official):
    collection = geo.browser_geojson(official)
    assert geo.browser_geojson(official) is collection
    assert [f["id"] for f in collection["features"]] == [k.code for k in reference.kecamatan()]
    text = json.dumps(collection)
    assert len(text) < 0.6 * KECAMATAN_FILE.stat().st_size
    coords = shapely.get_coordinates(shapely.from_geojson(json.dumps(collection["features"][0]["geometry"])))
    assert np.allclose(coords, np.round(coords, 5))


def test_boundaries_follow_the_settings(tmp_path):
    # no settings, or settings without a boundary file: the schematic map at both levels
    assert geo.boundaries_for(None).schematic and geo.boundaries_for(Settings(), "kelurahan").schematic
    official = Settings(boundaries_path=KECAMATAN_FILE, boundaries_code_field="kode")
    locator = geo_locator.locator_for(official)
    # official kecamatan without a kelurahan file: no kelurahan layer (an approximate one would pass as official)
    assert not locator.schematic and geo.boundaries_for(official, "kelurahan") is None
    assert geo.boundaries_for(
        Settings(boundaries_path=KECAMATAN_FILE, kelurahan_path=KELURAHAN_FILE), "kelurahan"
    ).source


def test_population_per_10000_residents(tmp_path):
    path = tmp_path / "penduduk.csv"
    path.write_text('Kecamatan,Jumlah Penduduk\nKec. Karang Pilang,"72.310"\nRUNGKUT,123456\n', encoding="utf-8")
    population = kecamatan_facts.load_population(path)
    assert population == {"35.78.01": 72_310, "35.78.03": 123_456}
    rates = kecamatan_facts.per_10000_residents({"35.78.01": 7231, "35.78.03": None, "35.78.04": 5}, population)
    assert rates == {"35.78.01": 1000.0, "35.78.03": None, "35.78.04": None}


def test_fire_posts_lie_in_their_kecamatan(official):
    posts = kecamatan_facts.fire_posts()
    assert len(posts) == 32
    found = geo_locator.PolygonLocator(official).locate([p["lon"] for p in posts], [p["lat"] for p in posts])
    agree = sum(f is not None and f[0] == p["kecamatan_code"] for f, p in zip(found, posts))
    assert agree >= 30  # a post on a kecamatan border may sit a few metres across it


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="app.py")
    boundaries_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return boundaries_cli.run(None, parser.parse_args(argv))


def test_the_check_command_prints_json_for_the_gis_officer(shapefile, capsys):
    assert (
        _cli(["boundaries", "check", str(shapefile), "--code-field", "KODE_KEC", "--name-field", "NAMOBJ", "--json"])
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert {"features", "matched", "unmatched", "crs", "area_km2"} <= set(report)
    assert (report["features"], report["matched"], report["crs"]) == (31, 31, "EPSG:32749")
    assert _cli(["boundaries", "check", str(shapefile)]) == 0
    assert "matched            31 of 31 kecamatan" in capsys.readouterr().out
    assert _cli(["boundaries", "check", str(shapefile.with_suffix(".gpkg")), "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["ok"] is False
