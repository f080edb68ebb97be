"""Indonesian national holidays (hari libur nasional) and collective leave (cuti bersama).

The shipped table, `holidays_id.csv`, follows the joint decrees of the Ministers of Religious Affairs,
Manpower and Administrative Reform (SKB 3 Menteri):
- 2025: Nomor 1017 Tahun 2024, Nomor 2 Tahun 2024, Nomor 2 Tahun 2024, as amended by
  Nomor 933 Tahun 2025, Nomor 1 Tahun 2025, Nomor 3 Tahun 2025 (cuti bersama 18 August 2025);
- 2026: Nomor 1497 Tahun 2025, Nomor 2 Tahun 2025, Nomor 5 Tahun 2025;
- 2027: no decree in the table yet. Its rows are marked `provisional` (fixed dates, the computus and
  estimates from the lunar calendars) and carry no cuti bersama: load the SKB 2027 over them through
  `PANTAU_HOLIDAYS_PATH` when it is published.

Extending: a CSV with the same columns (`date,kind,name[,source]`; kind `holiday`, `cuti_bersama`, or
`working_day` to cancel a shipped date) named by `PANTAU_HOLIDAYS_PATH` is read on top of the table.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SHIPPED_TABLE = Path(__file__).resolve().parent / "holidays_id.csv"
KINDS = ("holiday", "cuti_bersama", "working_day")


class HolidayTableError(ValueError):
    """A holiday file has a row that cannot be read."""


@dataclass(frozen=True)
class DayOff:
    date: dt.date
    kind: str  # holiday or cuti_bersama
    name: str
    source: str = ""

    @property
    def provisional(self) -> bool:
        return self.source.startswith("provisional")


def read_table(path: Path) -> list[tuple[dt.date, str, str, str]]:
    rows = []
    with open(path, newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            try:
                day = dt.date.fromisoformat((row.get("date") or "").strip())
            except ValueError:
                raise HolidayTableError(f"{path}:{line}: date must be YYYY-MM-DD, got {row.get('date')!r}") from None
            kind = (row.get("kind") or "").strip()
            if kind not in KINDS:
                raise HolidayTableError(f"{path}:{line}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
            rows.append((day, kind, (row.get("name") or "").strip(), (row.get("source") or "").strip()))
    return rows


def load_days_off(extra_path: Path | str | None = None) -> dict[dt.date, DayOff]:
    """The shipped table with an optional local file on top (later rows win)."""
    days: dict[dt.date, DayOff] = {}
    paths = [SHIPPED_TABLE] + ([Path(extra_path)] if extra_path else [])
    for path in paths:
        for day, kind, name, source in read_table(path):
            if kind == "working_day":
                days.pop(day, None)
            else:
                days[day] = DayOff(day, kind, name, source or str(path.name))
    return days


@lru_cache(maxsize=8)
def days_off(extra_path: str | None = None) -> frozenset[dt.date]:
    """The set of non-working dates (holidays and cuti bersama), cached per extension file."""
    return frozenset(load_days_off(extra_path))


def days_off_for(settings) -> frozenset[dt.date]:
    path = getattr(settings, "holidays_path", None)
    return days_off(str(path) if path else None)
