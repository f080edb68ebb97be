"""The alert evaluator: the rules evaluated at `now` on every data version (and every PANTAU_ALERT_INTERVAL_S,
since SLA clocks move without new data), in one process for the whole deployment. A pass reads only what
changed since the last one (data_sources/alerts/changes.py), with a full evaluation now and then.

One process: a Redis lock (SET NX PX with a token) renewed at every pass; a process that dies stops renewing
it, and another takes over once the TTL has run out. A process that finds the lock taken by someone else
(or lost it) evaluates nothing. The database writes of one evaluation are one transaction, so a takeover
in the middle of one cannot send a message twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid

import redis
from sqlalchemy.engine import Engine

from dashboard.alert_rules import AlertConfig
from data_sources import redis_keys
from data_sources.alerts.changes import (
    ChangeWatch,
    evaluate,  # noqa: F401 (the full evaluation, public here)
    evaluate_changes,
    evaluate_full,
)
from data_sources.alerts.delivery import Deliverer
from data_sources.alerts.findings import findings_at  # noqa: F401 (public here)
from data_sources.stream.version import data_version

log = logging.getLogger(__name__)

_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class EvaluatorLock:
    def __init__(self, client: redis.Redis, settings):
        self.client, self.key = client, redis_keys.alerts_lock_key(settings)
        self.ttl_ms = int(settings.alert_lock_ttl_s * 1000)
        self.token = f"{uuid.uuid4().hex}"
        self.fresh = False  # taken (not renewed) at the last hold(): another process may have written since

    def hold(self) -> bool:
        """Takes the lock if free, renews it if ours; False if another process holds it."""
        if self.client.eval(_RENEW, 1, self.key, self.token, self.ttl_ms):
            self.fresh = False
            return True
        self.fresh = bool(self.client.set(self.key, self.token, nx=True, px=self.ttl_ms))
        return self.fresh

    def release(self) -> None:
        self.client.eval(_RELEASE, 1, self.key, self.token)


class Evaluator:
    """The loop of `app.py alerts run`: evaluate on each new data version or every interval, then deliver."""

    def __init__(self, engine: Engine, client: redis.Redis, settings, config: AlertConfig, clock=None):
        self.engine, self.client, self.settings, self.config = engine, client, settings, config
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.lock = EvaluatorLock(client, settings)
        self.deliverer = Deliverer(engine, settings, config)
        self._version: str | None = None
        self._evaluated_at = 0.0
        self._next_change: dt.datetime | None = None
        self.watch = ChangeWatch()

    def tick(self, *, force: bool = False) -> dict | None:
        """One pass: nothing unless this process holds the lock; evaluates when due (what changed since the
        last pass, or everything when the lock was just taken or a reconciliation is due); delivers what is
        due."""
        if not self.lock.hold():
            return None
        if self.lock.fresh:
            self.watch, force = ChangeWatch(), True
        version = data_version(self.client, self.settings)
        now = self.clock()
        due = time.monotonic() - self._evaluated_at >= self.settings.alert_interval_s
        due = due or (self._next_change is not None and now >= self._next_change)
        summary = None
        if force or due or version != self._version:
            run = evaluate_full if self.watch.needs_full(now) else evaluate_changes
            summary = run(self.engine, self.client, self.settings, self.config, now, self.watch)
            self._version, self._evaluated_at = version, time.monotonic()
            nxt = summary["next_change_at"]
            self._next_change = dt.datetime.fromisoformat(nxt) if nxt else None
        self.deliverer.deliver_due(self.clock())
        return summary

    def run(self, stop: threading.Event, poll_s: float = 0.5) -> None:
        log.info("alert evaluator started")
        try:
            while not stop.is_set():
                try:
                    self.tick()
                except (redis.RedisError, OSError) as exc:
                    log.warning("alert evaluator: %s; retrying", exc)
                except Exception:  # a bug in one pass must not stop the alerts for good
                    log.exception("alert evaluator pass failed")
                stop.wait(poll_s)
        finally:
            try:
                self.lock.release()
            except redis.RedisError:
                pass
