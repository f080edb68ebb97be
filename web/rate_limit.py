"""A fixed-window rate limit in Redis, shared by every worker and server: one Lua script (INCRBY, and
PEXPIRE on the window's first use; atomic, one round trip). The public embeds count requests per client
address; the event API counts events per API key (a batch of 100 costs 100).

A library such as flask-limiter would do the same with a dependency, its own storage connection and
decorators per view; two rules on two path prefixes read more plainly here. Over the limit: 429 with
Retry-After, which `hit` gives in whole seconds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import redis

_RATE_SCRIPT = """
local n = redis.call('INCRBY', KEYS[1], ARGV[2])
if n == tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
"""


class RateLimiter:
    def __init__(self, client: redis.Redis, settings, limit: int, window_s: int, key: Callable[..., str]):
        self.client, self.settings, self.limit, self.window_ms = client, settings, limit, window_s * 1000
        self._key = key  # a function of data_sources/redis_keys.py: (settings, digest) -> key
        self._script = client.register_script(_RATE_SCRIPT)

    def hit(self, who: str, cost: int = 1) -> tuple[bool, int]:
        """(allowed, seconds until the window ends) for `cost` units of `who`'s allowance."""
        digest = hashlib.sha256(who.encode()).hexdigest()[:20]  # no address or name is stored as it is
        count, ttl_ms = self._script(keys=[self._key(self.settings, digest)], args=[self.window_ms, max(1, cost)])
        return int(count) <= self.limit, max(1, -(-int(ttl_ms) // 1000))
