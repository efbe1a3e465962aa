"""Due dates and reminders of engagement plan tasks: pure date arithmetic.

``today()`` is the one clock the plugin reads, so tests can pin it.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

NOON_MINUTES = 720
MAX_DEPTH = 500  # the ancestor walk stops here, as upstream does


def today(time_zone: str = "UTC") -> dt.date:
    """Today's date in the org's time zone."""
    return dt.datetime.now(_zone(time_zone)).date()


def _zone(name: str | None) -> dt.tzinfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def move_off_weekend(day: dt.date, reschedule_to: str | None) -> dt.date:
    """Saturday/Sunday move to the next Monday, or back to the Friday before."""
    weekday = day.weekday()
    if weekday < 5:
        return day
    if reschedule_to == "Friday":
        return day - dt.timedelta(days=weekday - 4)
    return day + dt.timedelta(days=7 - weekday)


def offsets(steps: dict[str, dict]) -> dict[str, int]:
    """Each template step's days from the plan date: its own days plus its ancestors'.

    ``steps`` maps step id -> {"parent_task", "days_after"}; blank days count as 0.
    Computed into a fresh dict, never written back into the steps: upstream's
    shared-state bug made the second plan of a batch add the ancestors again.
    """
    out: dict[str, int] = {}
    for step_id in steps:
        total, current, depth = 0, step_id, 0
        while current in steps and depth < MAX_DEPTH:
            total += steps[current].get("days_after") or 0
            current = steps[current].get("parent_task")
            depth += 1
        out[step_id] = total
    return out


def due_date(base: dt.date, days: int, skip_weekends: bool, reschedule_to: str | None) -> dt.date:
    """``base + days``, moved off a weekend once at the end when the template skips weekends.

    A parent's moved date is not carried into its child's: each date is
    computed from the base and moved once.
    """
    day = base + dt.timedelta(days=days)
    return move_off_weekend(day, reschedule_to) if skip_weekends else day


@functools.lru_cache(maxsize=4096)  # a batch of plans repeats the same (date, minutes, zone)
def reminder_at(due: dt.date, minutes: int | None, time_zone: str | None) -> dt.datetime:
    """Midnight of ``due`` in ``time_zone`` plus ``minutes`` (blank = noon), as a UTC instant."""
    local_midnight = dt.datetime.combine(due, dt.time(0), tzinfo=_zone(time_zone))
    minutes = NOON_MINUTES if minutes is None else minutes
    # Wall-clock arithmetic, then conversion: 09:00 stays 09:00 on a DST change day.
    local = local_midnight + dt.timedelta(minutes=minutes)
    return local.astimezone(dt.UTC)


def descendants(children: dict[str | None, list[str]], root: str) -> list[str]:
    """Every step below ``root`` (depth first), never looping on a bad tree."""
    out: list[str] = []
    seen = {root}
    stack = list(reversed(children.get(root, [])))
    while stack:
        step = stack.pop()
        if step in seen:
            continue
        seen.add(step)
        out.append(step)
        stack.extend(reversed(children.get(step, [])))
    return out
