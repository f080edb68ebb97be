"""Kecamatan and kelurahan boundaries: the city's official file, or the schematic default; points located in them.

A deployment points PANTAU_BOUNDARIES_PATH (and optionally PANTAU_KELURAHAN_PATH) at any file GeoPandas
reads, in any CRS. Each feature is matched to the reference table by code (Kemendagri or BPS) or by name
in any usual spelling; the property names are configured or else found by trying every column. Invalid
geometries are repaired, several features of one area are merged. With no file configured the schematic
map of data_sources.geo.schematic stands in, and says so on screen.

Everything here is cached: a file is read once per (path, modification time, fields), the browser's
simplified GeoJSON is built once per boundary set.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from dashboard import reference
from dashboard.settings import Settings
from data_sources.geo.schematic import METRIC_CRS, schematic_layers

log = logging.getLogger(__name__)

LEVELS = ("kecamatan", "kelurahan")
BROWSER_TOLERANCE_M = 40.0  # about a pixel at city zoom on a full-HD wall; roughly half the vertices
BROWSER_GRID_DEG = 1e-5  # about a metre: the GeoJSON's coordinates carry five decimals
GAP_WIDTH_M = 20.0  # gaps between neighbours narrower than this are closed
SLIVER_HOLE_M2 = 10_000.0  # holes smaller than a hectare are gaps between digitised parcels, not enclaves
# A matched area farther than this outside the city's extent points to a wrong CRS or a wrong file.
OUTSIDE_WARNING_DEG = 0.05
_CODE_RE = re.compile(r"^[\d.\s]+$")


class BoundaryFileError(ValueError):
    """A boundary file cannot be read or used at all (unreadable, no CRS, unknown field, nothing matched)."""


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: the caches key on the object
class Boundaries:
    level: str  # "kecamatan" or "kelurahan"
    # One row per official area: code, name (kelurahan also kecamatan_code), geometry in EPSG:4326.
    frame: gpd.GeoDataFrame
    schematic: bool
    source: str
    report: dict = field(default_factory=dict)


# --- reading and matching a boundary file ---------------------------------------------------------


def _official(level: str) -> dict[str, str]:
    rows = reference.kecamatan() if level == "kecamatan" else reference.kelurahan()
    return {r.code: r.name for r in rows}


@lru_cache(maxsize=1)
def _kelurahan_names() -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for k in reference.kelurahan():
        index.setdefault(reference.normalise_name(k.name), []).append(k.code)
    return index


def _as_text(value) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code stored as a number in a .dbf
    text = str(value).strip()
    return text or None


def _looks_like_code(text: str) -> bool:
    return bool(_CODE_RE.match(text))


def _match_code(text: str | None, level: str) -> str | None:
    if text is None or not _looks_like_code(text):
        return None
    return reference.match_kecamatan(text) if level == "kecamatan" else reference.match_kelurahan(text)


def _match_name(text: str | None, level: str, geometry) -> tuple[str | None, str | None]:
    """(code, None) or (None, why not). A kelurahan name used twice goes to the one whose centre is inside."""
    if text is None:
        return None, None
    if level == "kecamatan":
        code = None if _looks_like_code(text) else reference.match_kecamatan(text)
        return code, None if code else f"name {text!r} is not an official kecamatan name"
    candidates = _kelurahan_names().get(reference.normalise_name(text), [])
    if len(candidates) > 1 and geometry is not None:
        by_code = reference.kelurahan_by_code()
        candidates = [c for c in candidates if geometry.intersects(shapely.Point(by_code[c].lon, by_code[c].lat))]
        if len(candidates) != 1:
            return None, f"name {text!r} is used by several kelurahan and none of their centres is inside"
    return (candidates[0], None) if candidates else (None, f"name {text!r} is not an official kelurahan name")


def _pick_field(frame: gpd.GeoDataFrame, wanted: str | None, score) -> str | None:
    columns = [c for c in frame.columns if c != frame.geometry.name]
    if wanted is not None:
        if wanted not in columns:
            raise BoundaryFileError(f"the file has no field {wanted!r}; its fields are {', '.join(columns)}")
        return wanted
    scores = {c: sum(score(_as_text(v)) for v in frame[c]) for c in columns}
    best = max(columns, key=lambda c: scores[c], default=None)
    return best if best is not None and scores[best] > 0 else None


def _read(path: Path, warnings: list[str]) -> tuple[gpd.GeoDataFrame, str | None]:
    """The file in EPSG:4326 and its CRS as read."""
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own DataSourceError, OSError, ...; all mean "unreadable"
        raise BoundaryFileError(f"cannot read {path}: {exc}") from exc
    if frame.crs is not None:
        return frame.to_crs("EPSG:4326"), frame.crs.to_string()
    x0, y0, x1, y1 = frame.total_bounds if len(frame) else (0, 0, 0, 0)
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise BoundaryFileError("the file names no CRS and its coordinates are not degrees; add a .prj or reproject it")
    warnings.append("the file names no CRS; its coordinates look like degrees and were read as EPSG:4326")
    return frame.set_crs("EPSG:4326"), None


def _match_features(
    frame: gpd.GeoDataFrame, code_field: str | None, name_field: str | None, level: str, warnings: list[str]
) -> tuple[gpd.GeoDataFrame, list[dict], list[dict]]:
    """Every feature with its official code (None if unmatched), repaired polygons; unmatched and repaired lists."""
    codes: list[str | None] = []
    geometries: list = []
    unmatched: list[dict] = []
    repaired: list[dict] = []
    for i, (row, geom) in enumerate(zip(frame.itertuples(index=False), frame.geometry)):
        code_text = _as_text(getattr(row, code_field)) if code_field else None
        name_text = _as_text(getattr(row, name_field)) if name_field else None
        entry = {"feature": i, "code": code_text, "name": name_text}
        code, reason, polygons = None, None, None
        if geom is None or geom.is_empty:
            reason = "the feature has no geometry"
        else:
            if not geom.is_valid:
                repaired.append({**entry, "problem": shapely.is_valid_reason(geom)})
                geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
            polygons = _polygonal(geom)
            if polygons is None:
                reason = f"the geometry is a {geom.geom_type}, not a polygon"
        if polygons is not None:
            code = _match_code(code_text, level)
            name_code, name_problem = _match_name(name_text, level, polygons)
            if code is None and name_code is None:
                reasons = [f"code {code_text!r} is not an official {level} code"] if code_text else []
                reason = (
                    "; ".join(reasons + ([name_problem] if name_problem else []))
                    or f"no {level} code or name in the fields read"
                )
            elif code is not None and name_code not in (None, code):
                warnings.append(
                    f"feature {i}: code {code_text!r} is {_official(level)[code]} "
                    f"but the name says {name_text!r}; the code wins"
                )
            code = code or name_code
        if reason:
            unmatched.append({**entry, "reason": reason})
        codes.append(code)
        geometries.append(polygons)
    return gpd.GeoDataFrame({"code": codes}, geometry=geometries, crs="EPSG:4326"), unmatched, repaired


def _as_coverage(matched: gpd.GeoDataFrame, level: str) -> tuple[gpd.GeoDataFrame, int, list[dict]]:
    """One row per official area (features of one area merged), as a clean coverage; holes filled, overlaps.

    Overlaps get one owner and narrow gaps are closed, so a point is never in two areas and shared edges
    are identical, which lets the browser's simplification treat neighbours alike.
    """
    merged = matched.dissolve(by="code", as_index=False)[["code", "geometry"]]
    filled = [_fill_slivers(g) for g in merged.geometry]
    metric = gpd.GeoSeries([g for g, _ in filled], crs="EPSG:4326").to_crs(METRIC_CRS).to_numpy()
    overlaps = _overlaps(merged["code"].tolist(), metric)
    cleaned = shapely.coverage_clean(metric, gap_width=GAP_WIDTH_M) if len(metric) else metric
    merged["geometry"] = gpd.GeoSeries(cleaned, crs=METRIC_CRS).to_crs("EPSG:4326").to_numpy()
    merged.insert(1, "name", merged["code"].map(_official(level)))
    if level == "kelurahan":
        merged.insert(2, "kecamatan_code", [reference.kelurahan_by_code()[c].kecamatan_code for c in merged["code"]])
    return merged, sum(n for _, n in filled), overlaps


def _outside_city(areas: gpd.GeoDataFrame) -> list[str]:
    x0, y0, x1, y1 = reference.CITY_BBOX
    m = OUTSIDE_WARNING_DEG
    return [
        code
        for code, p in zip(areas["code"], areas.geometry.representative_point())
        if not (x0 - m <= p.x <= x1 + m and y0 - m <= p.y <= y1 + m)
    ]


def _read_and_match(
    path: Path, code_field: str | None, name_field: str | None, level: str
) -> tuple[gpd.GeoDataFrame, dict]:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    warnings: list[str] = []
    frame, crs = _read(path, warnings)
    code_field = _pick_field(frame, code_field, lambda v: _match_code(v, level) is not None)
    name_field = _pick_field(frame, name_field, lambda v: _match_name(v, level, None)[0] is not None)
    if code_field is None and name_field is None:
        raise BoundaryFileError(
            f"no field of the file holds {level} codes or names; name them with --code-field/--name-field"
        )
    features, unmatched, repaired = _match_features(frame, code_field, name_field, level, warnings)
    matched = features[features["code"].notna()]
    areas, holes_filled, overlaps = _as_coverage(matched, level)
    outside = _outside_city(areas)
    warnings += [f"{code} lies outside Surabaya: is the CRS right?" for code in outside]
    counts = matched["code"].value_counts()
    official = _official(level)
    report = {
        "path": str(path),
        "level": level,
        "crs": crs,
        "code_field": code_field,
        "name_field": name_field,
        "features": len(features),
        "matched": int(len(counts)),
        "expected": len(official),
        "matched_features": int(len(matched)),
        "unmatched": unmatched,
        "missing": [{"code": c, "name": n} for c, n in official.items() if c not in counts.index],
        "merged": [{"code": c, "features": int(n)} for c, n in counts.items() if n > 1],
        "repaired": repaired,
        "holes_filled": holes_filled,
        "overlaps": overlaps,
        "outside_city": outside,
        "warnings": warnings,
        "area_km2": round(float(features.geometry.dropna().to_crs(METRIC_CRS).area.sum() / 1e6), 3),
        "bounds": [round(float(v), 6) for v in features.total_bounds] if len(features) else None,
    }
    report["ok"] = not unmatched and not report["missing"] and not outside
    return areas, report


def _fill_slivers(geom) -> tuple[object, int]:
    """The area with its holes under SLIVER_HOLE_M2 filled (digitising gaps left by a dissolve), and their count."""
    m2_per_deg2 = 110_574.0 * 111_320.0 * math.cos(math.radians(geom.representative_point().y))
    polygons, filled = [], 0
    for part in getattr(geom, "geoms", [geom]):
        holes = [ring for ring in part.interiors if shapely.Polygon(ring).area * m2_per_deg2 >= SLIVER_HOLE_M2]
        filled += len(part.interiors) - len(holes)
        polygons.append(shapely.Polygon(part.exterior, holes))
    return (polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)), filled


def _overlaps(codes: list[str], metric) -> list[dict]:
    """Pairs of areas that overlap by at least a square metre, largest first."""
    first, second = shapely.STRtree(metric).query(metric, predicate="overlaps")
    pairs = [
        (codes[i], codes[j], float(shapely.intersection(metric[i], metric[j]).area))
        for i, j in zip(first, second)
        if i < j
    ]
    return [{"codes": [a, b], "area_m2": round(area)} for a, b, area in sorted(pairs, key=lambda p: -p[2]) if area >= 1]


def _polygonal(geom):
    """The polygons of a geometry (a repair can leave lines beside them), or None if it has none."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None


