"""The one clock records are stamped with: timezone-aware UTC.

A module of its own, below everything else in core, so that whatever stamps
a row (records, history, sharing, imports, the demo) can import it without
importing the record service.
"""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
