"""python -m bench [--quick]: the benchmark suite; prints a table and writes bench/results/latest.json.

Every figure stands beside a ceiling measured in the same run, because these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench import alerts, api, embed, geo_assign, ingest, kpi, wall
from bench.common import write_results
from tests.support.services import shared_redis_url


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="smaller runs, within 10 minutes")
    parser.add_argument("--events", type=int, help="events for the ingest benchmark")
    args = parser.parse_args()
    events = args.events or (20_000 if args.quick else 100_000)

    figures: dict = {}
    redis_url, redis_handle = shared_redis_url()
    try:
        both = ingest.run_databases(redis_url, events, runs=3)
        # The PostgreSQL pair is the headline: ingest.events_per_s beside ingest.raw_insert_rows_per_s.
        figures.update({k.replace("ingest.postgresql.", "ingest."): v for k, v in both.items() if "postgresql" in k})
        figures.update({k: v for k, v in both.items() if "sqlite" in k})
        figures.update(geo_assign.run())
        figures.update(kpi.run(args.quick, redis_url=redis_url))
        figures.update(embed.run(args.quick, redis_url))
        figures.update(api.run(args.quick, redis_url))
        figures.update(alerts.run(args.quick, redis_url))
        with tempfile.TemporaryDirectory() as tmp:
            figures.update(wall.run(args.quick, redis_url, Path(tmp)))
    finally:
        if redis_handle is not None:
            redis_handle.close()

    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    print(f"written to {write_results(figures)}")


if __name__ == "__main__":
    main()
