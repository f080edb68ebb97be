"""The publication policy of the public figures (statistical disclosure control), as plain code.

Each response being safe is not enough: a reader keeps every publication and subtracts. So the policy
is about the published series as a whole (the README's "Public embeds" section says it for readers):

- **Fixed cadence, fixed cut.** The running period is published at fixed instants of a WIB grid
  (`PANTAU_EMBED_REFRESH_S`, dividing the day) and counts only what happened before that instant; between
  two instants nothing changes, whatever arrives. A difference of two publications dates an event to a
  slot of the grid, never to its minute.
- **Closed periods published once, then frozen**, `PANTAU_EMBED_FREEZE_AFTER_H` hours after their end.
- **Every count is randomly rounded to base 5 by the cell-key method.** Each record has a fixed secret key
  (a keyed hash of its time); a cell's key is the sum of its records' keys, and a keyed HMAC of it decides
  whether the count rounds up or down (up with probability remainder/5, so unbiased). The same records
  always give the same published figure (in every publication, period and widget); one record more
  redraws it unpredictably. Every published count, and so every sum or difference of published counts,
  is a multiple of 5: no count from 1 to 4 can be read, a zero may be 0 to 4, and no cell is withheld, so
  there is no suppression mark to misread.
- **Totals are cells of their own**, rounded from their own key: total minus the other cells is noise.
- **Rates come from the rounded cells** and need `PANTAU_KPI_MIN_SAMPLE` cases (rounded) behind them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

BASE = 5
# record keys live in [0, KEY_MODULUS); a prime below 2**31 so that SQL sums of products stay in 64 bits
KEY_MODULUS = 2_147_483_647
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")


def _unit(secret: bytes, *parts: object) -> float:
    digest = hmac.new(secret, "|".join(map(str, parts)).encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def record_key_params(secret: bytes) -> tuple[int, int]:
    """(multiplier, offset) of the records' keys: key = (time_ms * multiplier + offset) mod KEY_MODULUS,
    secret, so that nobody outside can recompute a cell's key from the times of its records."""
    multiplier = 1 + int(_unit(secret, "record-key-multiplier") * (KEY_MODULUS - 2))
    offset = int(_unit(secret, "record-key-offset") * KEY_MODULUS)
    return multiplier, offset


def round_cell(count: int, key_sum: int, secret: bytes) -> int:
    """A count randomly rounded to base 5, the draw fixed by the cell's key (the sum of its records' keys)."""
    count = int(count)
    if count < 0:
        raise ValueError("a count is never negative")
    low, remainder = divmod(count, BASE)
    if remainder == 0:
        return count
    up = _unit(secret, "cell", count, int(key_sum) % KEY_MODULUS) < remainder / BASE
    return (low + up) * BASE


def publish_rate(numerator: int, denominator: int, min_denominator: int) -> float | None:
    """A percentage of two published (rounded) counts, only when the denominator is large enough."""
    if denominator < max(min_denominator, BASE) or denominator <= 0:
        return None
    return round(min(100.0, 100.0 * numerator / denominator), 1)


def publication_instant(now: dt.datetime, cadence_s: int) -> dt.datetime:
    """The last instant of the publication grid at or before `now` (UTC): multiples of `cadence_s` from WIB
    midnight (the cadence divides the day, so the grid is the same every day)."""
    if cadence_s <= 0 or 86_400 % cadence_s:
        raise ValueError("the cadence must divide a day")
    local = now.astimezone(WIB)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = int((local - midnight).total_seconds()) // cadence_s * cadence_s
    return (midnight + dt.timedelta(seconds=elapsed)).astimezone(dt.UTC)


def is_frozen(month_end: dt.datetime, instant: dt.datetime, freeze_after_h: int) -> bool:
    """Whether a period that ended at `month_end` is closed for good at publication `instant`."""
    return instant >= month_end + dt.timedelta(hours=freeze_after_h)