def check_boundaries(
    path, code_field: str | None = None, name_field: str | None = None, level: str = "kecamatan"
) -> dict:
    """What `app.py boundaries check` prints: a JSON-ready report on a boundary file before it is used.

    Raises BoundaryFileError when the file cannot be used at all.
    """
    return _read_and_match(Path(path), code_field, name_field, level)[1]


def load_boundaries(
    path, code_field: str | None = None, name_field: str | None = None, level: str = "kecamatan"
) -> Boundaries:
    """A boundary file, read once per modification; areas the file lacks are logged and left unknown."""
    path = Path(path).expanduser().resolve()
    try:
        stat = path.stat()
    except OSError as exc:
        raise BoundaryFileError(f"cannot read {path}: {exc}") from exc
    return _load_cached(path, stat.st_mtime_ns, stat.st_size, code_field, name_field, level)


@lru_cache(maxsize=8)
def _load_cached(path: Path, mtime_ns: int, size: int, code_field, name_field, level) -> Boundaries:
    frame, report = _read_and_match(path, code_field, name_field, level)
    if frame.empty:
        raise BoundaryFileError(f"no feature of {path} matched an official {level}")
    if not report["ok"]:
        log.warning(
            "boundary file %s: %d of %d %s matched, %d features unmatched, warnings: %s",
            path,
            report["matched"],
            report["expected"],
            level,
            len(report["unmatched"]),
            report["warnings"],
        )
    return Boundaries(level, frame, schematic=False, source=str(path), report=report)


