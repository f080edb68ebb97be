"""The briefing's complaint and 112 figures from the column copy (data_sources.kpi.columns): the same
definitions as the SQL of kpi.complaints and kpi.incidents, condition for condition, and the same result
assembly (their figures_of). A NULL time is NEVER (after every `now`), a NULL duration NaN (every comparison
with it false, as NULL is in SQL), a NULL text code 0.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from dashboard import kpi
from dashboard.filters import KpiFilter
from data_sources.kpi import complaints as sql_complaints
from data_sources.kpi import incidents as sql_incidents
from data_sources.kpi.columns import NEVER, ColumnStore, ColumnTable, micros
from data_sources.kpi.complaints import QS
from data_sources.kpi.queries import UNASSIGNED, UNKNOWN

DAY_US = 86_400_000_000
WIB_US = 7 * 3_600_000_000


def percentile_cont(values: np.ndarray, qs=QS) -> list[float] | None:
    """PostgreSQL's percentile_cont of each q (see queries.interpolated_percentiles), from a partial sort."""
    n = len(values)
    if n == 0:
        return None
    positions = [(n - 1) * q for q in qs]
    ranked = ranks(values, sorted({int(p) for p in positions} | {min(int(p) + 1, n - 1) for p in positions}))
    out = []
    for pos in positions:
        low = int(pos)
        lo = ranked[low]
        hi = ranked[low + 1] if low + 1 < n else lo
        out.append(lo + (hi - lo) * (pos - low))
    return out


SMALL = 1 << 18  # below this many values one partial sort is quickest
BINS = 1 << 12


def ranks(values: np.ndarray, wanted: list[int]) -> dict[int, float]:
    """The k-th smallest value for each k in `wanted` (0-based), exactly.

    Many values: they are first counted in BINS bins of equal width between their least and greatest (the
    bin is a non-decreasing function of the value, so bins keep the order), the bins that hold the wanted
    ranks found from the running counts, and only those bins' values sorted partially: a 2,000,000-value
    set costs about 14 ms instead of 24 ms for np.partition over all of it.
    """
    if len(values) < SMALL:
        part = np.partition(values, wanted)
        return {k: float(part[k]) for k in wanted}
    lo, hi = float(values.min()), float(values.max())
    if hi == lo:
        return dict.fromkeys(wanted, lo)
    scale = BINS / (hi - lo)
    if not np.isfinite(scale) or not np.isfinite(hi - lo):  # a span too small or too wide for equal bins
        part = np.partition(values, wanted)
        return {k: float(part[k]) for k in wanted}
    bins = ((values - lo) * scale).astype(np.int32)
    np.minimum(bins, BINS - 1, out=bins)
    ends = np.cumsum(np.bincount(bins, minlength=BINS))  # values in bins 0..b
    where = {k: int(np.searchsorted(ends, k, side="right")) for k in wanted}
    chosen = sorted(set(where.values()))
    picked = values[np.isin(bins, chosen)]  # the chosen bins' values: every other value is below or above them
    before = {b: int(ends[b - 1]) if b else 0 for b in chosen}
    # rank k is at k - (values in bins before the first chosen) - (values in unchosen bins between)
    offset, skipped, previous_end = {}, 0, before[chosen[0]]
    for b in chosen:
        skipped += before[b] - previous_end
        offset[b] = before[chosen[0]] + skipped
        previous_end = int(ends[b])
    local = {k: k - offset[where[k]] for k in wanted}
    part = np.partition(picked, sorted(set(local.values())))
    return {k: float(part[local[k]]) for k in wanted}


def _pair(values: np.ndarray) -> list:
    return percentile_cont(values) or [None, None]


class Rows:
    """The rows of one table that a filter selects: `rows[name]` is that column's values for them."""

    def __init__(self, table: ColumnTable, where):
        self.table = table
        self.where = where
        self._gathered: dict[str, np.ndarray] = {}  # an index array's gather is a copy: made once per column

    def __getitem__(self, name: str) -> np.ndarray:
        found = self._gathered.get(name)
        if found is None:
            found = self._gathered[name] = self.table[name][self.where]
        return found

    def __len__(self) -> int:
        w = self.where
        return w.stop - w.start if isinstance(w, slice) else len(w)


