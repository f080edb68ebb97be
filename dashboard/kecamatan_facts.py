"""Facts per kecamatan that sit beside the boundaries: fire-service posts and population (plain CSV, no GeoPandas)."""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

from dashboard import reference

FIRE_POSTS_CSV = Path(__file__).resolve().parent / "reference" / "surabaya_fire_posts.csv"


@lru_cache(maxsize=1)
def fire_posts() -> tuple[dict, ...]:
    """The city's fire-service posts: name, address, lat, lon, kecamatan_code."""
    with open(FIRE_POSTS_CSV, newline="", encoding="utf-8") as fh:
        return tuple(
            {
                "name": r["name"],
                "address": r["address"],
                "lat": float(r["lat"]),
                "lon": float(r["lon"]),
                "kecamatan_code": r["kec_code"],
            }
            for r in csv.DictReader(fh)
        )


_POPULATION_HEADERS = ("population", "penduduk", "jumlah_penduduk", "jumlah penduduk", "jumlah")


def load_population(path) -> dict[str, int]:
    """Residents per kecamatan code from a CSV with a kecamatan column (code or name) and a population column."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise ValueError(f"{path} holds no rows")
    headers = list(rows[0])
    place = max(headers, key=lambda h: sum(reference.match_kecamatan(r[h] or "") is not None for r in rows))
    counts = [h for h in headers if h.strip().lower() in _POPULATION_HEADERS]
    if not counts:
        raise ValueError(f"{path} needs a population column named one of {', '.join(_POPULATION_HEADERS)}")
    population: dict[str, int] = {}
    for r in rows:
        code = reference.match_kecamatan(r[place] or "")
        if code is None:
            raise ValueError(f"{path}: {r[place]!r} is not a kecamatan of Surabaya")
        population[code] = _whole_number(r[counts[0]])
    return population


def _whole_number(text: str) -> int:
    """12345, 12.345 (Indonesian), 12,345 (English) or 12345.0."""
    text = text.strip().replace(" ", "")
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", text):
        return int(re.sub(r"[.,]", "", text))
    return int(float(text))


def per_10000_residents(counts: dict[str, float | None], population: dict[str, int]) -> dict[str, float | None]:
    """Counts per 10,000 residents; None where the count or the population is missing."""
    return {
        code: (value * 10_000 / population[code] if value is not None and population.get(code) else None)
        for code, value in counts.items()
    }
