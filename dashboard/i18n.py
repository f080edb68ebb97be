"""Every text a person reads, in Bahasa Indonesia (the default) and English, and how numbers and times look.

Times are shown in WIB. Indonesia has kept UTC+7 without daylight saving since 1964, so a fixed offset
is exact and needs no tz database on the wall-screen machines.
"""
from __future__ import annotations

import datetime as dt

from data_sources.reference import kecamatan_by_code

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")

# key: (Bahasa Indonesia, English)
TEXTS: dict[str, tuple[str, str]] = {
    "app.title": ("Pantau Surabaya", "Pantau Surabaya"),
    "app.subtitle": ("Pemantauan langsung Pemerintah Kota Surabaya", "Live monitoring, Surabaya City Government"),
    "status.live": ("Langsung", "Live"),
    "status.stale": ("Data tertunda", "Data delayed"),
    "status.stale_hint": ("Menampilkan data terakhir yang tersedia", "Showing the last data available"),
    "status.loading": ("Memuat data…", "Loading data…"),
    "card.open_complaints": ("Aduan terbuka", "Open complaints"),
    "card.overdue": ("{n} lewat 1x24 jam belum ditanggapi", "{n} past 1x24 h without a response"),
    "card.none_overdue": ("Semua dalam batas 1x24 jam", "All within 1x24 h"),
    "card.active_incidents": ("Insiden 112 aktif", "Active 112 incidents"),
    "card.no_incidents": ("Tidak ada insiden aktif", "No active incidents"),
    "card.last_event": ("Kejadian terakhir", "Latest event"),
    "card.no_events": ("Belum ada kejadian", "No events yet"),
    "events.title": ("Kejadian terbaru", "Newest events"),
    "events.time": ("Waktu", "Time"),
    "events.type": ("Jenis", "Type"),
    "events.category": ("Kategori", "Category"),
    "events.place": ("Kecamatan", "District"),
    "events.subject": ("Nomor", "Number"),
    "events.empty": ("Belum ada kejadian yang masuk.", "No events have arrived yet."),
    "place.unknown": ("Lokasi tidak diketahui", "Location unknown"),
    "health.title": ("Kesehatan feed", "Feed health"),
    "health.pending": ("antre {n}", "pending {n}"),
    "health.last_read": ("dibaca {time}", "read {time}"),
    "health.never_read": ("belum pernah dibaca", "never read"),
    "health.dead_letters": ("ditolak {n}", "refused {n}"),
    "ago.now": ("baru saja", "just now"),
    "ago.seconds": ("{n} detik lalu", "{n} s ago"),
    "ago.minutes": ("{n} menit lalu", "{n} min ago"),
    "ago.hours": ("{n} jam lalu", "{n} h ago"),
    "ago.days": ("{n} hari lalu", "{n} days ago"),
    "stream.complaints": ("Aduan", "Complaints"),
    "stream.incidents": ("Insiden 112", "112 incidents"),
    "stream.egov": ("E-gov", "E-gov"),
    # maps
    "map.schematic": ("Peta skematis: batas kecamatan perkiraan, bukan batas resmi",
                      "Schematic map: approximate kecamatan boundaries, not the official ones"),
    "map.no_data": ("Tidak ada data", "No data"),
    "map.fire_post": ("Pos pemadam kebakaran", "Fire post"),
    "map.priority": ("Prioritas {n}", "Priority {n}"),
    "map.priority_top": ("Prioritas 1 (tertinggi)", "Priority 1 (highest)"),
    "map.reported": ("Dilaporkan {time} WIB", "Reported {time} WIB"),
    "map.active_here": ("{n} insiden aktif", "{n} active incidents"),
    "map.active_here.one": ("{n} insiden aktif", "{n} active incident"),
    "map.without_place": ("{n} insiden tanpa koordinat", "{n} incidents without coordinates"),
    "map.without_place.one": ("{n} insiden tanpa koordinat", "{n} incident without coordinates"),
    "map.size_hint": ("Besar = prioritas lebih tinggi", "Larger = higher priority"),
    # the Media Center wall (/wall)
    "wall.title": ("Media Center Pantau Surabaya", "Pantau Surabaya Media Center"),
    "wall.scene.overview": ("Ringkasan", "Overview"),
    "wall.scene.sla": ("Batas waktu aduan 1x24 jam", "Complaint deadlines 1x24 h"),
    "wall.scene.112": ("Darurat 112 langsung", "112 emergencies live"),
    "wall.scene.egov": ("Indikator e-government", "E-government indicators"),
    "wall.tile.received": ("Aduan masuk hari ini", "Complaints today"),
    "wall.tile.yesterday": ("kemarin {n}", "yesterday {n}"),
    "wall.tile.sla_rate": ("Ditanggapi ≤ 1x24 jam", "Answered ≤ 1x24 h"),
    "wall.tile.sla_measured": ("dari {n} aduan terukur", "of {n} measured"),
    "wall.tile.response": ("Respons 112 (p50 · p90)", "112 response (p50 · p90)"),
    "wall.tile.response_target": ("target kota {n} menit", "city target {n} min"),
    "wall.tile.backlog": ("Aduan terbuka", "Open complaints"),
    "wall.tile.breached": ("{n} lewat batas", "{n} past deadline"),
    "wall.tile.active": ("Insiden 112 aktif", "Active 112 incidents"),
    "wall.tile.incidents_today": ("{n} laporan hari ini", "{n} reports today"),
    "wall.minutes": ("{n} mnt", "{n} min"),
    "wall.no_value": ("–", "–"),
    "wall.sla.title": ("Paling dekat batas waktu", "Nearest their deadline"),
    "wall.sla.empty": ("Tidak ada aduan terbuka", "No open complaints"),
    "wall.sla.number": ("Nomor", "Number"),
    "wall.sla.category": ("Kategori", "Category"),
    "wall.sla.place": ("Kecamatan", "District"),
    "wall.sla.opd": ("OPD", "Department"),
    "wall.sla.left": ("Sisa waktu", "Time left"),
    "wall.sla.overdue": ("lewat", "over"),
    "wall.sla.state.on_track": ("Aman", "On track"),
    "wall.sla.state.at_risk": ("Waspada", "At risk"),
    "wall.sla.state.critical": ("Kritis", "Critical"),
    "wall.sla.state.breached": ("Lewat batas", "Breached"),
    "wall.incidents.title": ("Laporan 112 terbaru", "Newest 112 reports"),
    "wall.incidents.empty": ("Belum ada laporan 112", "No 112 reports yet"),
    "wall.incidents.p1": ("P1", "P1"),
    "wall.incidents.closed": ("selesai", "closed"),
    "wall.egov.empty": ("Belum ada indikator e-government", "No e-government indicators yet"),
    "wall.egov.target": ("target {n}", "target {n}"),
    "wall.egov.rag.green": ("Tercapai", "On target"),
    "wall.egov.rag.amber": ("Mendekati", "Near target"),
    "wall.egov.rag.red": ("Di bawah target", "Below target"),
    "wall.egov.rag.none": ("Tanpa target", "No target"),
    "wall.health.newest": ("terbaru {ago}", "newest {ago}"),
    "wall.health.none": ("belum ada", "none yet"),
    "wall.health.pending": ("antre {n}", "pending {n}"),
    "wall.health.dead": ("ditolak {n}", "refused {n}"),
    "wall.metric.musrenbang_realized_pct": ("Usulan Musrenbang terealisasi", "Musrenbang proposals realised"),
    "wall.metric.ekinerja_submission_pct": ("Pengisian e-Kinerja", "e-Kinerja submissions"),
    "wall.metric.tender_count": ("Jumlah tender", "Tenders"),
    "wall.metric.tender_savings_idr": ("Efisiensi tender", "Tender savings"),
    "wall.metric.apbd_realization_pct": ("Realisasi APBD", "APBD realisation"),
    "wall.unit.idr_billion": ("Rp {n} M", "IDR {n} bn"),
    "wall.unit.days": ("{n} hari", "{n} days"),
    "wall.tile.yesterday_by_now": ("kemarin s.d. jam ini {n}", "yesterday by this time {n}"),
}