def schematic_boundaries(level: str = "kecamatan") -> Boundaries:
    return _schematic(level)


@lru_cache(maxsize=2)
def _schematic(level: str) -> Boundaries:
    kecamatan, kelurahan = schematic_layers()
    return Boundaries(level, kecamatan if level == "kecamatan" else kelurahan, schematic=True, source="schematic")


def boundaries_for(settings: Settings | None, level: str = "kecamatan") -> Boundaries | None:
    """The configured boundaries of a level; the schematic when no file is configured (or no settings given).

    With an official kecamatan file and no kelurahan file there is no kelurahan layer (None): an
    approximate kelurahan beside official kecamatan would be mistaken for an official one.
    """
    official = settings is not None and settings.boundaries_path is not None
    if level == "kecamatan":
        if not official:
            return schematic_boundaries("kecamatan")
        return load_boundaries(
            settings.boundaries_path, settings.boundaries_code_field, settings.boundaries_name_field, "kecamatan"
        )
    if settings is not None and settings.kelurahan_path is not None:
        return load_boundaries(
            settings.kelurahan_path, settings.kelurahan_code_field, settings.kelurahan_name_field, "kelurahan"
        )
    return None if official else schematic_boundaries("kelurahan")


# --- locating points --------------------------------------------------------------------------------


