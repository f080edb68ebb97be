"""Failed-login throttling, in Redis so that every server worker (and every server) counts together.

Two counters: one per user name (someone guessing one account's password from many addresses) and one per
client address (someone trying many names from one place). Each counts the failures within the lockout
period from the first one; at the limit the name or address is locked for the whole lockout period, during
which no password is even checked. A successful login clears the name's counter, not the address's: else an
attacker with an account of their own could reset their address between guesses.
"""

from __future__ import annotations

import hashlib
import math

import redis

from dashboard.settings import Settings
from data_sources import redis_keys

# Counts a failure and starts the window on the first one; at the limit the lockout runs from now.
# A key somehow left without a time to live gets one, so nothing is locked for ever.
_FAIL = """
local locked = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[i])
  local n = redis.call('INCR', key)
  if n == 1 or n == limit or redis.call('TTL', key) < 0 then
    redis.call('EXPIRE', key, ARGV[#ARGV])
  end
  if n >= limit then locked = 1 end
end
return locked
"""


class LoginThrottle:
    def __init__(self, client: redis.Redis, settings: Settings):
        self.client, self.settings = client, settings
        self.lockout_seconds = max(1, math.ceil(settings.login_lockout_minutes * 60))
        self._fail = client.register_script(_FAIL)

    def _name_key(self, name: str) -> str:
        # hashed: a typed "name" may be anything, and needs no escaping in a key this way
        digest = hashlib.sha256(name.encode("utf-8", "replace")).hexdigest()[:32]
        return redis_keys.login_failures_by_name_key(self.settings, digest)

    def _address_key(self, address: str) -> str:
        return redis_keys.login_failures_by_address_key(self.settings, address)

    def _keys_and_limits(self, name: str | None, address: str) -> tuple[list[str], list[int]]:
        keys, limits = [self._address_key(address)], [self.settings.login_max_failures_per_ip]
        if name:
            keys.append(self._name_key(name))
            limits.append(self.settings.login_max_failures)
        return keys, limits

    def locked_for(self, name: str | None, address: str) -> int:
        """Seconds until this name and address may try again; 0 when they may now."""
        keys, limits = self._keys_and_limits(name, address)
        with self.client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.get(key)
                pipe.ttl(key)
            replies = pipe.execute()
        wait = 0
        for i, limit in enumerate(limits):
            count, ttl = replies[2 * i], replies[2 * i + 1]
            if count is not None and int(count) >= limit:
                wait = max(wait, ttl if ttl > 0 else self.lockout_seconds)
        return wait

    def failed(self, name: str | None, address: str) -> int:
        """Count one failure; the seconds of lockout it brings (0 while under the limits)."""
        keys, limits = self._keys_and_limits(name, address)
        if self._fail(keys=keys, args=[*limits, self.lockout_seconds]):
            return self.locked_for(name, address)
        return 0

    def succeeded(self, name: str) -> None:
        self.client.delete(self._name_key(name))