MONTHS = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
MONTHS_LONG = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}
# Monday first, as datetime.weekday() counts.
WEEKDAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "event_type": {
        "complaint.created": ("Aduan baru", "New complaint"),
        "complaint.status": ("Status aduan", "Complaint status"),
        "incident.reported": ("Laporan 112", "112 report"),
        "incident.dispatched": ("Unit diberangkatkan", "Unit dispatched"),
        "incident.arrived": ("Unit tiba", "Unit arrived"),
        "incident.closed": ("Insiden ditutup", "Incident closed"),
        "egov.kpi": ("Indikator e-gov", "E-gov indicator"),
    },
    "complaint_category": {
        "jalan_rusak": ("Jalan rusak", "Damaged road"),
        "banjir_genangan": ("Banjir/genangan", "Flooding"),
        "sampah": ("Sampah", "Waste"),
        "penerangan_jalan": ("Penerangan jalan", "Street lighting"),
        "administrasi_kependudukan": ("Adminduk", "Civil registry"),
        "kesehatan": ("Kesehatan", "Health"),
        "pendidikan": ("Pendidikan", "Education"),
        "perizinan": ("Perizinan", "Permits"),
        "ketertiban_umum": ("Ketertiban umum", "Public order"),
        "lainnya": ("Lainnya", "Other"),
    },
    "incident_category": {
        "fire": ("Kebakaran", "Fire"),
        "flood": ("Banjir", "Flood"),
        "traffic_accident": ("Kecelakaan lalu lintas", "Traffic accident"),
        "medical": ("Medis", "Medical"),
        "social": ("Masalah sosial", "Social problem"),
        "missing_person": ("Orang hilang", "Missing person"),
        "infrastructure": ("Infrastruktur", "Infrastructure"),
        "other": ("Lainnya", "Other"),
    },
    "channel": {
        "phone": ("Telepon", "Phone"), "sms": ("SMS", "SMS"), "whatsapp": ("WhatsApp", "WhatsApp"),
        "email": ("Surel", "E-mail"), "app": ("Aplikasi warga", "Citizen app"), "web": ("Situs web", "Web form"),
        "twitter": ("X/Twitter", "X/Twitter"), "instagram": ("Instagram", "Instagram"),
        "facebook": ("Facebook", "Facebook"), "walk_in": ("Datang langsung", "Walk-in"),
    },
    "egov_domain": {
        "planning": ("Perencanaan", "Planning"), "staffing": ("Kepegawaian", "Staffing"),
        "procurement": ("Pengadaan", "Procurement"), "budgeting": ("Penganggaran", "Budgeting"),
    },
}


