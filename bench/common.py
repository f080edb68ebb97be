"""Shared parts of the benchmarks: real servers (the machine's, else embedded), fresh databases, results."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import statistics
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between ranks (NumPy's default), q in 0..100."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: list[float]) -> dict[str, float]:
    return {"p50": percentile(values, 50), "p95": percentile(values, 95), "mean": statistics.fmean(values)}


def update_results(figures: dict) -> Path:
    """One benchmark's figures into latest.json beside the figures of the suite's last run (a figure of the same
    name replaced): `python -m bench.kpi --complaints 10000000` adds its figures as the suite would."""
    latest = RESULTS / "latest.json"
    known = json.loads(latest.read_text())["figures"] if latest.exists() else {}
    return write_results({**known, **figures})


def write_results(figures: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    document = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(),
        "machine": {"python": platform.python_version(), "processor": platform.processor() or platform.machine()},
        "figures": figures,
    }
    text = json.dumps(document, indent=2, sort_keys=True)
    latest = RESULTS / "latest.json"
    latest.write_text(text)
    (RESULTS / f"{dt.datetime.now():%Y%m%d-%H%M%S}.json").write_text(text)
    return latest


def processes() -> dict[int, tuple[int, bytes, float]]:
    """Every process now: pid -> (parent pid, command line, CPU seconds used so far), from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended in between
        table[int(entry)] = (int(fields[1]), cmdline, (int(fields[11]) + int(fields[12])) / ticks)
    return table


class CpuShares:
    """Where a machine's CPU went during a stretch of a run, by process kind, from /proc (Linux): Chromium's
    renderers, its GPU process (software raster and WebGL on a machine without a GPU), the rest of Chromium,
    and the named processes of the bench. A profile of the whole machine, so a missed target can say where
    its time went. Shares are of one core (1.0 = a core busy all the time)."""

    def __init__(self, named: dict[str, int]):
        self.named = {pid: name for name, pid in named.items()}
        self._start, self._at = self._sample(), time.monotonic()

    def _kind(self, pid: int, cmdline: bytes) -> str:
        if pid in self.named:
            return self.named[pid]
        program = cmdline.split(b"\0", 1)[0]
        if program.startswith(b"postgres") or b"/postgres" in program:
            return "postgresql"
        if b"redis-server" in program:
            return "redis"
        if b"chrom" not in cmdline.split(b"\0", 1)[0] and b"headless_shell" not in cmdline:
            return "other"
        kind = re.search(rb"--type=([a-z-]+)", cmdline)
        return "chromium." + (kind.group(1).decode() if kind else "browser")

    def _sample(self) -> dict[int, tuple[str, float]]:
        return {pid: (self._kind(pid, cmdline), used) for pid, (_, cmdline, used) in processes().items()}

    def shares(self) -> dict[str, float]:
        end, span = self._sample(), time.monotonic() - self._at
        busy: dict[str, float] = {}
        for pid, (kind, seconds) in end.items():
            before = self._start.get(pid, (kind, 0.0))[1]
            busy[kind] = busy.get(kind, 0.0) + max(0.0, seconds - before)
        return {kind: round(seconds / span, 2) for kind, seconds in sorted(busy.items()) if seconds / span >= 0.01}
