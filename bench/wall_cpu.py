"""What one wall costs the machine (bench/wall.py, wall.one_wall_cpu_cores): the city's busy-hour event rate,
and the CPU of Chromium's renderers and GPU process read from /proc (Linux)."""

from __future__ import annotations

import datetime as dt
import os
import time

from bench.common import processes
from data_sources.simulator.traffic import Simulator


def busy_hour_events_per_s(seed: int = 11) -> float:
    """The city's busy-hour rate: events in the busiest clock hour of a simulated fortnight, per second."""
    per_hour: dict[str, int] = {}
    for event in Simulator(seed=seed).generate(20_000, dt.datetime.now(dt.UTC)):
        if isinstance(event, dict):
            hour = dt.datetime.fromisoformat(event["occurred_at"]).astimezone(dt.UTC).strftime("%Y%m%d%H")
            per_hour[hour] = per_hour.get(hour, 0) + 1
    return max(per_hour.values()) / 3600


def chromium_cpu_cores(seconds: float, kinds=("renderer", "gpu-process")) -> float:
    """Cores used by this process's own Chromium (its descendants: other people's browsers on a shared
    machine are left out) in processes of these kinds, over `seconds`, from /proc."""

    def sample() -> dict[int, float]:
        table = processes()
        mine = {os.getpid()}
        grown = True
        while grown:  # descendants, whatever order /proc lists them in
            grown = False
            for pid, (parent, _, _) in table.items():
                if parent in mine and pid not in mine:
                    mine.add(pid)
                    grown = True
        return {
            pid: used
            for pid, (_, cmdline, used) in table.items()
            if pid in mine and any(f"--type={kind}".encode() in cmdline for kind in kinds)
        }

    start, started = sample(), time.monotonic()
    time.sleep(seconds)
    end, span = sample(), time.monotonic() - started
    return sum(max(0.0, used - start.get(pid, 0.0)) for pid, used in end.items()) / span
