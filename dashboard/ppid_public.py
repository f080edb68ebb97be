"""The PPID's information-service report as published on the portal: per OPD and for the whole city, in the
shape the Komisi Informasi asks of a public body each year (requests, granted, partly granted, refused by
exemption, not held, in process, objections, median working days to answer), under the embeds' disclosure
policy (dashboard/disclosure.py).

All of this widget's counting and suppression happens in `publish_report`, so a change of the publication
policy has one place to go.

Every line whose total is published is made safe: an OPD's outcomes (granted, partly granted, refused, not held,
in process) add up to its requests; each outcome's column adds up to the city's figure; the requests of the
OPDs add up to the city's; the objections of the OPDs to the city's; the exemptions cited to the city's refusals.
"""

from __future__ import annotations

from collections.abc import Mapping

from dashboard import disclosure

OUTCOMES = ("granted", "partially_granted", "rejected", "not_held", "in_process")
COLUMNS = ("received", *OUTCOMES, "objections")


def _published(value: int, hidden: bool) -> int | str:
    return disclosure.SUPPRESSED if hidden else int(value)


def _margin_hidden(values: list[int], hidden: list[bool]) -> bool:
    """Whether the total of a line must be suppressed: itself small, or it would give away a single
    suppressed cell (or a few adding up to less than the threshold)."""
    shown_hidden = [v for v, h in zip(values, hidden) if h]
    total = sum(values)
    return disclosure.is_small(total) or len(shown_hidden) == 1 or 0 < sum(shown_hidden) < disclosure.THRESHOLD


def publish_report(by_opd: Mapping[str, Mapping], city_median: float | None, min_sample: int) -> dict:
    """{"rows": [per OPD, most requests first], "total": the city, "exemptions": {code: count}} with counts
    1..4 and whatever would give them away as "<5", and a median only over enough answers."""
    opds = sorted(by_opd, key=lambda o: (-by_opd[o]["received"], o))
    cells = [
        [
            by_opd[o]["granted"],
            by_opd[o]["partially_granted"],
            by_opd[o]["rejected"],
            by_opd[o]["not_held"],
            by_opd[o]["received"] - by_opd[o]["answered"],
        ]
        for o in opds
    ]
    hidden, received_hidden, outcome_totals_hidden = (
        disclosure.suppress_table(cells) if cells else ([], [], [False] * len(OUTCOMES))
    )
    received = [by_opd[o]["received"] for o in opds]
    objections = [by_opd[o]["objections"] for o in opds]
    objections_hidden = disclosure.suppress_line(objections) if opds else []
    city_outcomes = [sum(row[i] for row in cells) for i in range(len(OUTCOMES))]
    min_answers = max(min_sample, disclosure.THRESHOLD)
    rows = []
    for r, o in enumerate(opds):
        figures = by_opd[o]
        median = figures.get("median_working_days")
        rows.append(
            {
                "opd": o,
                "received": _published(received[r], received_hidden[r]),
                **{name: _published(cells[r][i], hidden[r][i]) for i, name in enumerate(OUTCOMES)},
                "objections": _published(objections[r], objections_hidden[r]),
                "median_working_days": round(median, 1)
                if median is not None and figures["answered"] >= min_answers
                else None,
            }
        )
    answered = sum(by_opd[o]["answered"] for o in opds)
    total = {
        "opd": None,
        "received": _published(sum(received), _margin_hidden(received, received_hidden)),
        **{name: _published(city_outcomes[i], outcome_totals_hidden[i]) for i, name in enumerate(OUTCOMES)},
        "objections": _published(sum(objections), _margin_hidden(objections, objections_hidden)),
        "median_working_days": round(city_median, 1) if city_median is not None and answered >= min_answers else None,
    }
    if _margin_hidden(city_outcomes, outcome_totals_hidden) and total["received"] != disclosure.SUPPRESSED:
        # the city's requests minus its published outcomes would give away a single suppressed outcome
        total["received"] = disclosure.SUPPRESSED
    exemptions: dict[str, int] = {}
    for o in opds:
        for code, n in (by_opd[o].get("exemptions") or {}).items():
            exemptions[code] = exemptions.get(code, 0) + int(n)
    codes = sorted(exemptions, key=lambda c: (-exemptions[c], c))
    cited_hidden = disclosure.suppress_line([exemptions[c] for c in codes]) if codes else []
    return {
        "rows": rows,
        "total": total,
        "answered": disclosure.publish_count(answered),
        "min_answers": min_answers,
        "exemptions": {c: _published(exemptions[c], h) for c, h in zip(codes, cited_hidden)},
    }
