"""The PPID report's publication: small counts and whatever would give them away are suppressed, on random
tables; medians only over enough answers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dashboard.disclosure import SUPPRESSED, THRESHOLD
from dashboard.ppid_public import OUTCOMES, publish_report

count = st.integers(0, 12)


def opd_figures(values):
    granted, partial, rejected, not_held, open_, objections, b, h = values
    return {
        "received": granted + partial + rejected + not_held + open_,
        "answered": granted + partial + rejected + not_held,
        "granted": granted,
        "partially_granted": partial,
        "rejected": rejected,
        "not_held": not_held,
        "objections": min(objections, rejected + partial + not_held + granted),
        "exemptions": {
            k: v for k, v in (("pasal_17_b", min(b, rejected)), ("pasal_17_h", rejected - min(b, rejected))) if v
        }
        if h
        else ({"pasal_17_b": rejected} if rejected else {}),
        "median_working_days": 4.5,
    }


def safe(values: list[int], published: list, total) -> bool:
    """A line with a published total: no suppressed cell can be worked out from the others."""
    hidden = [v for v, p in zip(values, published) if p == SUPPRESSED]
    if any(p != SUPPRESSED and p != v for v, p in zip(values, published)):
        return False
    if any(0 < v < THRESHOLD and p != SUPPRESSED for v, p in zip(values, published)):
        return False
    if total == SUPPRESSED:
        return True
    return total == sum(values) and (not hidden or (len(hidden) >= 2 and sum(hidden) >= THRESHOLD))


@given(st.lists(st.tuples(*[count] * 8), min_size=1, max_size=7))
def test_every_published_line_keeps_its_small_cells_hidden(tables):
    by_opd = {f"OPD{i}": opd_figures(v) for i, v in enumerate(tables)}
    report = publish_report(by_opd, 4.0, 10)
    rows = {r["opd"]: r for r in report["rows"]}
    keys = list(OUTCOMES)
    for opd, f in by_opd.items():
        values = [f[k] for k in ("granted", "partially_granted", "rejected", "not_held")] + [
            f["received"] - f["answered"]
        ]
        assert safe(values, [rows[opd][k] for k in keys], rows[opd]["received"]), (opd, f, rows[opd])
    for k in keys:
        column = [rows[o][k] for o in by_opd]
        values = [by_opd[o]["received"] - by_opd[o]["answered"] if k == "in_process" else by_opd[o][k] for o in by_opd]
        assert safe(values, column, report["total"][k]), (k, values, column, report["total"][k])
    for k in ("received", "objections"):
        assert safe([by_opd[o][k] for o in by_opd], [rows[o][k] for o in by_opd], report["total"][k])
    city = [sum(by_opd[o][k] for o in by_opd) for k in ("granted", "partially_granted", "rejected", "not_held")]
    city.append(sum(by_opd[o]["received"] - by_opd[o]["answered"] for o in by_opd))
    assert safe(city, [report["total"][k] for k in keys], report["total"]["received"])
    cited: dict[str, int] = {}
    for f in by_opd.values():
        for code, n in f["exemptions"].items():
            cited[code] = cited.get(code, 0) + n
    # the exemptions cited add up to the city's refusals, published (or not) in the table
    assert safe(list(cited.values()), [report["exemptions"][c] for c in cited], report["total"]["rejected"])


def test_small_counts_and_thin_medians():
    by_opd = {
        "DINKES": opd_figures((20, 6, 7, 5, 3, 6, 4, 1)),
        "DLH": opd_figures((2, 0, 1, 0, 1, 1, 1, 0)),
    }
    report = publish_report(by_opd, 5.0, 10)
    dinkes, dlh = report["rows"]
    assert (dinkes["opd"], dinkes["received"], dinkes["partially_granted"]) == ("DINKES", 41, 6)
    # 3 in process is small; 5 not held goes with it so that 41 minus the rest does not give the 3 away
    assert (dinkes["in_process"], dinkes["not_held"]) == (SUPPRESSED, SUPPRESSED)
    # DLH's 2 granted is small; DINKES's 20 goes with it, or the city's 22 would give the 2 away
    assert (dlh["granted"], dinkes["granted"], report["total"]["granted"]) == (SUPPRESSED, SUPPRESSED, 22)
    assert dinkes["median_working_days"] == 4.5 and dlh["median_working_days"] is None  # 3 answers: too few
    assert dlh["received"] == SUPPRESSED and report["total"]["median_working_days"] == 5.0
    # DINKES cites 17b 4 times and 17h 3 times, DLH 17b once: 17b 5 is published, 17h 3 is not, and with one
    # cell hidden the city's 8 refusals would give it away: 17b goes too
    assert report["exemptions"] == {"pasal_17_b": SUPPRESSED, "pasal_17_h": SUPPRESSED}
    assert report["total"]["rejected"] == 8
    assert publish_report({}, None, 10)["rows"] == []
