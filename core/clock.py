"""The one clock records are stamped with: timezone-aware UTC.

A module of its own, below everything else in core, so that whatever stamps
a row (records, history, sharing, imports, the demo, sessions and tokens) can
import it without importing the record service.

``shift`` moves this clock for the whole process: what tests use to let a
session go idle or a token expire without sleeping (the ``clock`` fixture of
``missionbase.core.testing``). Nothing else calls it.
"""

from __future__ import annotations

import datetime as dt

_offset = dt.timedelta(0)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC) + _offset


def shift(delta: dt.timedelta) -> None:
    """Move the clock by ``delta`` (forward or back); ``reset()`` undoes every shift."""
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = dt.timedelta(0)