def _select(table: ColumnTable, start, end, filters: list[tuple[str, tuple, str | None]], among=None) -> Rows:
    """Rows with time in [start, end) (microseconds or None), or `among` these rows (an index array), whose
    text columns hold one of the values: `filters` are (column, values, token standing for NULL or None)."""
    where = table.rows_between(start, end) if among is None else among
    keep = None
    for name, values, null_token in filters:
        if not values:
            continue
        wanted = [None if v == null_token and null_token is not None else v for v in values]
        ok = table.lookup(wanted)[table[name][where]]
        keep = ok if keep is None else keep & ok
    if keep is None:
        return Rows(table, where)
    base = np.arange(where.start, where.stop) if isinstance(where, slice) else where
    return Rows(table, base[keep])


def _us(value: dt.datetime | None) -> int | None:
    return None if value is None else micros(value)


def complaint_rows(store: ColumnStore, f: KpiFilter, start=..., end=..., among=None) -> Rows:
    """kpi.complaints.complaint_where: the period on created_at (or [start, end) given, or `among` these
    rows), the value filters."""
    start = _us(f.start_utc) if start is ... else start
    end = _us(f.end_utc) if end is ... else end
    filters = [
        ("opd", f.opd, None),
        ("kecamatan_code", f.kecamatan, UNKNOWN),
        ("channel", f.channel, None),
        ("category", f.category, None),
    ]
    return _select(store.complaints, start, end, filters, among)


def _names(table: ColumnTable, counts: np.ndarray, null_name: str | None) -> dict:
    """{name: count} of the codes counted (NULL's code under `null_name`; codes of one name added up)."""
    out: dict = {}
    for code in np.flatnonzero(counts):
        name = table.vocabulary[code]
        name = null_name if name is None else name
        out[name] = out.get(name, 0) + int(counts[code])
    return out


def _count_by(table: ColumnTable, codes: np.ndarray, null_name: str | None, weights=None) -> dict:
    counts = np.bincount(codes, weights=weights, minlength=len(table.vocabulary))
    return _names(table, counts.astype(np.int64), null_name)


def sla_masks(r: Rows, now_us: int):
    """kpi.complaints.sla_parts: (answered, within, overdue unanswered) as of `now`."""
    fr, due = r["first_response_at"], r["due_at"]
    answered = fr <= now_us
    return answered, answered & (fr <= due), (fr > now_us) & (due <= now_us)


def complaint_figures(store: ColumnStore, f: KpiFilter, now: dt.datetime) -> dict:
    """kpi.complaints.period_figures from the column copy."""
    t = store.complaints
    r = complaint_rows(store, f)
    now_us = micros(now)
    answered, within, overdue = sla_masks(r, now_us)
    fr = r["first_response_at"]
    responded = fr != NEVER
    is_open = r["is_open"] == 1
    created = r["created_at"]
    row = {
        "received": len(r),
        "answered": int(answered.sum()),
        "within": int(within.sum()),
        "overdue": int(overdue.sum()),
        "reopened": int((r["reopened_count"] > 0).sum()),
        "rejected": int((r["status"] == t.codes.get("rejected", -1)).sum()),
        "responded": int(responded.sum()),
        "same_channel": int((responded & (r["first_response_channel"] == r["channel"])).sum()),
        "open": int(is_open.sum()),
    }
    for name, low, high in kpi.BACKLOG_BUCKETS:
        cond = is_open & (created <= micros(now - dt.timedelta(hours=low)))
        if high is not None:
            cond &= created > micros(now - dt.timedelta(hours=high))
        row[f"b_{name}"] = int(cond.sum())
    fs, rs = r["first_response_s"], r["resolution_s"]
    first = _pair(fs[answered & (fs >= 0)])
    resolved = _pair(rs[(r["resolved_at"] <= now_us) & (rs >= 0)])
    by_channel = _count_by(t, r["channel"], None)
    by_kec = _count_by(t, r["kecamatan_code"], UNKNOWN)
    return sql_complaints.figures_of(row, by_channel, by_kec, first, resolved, deadline_cohort(store, f, now))


def _span(table: ColumnTable) -> tuple[int, int]:
    """The least and the greatest (deadline - creation) of every complaint held, in microseconds."""
    if table.n == 0:
        return 0, 0
    spans = table["due_at"] - table["created_at"]
    return int(spans.min()), int(spans.max())


