"""How every text a person reads is picked (Bahasa Indonesia by default, English) and how numbers and times look;
the texts themselves are in dashboard/texts.py.

Times are shown in WIB. Indonesia has kept UTC+7 without daylight saving since 1964, so a fixed offset
is exact and needs no tz database on the wall-screen machines.
"""

from __future__ import annotations

import datetime as dt

from dashboard.reference import kecamatan_by_code
from dashboard.texts import LABELS, TEXTS

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")

MONTHS = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
MONTHS_LONG = {
    "id": (
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
# Monday first, as datetime.weekday() counts.
WEEKDAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
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


def format_metric(value: float | None, unit: str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """An e-government reading in its unit: 79,6%, Rp 1,2 M, 14 hari; a dash when there is none."""
    if value is None:
        return "–"
    if unit == "pct":
        return f"{format_number(value, lang, 1)}%"
    if unit == "idr":
        return t("wall.unit.idr_billion", lang, n=format_number(value / 1e9, lang, 1))
    if unit == "days":
        return t("wall.unit.days", lang, n=format_number(value, lang, 1))
    if value != int(value):  # a count's share to date (2,3 of 16 tenders): rounding it would misjudge
        return format_number(value, lang, 1)
    return format_number(value, lang)


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
        lang=lang,
        time_sep="." if lang == "id" else ":",
        months=MONTHS_LONG[lang],
        weekdays=WEEKDAYS[lang],
        live=t("status.live", lang),
        stale=t("status.stale", lang),
        stale_hint=t("status.stale_hint", lang),
        thousands="." if lang == "id" else ",",
    )
    return texts
