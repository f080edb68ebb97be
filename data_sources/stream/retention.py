"""Stream retention that never deletes an unacknowledged entry, and the figures that warn before it matters.

Redis Streams keep every entry until something trims them. `XADD ... MAXLEN` or a plain `XTRIM MAXLEN` would
delete entries that no consumer has stored yet (a 112 incident lost without a trace: XAUTOCLAIM later
reports the id as deleted). Redis 8 has `XTRIM ... ACKED`; the Redis 6.2 and 7 we support do not, so the
safe trim is computed here:

    safe id   = the smallest, over every consumer group of the stream, of its last-delivered id and its
                oldest pending id (entries below it were delivered to every group and acknowledged by it)
    target id = entries older than the retention window (PANTAU_STREAM_RETENTION_HOURS) go; when the stream
                is longer than PANTAU_STREAM_MAXLEN, the oldest entries beyond that length go too
    XTRIM MINID min(safe id, target id)

The safe id and the XTRIM are computed and run in one Lua script, so nothing can be delivered or claimed in
between. A stream without a consumer group is never trimmed (nobody has read it yet). The max length is a
soft target: when unacknowledged entries hold it back the stream stays longer, and `retention_health`
raises the alarm (the lag is growing toward the limit) instead of anything being deleted.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis

from dashboard.settings import Settings
from data_sources import redis_keys
from data_sources.redis_keys import SOURCES

log = logging.getLogger(__name__)

DEFAULT_RETENTION_HOURS = 72.0
DEFAULT_MAXLEN = 1_000_000
# At most this many entries are looked at per stream and call to find the max-length cut (bounded work).
MAXLEN_STEP = 10_000
# Alarm levels: share of the max length held by unacknowledged entries, or of the retention window
# reached by the oldest unacknowledged entry.
WARNING_SHARE = 0.5
CRITICAL_SHARE = 0.8

# KEYS[1] stream; ARGV[1] target id (entries below it may go). Returns {trimmed, minid, safe id or "", why}.
_SAFE_TRIM = """
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  if not ms then ms, seq = string.match(id, '^(%d+)$'), '0' end
  return {tonumber(ms), tonumber(seq)}
end
local function less(a, b)
  local x, y = parse(a), parse(b)
  return x[1] < y[1] or (x[1] == y[1] and x[2] < y[2])
end
if redis.call('EXISTS', KEYS[1]) == 0 then return {0, '', '', 'no stream'} end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then return {0, '', '', 'no consumer group'} end
local safe = nil
for _, g in ipairs(groups) do
  local name, last = nil, nil
  for i = 1, #g, 2 do
    if g[i] == 'name' then name = g[i + 1] end
    if g[i] == 'last-delivered-id' then last = g[i + 1] end
  end
  if safe == nil or less(last, safe) then safe = last end
  local pending = redis.call('XPENDING', KEYS[1], name)
  if pending[1] > 0 and less(pending[2], safe) then safe = pending[2] end
end
local minid = ARGV[1]
local why = 'retention'
if less(safe, minid) then minid = safe; why = 'held back by unacknowledged entries' end
local trimmed = redis.call('XTRIM', KEYS[1], 'MINID', minid)
return {trimmed, minid, safe, why}
"""


def retention_ms(settings: Settings) -> int:
    return int(float(getattr(settings, "stream_retention_hours", DEFAULT_RETENTION_HOURS)) * 3_600_000)


def max_length(settings: Settings) -> int:
    return int(getattr(settings, "stream_maxlen", DEFAULT_MAXLEN))


def _text(value: Any) -> Any:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _order(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _maxlen_cut(client: redis.Redis, key: str, maxlen: int) -> str | None:
    """The id below which entries exceed the max length (at most MAXLEN_STEP of them per call)."""
    excess = client.xlen(key) - maxlen
    if excess <= 0:
        return None
    entries = client.xrange(key, count=min(excess, MAXLEN_STEP))
    if not entries:
        return None
    ms, seq = _order(_text(entries[-1][0]))
    return f"{ms}-{seq + 1}"


def trim_streams(
    client: redis.Redis,
    settings: Settings,
    *,
    now_ms: int | None = None,
    retention_ms_override: int | None = None,
    maxlen_override: int | None = None,
) -> dict[str, dict]:
    """Trim every source stream as far as retention allows and safety permits; returns what happened per
    stream: {"trimmed": n, "minid": id, "safe_id": id, "why": ...}. Call it every minute or so."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    keep_ms = retention_ms(settings) if retention_ms_override is None else retention_ms_override
    maxlen = max_length(settings) if maxlen_override is None else maxlen_override
    script = client.register_script(_SAFE_TRIM)
    report: dict[str, dict] = {}
    for source in SOURCES:
        key = redis_keys.stream_key(settings, source)
        target = f"{max(0, now_ms - keep_ms)}-0"
        cut = _maxlen_cut(client, key, maxlen) if maxlen > 0 else None
        if cut is not None and _order(cut) > _order(target):
            target = cut
        trimmed, minid, safe, why = (_text(v) for v in script(keys=[key], args=[target]))
        report[source] = {"trimmed": int(trimmed), "minid": minid or None, "safe_id": safe or None, "why": why}
        if int(trimmed):
            log.info("trimmed %d entries of %s below %s (%s)", int(trimmed), key, minid, why)
    return report