def language(value: object) -> str:
    """An allowed language code; anything else (a forged or missing value) is the default."""
    return value if isinstance(value, str) and value in LANGUAGES else DEFAULT_LANGUAGE


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[LANGUAGES.index(language(lang))]


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    return _pick(TEXTS[key], lang).format(**values) if values else _pick(TEXTS[key], lang)


def label(kind: str, code: str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """The name of a code; category lists are open, so an unknown code is shown tidied rather than hidden."""
    if not code:
        return "–"
    pair = LABELS[kind].get(code)
    return _pick(pair, lang) if pair else code.replace("_", " ").capitalize()


def kecamatan_name(code: str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    place = kecamatan_by_code().get(code or "")
    return place.name if place else t("place.unknown", lang)


def format_number(value: float | int, lang: str = DEFAULT_LANGUAGE, decimals: int = 0) -> str:
    """1.234,5 in Indonesian, 1,234.5 in English."""
    text = f"{value:,.{decimals}f}"
    if language(lang) == "id":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def to_wib(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times are stored and passed timezone-aware")
    return moment.astimezone(WIB)


def format_time(moment: dt.datetime, lang: str = DEFAULT_LANGUAGE, seconds: bool = False) -> str:
    """08.15 in Indonesian (the period is the Indonesian time separator), 08:15 in English."""
    local = to_wib(moment)
    sep = "." if language(lang) == "id" else ":"
    parts = [local.hour, local.minute] + ([local.second] if seconds else [])
    return sep.join(f"{p:02d}" for p in parts)


def format_date(moment: dt.datetime, lang: str = DEFAULT_LANGUAGE) -> str:
    """27 Nov 2026"""
    local = to_wib(moment)
    return f"{local.day} {MONTHS[language(lang)][local.month - 1]} {local.year}"


def format_datetime(moment: dt.datetime, lang: str = DEFAULT_LANGUAGE) -> str:
    """27 Nov 2026 08.15 WIB"""
    return f"{format_date(moment, lang)} {format_time(moment, lang)} WIB"


def format_date_long(moment: dt.datetime, lang: str = DEFAULT_LANGUAGE) -> str:
    """Jumat, 27 November 2026"""
    local, lang = to_wib(moment), language(lang)
    return f"{WEEKDAYS[lang][local.weekday()]}, {local.day} {MONTHS_LONG[lang][local.month - 1]} {local.year}"


def format_ago(seconds: float, lang: str = DEFAULT_LANGUAGE) -> str:
    """How long ago, coarsely; a moment in the future (a producer's clock ahead of ours) is 'just now'."""
    s = int(seconds)
    if s < 5:
        return t("ago.now", lang)
    for key, unit in (("ago.days", 86_400), ("ago.hours", 3_600), ("ago.minutes", 60)):
        if s >= unit:
            return t(key, lang, n=format_number(s // unit, lang))
    return t("ago.seconds", lang, n=s)


def browser_clock_texts(lang: str = DEFAULT_LANGUAGE) -> dict[str, object]:
    """What the browser's clock and 'how long ago' need, so the ticking script holds no text of its own."""
    lang = language(lang)
    texts: dict[str, object] = {key.split(".", 1)[1]: t(key, lang) for key in TEXTS if key.startswith("ago.")}
    texts.update(
        lang=lang, time_sep="." if lang == "id" else ":", months=MONTHS_LONG[lang],
        weekdays=WEEKDAYS[lang], live=t("status.live", lang), stale=t("status.stale", lang),
        stale_hint=t("status.stale_hint", lang), thousands="." if lang == "id" else ",",
    )
    return texts
