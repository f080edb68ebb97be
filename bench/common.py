"""Shared parts of the benchmarks: real servers (the machine's, else embedded), fresh databases, results."""
from __future__ import annotations

import datetime as dt
import json
import platform
import statistics
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


def write_results(figures: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    document = {
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "machine": {"python": platform.python_version(), "processor": platform.processor() or platform.machine()},
        "figures": figures,
    }
    text = json.dumps(document, indent=2, sort_keys=True)
    latest = RESULTS / "latest.json"
    latest.write_text(text)
    (RESULTS / f"{dt.datetime.now():%Y%m%d-%H%M%S}.json").write_text(text)
    return latest
