"""Dates as the session's user sees them: their time zone decides "today" and
which local date a session start falls on."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def zone_of(session) -> ZoneInfo:
    """The user's zone (UTC when unset or unknown)."""
    try:
        return ZoneInfo(session.user.time_zone or "UTC")
    except Exception:
        return ZoneInfo("UTC")


def local_today(session) -> dt.date:
    return dt.datetime.now(zone_of(session)).date()


def local_date(session, moment: dt.datetime | None) -> dt.date | None:
    """The user's local date of a stored moment (naive values are UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone_of(session)).date()
