"""What goes inside the simulator's events: random draws, people (names, phones, e-mail, NIK, addresses),
free texts, where cases happen, and the broken variants a real feed produces. The personal data is made up, and there so that
the privacy rules can be tested against something that looks real."""

from __future__ import annotations

import bisect
import itertools
import math
import random
from functools import lru_cache

import orjson

from dashboard import kecamatan_facts, reference
from data_sources.simulator.data import (
    FIRST,
    FOREIGN_PLACES,
    LANDMARKS,
    LAST,
    MOBILE_PREFIXES,
    OUTSIDE_CITY,
    POPULATION_K,
    STREETS,
    TEXTS,
    UNKNOWN_PLACE_SHARE,
)
from data_sources.stream.producer import stream_for


class RawEvent(bytes):
    """A deliberately broken entry that is not even a JSON object; `stream` is where it pretends to belong."""

    stream = "complaints"


# Random.choices, choice and randint are several times slower than these three, and generation must be fast.
def _pick(rng: random.Random, options, cum_weights):
    return options[bisect.bisect(cum_weights, rng.random() * cum_weights[-1])]


def _one(rng: random.Random, options):
    return options[int(rng.random() * len(options))]


def _between(rng: random.Random, low: int, high: int) -> int:
    return low + int(rng.random() * (high - low + 1))


def _cum(weights) -> tuple[float, ...]:
    return tuple(itertools.accumulate(weights))


@lru_cache(maxsize=1)
def _geography():
    kecs = sorted(reference.kecamatan(), key=lambda k: k.code)  # the order of POPULATION_K
    by_kec = {k.code: [] for k in kecs}
    for kel in reference.kelurahan():
        by_kec[kel.kecamatan_code].append(kel)
    area = sum(k.area_km2 for k in kecs)
    kec_cum = _cum(0.8 * p / sum(POPULATION_K) + 0.2 * k.area_km2 / area for p, k in zip(POPULATION_K, kecs))
    kel_cum = {code: _cum(k.area_km2 for k in kels) for code, kels in by_kec.items()}
    roman, posts = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}, {}
    for post in kecamatan_facts.fire_posts():
        words = post["name"].split()
        name = (
            f"RAYON-{roman[words[1]]}"
            if words[0] == "Rayon"
            else "-".join(w for w in words if w not in ("Pos", "Terpadu", "Pembantu")).upper()
        )
        posts.setdefault("DAMKAR-" + name, (post["lat"], post["lon"]))
    nearest_posts = {
        kel.code: sorted(posts, key=lambda u: (posts[u][0] - kel.lat) ** 2 + (posts[u][1] - kel.lon) ** 2)
        for kels in by_kec.values()
        for kel in kels
    }
    return kecs, kec_cum, by_kec, kel_cum, nearest_posts


def _place(rng: random.Random, coordinates_share: float):
    """(location fields, the kelurahan the case is about); a tiny share is deliberately unusable."""
    kecs, kec_cum, by_kec, kel_cum, _ = _geography()
    kec = _pick(rng, kecs, kec_cum)
    kel = _pick(rng, by_kec[kec.code], kel_cum[kec.code])
    if rng.random() < UNKNOWN_PLACE_SHARE:
        lat, lon = _one(rng, OUTSIDE_CITY)
        return _one(rng, ({}, {"kecamatan": _one(rng, FOREIGN_PLACES)}, {"lat": lat, "lon": lon})), kel
    name, place, form = kec.name, {}, rng.random()
    spelled = _one(
        rng, (name, name, name.upper(), "Kec. " + name, "Kecamatan " + name, name.replace(" ", ""), name.lower())
    )  # the ways intake staff and citizens write it
    if form < 0.3:
        place["kecamatan"] = kec.code
        if rng.random() < 0.3:
            place["kelurahan"] = kel.code
    elif form < 0.6:
        place["kecamatan"] = spelled
    elif form >= 0.85:
        place["kecamatan"], place["kelurahan"] = spelled, _one(rng, (kel.name, kel.name, kel.name.upper()))
    if 0.6 <= form < 0.85 or rng.random() < coordinates_share:
        radius, angle = 250 * math.sqrt(rng.random()), rng.random() * 2 * math.pi  # metres, under 300
        place["lat"] = round(kel.lat + radius * math.cos(angle) / 110_600, 6)
        place["lon"] = round(kel.lon + radius * math.sin(angle) / 110_400, 6)
    return place, kel


