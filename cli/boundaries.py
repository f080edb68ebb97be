"""`python app.py boundaries check PATH`: what a GIS officer runs before handing over a new boundary file.

Exit status: 0 when every official area matched and nothing is left over, 1 when the file is usable but
not complete or clean, 2 when it cannot be used at all.
"""

from __future__ import annotations

import argparse
import json


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("boundaries", help="check a kecamatan or kelurahan boundary file")
    actions = parser.add_subparsers(dest="boundaries_command", required=True)
    check = actions.add_parser("check", help="read a boundary file and report how it matches the official list")
    check.add_argument("path", help="any file GeoPandas reads (GeoJSON, Shapefile, GeoPackage, ...), in any CRS")
    check.add_argument("--code-field", help="the property holding the Kemendagri or BPS code (default: found)")
    check.add_argument("--name-field", help="the property holding the name (default: found)")
    check.add_argument("--level", choices=("kecamatan", "kelurahan"), default="kecamatan")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


def run(settings, args) -> int:
    from data_sources.geo.boundaries import BoundaryFileError, check_boundaries  # GeoPandas only when asked for

    try:
        report = check_boundaries(args.path, args.code_field, args.name_field, args.level)
    except BoundaryFileError as exc:
        if args.json:
            print(json.dumps({"ok": False, "path": args.path, "error": str(exc)}, ensure_ascii=False))
        else:
            print(f"cannot use {args.path}: {exc}")
        return 2
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(_text(report))
    return 0 if report["ok"] else 1


def _text(r: dict) -> str:
    lines = [
        f"{r['path']}",
        f"  CRS as read        {r['crs'] or 'none'}",
        f"  fields             code: {r['code_field'] or '-'}, name: {r['name_field'] or '-'}",
        f"  features           {r['features']}",
        f"  matched            {r['matched']} of {r['expected']} {r['level']}",
        f"  total area         {r['area_km2']:.1f} km2",
    ]
    if r["repaired"]:
        lines.append(f"  repaired           {len(r['repaired'])} invalid geometries")
    if r["overlaps"]:
        total = sum(o["area_m2"] for o in r["overlaps"])
        lines.append(
            f"  overlaps           {len(r['overlaps'])} pairs, {total:,} m2 (each given to one neighbour on load)"
        )
    for item in r["unmatched"]:
        lines.append(
            f"  unmatched          feature {item['feature']} ({item['code'] or item['name'] or '?'}): {item['reason']}"
        )
    for item in r["missing"]:
        lines.append(f"  missing            {item['code']} {item['name']}")
    for warning in r["warnings"]:
        lines.append(f"  warning            {warning}")
    lines.append("  OK" if r["ok"] else "  NOT OK: see above")
    return "\n".join(lines)