# --- what the browser gets --------------------------------------------------------------------------


@lru_cache(maxsize=8)
def browser_geojson(boundaries: Boundaries, tolerance_m: float = BROWSER_TOLERANCE_M) -> dict:
    """A FeatureCollection (feature id = code; properties code, name), simplified once and cached.

    Shared edges are simplified together when the areas form a clean coverage, so no slivers open up
    between neighbours; coordinates carry five decimals (about a metre).
    """
    metric = boundaries.frame.to_crs(METRIC_CRS).geometry.to_numpy()
    if bool(shapely.coverage_is_valid(metric)):  # true after loading; per polygon is the fallback
        simplified = shapely.coverage_simplify(metric, tolerance_m)
    else:
        simplified = shapely.simplify(metric, tolerance_m, preserve_topology=True)
    degrees = gpd.GeoSeries(simplified, crs=METRIC_CRS).to_crs("EPSG:4326").to_numpy()
    degrees = shapely.set_precision(degrees, BROWSER_GRID_DEG)
    features = []
    for code, name, geom in zip(boundaries.frame["code"], boundaries.frame["name"], degrees):
        if geom is None or geom.is_empty:
            continue
        features.append(
            {
                "type": "Feature",
                "id": code,
                "properties": {"code": code, "name": name},
                "geometry": json.loads(shapely.to_geojson(geom)),
            }
        )
    return {"type": "FeatureCollection", "features": features}