def _name(rng: random.Random) -> str:
    first = _one(rng, FIRST)
    return first if rng.random() < 0.25 else f"{first} {_one(rng, LAST)}"  # many Javanese go by one name


def _phone(rng: random.Random) -> str:
    digits = _one(rng, (7, 8, 8, 9))
    national = "8" + _one(rng, MOBILE_PREFIXES) + str(int(rng.random() * 10**digits)).zfill(digits)
    return _one(
        rng, ("+62" + national, "+62" + national, "0" + national, f"+62 {national[:3]}-{national[3:7]}-{national[7:]}")
    )


def _street(rng: random.Random, kel) -> str:
    if rng.random() < 0.6:
        return "Jl. " + _one(rng, STREETS)
    return f"Jl. {kel.name} {_one(rng, ('I', 'II', 'III', 'Gg. 2', 'Gg. 5', 'Baru', 'Timur'))}"


def _text(rng: random.Random, key: str, kel) -> str:
    return _one(rng, TEXTS[key]).format(
        street=_street(rng, kel), kel=kel.name, place=_one(rng, LANDMARKS), n=_between(rng, 2, 9)
    )


def _reporter(rng: random.Random, channel: str, category: str, kel) -> dict:
    name, reporter = _name(rng), {}
    if rng.random() < 0.9:
        reporter["name"] = name
    if channel in ("phone", "sms", "whatsapp") or rng.random() < 0.4:
        reporter["phone"] = _phone(rng)
    if channel == "email" or rng.random() < 0.2:
        handle = name.lower().replace(" ", _one(rng, (".", "_", ""))) + str(_between(rng, 1, 99))
        reporter["email"] = f"{handle}@{_one(rng, ('gmail.com', 'gmail.com', 'yahoo.co.id', 'outlook.com'))}"
    if rng.random() < (0.7 if category == "administrasi_kependudukan" else 0.1):
        day = _between(rng, 1, 28) + _one(rng, (0, 40))  # a woman's birth day is written +40
        reporter["nik"] = (
            f"3578{kel.kecamatan_code[-2:]}{day:02d}{_between(rng, 1, 12):02d}"
            f"{_between(rng, 0, 99):02d}{_between(rng, 1, 999):04d}"
        )
    if rng.random() < 0.35:
        address = f"{_street(rng, kel)} No. {_between(rng, 1, 180)}"
        if rng.random() < 0.5:
            address += f", RT {_between(rng, 1, 12):02d}/RW {_between(rng, 1, 9):02d}"
        reporter["address"] = address + (f", Kel. {kel.name}" if rng.random() < 0.4 else "")
    return reporter


def _corrupt(rng: random.Random, event: dict) -> dict | bytes:
    """A broken variant of a valid event, of one of the kinds a real feed produces."""
    bad = dict(event, event_id=event["event_id"] + "-invalid", data=dict(event["data"]))
    kind, data = int(rng.random() * 7), bad["data"]
    if kind == 0:
        raw = RawEvent(orjson.dumps(bad)[: -_between(rng, 2, 40)])
        raw.stream = stream_for(event)
        return raw
    if kind == 1:
        bad["type"] = event["type"].split(".")[0] + "." + _one(rng, ("deleted", "escalated", "updated"))
    elif kind == 2:
        bad["occurred_at"] = event["occurred_at"][:-6]  # the offset dropped: ambiguous
    elif kind == 3:
        bad["schema"] = _one(rng, (2, "1", 0))
    elif kind == 4 and ("exemption" in data or "reason" in data):
        data.pop("exemption", None) or data.pop("reason")  # a refusal without its exemption, an unexplained extension
    elif kind == 4:
        key = next(k for k in ("priority", "value", "complaint_id", "incident_id", "request_id") if k in data)
        data[key] = str(data[key]) if key in ("priority", "value") else 12345
    elif kind == 5:
        # the identifying field, required in every type (an optional one dropped would leave it valid)
        data.pop(next(k for k in ("complaint_id", "incident_id", "request_id", "domain") if k in data))
    else:
        data["text"] = "spam " * 14_000  # over the 64 KiB limit
    return bad
