"""Failed-login throttling, in Redis so that every server worker (and every server) counts together.

Built so that an attacker slows down their own guessing and never locks the real user out of their own
device (issue 15):

- per (user name, client address) pair: the first PANTAU_LOGIN_MAX_FAILURES failures are free, then each
  one makes that pair wait, 30 s doubling up to PANTAU_LOGIN_LOCKOUT_MINUTES. The count lasts a day (a
  successful login of the pair clears it), so a patient guesser stays at the longest wait.
- per client address, across names: PANTAU_LOGIN_MAX_FAILURES_PER_IP failures within the lockout period
  lock that address, and only it (someone trying many names from one place).
- per user name: locked only when PANTAU_LOGIN_NAME_LOCK_ADDRESSES different addresses have failed for it
  within the lockout period (a guess spread over many addresses), and even then not for the addresses the
  name logged in from within the last 30 days: the officer's own device keeps working.

While a wait runs no password is checked. A success clears its pair's count, not the address's: else an
attacker with an account of their own could reset their address between guesses.
"""

from __future__ import annotations

import hashlib
import math

import redis

from dashboard.settings import Settings
from data_sources import redis_keys

FIRST_WAIT_S = 30
PAIR_MEMORY_S = 24 * 3600
KNOWN_ADDRESS_S = 30 * 24 * 3600

# KEYS: address count, pair count, pair wait, failed addresses of the name (the last three only with a name)
# ARGV: address limit, lockout seconds, [pair free failures, first wait, pair memory, address digest]
# Returns the wait this failure brings to the pair (0 while the pair is under its free failures).
_FAIL = """
local lockout = tonumber(ARGV[2])
local n = redis.call('INCR', KEYS[1])
if n == 1 or n == tonumber(ARGV[1]) or redis.call('TTL', KEYS[1]) < 0 then
  redis.call('EXPIRE', KEYS[1], lockout)
end
if #KEYS == 1 then return 0 end
local failures = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call('SADD', KEYS[4], ARGV[6])
redis.call('EXPIRE', KEYS[4], lockout)
local over = failures - tonumber(ARGV[3])
if over < 0 then return 0 end
local wait = math.min(lockout, tonumber(ARGV[4]) * 2 ^ math.min(over, 30))
redis.call('SET', KEYS[3], 1, 'EX', math.floor(wait))
return math.floor(wait)
"""


def _digest(text: str) -> str:
    # hashed: a typed "name" may be anything, and needs no escaping in a key this way
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32]


class LoginThrottle:
    def __init__(self, client: redis.Redis, settings: Settings):
        self.client, self.settings = client, settings
        self.lockout_seconds = max(1, math.ceil(settings.login_lockout_minutes * 60))
        self._fail = client.register_script(_FAIL)

    def _keys(self, name: str, address: str) -> dict[str, str]:
        s, name_digest, pair_digest = self.settings, _digest(name), _digest(f"{name}\n{address}")
        return {
            "pair": redis_keys.login_failures_by_pair_key(s, pair_digest),
            "wait": redis_keys.login_wait_by_pair_key(s, pair_digest),
            "failed_addresses": redis_keys.login_failed_addresses_key(s, name_digest),
            "known_addresses": redis_keys.login_known_addresses_key(s, name_digest),
        }

    def _address_key(self, address: str) -> str:
        return redis_keys.login_failures_by_address_key(self.settings, address)

    def locked_for(self, name: str | None, address: str) -> int:
        """Seconds until this name and address may try again; 0 when they may now."""
        address_key = self._address_key(address)
        with self.client.pipeline(transaction=False) as pipe:
            pipe.get(address_key)
            pipe.ttl(address_key)
            if name:
                keys = self._keys(name, address)
                pipe.ttl(keys["wait"])
                pipe.scard(keys["failed_addresses"])
                pipe.ttl(keys["failed_addresses"])
                pipe.sismember(keys["known_addresses"], _digest(address))
            replies = pipe.execute()
        wait = 0
        count, ttl = replies[0], replies[1]
        if count is not None and int(count) >= self.settings.login_max_failures_per_ip:
            wait = ttl if ttl > 0 else self.lockout_seconds
        if name:
            pair_wait, failed_addresses, name_ttl, known = replies[2:]
            wait = max(wait, pair_wait if pair_wait > 0 else 0)
            if failed_addresses >= self.settings.login_name_lock_addresses and not known:
                wait = max(wait, name_ttl if name_ttl > 0 else self.lockout_seconds)
        return wait

    def failed(self, name: str | None, address: str) -> int:
        """Count one failure; the seconds of waiting it brings (0 while under the limits)."""
        keys = [self._address_key(address)]
        args: list = [self.settings.login_max_failures_per_ip, self.lockout_seconds]
        if name:
            named = self._keys(name, address)
            keys += [named["pair"], named["wait"], named["failed_addresses"]]
            args += [self.settings.login_max_failures, FIRST_WAIT_S, PAIR_MEMORY_S, _digest(address)]
        return max(int(self._fail(keys=keys, args=args)), self.locked_for(name, address))

    def succeeded(self, name: str, address: str) -> None:
        """The pair starts afresh, and the address is one the name is known to log in from."""
        keys = self._keys(name, address)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(keys["pair"], keys["wait"])
            pipe.srem(keys["failed_addresses"], _digest(address))
            pipe.sadd(keys["known_addresses"], _digest(address))
            pipe.expire(keys["known_addresses"], KNOWN_ADDRESS_S)
            pipe.execute()