def deadline_cohort(store: ColumnStore, f: KpiFilter, now: dt.datetime) -> tuple[int, int]:
    """kpi.complaints.deadline_cohort: complaints whose deadline fell in the period up to `now`. Read from the
    creation range those deadlines can come from (the SLA spans held bound it)."""
    closed = f.end_utc is not None and f.end_utc <= now
    if f.start_utc is not None and f.start_utc > (f.end_utc if closed else now):
        return 0, 0
    cache = store.complaints.cache
    low_span, high_span = cache["span"] if "span" in cache else cache.setdefault("span", _span(store.complaints))
    due_start = _us(f.start_utc)
    due_end = micros(f.end_utc) if closed else micros(now) + 1  # [start, end) in microseconds
    r = complaint_rows(
        store,
        f,
        start=None if due_start is None else due_start - high_span,
        end=due_end - min(low_span, 0),
    )
    due = r["due_at"]
    fell = due < due_end
    if due_start is not None:
        fell &= due >= due_start
    fr = r["first_response_at"]
    return int(fell.sum()), int((fell & (fr != NEVER) & (fr <= due)).sum())


def opd_counts(store: ColumnStore, f: KpiFilter, now: dt.datetime) -> list[tuple[str, int, int, int]]:
    """kpi.complaints.opd_counts: (OPD, answered within SLA, SLA measured, received) per OPD, by name."""
    t = store.complaints
    r = complaint_rows(store, f)
    answered, within, overdue = sla_masks(r, micros(now))
    opd = r["opd"]
    parts = [_count_by(t, opd[m], UNASSIGNED) for m in (within, answered | overdue)]
    received = _count_by(t, opd, UNASSIGNED)
    return [(o, parts[0].get(o, 0), parts[1].get(o, 0), n) for o, n in sorted(received.items())]


def _grouped_percentiles(table: ColumnTable, codes: np.ndarray, values: np.ndarray, null_name) -> dict:
    """{group name: [p50, p90]} of `values` split by their text codes (codes naming one name merged)."""
    order = np.argsort(codes, kind="stable")
    codes, values = codes[order], values[order]
    bounds = np.flatnonzero(np.diff(codes)) + 1
    groups: dict = {}
    for part_codes, part in zip(np.split(codes, bounds), np.split(values, bounds)):
        if len(part):
            name = table.vocabulary[part_codes[0]]
            groups.setdefault(null_name if name is None else name, []).append(part)
    return {k: percentile_cont(np.concatenate(v)) for k, v in groups.items()}


def opd_response_times(store: ColumnStore, f: KpiFilter, now: dt.datetime) -> dict:
    """First-response [p50, p90] (seconds) per OPD (the league's)."""
    r = complaint_rows(store, f)
    answered, _, _ = sla_masks(r, micros(now))
    fs = r["first_response_s"]
    valid = answered & (fs >= 0)
    return _grouped_percentiles(store.complaints, r["opd"][valid], fs[valid], UNASSIGNED)


def opd_backlog(store: ColumnStore, f: KpiFilter, now: dt.datetime) -> dict:
    """{OPD: (open now, of those past their deadline unanswered)}: any creation date, the filter's values."""
    t = store.complaints
    if "open" not in t.cache:  # the open complaints of every period: a few thousand of millions
        t.cache["open"] = np.flatnonzero(t["is_open"] == 1)
    r = complaint_rows(store, f, among=t.cache["open"])
    opd = r["opd"]
    awaiting = (r["first_response_at"] == NEVER) & (r["due_at"] <= micros(now))
    everyone, late = _count_by(t, opd, UNASSIGNED), _count_by(t, opd[awaiting], UNASSIGNED)
    return {o: (n, late.get(o, 0)) for o, n in everyone.items()}


def _buckets(times: np.ndarray, weekly: bool) -> np.ndarray:
    """The WIB day (or the Monday of its week) of each time, as days since 1970-01-01."""
    days = (times + WIB_US) // DAY_US
    return days - (days + 3) % 7 if weekly else days  # 1970-01-01 was a Thursday


def _day_name(day: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(day))).isoformat()


def _by_bucket(days: np.ndarray, masks: list[np.ndarray]) -> dict:
    found, inverse = np.unique(days, return_inverse=True)
    sums = [np.bincount(inverse, weights=m, minlength=len(found)) for m in masks]
    return {_day_name(d): tuple(int(s[i]) for s in sums) for i, d in enumerate(found)}


def _percentiles_by_bucket(days: np.ndarray, values: np.ndarray) -> dict:
    order = np.argsort(days, kind="stable")
    days, values = days[order], values[order]
    bounds = np.flatnonzero(np.diff(days)) + 1
    return {
        _day_name(d[0]): percentile_cont(v) for d, v in zip(np.split(days, bounds), np.split(values, bounds)) if len(v)
    }


