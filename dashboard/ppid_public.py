"""The PPID's information-service report as published on the portal: per OPD and for the whole city, in the
shape the Komisi Informasi asks of a public body each year (requests, granted, partly granted, refused by
exemption, not held, in process, objections, median working days to answer), under the embeds' publication
policy (dashboard/disclosure.py).

All of this widget's rounding happens in `publish_report`, so a change of the policy has one place to go:

- every count is a cell `(count, key_sum)` (public_aggregates.info_requests_by_opd), randomly rounded to base 5
  by its own key: the same requests give the same figure in every publication, period and widget;
- the city row is a line of cells of its own (all the requests of a column, their own key sum), never the sum
  of the rounded OPD cells: the city minus the OPDs is rounding noise, not an OPD;
- an OPD whose requests round to 0 has no row (as if it had none: a published 0 may be 0 to 4, so a row with
  zeros would say "1 to 4"); its requests are in the city's cells;
- the order of the rows is by the published figure, never by the raw count behind it;
- a median only where the published answers are at least the minimum sample.
"""

from __future__ import annotations

from collections.abc import Mapping

from dashboard import disclosure

OUTCOMES = ("granted", "partially_granted", "rejected", "not_held", "in_process")
COLUMNS = ("received", *OUTCOMES, "objections")
Cell = tuple[int, int]


def _city_cell(opds: Mapping[str, Mapping], column: str) -> Cell:
    """A column's city-wide cell: all its requests, their own key sum (the keys of disjoint rows add up)."""
    return (
        sum(int(f[column][0]) for f in opds.values()),
        sum(int(f[column][1]) for f in opds.values()) % disclosure.KEY_MODULUS,
    )


def _median(value: float | None, answered: int, min_answers: int) -> float | None:
    return round(value, 1) if value is not None and answered >= min_answers else None


def publish_report(figures: Mapping, secret: bytes, min_sample: int) -> dict:
    """{"rows": [per OPD, most published requests first], "total": the city, "exemptions": {code: count},
    "answered": the city's published answers, "answered_pct": their share of the requests, "min_answers"}
    from the cells of public_aggregates.info_requests_by_opd; every count a multiple of 5."""
    opds: Mapping[str, Mapping] = figures.get("opds") or {}
    min_answers = max(int(min_sample), disclosure.BASE)

    def rounded(cell: Cell) -> int:
        return disclosure.round_cell(cell[0], cell[1], secret)

    rows = []
    for code, f in opds.items():
        row = {"opd": code, **{c: rounded(f[c]) for c in COLUMNS}}
        if row["received"] == 0:
            continue
        row["median_working_days"] = _median(f.get("median_working_days"), rounded(f["answered"]), min_answers)
        rows.append(row)
    rows.sort(key=lambda r: (-r["received"], r["opd"]))
    answered = rounded(_city_cell(opds, "answered")) if opds else 0
    total = {"opd": None, **{c: rounded(_city_cell(opds, c)) if opds else 0 for c in COLUMNS}}
    total["median_working_days"] = _median(figures.get("city_median_working_days"), answered, min_answers)
    cited = {code: rounded(cell) for code, cell in (figures.get("exemptions") or {}).items()}
    return {
        "rows": rows,
        "total": total,
        "exemptions": {c: n for c, n in sorted(cited.items(), key=lambda kv: (-kv[1], kv[0])) if n},
        "answered": answered,
        "answered_pct": disclosure.publish_rate(answered, total["received"], min_answers),
        "min_answers": min_answers,
    }
