"""What a chaos run is configured with and what it records (tests/chaos/harness.py runs it,
tests/chaos/ledger.py checks it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dashboard.settings import Settings


@dataclass
class ChaosConfig:
    database: str = "sqlite"  # or "postgresql"
    events: int = 2500
    seconds: float = 30.0  # how long the producer spreads the events over
    ingestors: int = 3  # alive at once
    min_kills: int = 20
    redis_restarts: int = 3
    db_cuts: int = 3
    external_kill_share: float = 0.3  # of the kills, the share done from outside at random moments
    batch_size: int = 20
    claim_idle_ms: int = 400
    invalid_share: float = 0.03
    duplicate_share: float = 0.03
    trim_every_s: float = 0.7
    seed: int = 8
    drain_timeout_s: float = 120.0
    # Only for proving that the checks can fail: trim with a plain MAXLEN (deletes unacknowledged entries),
    # and tampers applied after the honest verification, each followed by a verification of its own.
    unsafe_trim: bool = False
    tampers: dict = field(default_factory=dict)


@dataclass
class ChaosRun:
    config: ChaosConfig
    settings: Settings
    workdir: Path
    confirmed: list[tuple[str, str, bytes]] = field(default_factory=list)  # (source, entry id, body)
    unconfirmed: list[tuple[str, bytes]] = field(default_factory=list)  # XADDs whose reply never came
    external_kills: int = 0
    redis_restarts: int = 0
    db_cuts: int = 0
    spawned: int = 0
    unexpected_exits: list[tuple[int, int]] = field(default_factory=list)
    trimmed: int = 0
    seconds: float = 0.0
