"""Reading ahead without taking: while the ingestor stores a batch, a second thread reads the entries that
follow it on each stream and validates them, so that when the ingestor's own XREADGROUP delivers them their
parsing is already done.

The thread reads with XRANGE, which claims nothing: no entry becomes pending, acknowledged or dead-lettered
by reading ahead, so every guarantee of the ingestor (commit before ack, ack only what was committed, pending
entries reclaimed after a crash) rests on its own reads exactly as without it. A parse read ahead is used only
for the same stream, entry id and body bytes; anything else (an entry another consumer took, a stream
recreated after a Redis restart, a failed read ahead) is parsed again where it is delivered.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import redis

from dashboard.events import Event, InvalidEvent, parse_event_with_fingerprint

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Parsed:
    """One entry's `event` value validated: the event and its fingerprint, or why it is refused."""

    raw: bytes
    event: Event | None = None
    fingerprint: str | None = None
    reason: str | None = None


def parse(raw: bytes, stream: str) -> Parsed:
    try:
        event, fingerprint = parse_event_with_fingerprint(raw, stream=stream)
    except InvalidEvent as exc:
        return Parsed(raw, reason=exc.reason)
    return Parsed(raw, event, fingerprint)


def next_id(entry_id: str) -> str:
    """The smallest entry id after this one (XRANGE's start is inclusive)."""
    ms, _, seq = entry_id.partition("-")
    return f"{ms}-{int(seq or 0) + 1}"


class ReadAhead:
    """One batch read ahead at a time, on one worker thread; `follow` hands it the batch just delivered."""

    def __init__(self, client: redis.Redis, sources: dict[str, str], count: int):
        self.client = client
        self.sources = sources  # stream key -> source name
        self.count = count
        self._executor: ThreadPoolExecutor | None = None
        self._job: Future | None = None
        self._ready: dict[tuple[str, str], Parsed] = {}

    def follow(self, newest: dict[str, str]) -> None:
        """Keep what was read ahead so far for `parsed`, then read ahead after these newest ids (per source).

        Waits for a read ahead still running: it is one XRANGE per stream and the parsing of its entries."""
        self._ready = self._finished()
        if not newest:
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-read-ahead")
        after = {key: newest[source] for key, source in self.sources.items() if source in newest}
        self._job = self._executor.submit(self._read, after)

    def parsed(self, source: str, entry_id: str, raw: bytes) -> Parsed | None:
        """The entry's parse read ahead, if it was read ahead with exactly this body."""
        found = self._ready.get((source, entry_id))
        return found if found is not None and found.raw == raw else None

    def close(self) -> None:
        self._finished()
        self._ready = {}
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def _finished(self) -> dict[tuple[str, str], Parsed]:
        job, self._job = self._job, None
        if job is None:
            return {}
        try:
            return job.result()
        except Exception as exc:  # only an optimisation: the ingestor's own read parses what is missing
            log.debug("reading ahead failed (%s: %s)", type(exc).__name__, exc)
            return {}

    def _read(self, after: dict[str, str]) -> dict[tuple[str, str], Parsed]:
        pipe = self.client.pipeline(transaction=False)
        for key, newest in after.items():
            pipe.xrange(key, min=next_id(newest), count=self.count)
        parsed: dict[tuple[str, str], Parsed] = {}
        for key, items in zip(after, pipe.execute()):
            source = self.sources[key]
            for entry_id, fields in items:
                raw = fields.get(b"event")
                if raw is not None:
                    entry_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
                    parsed[(source, entry_id)] = parse(raw, source)
        return parsed