def _group_figures(client: redis.Redis, key: str, group: str) -> dict[str, Any]:
    info = next((g for g in client.xinfo_groups(key) if _text(g.get("name")) == group), None)
    if info is None:
        return {"pending": 0, "lag": None, "oldest_unacked_id": None}
    pending = client.xpending(key, group)
    last = _text(info.get("last-delivered-id")) or "0-0"
    lag = info.get("lag")  # Redis 7; None when Redis cannot tell (or on 6.2)
    first_undelivered = client.xrange(key, min=f"({last}" if last != "0-0" else "-", count=1)
    oldest = [_text(pending["min"])] if pending["pending"] else []
    if first_undelivered:
        oldest.append(_text(first_undelivered[0][0]))
    if lag is None and first_undelivered:
        lag = len(client.xrange(key, min=f"({last}" if last != "0-0" else "-", count=MAXLEN_STEP))
    return {
        "pending": int(pending["pending"]),
        "lag": int(lag or 0),
        "oldest_unacked_id": min(oldest, key=_order) if oldest else None,
    }


def retention_health(client: redis.Redis, settings: Settings, *, now_ms: int | None = None) -> dict[str, Any]:
    """Per stream: length, unacknowledged backlog (pending + not yet delivered), the age of the oldest
    unacknowledged entry, and an alarm level ("ok", "warning", "critical") with the reasons; plus Redis memory
    against maxmemory. The backlog can never be trimmed, so it is what approaches the limits."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    keep_ms, maxlen = retention_ms(settings), max_length(settings)
    group = settings.consumer_group
    streams: dict[str, Any] = {}
    worst = "ok"
    order = {"ok": 0, "warning": 1, "critical": 2}
    for source in SOURCES:
        key = redis_keys.stream_key(settings, source)
        length = client.xlen(key)
        try:
            figures = _group_figures(client, key, group)
        except redis.ResponseError:  # no stream or no group yet
            figures = {"pending": 0, "lag": length, "oldest_unacked_id": None}
        backlog = figures["pending"] + (figures["lag"] or 0)
        oldest = figures["oldest_unacked_id"]
        age_ms = max(0, now_ms - _order(oldest)[0]) if oldest else 0
        level, reasons = "ok", []
        if maxlen > 0:
            share = backlog / maxlen
            if share >= WARNING_SHARE:
                level = "critical" if share >= CRITICAL_SHARE else "warning"
                reasons.append(f"{backlog} unacknowledged entries, {share:.0%} of the max length {maxlen}")
        if keep_ms > 0 and oldest:
            share = age_ms / keep_ms
            if share >= WARNING_SHARE:
                this = "critical" if share >= CRITICAL_SHARE else "warning"
                level = max(level, this, key=order.get)
                reasons.append(
                    f"oldest unacknowledged entry is {age_ms / 3_600_000:.1f} h old, "
                    f"{share:.0%} of the retention window"
                )
        if maxlen > 0 and length > maxlen:
            reasons.append(f"stream holds {length} entries, above the max length {maxlen}: trimming is held back")
            level = max(level, "warning", key=order.get)
        streams[source] = {
            "key": key,
            "length": length,
            **figures,
            "backlog": backlog,
            "oldest_unacked_age_s": round(age_ms / 1000, 1),
            "level": level,
            "reasons": reasons,
        }
        worst = max(worst, level, key=order.get)
    memory: dict[str, Any] = {}
    try:
        info = client.info("memory")
        used, limit = int(info.get("used_memory", 0)), int(info.get("maxmemory", 0))
        memory = {
            "used_bytes": used,
            "maxmemory_bytes": limit,
            "policy": info.get("maxmemory_policy"),
            "share": round(used / limit, 3) if limit else None,
        }
        if limit and used / limit >= WARNING_SHARE:
            level = "critical" if used / limit >= CRITICAL_SHARE else "warning"
            memory["level"] = level
            worst = max(worst, level, key=order.get)
    except redis.ResponseError:
        pass
    return {
        "level": worst,
        "retention_hours": keep_ms / 3_600_000,
        "maxlen": maxlen,
        "streams": streams,
        "memory": memory,
    }
