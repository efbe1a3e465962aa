"""Auto-naming and engagement date defaults: pure functions.

Names are cut to 80 characters, the last three being "...", and a record
without a contact is named for "Anonymous".
"""

from __future__ import annotations

import datetime as dt

MAX_NAME = 80
ANONYMOUS = "Anonymous"


def clip(name: str, limit: int = MAX_NAME) -> str:
    """``name`` if it fits in ``limit`` characters, else its first ``limit - 3`` and "..."."""
    return name if len(name) <= limit else name[: limit - 3] + "..."


def person(contact: dict | None) -> str:
    if not contact:
        return ANONYMOUS
    return " ".join(p for p in (contact.get("first_name"), contact.get("last_name")) if p) or ANONYMOUS


def engagement_name(
    contact: dict | None, start_date: dt.date | None, created: dt.date, program_name: str
) -> str:
    """``"<First> <Last> <start date or created date>: <Program>"``."""
    return clip(f"{person(contact)} {(start_date or created).isoformat()}: {program_name}")


def delivery_name(
    contact: dict | None, delivery_date: dt.date | None, created: dt.date, service_name: str
) -> str:
    """``"<First> <Last> <delivery date or created date>: <Service>"``."""
    return clip(f"{person(contact)} {(delivery_date or created).isoformat()}: {service_name}")


def session_name(local_start_date: dt.date | None, schedule_name: str | None) -> str:
    """``"<local start date>: <Schedule>"`` (ISO date: the same for every locale)."""
    date = local_start_date.isoformat() if local_start_date else "(no date)"
    return clip(f"{date}: {schedule_name}" if schedule_name else date)


def participant_name(contact: dict | None, schedule_name: str | None) -> str:
    """``"<Contact Name> - <Schedule>"``."""
    return clip(f"{person(contact)} - {schedule_name or ''}".rstrip(" -"))


def engagement_dates(engagement: dict, program_start: dt.date | None, today: dt.date) -> dict:
    """The date a stage fills in when it is blank; only one rule applies.

    - Applied: application date = today, unless the start date is today or earlier.
    - Active: start date = today, when the program has started (a blank program
      start date never compares, so the start stays blank).
    - Completed or Withdrawn: end date = today.
    """
    stage = engagement.get("stage")
    if stage == "Applied" and not engagement.get("application_date"):
        start = engagement.get("start_date")
        if start is None or start > today:
            return {"application_date": today}
        return {}
    if stage == "Active" and not engagement.get("start_date"):
        if program_start is not None and program_start <= today:
            return {"start_date": today}
        return {}
    if stage in ("Completed", "Withdrawn") and not engagement.get("end_date"):
        return {"end_date": today}
    return {}
