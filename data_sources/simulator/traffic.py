"""Realistic, deterministic Surabaya traffic in the event contract of ../shared/EVENTS.md.

Cases (complaints, 112 incidents) are drawn per hour from generators keyed by the seed, the hour and a layer,
and each case's whole lifecycle comes from its own generator. The city's history is thus a function of time:
a backfill plus advance() calls, one longer backfill, or a demo restarted with the same seed yield the same
cases under the same event ids, so a re-published event is a harmless duplicate, never a conflict. A scale
above 1 adds whole layers (and one thinned layer), so a scaled run is a superset of the base run.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import heapq
import itertools
import logging
import math
import operator
import random
import time

from data_sources.simulator.content import (
    _between,
    _corrupt,
    _cum,
    _geography,
    _name,
    _one,
    _phone,
    _pick,
    _place,
    _reporter,
    _text,
)
from data_sources.simulator.data import (
    C_HOURS,
    CHANNELS,
    COMPLAINT_CATEGORIES,
    COMPLAINTS_PER_WEEKDAY,
    DAY,
    EVENTS_PER_COMPLAINT,
    EVENTS_PER_INCIDENT,
    HOUR,
    I_HOURS,
    INCIDENT_CATEGORIES,
    INCIDENTS_PER_DAY,
    KPI_METRICS,
    KPI_OPDS,
    MINUTE,
    OTHER_OPDS,
    RAINY_MONTHS,
    SLOT,
    SLOT_EVENTS_PER_COMPLAINT,
    SLOT_EVENTS_PER_INCIDENT,
    SOURCES,
    TENDER_SEASON,
    TEXTS,
    UNITS,
    WEEKEND_COMPLAINTS,
)
from data_sources.simulator.info_requests import hourly_rate as info_hourly_rate
from data_sources.simulator.info_requests import info_request_steps

log = logging.getLogger(__name__)
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")

_HOUR_TEXT: dict[int, str] = {}  # "2026-03-10T11:" per hour since the epoch; formatting is a hot spot


def _iso(ts: float) -> str:
    hour, second = divmod(int(ts), HOUR)
    prefix = _HOUR_TEXT.get(hour) or _HOUR_TEXT.setdefault(
        hour, time.strftime("%Y-%m-%dT%H:", time.gmtime((hour + 7) * HOUR))
    )
    return f"{prefix}{second // 60:02d}:{second % 60:02d}+07:00"


def _epoch(moment: dt.datetime) -> float:
    if moment.tzinfo is None:
        raise ValueError("the simulator needs timezone-aware datetimes")
    return moment.timestamp()


_CHANNEL_CUM = _cum(CHANNELS.values())
_CATEGORY_CUM = [_cum(c[rainy] for c in COMPLAINT_CATEGORIES.values()) for rainy in (0, 1)]
_INCIDENT_CUM = [_cum(c[rainy] for c in INCIDENT_CATEGORIES.values()) for rainy in (0, 1)]
_PRIORITY_CUM = {name: _cum(c[2]) for name, c in INCIDENT_CATEGORIES.items()}
_arrival = operator.itemgetter(0)
_CASE_PREFIX = {"c": "MC", "i": "112", "p": "PPID"}
_OUTCOMES, _OUTCOME_CUM = ("handled", "false_alarm", "transferred", "cancelled"), (83, 89, 94, 100)


def hourly_rates(hour: int) -> tuple[float, float]:
    """Expected complaints and incidents arriving in one hour (counted from the epoch), at scale 1."""
    local = dt.datetime.fromtimestamp(hour * HOUR, WIB)
    weekend = WEEKEND_COMPLAINTS if local.weekday() >= 5 else 1.0
    rainy = _INCIDENT_CUM[1][-1] / _INCIDENT_CUM[0][-1] if local.month in RAINY_MONTHS else 1.0
    return (
        COMPLAINTS_PER_WEEKDAY * C_HOURS[local.hour] / sum(C_HOURS) * weekend,
        INCIDENTS_PER_DAY * I_HOURS[local.hour] / sum(I_HOURS) * rainy,
    )


class Simulator:
    """Complaints, 112 incidents and e-government KPI readings of a plausible Surabaya, reproducible by seed."""

    def __init__(
        self,
        seed: int = 1,
        rate_scale: float = 1.0,
        invalid_share: float = 0.0,
        duplicate_share: float = 0.0,
        out_of_order_share: float = 0.01,
    ):
        shares = (invalid_share, duplicate_share, out_of_order_share)
        if rate_scale < 0 or not all(0 <= share <= 1 for share in shares) or invalid_share == 1:
            raise ValueError("rate_scale must be >= 0 and the shares between 0 and 1 (invalid_share below 1)")
        self.seed, self.rate_scale = seed, rate_scale
        self.invalid_share, self.duplicate_share, self.out_of_order_share = shares
        self._invalid_odds = invalid_share / (1 - invalid_share)  # so invalid entries are that share of all
        self._queue: list[tuple] = []  # heap of (publish time, event id, copy, item) drawn but not yet due
        self._fresh: list[tuple] = []  # drawn since the last pop, not yet in the heap
        self._clock: float | None = None
        self._buckets: dict[tuple, list] = {}  # the latest hour's cases, which the next advance() revisits
        self._slot = (None, 0.0)  # the live slot and its scale

    def backfill(self, days: float, now: dt.datetime) -> list[dict | bytes]:
        """Events that occurred in [now - days, now], ordered by the time they are published. Lifecycle steps
        due after `now` are kept inside the simulator and come out of later calls to advance()."""
        end = _epoch(now)
        start = end - days * DAY
        self._push_cases(start - 1e-3, end, None)
        self._push_kpi(start - 1e-3, end)
        local, tag = dt.datetime.fromtimestamp(start, WIB), f"sync{int(start) // MINUTE}"
        year, month = local.year, local.month
        fraction = (local.day - 1) / calendar.monthrange(year, month)[1]
        self._push_readings(year, month, fraction, int(start) + MINUTE, tag, -math.inf, end)
        for i in range(12):  # the e-gov systems' catch-up of the past year
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
            self._push_readings(year, month, 1.0, int(start) + (i + 2) * MINUTE, tag, -math.inf, end)
        self._clock = max(self._clock or end, end)
        return self._pop_due(end)

    def advance(self, until: dt.datetime, *, events_per_second: float | None = None) -> list[dict | bytes]:
        """Move simulated time forward to `until`: new cases arriving in (last time, until] at the configured
        rates and every scheduled lifecycle step now due. Works with or without a prior backfill (without,
        the first call starts the clock). With `events_per_second`, the arrivals of every five minutes are
        scaled so that about that many events per second come out, whatever the time of day."""
        end = _epoch(until)
        if self._clock is not None and end > self._clock:
            self._push_cases(self._clock, end, events_per_second)
            self._push_kpi(self._clock, end)
        self._clock = max(self._clock or end, end)
        return self._pop_due(end)

    def generate(self, count: int, end: dt.datetime) -> list[dict | bytes]:
        """Exactly `count` events as history ending at `end` (for load tests and benchmarks)."""
        last_hour = int(_epoch(end) // HOUR)
        week = sum(
            c * EVENTS_PER_COMPLAINT + i * EVENTS_PER_INCIDENT
            for c, i in map(hourly_rates, range(last_hour - 168, last_hour))
        )
        days = count / (week / 7 * max(self.rate_scale, 1e-3) + 55) * 1.1 + 0.05
        while count > 0:
            twin = Simulator(
                self.seed, self.rate_scale, self.invalid_share, self.duplicate_share, self.out_of_order_share
            )
            items = twin.backfill(days, end)
            if len(items) >= count:
                return items[-count:]
            days *= 1.5
        return []

    def _pop_due(self, end: float) -> list[dict | bytes]:
        fresh, self._fresh, queue = self._fresh, [], self._queue
        due = [item for item in fresh if item[0] <= end]
        while queue and queue[0][0] <= end:
            due.append(heapq.heappop(queue))
        for item in fresh:
            if item[0] > end:
                heapq.heappush(queue, item)
        due.sort()  # one sort beats a heap pop per event in a backfill
        return [item[-1] for item in due]

    def _push_cases(self, start: float, end: float, events_per_second: float | None) -> None:
        if events_per_second is None:
            for hour in range(int(start // HOUR), int(end // HOUR) + 1):
                self._push_arrivals(hour, self.rate_scale, start, end)
        else:  # slots tile the hours
            for slot in range(int(start // SLOT), int(end // SLOT) + 1):
                low, high = max(start, slot * SLOT), min(end, (slot + 1) * SLOT)
                if low < high:
                    self._push_arrivals(slot * SLOT // HOUR, self._live_scale(slot, low, events_per_second), low, high)
        self._buckets = {key: cases for key, cases in self._buckets.items() if key[1] == int(end // HOUR)}

    def _live_scale(self, slot: int, start: float, events_per_second: float) -> float:
        """The scale at which new arrivals, with the lifecycle steps already scheduled, give the slot about the
        wanted rate: a demo runs at its rate from the first minute, not only once its cases have matured."""
        if self._slot[0] != slot:
            until, (complaints, incidents) = (slot + 1) * SLOT, hourly_rates(slot * SLOT // HOUR)
            scheduled = sum(start <= item[0] < until for item in itertools.chain(self._queue, self._fresh))
            per_scale = (complaints * SLOT_EVENTS_PER_COMPLAINT + incidents * SLOT_EVENTS_PER_INCIDENT) / HOUR
            self._slot = (slot, max(0.0, events_per_second * (until - start) - scheduled) / per_scale / (until - start))
        return self._slot[1]

    def _push_arrivals(self, hour: int, scale: float, start: float, end: float) -> None:
        """Queue the cases of one hour arriving in (start, end], from as many layers as the scale asks for."""
        local = dt.datetime.fromtimestamp(hour * HOUR, WIB)
        hour_of_year, rainy = (local.timetuple().tm_yday - 1) * 24 + local.hour, int(local.month in RAINY_MONTHS)
        for kind, rate in zip("cip", (*hourly_rates(hour), info_hourly_rate(hour))):
            build = {"c": self._complaint, "i": self._incident, "p": self._info_request}[kind]
            for layer in range(math.ceil(scale)):
                kept = min(1.0, scale - layer)
                cases = self._bucket(kind, hour, layer, rate)
                for case in itertools.islice(cases, bisect.bisect_right(cases, start, key=_arrival), None):
                    arrival, draw, case_seed, index, items = case
                    if arrival > end:
                        break
                    if draw < kept:
                        if items is None:
                            case_id = f"{_CASE_PREFIX[kind]}-{local.year}-{hour_of_year:04d}{index:03d}"
                            rng = random.Random(case_seed)
                            steps = build(rng, case_id + (f"-{layer}" if layer else ""), arrival, rainy)
                            items = case[4] = self._items(rng, steps, True)
                        self._fresh += items

    def _bucket(self, kind: str, hour: int, layer: int, rate: float) -> list[list]:
        """Arrival, thinning draw, seed and number of every case of one hour and layer. Drawn whether a case
        is kept or not, so a case keeps its id and content at any scale; its events are built when needed."""
        key = (kind, hour, layer)
        if key not in self._buckets:
            rng, cases = random.Random(f"{self.seed}/{kind}/{layer}/{hour}"), []
            moment = hour * HOUR + rng.expovariate(rate / HOUR)
            while moment < (hour + 1) * HOUR:
                cases.append([int(moment), rng.random(), rng.getrandbits(64), len(cases), None])
                moment += rng.expovariate(rate / HOUR)
            self._buckets[key] = cases
        return self._buckets[key]

    def _items(self, rng: random.Random, steps: list, lifecycle: bool) -> list[tuple]:
        """Queue entries of a case's events or of KPI readings, plus the configured out-of-order, duplicate
        and invalid ones (drawn after the case, so the shares change nothing else)."""
        published = [step[1] for step in steps]
        for i in range(1, len(steps) if lifecycle else 0):
            if rng.random() < self.out_of_order_share:  # the earlier event reaches the stream late
                published[i - 1] = max(published[i - 1], published[i] + _between(rng, 1, 90))
        items = []
        for (occurred, _, event_id, event_type, data), at in zip(steps, published):
            event_id = f"sim-{self.seed}-{event_id}"
            source = SOURCES[data["domain"] if event_type == "egov.kpi" else event_type.partition(".")[0]]
            event = {
                "event_id": event_id,
                "type": event_type,
                "occurred_at": _iso(occurred),
                "source": source,
                "schema": 1,
                "data": data,
            }
            items.append((at, event_id, 0, event))
            if self.duplicate_share and rng.random() < self.duplicate_share:
                items.append((at + _between(rng, 1, 300), event_id, 1, event))
            if self._invalid_odds and rng.random() < self._invalid_odds:
                items.append((at + 1, event_id + "-invalid", 0, _corrupt(rng, event)))
        return items

    def _complaint(self, rng: random.Random, complaint_id: str, created: int, rainy: int) -> list:
        channel = _pick(rng, tuple(CHANNELS), _CHANNEL_CUM)
        category = _pick(rng, tuple(COMPLAINT_CATEGORIES), _CATEGORY_CUM[rainy])
        opd = COMPLAINT_CATEGORIES[category][2] or _one(rng, OTHER_OPDS)
        place, kel = _place(rng, 0.2)
        data = {"complaint_id": complaint_id, "channel": channel, "category": category, **place}
        if channel in ("app", "web") and rng.random() < 0.4:
            data["opd"] = opd  # the app lets citizens pick the department
        reporter = _reporter(rng, channel, category, kel) if rng.random() < 0.85 else {}
        if rng.random() < 0.92:
            data["text"] = _text(rng, category, kel)
            if rng.random() < 0.06:  # people do write their number into the text
                data["text"] += f" Hubungi saya di {reporter.get('phone') or _phone(rng)}."
        if reporter:
            data["reporter"] = reporter
        if rng.random() < 0.2:
            data["sla_hours"] = 24.0
        key, seen = complaint_id.lower(), {}
        steps = [(created, created, key + "-created", "complaint.created", data)]

        def status(at: float, name: str, note_share: float = 0.3, **extra) -> None:
            at = max(int(at), steps[-1][0] + 1)
            seen[name] = count = seen.get(name, 0) + 1
            body = {"complaint_id": complaint_id, "status": name, **extra}
            if "note" not in body and rng.random() < note_share:
                body["note"] = _one(rng, TEXTS[name])
            steps.append((at, at, f"{key}-{name}{count if count > 1 else ''}", "complaint.status", body))

        fate = rng.random()  # most get a first answer within the 1x24 h standard, some late, a few never
        respond = rng.lognormvariate(math.log(4 * HOUR), 1.0)
        while fate < 0.88 and respond >= 24 * HOUR:
            respond = rng.lognormvariate(math.log(4 * HOUR), 1.0)
        if fate >= 0.88:
            respond = 24 * HOUR + 48 * HOUR * rng.random() ** 1.5 if fate < 0.965 else None
        horizon = created + max(respond or rng.uniform(6, 48) * HOUR, 5 * MINUTE)
        status(
            created + max(30, min(rng.lognormvariate(math.log(15 * MINUTE), 0.8), 0.15 * (horizon - created))),
            "verified",
        )
        reply = channel if rng.random() < 0.8 and channel != "walk_in" else _one(rng, ("whatsapp", "phone", "email"))
        if rng.random() < 0.04:  # not the city's business: the citizen is told why, then it is closed
            status(horizon, "responded", reply_channel=reply, note=_one(rng, TEXTS["rejected"]))
            status(horizon + rng.uniform(60, 1800), "rejected", note_share=1.0)
            return steps
        at = steps[-1][0] + (horizon - steps[-1][0]) * rng.uniform(0.1, 0.5)
        if rng.random() < 0.03:  # sent to the wrong department first
            status(at, "dispositioned", opd=_one(rng, [o for o in KPI_OPDS if o != opd]))
            at += (horizon - at) * rng.uniform(0.2, 0.5)
            status(at, "dispositioned", opd=opd, note=f"Salah disposisi, dialihkan ke {opd}.")
        else:
            status(at, "dispositioned", opd=opd)
        status(at + (horizon - at) * rng.uniform(0.2, 0.9), "in_progress")
        if respond is None:
            return steps
        status(horizon, "responded", reply_channel=reply)
        resolved = horizon + min(max(rng.lognormvariate(math.log(20 * HOUR), 1.0), 10 * MINUTE), 30 * DAY)
        status(resolved, "resolved")
        if rng.random() < 0.04:
            reopened = resolved + rng.lognormvariate(math.log(DAY), 0.7)
            status(reopened, "reopened", note_share=1.0)
            status(reopened + rng.lognormvariate(math.log(12 * HOUR), 0.8), "resolved")
        return steps

    def _info_request(self, rng: random.Random, request_id: str, received: int, rainy: int) -> list:
        return info_request_steps(rng, request_id, received)

    def _incident(self, rng: random.Random, incident_id: str, reported: int, rainy: int) -> list:
        category = _pick(rng, tuple(INCIDENT_CATEGORIES), _INCIDENT_CUM[rainy])
        *_, on_scene, first, second, second_share = INCIDENT_CATEGORIES[category]
        place, kel = _place(rng, 0.6)
        answered = reported + max(1, round(rng.lognormvariate(math.log(7), 0.65)))  # seconds of ringing
        data = {
            "incident_id": incident_id,
            "category": category,
            "priority": _pick(rng, (1, 2, 3), _PRIORITY_CUM[category]),
            **place,
            "call_answered_at": _iso(answered),
        }
        if rng.random() < 0.8:
            caller = {"name": _name(rng)} if rng.random() < 0.7 else {}
            if rng.random() < 0.95:
                caller["phone"] = _phone(rng)
            data["caller"] = caller
        if rng.random() < 0.85:
            data["description"] = _text(rng, category, kel)
        key, logged = incident_id.lower(), answered + _between(rng, 3, 20)  # on the stream once the operator typed it
        steps = [(reported, logged, key + "-reported", "incident.reported", data)]

        def step(at: float, name: str, suffix: str = "", **body) -> None:
            body = {"incident_id": incident_id, **body}
            steps.append((int(at), int(at), f"{key}-{name}{suffix}", "incident." + name, body))

        def unit_of(agency: str, nth: int) -> str:
            if agency == "DPKP":  # the fire post nearest to the scene, then the next one
                return _geography()[4][kel.code][nth]
            pattern, size = UNITS[agency]
            return pattern.format(_between(rng, 1, size))

        outcome = _pick(rng, _OUTCOMES, _OUTCOME_CUM)
        if outcome == "transferred":  # handed to the police or a neighbouring regency
            step(reported + rng.uniform(3, 15) * MINUTE, "closed", outcome=outcome)
            return steps
        dispatched = max(logged + 10, reported + min(max(rng.lognormvariate(math.log(100), 0.35), 30), 360))
        agency = _one(rng, first)
        unit = unit_of(agency, 0)
        if outcome == "cancelled":  # called off before anyone arrived
            if rng.random() < 0.7:
                step(dispatched, "dispatched", "1", unit=unit, agency=agency)
            step(dispatched + rng.uniform(2, 15) * MINUTE, "closed", outcome=outcome)
            return steps
        step(dispatched, "dispatched", "1", unit=unit, agency=agency)
        last = dispatched + rng.lognormvariate(math.log(4.9 * MINUTE), 0.55)  # turnout and travel
        step(last, "arrived", "1", unit=unit)
        if rng.random() < second_share:
            agency2, at = _one(rng, second), dispatched + rng.uniform(1, 10) * MINUTE
            unit2, arrival = unit_of(agency2, 1), at + max(MINUTE, rng.lognormvariate(math.log(6 * MINUTE), 0.5))
            if unit2 != unit:
                step(at, "dispatched", "2", unit=unit2, agency=agency2)
                step(arrival, "arrived", "2", unit=unit2)
                last = max(last, arrival)
        on_scene = rng.uniform(5, 20) if outcome == "false_alarm" else rng.lognormvariate(math.log(on_scene), 0.5)
        step(last + on_scene * MINUTE, "closed", outcome=outcome)
        steps.sort(key=lambda s: s[0])
        return steps

    def _kpi(self, opd: str, metric: str, year: int, month: int, fraction: float) -> tuple[float, float]:
        """(value, target) of a department's metric for a month, as of `fraction` of that month."""
        skill = random.Random(f"{self.seed}/kpi/{year}/{opd}").uniform(0.85, 1.05)  # one department's year
        rng = random.Random(f"{self.seed}/kpi/{year}/{month}/{metric}/{opd}")
        progress, weight = (month - 1 + fraction) / 12, KPI_OPDS[opd]
        if metric == "apbd_realization_pct":  # spending lags the plan, then rushes in the last quarter
            return min(100.0, 97 * skill * progress**1.35), 100 * progress**1.15
        if metric == "musrenbang_realized_pct":
            return min(100.0, 92 * skill * progress**1.2), 95 * progress
        if metric == "ekinerja_submission_pct":
            return min(100.0, 84 + 12 * skill + rng.gauss(0, 1.5)), 95.0
        target = round(weight * 1.6 * TENDER_SEASON[month - 1])
        count = round(target * rng.uniform(0.7, 1.25) * fraction)  # counted through the month
        if metric == "tender_count":
            return count, target
        package = 0.4e9 * weight  # a typical contract value of that department
        return round(count * package * rng.uniform(0.04, 0.11), -3), target * package * 0.07

    def _push_readings(
        self, year: int, month: int, fraction: float, at: int, tag: str, start: float, end: float
    ) -> None:
        """A reading per department, and for ALL, of every metric for one month as of `fraction` of it."""
        if not (start < at + len(KPI_METRICS) * (len(KPI_OPDS) + 1) and at < end):
            return  # advance() asks every 0.25 s; the readings are due once a day
        steps = []
        for domain, metric, unit in KPI_METRICS:
            values = {opd: self._kpi(opd, metric, year, month, fraction) for opd in KPI_OPDS}
            weights = KPI_OPDS if unit == "pct" else dict.fromkeys(KPI_OPDS, 1)  # ALL is a mean or a total
            divisor = sum(weights.values()) if unit == "pct" else 1
            values["ALL"] = tuple(sum(values[opd][i] * w for opd, w in weights.items()) / divisor for i in (0, 1))
            for opd, (value, target) in values.items():
                at += 1
                if start < at <= end:
                    digits = 1 if unit == "pct" else 0
                    data = {
                        "domain": domain,
                        "metric": metric,
                        "opd": opd,
                        "period": f"{year}-{month:02d}",
                        "value": float(round(value, digits)),
                        "target": float(round(target, digits)),
                        "unit": unit,
                    }
                    steps.append((at, at, f"kpi-{year}-{month:02d}-{opd}-{metric}-{tag}", "egov.kpi", data))
        self._fresh += self._items(random.Random(f"{self.seed}/kpi/{year}/{month}/{tag}"), steps, False)

    def _push_kpi(self, start: float, end: float) -> None:
        """Daily readings at 07:00 WIB for the running month; on the 1st also the final of the month before."""
        for day in range(int((start + 7 * HOUR) // DAY), int((end + 7 * HOUR) // DAY) + 1):
            date, seven = dt.date(1970, 1, 1) + dt.timedelta(days=day), day * DAY  # 07:00 WIB is 00:00 UTC
            if date.day == 1:
                year, month = (date.year, date.month - 1) if date.month > 1 else (date.year - 1, 12)
                self._push_readings(year, month, 1.0, seven - 30 * MINUTE, "final", start, end)
            fraction = (date.day - 1) / calendar.monthrange(date.year, date.month)[1]
            self._push_readings(date.year, date.month, fraction, seven, date.strftime("%Y%m%d"), start, end)
