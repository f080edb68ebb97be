"""The reference table of Surabaya's 31 kecamatan and 153 kelurahan, and place-name matching."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_DIR = Path(__file__).resolve().parent / "reference"

# The city's extent (lon 112.590..112.847, lat -7.351..-7.190) with a small margin.
CITY_BBOX = (112.585, -7.356, 112.852, -7.185)


@dataclass(frozen=True)
class Kecamatan:
    code: str  # Kemendagri, 35.78.xx
    name: str
    area_km2: float
    lat: float  # an interior point
    lon: float
    bps_code: str


@dataclass(frozen=True)
class Kelurahan:
    code: str  # Kemendagri, 35.78.xx.xxxx
    name: str
    kecamatan_code: str
    lat: float
    lon: float
    area_km2: float
    bps_code: str
    postal_codes: tuple[str, ...]


@lru_cache(maxsize=1)
def kecamatan() -> tuple[Kecamatan, ...]:
    with open(_DIR / "surabaya_kecamatan.csv", newline="", encoding="utf-8") as fh:
        return tuple(
            Kecamatan(r["code"], r["name"], float(r["area_km2"]), float(r["lat"]), float(r["lon"]), r["bps_code"])
            for r in csv.DictReader(fh)
        )


@lru_cache(maxsize=1)
def kelurahan() -> tuple[Kelurahan, ...]:
    with open(_DIR / "surabaya_kelurahan.csv", newline="", encoding="utf-8") as fh:
        return tuple(
            Kelurahan(
                r["code"],
                r["name"],
                r["kec_code"],
                float(r["lat"]),
                float(r["lon"]),
                float(r["area_km2"]),
                r["bps_code"],
                tuple(p for p in r["postal_codes"].replace(";", " ").split() if p),
            )
            for r in csv.DictReader(fh)
        )


@lru_cache(maxsize=1)
def kecamatan_by_code() -> dict[str, Kecamatan]:
    return {k.code: k for k in kecamatan()}


@lru_cache(maxsize=1)
def kelurahan_by_code() -> dict[str, Kelurahan]:
    return {k.code: k for k in kelurahan()}


_PREFIXES = re.compile(r"^(kecamatan|kelurahan|kec|kel|desa|ds)\b\.?\s*")


def normalise_name(text: str) -> str:
    """'Kec. Karang Pilang', 'KARANG PILANG' and 'Karangpilang' all become 'karangpilang'."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower().strip()
    text = _PREFIXES.sub("", text)
    return re.sub(r"[^a-z0-9]", "", text)


_CODE_DIGITS = re.compile(r"^\d+$")


def _code_key(text: str) -> str | None:
    digits = re.sub(r"[.\s]", "", text)
    return digits if _CODE_DIGITS.match(digits) else None


@lru_cache(maxsize=1)
def _kecamatan_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for k in kecamatan():
        index[k.code.replace(".", "")] = k.code
        index[k.bps_code] = k.code
        index["name:" + normalise_name(k.name)] = k.code
    return index


@lru_cache(maxsize=1)
def _kelurahan_index() -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for k in kelurahan():
        for key in (k.code.replace(".", ""), k.bps_code, "name:" + normalise_name(k.name)):
            index.setdefault(key, []).append(k.code)
    return index


# Producers spell the same few hundred places over and over: a name's normalisation (Unicode, two regular
# expressions) is done once per spelling, not once per event.
@lru_cache(maxsize=4096)
def match_kecamatan(ref: str | None) -> str | None:
    """The Kemendagri code of a kecamatan given by code (Kemendagri or BPS) or by name, or None."""
    if not ref:
        return None
    key = _code_key(ref)
    index = _kecamatan_index()
    if key is not None:
        return index.get(key)
    return index.get("name:" + normalise_name(ref))


@lru_cache(maxsize=4096)
def match_kelurahan(ref: str | None, kecamatan_code: str | None = None) -> str | None:
    """The code of a kelurahan by code or name; a name used twice in the city needs its kecamatan."""
    if not ref:
        return None
    key = _code_key(ref)
    candidates = _kelurahan_index().get(key if key is not None else "name:" + normalise_name(ref), [])
    if kecamatan_code is not None:
        candidates = [c for c in candidates if kelurahan_by_code()[c].kecamatan_code == kecamatan_code]
    return candidates[0] if len(candidates) == 1 else None
