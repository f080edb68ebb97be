"""Map figures: valid plotly JSON, offline by default, Indonesian hover texts, shapes and colours; and in Chromium."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import re
import threading
import time
from pathlib import Path

import orjson
import plotly.graph_objects as go
import plotly.io as pio
import plotly.offline
import pytest

from dashboard import kecamatan_facts, reference
from dashboard.settings import Settings
from data_sources.geo import boundaries as geo
from layouts import map_figures as mf
from layouts import map_incidents as mi
from tests.support.services import free_port

GEO = Path(__file__).resolve().parents[3] / "shared" / "geo"
REPORTED = dt.datetime(2026, 11, 27, 1, 15, tzinfo=dt.UTC)  # 08.15 WIB


@pytest.fixture(scope="module")
def official_geojson():
    return geo.browser_geojson(geo.load_boundaries(GEO / "surabaya_kecamatan.geojson"))


@pytest.fixture(scope="module")
def schematic_geojson():
    return geo.browser_geojson(geo.schematic_boundaries())


def _incidents() -> list[dict]:
    kec = reference.kecamatan()
    categories = list(mi.CATEGORY_STYLE)
    return [
        {
            "incident_id": f"INC-{i}",
            "category": categories[i % len(categories)],
            "priority": 1 + i % 3,
            "lat": kec[i].lat,
            "lon": kec[i].lon,
            "kecamatan_code": kec[i].code,
            "reported_at": REPORTED,
            "description": "Nama pelapor Budi, 0812-3456-7890",
            "caller": {"name": "Budi"},
        }
        for i in range(len(kec))
    ]


def _values() -> dict[str, float | None]:
    values: dict[str, float | None] = {k.code: 1000.0 + i * 37.25 for i, k in enumerate(reference.kecamatan())}
    values["35.78.05"] = None
    values["35.78.06"] = 0.0
    return values


def _figures(official_geojson, schematic_geojson):
    for theme in ("dark", "light"):
        for geojson, schematic in ((official_geojson, False), (schematic_geojson, True)):
            yield mf.choropleth_figure(
                _values(), geojson, title="Aduan", unit="aduan", lang="id", schematic=schematic, theme=theme
            )
            yield mi.incidents_figure(
                _incidents(), kecamatan_facts.fire_posts(), geojson, "id", theme=theme, schematic=schematic
            )


def test_figure_dicts_are_valid_plotly_json(official_geojson, schematic_geojson):
    for fig in _figures(official_geojson, schematic_geojson):
        text = orjson.dumps(fig)  # plain JSON types only: no numpy, no go objects
        assert pio.from_json(text.decode()).layout.map.style is not None
        go.Figure(fig)  # validates every property name and value


def test_the_default_maps_request_nothing_from_the_network(official_geojson, schematic_geojson):
    for fig in _figures(official_geojson, schematic_geojson):
        text = orjson.dumps(fig).decode()
        assert "http" not in text and "mapbox://" not in text
        style = fig["layout"]["map"]["style"]
        assert style["sources"] == {} and "glyphs" not in style and "sprite" not in style
        assert [layer["type"] for layer in style["layers"]] == ["background"]
        # symbol layers would need a sprite or glyphs: only fills and lines, and plain circle markers
        assert {layer["type"] for layer in fig["layout"]["map"].get("layers", [])} <= {"fill", "line"}
        for trace in fig["data"]:
            assert trace["type"] in ("choroplethmap", "scattermap")
            if trace["type"] == "scattermap":
                assert trace["mode"] == "markers" and "symbol" not in trace["marker"]


def test_a_configured_tile_style_is_used_as_given(official_geojson):
    url = "https://peta.surabaya.go.id/styles/pantau.json"
    fig = mi.incidents_figure(_incidents(), [], official_geojson, "id", style=url)
    assert fig["layout"]["map"]["style"] == url
    assert fig["data"][0]["marker"]["opacity"] < 0.5  # the city's own map shows through
    assert mf.map_style("carto-positron") == "carto-positron"
    assert mf.map_style(Settings().map_style)["layers"][0]["type"] == "background"


def test_choropleth_hover_texts_use_indonesian_numbers(official_geojson):
    fig = mf.choropleth_figure(
        {"35.78.01": 1234.5, "35.78.02": 12.25, "35.78.03": None},
        official_geojson,
        title=None,
        unit="per 10.000 penduduk",
        lang="id",
        schematic=False,
        decimals=1,
    )
    missing, known = fig["data"]
    by_name = {name: text for name, text in known["customdata"]}
    assert by_name["Karang Pilang"] == "1.234,5 per 10.000 penduduk"
    assert by_name["Wonocolo"] == "12,2 per 10.000 penduduk" or by_name["Wonocolo"] == "12,3 per 10.000 penduduk"
    assert fig["layout"]["separators"] == ",."  # the colour bar's ticks too
    assert ["Rungkut", "Tidak ada data"] in missing["customdata"]
    # no kecamatan is sent twice
    assert len(missing["geojson"]["features"]) + len(known["geojson"]["features"]) == 31
    english = mf.choropleth_figure(
        {"35.78.01": 1234.5}, official_geojson, title=None, unit="%", lang="en", schematic=False, decimals=1
    )
    assert english["data"][1]["customdata"] == [["Karang Pilang", "1,234.5%"]]
    assert english["layout"]["separators"] == ".,"


def test_zero_is_a_value_and_missing_is_no_data(official_geojson):
    fig = mf.choropleth_figure(_values(), official_geojson, title="x", unit="aduan", lang="id", schematic=False)
    missing, known = fig["data"]
    assert missing["locations"] == ["35.78.05"] and "35.78.06" in known["locations"]
    assert known["zmin"] == 0


def test_the_schematic_map_says_so(schematic_geojson, official_geojson):
    def notes(fig):
        return " ".join(a["text"] for a in fig["layout"]["annotations"])

    assert "Peta skematis" in notes(
        mf.choropleth_figure({}, schematic_geojson, title=None, unit="", lang="id", schematic=True)
    )
    assert "Schematic map" in notes(mi.incidents_figure([], [], schematic_geojson, "en", schematic=True))
    assert "skematis" not in notes(
        mf.choropleth_figure({}, official_geojson, title=None, unit="", lang="id", schematic=False)
    )


def test_categories_differ_in_shape_and_colour_and_priority_in_size():
    shapes = [s for s, _ in mi.CATEGORY_STYLE.values()]
    colours = [c for _, c in mi.CATEGORY_STYLE.values()]
    assert len(set(shapes)) == len(shapes) and len(set(colours)) == len(colours)
    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"}
    assert set(colours) <= okabe_ito
    assert mi.PRIORITY_RADIUS_M[1] > mi.PRIORITY_RADIUS_M[2] > mi.PRIORITY_RADIUS_M[3]


def test_incidents_figure_draws_each_incident_once_most_urgent_on_top(official_geojson):
    incidents = _incidents() + [
        {"category": "alien_landing", "priority": 9, "lat": -7.3, "lon": 112.7},
        {"category": "fire", "priority": 1, "lat": None, "lon": None},
    ]
    fig = mi.incidents_figure(incidents, kecamatan_facts.fire_posts(), official_geojson, "id")
    layers = fig["layout"]["map"]["layers"]
    fills = [layer for layer in layers if layer["type"] == "fill" and layer["name"].startswith("incidents")]

    def shapes(layer):
        return sum(len(f["geometry"]["coordinates"]) for f in layer["source"]["features"])

    assert sum(shapes(layer) for layer in fills) == 32  # the unknown category drawn as other
    priorities = [int(re.search(r"-p(\d)-fill$", layer["name"]).group(1)) for layer in fills]
    assert priorities == sorted(priorities, reverse=True)
    posts = next(layer for layer in layers if layer["name"] == "fire-posts-fill")
    assert shapes(posts) == 32
    text = orjson.dumps(fig).decode()
    assert "Budi" not in text and "0812" not in text  # nothing personal reaches a figure
    assert "1 insiden tanpa koordinat" in text


def test_incident_hover_texts_are_indonesian(official_geojson):
    fig = mi.incidents_figure(_incidents()[:2], [], official_geojson, "id")
    hover = fig["data"][-1]["customdata"]
    assert hover[0] == ["Kebakaran", "Prioritas 1 (tertinggi) · Karang Pilang", "Dilaporkan 08.15 WIB"]
    assert hover[1][0] == "Banjir" and hover[1][1].startswith("Prioritas 2 · ")
    area_hover = dict(map(tuple, fig["data"][0]["customdata"]))
    assert area_hover["Karang Pilang"] == "1 insiden aktif" and area_hover["Rungkut"] == "0 insiden aktif"
    english = mi.incidents_figure(_incidents()[:1], [], official_geojson, "en")
    assert english["data"][-1]["customdata"][0] == [
        "Fire",
        "Priority 1 (highest) · Karang Pilang",
        "Reported 08:15 WIB",
    ]


def test_the_view_fits_the_city_in_any_viewport():
    west, south, east, north = reference.CITY_BBOX
    for size in ((960, 720), (1920, 1080), (420, 300)):
        view = mf.fit_view(size)
        assert west < view["center"]["lon"] < east and south < view["center"]["lat"] < north
        world = mf.TILE_PX * 2 ** view["zoom"]
        assert (east - west) / 360 * world <= size[0] - 31  # the city's width fits between the paddings
    assert mf.fit_view((3840, 2160))["zoom"] > mf.fit_view((1920, 1080))["zoom"]


def test_a_prebuilt_dict_is_cheaper_than_a_figure_object(official_geojson):
    """The reason these functions return dicts: printed, with a loose floor for a busy machine."""
    incidents = _incidents() * 16  # about 500 active incidents
    started = time.perf_counter()
    fig = mi.incidents_figure(incidents, kecamatan_facts.fire_posts(), official_geojson, "id")
    built = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(20):
        orjson.dumps(fig)
    serialised = (time.perf_counter() - started) / 20
    started = time.perf_counter()
    go.Figure(fig).to_plotly_json()
    as_object = time.perf_counter() - started
    print(
        f"\nincidents figure: built in {built * 1e3:.1f} ms, orjson {serialised * 1e3:.2f} ms, "
        f"go.Figure {as_object * 1e3:.1f} ms"
    )
    assert serialised < as_object


# --- in a real browser ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("maps")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join(timeout=5)


def _page(fig: dict) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><script>{plotly.offline.get_plotlyjs()}</script>"
        "<style>html,body{margin:0} #map{width:960px;height:720px}</style></head><body><div id='map'></div>"
        f"<script>const fig={orjson.dumps(fig).decode()};"
        "Plotly.newPlot('map', fig.data, fig.layout, {displayModeBar: false});</script></body></html>"
    )


def test_the_maps_draw_offline_in_chromium(browser, page_server, official_geojson, schematic_geojson):
    root, base = page_server
    figures = {
        "incidents-dark": mi.incidents_figure(
            _incidents(), kecamatan_facts.fire_posts(), official_geojson, "id", viewport=(960, 720)
        ),
        "choropleth-schematic-light": mf.choropleth_figure(
            _values(),
            schematic_geojson,
            title="Aduan",
            unit="aduan",
            lang="id",
            schematic=True,
            theme="light",
            viewport=(960, 720),
        ),
    }
    for name, fig in figures.items():
        (root / f"{name}.html").write_text(_page(fig), encoding="utf-8")
        page = browser.new_page(viewport={"width": 960, "height": 720})
        requests: list[str] = []
        page.on("request", lambda r, seen=requests: seen.append(r.url))
        page.goto(f"{base}/{name}.html")
        page.wait_for_function(
            "() => { const m = document.getElementById('map')._fullLayout?.map?._subplot?.map;"
            " return m && m.loaded() && !m.isMoving(); }",
            timeout=60_000,
        )
        page.wait_for_timeout(500)
        artifacts = Path(__file__).resolve().parent.parent / "artifacts"
        artifacts.mkdir(exist_ok=True)
        page.screenshot(path=str(artifacts / f"map-{name}.png"))
        assert all(url.startswith((base, f"blob:{base}")) for url in requests), requests
        drawn = page.evaluate(
            "() => document.getElementById('map')._fullLayout.map._subplot.map.queryRenderedFeatures().length"
        )
        assert drawn >= 31, "the kecamatan were not drawn"
        if name == "incidents-dark":
            x, y = page.evaluate("""() => {
                const gd = document.getElementById('map'), m = gd._fullLayout.map._subplot.map;
                const trace = gd.data[gd.data.length - 1], q = m.project([trace.lon[0], trace.lat[0]]);
                const box = m.getCanvas().getBoundingClientRect();
                return [q.x + box.left, q.y + box.top]; }""")
            page.mouse.move(x, y)
            page.wait_for_selector(".hovertext", timeout=5_000)
            hover = page.text_content(".hovertext")
            assert "Kebakaran" in hover and "Prioritas 1 (tertinggi)" in hover and "08.15 WIB" in hover
        page.close()
