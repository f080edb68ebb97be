"""A small HTTP/1.1 load generator for the embed benchmark: keep-alive connections to 127.0.0.1 only, for a
fixed time, then it stops by itself and prints JSON (requests, errors, latency percentiles, and every
answer including the warm-up's, against which the benchmark divides the server's CPU time).

    python -m bench.loadgen PORT PATH BODIES_FILE --clients 200 --seconds 10 [--rate 1000]

BODIES_FILE holds a JSON list of request bodies; client i posts body i modulo their number.

Without --rate every client sends its next request as soon as the answer is in (closed loop: capacity).
With --rate the clients together offer that many requests per second, each on its own schedule, and a
latency runs from the scheduled send time, so a stalled server cannot hide its queue (no coordinated
omission).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from bench.common import percentile

HOST = "127.0.0.1"  # loopback only, by construction


async def client(
    port: int,
    request: bytes,
    until: float,
    warm_until: float,
    interval: float | None,
    offset: float,
    latencies: list[float],
    errors: list[int],
    answered: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    next_at = time.perf_counter() + offset
    try:
        while True:
            if interval is not None:
                delay = next_at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                started = next_at
                next_at += interval
            else:
                started = time.perf_counter()
            if started >= until:
                return
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            done = time.perf_counter()
            answered[0] += 1
            if started >= warm_until:
                if head[9:12] != b"200":
                    errors.append(int(head[9:12]))
                latencies.append(done - started)
    finally:
        writer.close()


async def run(
    port: int, path: str, bodies: list[bytes], clients: int, seconds: float, rate: float | None, warmup: float
) -> dict:
    requests = [
        (
            f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        + body
        for body in bodies
    ]
    start = time.perf_counter()
    warm_until, until = start + warmup, start + warmup + seconds
    interval = clients / rate if rate else None
    latencies: list[float] = []
    errors: list[int] = []
    answered = [0]  # warm-up included: what the server did while its CPU time was read
    await asyncio.gather(
        *(
            client(
                port,
                requests[i % len(requests)],
                until,
                warm_until,
                interval,
                (interval or 0) * i / clients,
                latencies,
                errors,
                answered,
            )
            for i in range(clients)
        )
    )
    ms = [x * 1000 for x in latencies]
    return {
        "requests": len(ms),
        "answered_with_warmup": answered[0],
        "errors": len(errors),
        "requests_per_s": round(len(ms) / seconds, 1),
        "p50_ms": round(percentile(ms, 50), 2),
        "p99_ms": round(percentile(ms, 99), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen")
    parser.add_argument("port", type=int)
    parser.add_argument("path")
    parser.add_argument("body_file")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rate", type=float)
    args = parser.parse_args()
    with open(args.body_file, "rb") as fh:
        bodies = [json.dumps(b).encode() for b in json.load(fh)]
    print(
        json.dumps(asyncio.run(run(args.port, args.path, bodies, args.clients, args.seconds, args.rate, args.warmup)))
    )


if __name__ == "__main__":
    main()
