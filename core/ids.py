"""Record ids: ``<prefix>_<ULID>``.

A ULID is 48 bits of milliseconds since the epoch and 80 random bits, written
in Crockford base32 (26 characters). Ids therefore sort by creation time, are
unique without a central sequence (good for distributed SQL later), and the
three-letter prefix tells which object a polymorphic lookup points at.
"""

from __future__ import annotations

import os
import re
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_PATTERN = re.compile(r"^([a-z][a-z0-9]{2})_([0-9A-HJKMNP-TV-Z]{26})$")
ID_LENGTH = 30

_lock = threading.Lock()
_last_ms = -1
_last_random = 0


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


# Two base32 characters cover 10 bits; a table of all 1,024 pairs makes the
# hot loop of bulk inserts two lookups per id instead of 26 divisions.
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]


def new_ulids(count: int) -> list[str]:
    """Return ``count`` ULIDs, strictly increasing even within one millisecond.

    Monotonic generation (the ULID spec's "monotonicity" section) keeps ids
    created in one bulk call in insertion order, which keyset paging on ``id``
    relies on.
    """
    global _last_ms, _last_random
    with _lock:
        now_ms = int(time.time() * 1000)
        if now_ms > _last_ms:
            _last_ms = now_ms
            _last_random = int.from_bytes(os.urandom(10), "big") >> 1  # room to increment
        time_part = _encode(_last_ms, 10)
        out: list[str] = []
        value = _last_random
        pairs = _PAIRS
        while len(out) < count:
            value += 1
            high = time_part + _encode(value >> 20, 12)
            low = value & 0xFFFFF
            take = min(count - len(out), 0x100000 - low)
            out.extend([high + pairs[n >> 10] + pairs[n & 1023] for n in range(low, low + take)])
            value += take - 1
        _last_random = value
        return out


def new_ids(prefix: str, count: int) -> list[str]:
    return [f"{prefix}_{u}" for u in new_ulids(count)]


def new_id(prefix: str) -> str:
    return new_ids(prefix, 1)[0]


def prefix_of(record_id: str) -> str | None:
    """The object prefix of a record id, or None when it is not an id."""
    match = ID_PATTERN.match(record_id) if isinstance(record_id, str) else None
    return match.group(1) if match else None


SYSTEM_USER_ID = "usr_" + "0" * 26
