"""The ingestor: Redis Streams -> validation -> SQL store -> XACK, exactly once in the store.

Order of work for every batch: read (own pending entries first, then new ones), validate, store the
good events and the dead-letter rows in one database transaction, commit, and only then acknowledge
the entries, add the dead letters to the dead-letter stream and bump the data version, all in one
Redis MULTI. A crash anywhere leaves entries pending; they are read again, and the store's
processed-event ids make the second pass a no-op.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson
import redis
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from dashboard.events import MAX_EVENT_BYTES, InvalidEvent, parse_event_with_fingerprint
from dashboard.ppid import calendar_from_settings
from dashboard.settings import Settings
from dashboard.sla import policy_from_settings
from data_sources import metrics, redis_keys
from data_sources.redis_keys import SOURCES, changes_channel, data_version_key, health_key
from data_sources.store import audit
from data_sources.store.batch import Accepted, BatchResult, Refused, entry_text
from data_sources.store.writer import apply_batch
from data_sources.stream.deadletters import apply_retention as apply_dead_letter_retention
from data_sources.stream.retention import trim_streams

log = logging.getLogger(__name__)

# How often pending entries of other (possibly dead) consumers are looked at.
CLAIM_INTERVAL_S = 5.0
# Consumers with nothing pending and idle this long are removed from the group.
STALE_CONSUMER_MS = 3_600_000
# An event the database refuses with an integrity error is tried this often, alone, before it is refused.
STORE_ATTEMPTS = 3


# Acknowledge a refused entry and add it to the dead-letter stream only if it was still pending here:
# if another consumer already took it over and acknowledged it, it is in the dead-letter stream already.
_DEAD_LETTER_ONCE = """
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('XADD', KEYS[2], '*', 'event', ARGV[3], 'stream', KEYS[1], 'entry_id', ARGV[2], 'reason', ARGV[4])
  redis.call('HINCRBY', KEYS[3], 'dead_letters:' .. ARGV[5], 1)
  return 1