def complaint_trend(store: ColumnStore, f: KpiFilter, now: dt.datetime, weekly: bool):
    """The briefing trend's complaint part: {bucket: (received, within, measured)}, {bucket: [p50, p90]}."""
    r = complaint_rows(store, f)
    answered, within, overdue = sla_masks(r, micros(now))
    days = _buckets(r["created_at"], weekly)
    counts = _by_bucket(days, [np.ones(len(r)), within, answered | overdue])
    fs = r["first_response_s"]
    valid = answered & (fs >= 0)
    return counts, _percentiles_by_bucket(days[valid], fs[valid])


def incident_rows(store: ColumnStore, f: KpiFilter) -> Rows:
    """kpi.incidents.incident_where."""
    filters = [("category", f.incident_category, None), ("kecamatan_code", f.kecamatan, UNKNOWN)]
    return _select(store.incidents, _us(f.start_utc), _us(f.end_utc), filters)


def incident_trend(store: ColumnStore, f: KpiFilter, weekly: bool):
    """The trend's 112 part: {bucket: reports}, {bucket: response [p50, p90]}."""
    r = incident_rows(store, f)
    days = _buckets(r["reported_at"], weekly)
    reported = {k: v[0] for k, v in _by_bucket(days, [np.ones(len(r))]).items()}
    rs = r["response_s"]
    valid = (r["first_arrived_at"] != NEVER) & (rs >= 0)
    return reported, _percentiles_by_bucket(days[valid], rs[valid])


def incident_figures(store: ColumnStore, f: KpiFilter, now: dt.datetime, groups: bool = True) -> dict:
    """kpi.incidents.period_figures from the column copy."""
    t = store.incidents
    r = incident_rows(store, f)
    arrived, answered_at = r["first_arrived_at"] != NEVER, r["call_answered_at"] != NEVER
    dispatched, closed = r["first_dispatched_at"] != NEVER, r["closed_at"] != NEVER
    rs, ans = r["response_s"], r["answer_s"]
    valid_response = arrived & (rs >= 0)
    valid_answer = answered_at & (ans >= 0)
    masks = {
        "reported": np.ones(len(r), dtype=bool),
        "with_arrival": arrived,
        "measured": valid_response,
        "response_negative": rs < 0,
        "within_city": valid_response & (rs <= sql_incidents.CITY_SECONDS),
        "answered": valid_answer,
        "answer_negative": ans < 0,
        "within_15": valid_answer & (ans <= 15),
        "within_20": valid_answer & (ans <= 20),
        "active": r["is_active"] == 1,
    }
    row = {name: int(m.sum()) for name, m in masks.items()}
    row["response_sum"] = _sum(rs[valid_response])
    ds, ts, os_ = r["dispatch_s"], r["travel_s"], r["on_scene_s"]
    sets = {
        "response": {None: _pair(rs[valid_response])},
        "answer": {None: _pair(ans[valid_answer])},
        "dispatch": {None: _pair(ds[dispatched & (ds >= 0)])},
        "travel": {None: _pair(ts[dispatched & arrived & (ts >= 0)])},
        "scene": {None: _pair(os_[arrived & closed & (os_ >= 0)])},
    }
    by_category: dict = {}
    by_kec: dict = {}
    if groups:
        millis = np.rint(rs * 1000)  # the sum in whole milliseconds: exact in float64 up to 2**53
        for out, name, null_name in ((by_category, "category", None), (by_kec, "kecamatan_code", UNKNOWN)):
            codes, size = r[name], len(t.vocabulary)
            per_mask = {m: np.bincount(codes, weights=mask, minlength=size) for m, mask in masks.items()}
            sums = np.bincount(codes, weights=np.where(valid_response, millis, 0.0), minlength=size)
            for code in np.flatnonzero(per_mask["reported"]):
                key = t.vocabulary[code]
                key = null_name if key is None else key
                acc = out.setdefault(key, dict.fromkeys(sql_incidents.NAMES, 0))
                for m, counts in per_mask.items():
                    acc[m] += int(counts[code])
                acc["response_sum"] += int(sums[code])
            for key, acc in out.items():
                acc["response_sum"] /= 1000
                out[key] = [acc[n] for n in sql_incidents.NAMES]
            set_name = "by_category" if name == "category" else "by_kecamatan"
            sets[set_name] = _grouped_percentiles(t, codes[valid_response], rs[valid_response], null_name)
    return sql_incidents.figures_of(row, sets, by_category, by_kec, groups)


def _sum(values: np.ndarray) -> float | None:
    """SUM of durations rounded to the millisecond: exactly, in whole milliseconds (SQL's float sum rounds)."""
    if len(values) == 0:
        return None
    return int(np.rint(values * 1000).astype(np.int64).sum()) / 1000
