"""Dates as the session's user sees them: core's local-time rule (the user's zone, else the org's)
decides "today" and which local date a session start falls on."""

from __future__ import annotations

from missionbase.core import local_date, local_today
from missionbase.core import user_zone as zone_of

__all__ = ["local_date", "local_today", "zone_of"]