end
return 0
"""


class Backoff:
    """Exponential backoff with full jitter, so a fleet of ingestors does not retry in step."""

    def __init__(self, first: float = 0.5, ceiling: float = 30.0):
        self.first, self.ceiling, self.attempt = first, ceiling, 0

    def next_delay(self) -> float:
        delay = min(self.ceiling, self.first * 2**self.attempt)
        self.attempt += 1
        return random.uniform(delay / 2, delay)

    def reset(self) -> None:
        self.attempt = 0


@dataclass
class Entry:
    stream: str  # source name: complaints, incidents, egov
    entry_id: str
    fields: dict[bytes, bytes]


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


class Ingestor:
    def __init__(
        self,
        settings: Settings,
        client: redis.Redis,
        sessions: sessionmaker[Session],
        on_commit: Callable[[BatchResult], None] | None = None,
    ):
        self.settings = settings
        self.redis = client
        self.sessions = sessions
        self.on_commit = on_commit
        self.group = settings.consumer_group
        self.consumer = settings.consumer_name
        self.keys = {redis_keys.stream_key(settings, s): s for s in SOURCES}
        self._read_own_pending = True
        self._last_claim = 0.0
        self._dead_letter_once = client.register_script(_DEAD_LETTER_ONCE)
        self._locator = None
        self._last_trim = time.monotonic()
        self.sla_policy = policy_from_settings(settings)
        self.work_calendar = calendar_from_settings(settings)
        self.processed_entries = 0
        self.processed_batches = 0

    # --- set-up ------------------------------------------------------------------------------

    def ensure_groups(self) -> None:
        for key in self.keys:
            try:
                # From the start of the stream: a new group reads what is retained; the store drops repeats.
                self.redis.xgroup_create(key, self.group, id="0", mkstream=True)
                log.info("created consumer group %s on %s", self.group, key)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    # --- the loop ----------------------------------------------------------------------------

    def run(self, stop: threading.Event, until_idle: bool = False) -> None:
        """Ingest until `stop` is set (or, with until_idle, until every stream is drained)."""
        backoff = Backoff()
        groups_ready = False
        self.locator  # noqa: B018 - the boundary map loads before the first batch, not inside it
        # What is alive now (libraries, the boundary map) stays alive: move it out of the collector's sight, so
        # the full collections that a stream of short-lived events triggers do not scan it over and over.
        gc.freeze()
        while not stop.is_set():
            try:
                if not groups_ready:
                    self.ensure_groups()
                    groups_ready = True
                handled = self.step()
                backoff.reset()
                if time.monotonic() - self._last_trim >= self.settings.stream_trim_interval_s:
                    self._last_trim = time.monotonic()
                    # Several ingestors trimming at once is harmless: the cut never passes an unacknowledged entry.
                    trim_streams(self.redis, self.settings)
                    apply_dead_letter_retention(self.redis, self.sessions, self.settings)
                    self._audit_retention()
                if until_idle and handled == 0 and self.is_idle():
                    return
            except redis.ResponseError as exc:
                if "NOGROUP" in str(exc):
                    metrics.INGEST_ERRORS.labels("group_missing").inc()
                    log.warning("consumer group missing (Redis restarted empty?): recreating it")
                    groups_ready = False
                    self._read_own_pending = True
                    continue
                metrics.INGEST_ERRORS.labels("redis_refused").inc()
                self._pause(stop, backoff, "Redis refused a command", exc)
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                groups_ready = False
                self._read_own_pending = True
                metrics.INGEST_ERRORS.labels("redis_unreachable").inc()
                self._pause(stop, backoff, "Redis unreachable", exc)
            except sa_exc.SQLAlchemyError as exc:
                self._read_own_pending = True
                metrics.INGEST_ERRORS.labels("database_unavailable").inc()
                self._pause(stop, backoff, "database unavailable", exc)

    def _audit_retention(self) -> None:
        with self.sessions.begin() as session:
            gone = audit.delete_older_than(session.connection(), audit.retention_cutoff(self.settings))
        if gone:
            log.info("audit log: %d entries older than %s days deleted", gone, self.settings.audit_retention_days)

    def _pause(self, stop: threading.Event, backoff: Backoff, what: str, exc: Exception) -> None:
        delay = backoff.next_delay()
        log.warning("%s (%s: %s); retrying in %.1f s", what, type(exc).__name__, str(exc).splitlines()[0][:200], delay)
        stop.wait(delay)

    def step(self) -> int:
        """Process one batch; returns how many stream entries it handled."""
        entries: list[Entry] = []
        if time.monotonic() - self._last_claim >= CLAIM_INTERVAL_S:
            self._last_claim = time.monotonic()
            entries = self._claim_abandoned()
        if not entries and self._read_own_pending:
            entries = self._read("0", block=None)
            if not entries:
                self._read_own_pending = False
        if not entries:
            entries = self._read(">", block=self.settings.block_ms)
        if entries:
            self.process(entries)
        return len(entries)

    def _read(self, cursor: str, block: int | None) -> list[Entry]:
        reply = self.redis.xreadgroup(
            self.group,
            self.consumer,
            dict.fromkeys(self.keys, cursor),
            count=self.settings.batch_size,
            block=block,
        )
        entries = []
        for key, items in reply or []:
            source = self.keys[_text(key)]
            for entry_id, fields in items:
                # A pending entry that was trimmed away comes back with no fields: nothing left to store.
                entries.append(Entry(source, _text(entry_id), fields or {}))
        return entries

    def _claim_abandoned(self) -> list[Entry]:
        entries: list[Entry] = []
        for key, source in self.keys.items():
            reply = self.redis.xautoclaim(
                key,
                self.group,
                self.consumer,
                self.settings.claim_idle_ms,
                start_id="0-0",
                count=self.settings.batch_size,
            )
            claimed = reply[1]
            if len(reply) > 2 and reply[2]:
                # Redis 7 reports pending entries that no longer exist in the stream: they are lost.
                log.error(
                    "XAUTOCLAIM on %s: %d pending entries were deleted from the stream before being stored: %s",
                    key,
                    len(reply[2]),
                    [_text(i) for i in reply[2][:10]],
                )
                self.redis.xack(key, self.group, *reply[2])
                self.redis.hincrby(health_key(self.settings), f"lost:{source}", len(reply[2]))
            for entry_id, fields in claimed:
                entries.append(Entry(source, _text(entry_id), fields or {}))
            if claimed:
                log.info("took over %d entries of %s left pending by another consumer", len(claimed), key)
            self._forget_stale_consumers(key)
        return entries

    def _forget_stale_consumers(self, key: str) -> None:
        for consumer in self.redis.xinfo_consumers(key, self.group):
            name = _text(consumer["name"])
            if name != self.consumer and consumer["pending"] == 0 and consumer["idle"] > STALE_CONSUMER_MS:
                self.redis.xgroup_delconsumer(key, self.group, name)

    def is_idle(self) -> bool:
        """Nothing new to read and nothing pending anywhere in the group."""
        return all(not self.redis.xpending(key, self.group)["pending"] for key in self.keys)

    # --- one batch ---------------------------------------------------------------------------

    def process(self, entries: list[Entry]) -> BatchResult:
        with _collector_paused():
            return self._process(entries)

    def _process(self, entries: list[Entry]) -> BatchResult:
        started = time.perf_counter()
        accepted: list[Accepted] = []
        refused: list[Refused] = []
        raw_by_entry: dict[tuple[str, str], bytes] = {}
        for entry in entries:
            raw = entry.fields.get(b"event")
            if raw is None:
                original = orjson.dumps({_text(k): _text(v) for k, v in entry.fields.items()}).decode()
                reason = (
                    "entry has no 'event' field"
                    if entry.fields
                    else "entry was deleted from the stream before it was read"
                )
                refused.append(Refused(entry.stream, entry.entry_id, original[:MAX_EVENT_BYTES], reason))
                continue
            raw_by_entry[(entry.stream, entry.entry_id)] = raw
            try:
                event, fingerprint = parse_event_with_fingerprint(raw, stream=entry.stream)
            except InvalidEvent as exc:
                refused.append(Refused(entry.stream, entry.entry_id, entry_text(raw), exc.reason))
                continue
            accepted.append(Accepted(entry.stream, entry.entry_id, event, fingerprint))

        result = self._store(accepted, refused, raw_by_entry)
        self._acknowledge(entries, result)
        _count(entries, result, time.perf_counter() - started)
        self.processed_entries += len(entries)
        self.processed_batches += 1
        if self.on_commit is not None:
            self.on_commit(result)
        return result

    @property
    def locator(self):
        """Points to kecamatan: the official boundaries when configured, else the schematic map."""
        if self._locator is None:
            from data_sources.geo.locator import locator_for

            self._locator = locator_for(self.settings)
        return self._locator

    def _store(self, accepted, refused, raw_by_entry) -> BatchResult:
        try:
            with self.sessions.begin() as session:
                return apply_batch(
                    session, accepted, refused, raw_by_entry, self.locator, self.sla_policy, self.work_calendar
                )
        except (sa_exc.IntegrityError, sa_exc.DataError) as exc:
            # One event the database will not take must not block the rest: store them one by one.
            log.warning(
                "batch refused by the database (%s); storing its %d events one by one",
                type(exc).__name__,
                len(accepted),
            )
        result = BatchResult(refused=list(refused))
        for item in accepted:
            one, failure = None, None
            for _attempt in range(STORE_ATTEMPTS):
                try:
                    with self.sessions.begin() as session:
                        one = apply_batch(
                            session, [item], [], raw_by_entry, self.locator, self.sla_policy, self.work_calendar
                        )
                    break
                except sa_exc.IntegrityError as exc:
                    # Often a race, not a bad event: another ingestor (scaled out, or one that took over
                    # entries) committed the same event a moment ago. A new transaction sees its row and
                    # counts a duplicate (or refuses a conflict) instead of dead-lettering a stored event.
                    failure = exc
                except sa_exc.DataError as exc:
                    failure = exc
                    break
            if one is None:
                reason = f"the store refused the event: {type(failure.orig).__name__}: {str(failure.orig).splitlines()[0][:300]}"
                result.refused.append(
                    Refused(
                        item.stream,
                        item.entry_id,
                        entry_text(raw_by_entry.get((item.stream, item.entry_id), b"")),
                        reason,
                    )
                )
                continue
            for stream, n in one.stored.items():
                result.stored[stream] += n
            for stream, n in one.duplicates.items():
                result.duplicates[stream] += n
            result.refused.extend(one.refused)
        with self.sessions.begin() as session:
            apply_batch(session, [], result.refused, raw_by_entry)
        return result

    def _acknowledge(self, entries: list[Entry], result: BatchResult) -> None:
        """After the commit: XACK, dead-letter stream and counters together, so none happens twice."""
        s = self.settings
        refused_ids = {(r.stream, r.entry_id) for r in result.refused}
        by_stream: dict[str, list[str]] = {}
        for entry in entries:
            by_stream.setdefault(entry.stream, [])
            if (entry.stream, entry.entry_id) not in refused_ids:
                by_stream[entry.stream].append(entry.entry_id)
        now_ms = int(time.time() * 1000)
        pipe = self.redis.pipeline(transaction=True)
        for source, ids in by_stream.items():
            if ids:
                pipe.xack(redis_keys.stream_key(s, source), self.group, *ids)
        for r in result.refused:
            self._dead_letter_once(
                keys=[redis_keys.stream_key(s, r.stream), redis_keys.deadletter_key(s), health_key(s)],
                args=[self.group, r.entry_id, r.raw, r.reason, r.stream],
                client=pipe,
            )
        for source, newest in _newest_per_source(entries).items():
            pipe.hset(health_key(s), mapping={f"last_entry_id:{source}": newest, f"last_read_ms:{source}": now_ms})
        for source, n in result.stored.items():
            pipe.hincrby(health_key(s), f"stored:{source}", n)
        for source, n in result.duplicates.items():
            pipe.hincrby(health_key(s), f"duplicates:{source}", n)
        if result.stored or result.refused:
            pipe.incr(data_version_key(s))
            pipe.publish(changes_channel(s), b"1")
        pipe.execute()


@contextlib.contextmanager
def _collector_paused():
    """No automatic garbage collection while a batch is processed; it runs as usual between batches.

    A batch makes some hundred thousand short-lived objects, nearly all freed by their reference counts, yet
    their allocations alone triggered 2,447 collections per 100,000 events (0.40 s, 5% of the ingest on
    SQLite). Paused for the batch, the collector runs once after it, over what survived: 496 collections,
    0.07 s. Raising the thresholds instead would be
    process-wide and lasting: cyclic garbage of the process's other threads (the web server in the demo)
    would wait for minutes, not for the end of one batch (tens of milliseconds).
    """
    if not gc.isenabled():  # paused already, by another ingestor thread or the program itself
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _count(entries: list[Entry], result: BatchResult, seconds: float) -> None:
    """The batch's Prometheus figures, once it is committed and acknowledged."""
    read: dict[str, int] = {}
    for entry in entries:
        read[entry.stream] = read.get(entry.stream, 0) + 1
    for source, n in read.items():
        metrics.EVENTS_READ.labels(source).inc(n)
    for source, n in result.stored.items():
        metrics.EVENTS_STORED.labels(source).inc(n)
    for source, n in result.duplicates.items():
        metrics.EVENTS_DUPLICATE.labels(source).inc(n)
    for refused in result.refused:
        metrics.EVENTS_DEAD_LETTERED.labels(refused.stream).inc()
    metrics.BATCH_DURATION.observe(seconds)
    metrics.LAST_BATCH.set(time.time())


def _newest_per_source(entries: list[Entry]) -> dict[str, str]:
    """Each stream's newest entry id: its last in the batch, since XREADGROUP and XAUTOCLAIM return a stream's
    entries oldest first (a batch holds one of the two, never both)."""
    return {entry.stream: entry.entry_id for entry in entries}
