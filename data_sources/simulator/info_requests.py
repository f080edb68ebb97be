"""Simulated requests for public information to the PPID of each OPD, on UU KIP's working-day clocks.

A few requests per OPD a week, most by web or e-mail in office hours; most answered within the 10 working
days, some extended once with a reason, some refused under an art. 17 exemption, a few never answered;
a share of refusals and late answers draws an objection, a few of those a dispute at the Komisi Informasi.
"""

from __future__ import annotations

import datetime as dt
import math
import random

from dashboard import ppid
from data_sources.simulator.content import _between, _cum, _name, _one, _phone, _pick

HOUR, DAY = 3600, 86400
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
CALENDAR = ppid.calendar_from_settings(None)

# OPDs and their weekly requests (Surabaya's PPID reports: the big service departments get the most)
PPID_OPDS = {
    "DSDABM": 5.0,
    "DISPENDIK": 6.0,
    "DINKES": 5.0,
    "DLH": 3.0,
    "DPRKPP": 3.0,
    "DISHUB": 3.0,
    "DINSOS": 3.5,
    "SATPOLPP": 2.0,
    "DISPENDUKCAPIL": 4.0,
    "DPMPTSP": 4.0,
    "BAPPEDALITBANG": 2.5,
    "BPKAD": 3.0,
    "DISKOMINFO": 2.0,
}
REQUESTS_PER_WEEK = sum(PPID_OPDS.values())
_OPD_CUM = _cum(PPID_OPDS.values())
CHANNELS = {"web": 45, "email": 22, "letter": 10, "walk_in": 10, "app": 9, "phone": 4}
_CHANNEL_CUM = _cum(CHANNELS.values())
KINDS = {
    "anggaran": ("Rincian RKA dan DPA {opd} tahun anggaran berjalan", 22),
    "pengadaan": ("Dokumen kontrak dan HPS paket pekerjaan {opd}", 18),
    "perizinan": ("Daftar izin yang diterbitkan {opd} tiga bulan terakhir", 14),
    "kepegawaian": ("Jumlah pegawai dan formasi jabatan di {opd}", 8),
    "perencanaan": ("Renstra dan Renja {opd} beserta capaian indikatornya", 16),
    "lainnya": ("Salinan SOP pelayanan {opd}", 22),
}
_KIND_CUM = _cum(w for _, w in KINDS.values())
ORGANISATIONS = ("LSM Surabaya Transparan", "Mahasiswa UNAIR", "Pers Jawa Pos", "Mahasiswa ITS", "FITRA Jatim")
EXEMPTIONS = {"pasal_17_a": 20, "pasal_17_b": 10, "pasal_17_c": 5, "pasal_17_d": 15, "pasal_17_h": 35, "pasal_17_j": 15}
_EXEMPTION_CUM = _cum(EXEMPTIONS.values())
REASONS = (
    "Dokumen tersimpan di arsip inaktif dan perlu ditelusuri.",
    "Informasi yang diminta mencakup beberapa bidang dan perlu dihimpun.",
    "Perlu pengaburan data pribadi sebelum salinan diberikan.",
)
# Shares of the week's requests: weekday office hours (40 h), weekday evenings and nights (80 h, web forms
# and e-mail), weekends (48 h).
_OFFICE_SHARE, _EVENING_SHARE, _WEEKEND_SHARE = 0.85, 0.07, 0.08


def hourly_rate(hour: int) -> float:
    """Expected requests arriving in one hour (counted from the epoch)."""
    local = dt.datetime.fromtimestamp(hour * HOUR, WIB)
    if local.weekday() >= 5:
        return REQUESTS_PER_WEEK * _WEEKEND_SHARE / 48
    if 8 <= local.hour < 16:
        return REQUESTS_PER_WEEK * _OFFICE_SHARE / 40
    return REQUESTS_PER_WEEK * _EVENING_SHARE / 80


def _at_working_day(rng: random.Random, start: int, days: float) -> int:
    """A time in office hours on the working day `days` working days after the WIB day of `start`."""
    day = ppid.wib_date(dt.datetime.fromtimestamp(start, dt.UTC))
    whole = max(0, int(days))
    if whole:
        day = ppid.nth_working_day_after(day, whole, CALENDAR)
    moment = dt.datetime.combine(day, dt.time(8), WIB).timestamp() + rng.uniform(0, 8 * HOUR)
    return int(max(moment, start + 600))


def info_request_steps(rng: random.Random, request_id: str, received: int) -> list:
    """The request and its status events as simulator steps: (occurred, published, key, type, data)."""
    opd = _pick(rng, tuple(PPID_OPDS), _OPD_CUM)
    channel = _pick(rng, tuple(CHANNELS), _CHANNEL_CUM)
    kind = _pick(rng, tuple(KINDS), _KIND_CUM)
    requester = {"name": _name(rng)}
    if channel in ("web", "email", "app"):
        requester["email"] = requester["name"].lower().replace(" ", ".") + "@mail.example.id"
    if rng.random() < 0.6:
        requester["phone"] = _phone(rng)
    if rng.random() < 0.3:
        requester["organisation"] = _one(rng, ORGANISATIONS)
    if rng.random() < 0.5:
        requester["nik"] = "3578" + "".join(str(_between(rng, 0, 9)) for _ in range(12))
    data = {
        "request_id": request_id,
        "opd": opd,
        "channel": channel,
        "information_kind": kind,
        "requester": requester,
        "text": KINDS[kind][0].format(opd=opd),
    }
    key = request_id.lower()
    steps = [(received, received, key + "-created", "info_request.created", data)]

    def status(at: int, name: str, **extra) -> int:
        at = max(at, steps[-1][0] + 60)
        body = {"request_id": request_id, "status": name, **extra}
        steps.append((at, at, f"{key}-{name}", "info_request.status", body))
        return at

    if rng.random() < 0.85:
        status(_at_working_day(rng, received, rng.choice((0, 1, 1, 2))), "acknowledged")
    extended = rng.random() < 0.1
    if extended:
        status(_at_working_day(rng, received, _between(rng, 6, 10)), "extended", reason=_one(rng, REASONS))
    fate = rng.random()
    if fate < 0.05:
        answered = None  # never answered: the requester may object to the silence
    else:
        limit = 17 if extended else 10
        days = min(rng.lognormvariate(math.log(4.5), 0.55), 25)
        if fate > 0.9:  # late
            days = limit + rng.uniform(1, 6)
        elif extended:
            days = rng.uniform(10, 17)
        answer = _pick(rng, ("granted", "partially_granted", "rejected", "not_held"), (64, 80, 91, 100))
        extra = {"exemption": _pick(rng, tuple(EXEMPTIONS), _EXEMPTION_CUM)} if answer == "rejected" else {}
        answered = status(_at_working_day(rng, received, days), answer, **extra)
    objects = {None: 0.5, "rejected": 0.3, "partially_granted": 0.12}.get(
        steps[-1][4]["status"] if answered else None, 0.03
    )
    if rng.random() < objects:
        base = answered or ppid.answer_deadline(dt.datetime.fromtimestamp(received, dt.UTC), CALENDAR).timestamp()
        filed = status(_at_working_day(rng, int(base), _between(rng, 1, 8)), "objection_filed")
        if rng.random() < 0.9:
            late = rng.random() < 0.12  # the superior's 30 working days are missed now and then
            answered_objection = status(
                _at_working_day(rng, filed, rng.uniform(31, 40) if late else rng.uniform(5, 29)), "objection_answered"
            )
            if rng.random() < 0.15:
                status(answered_objection + _between(rng, 5, 20) * DAY, "dispute_filed")
    return steps
