"""Working-day arithmetic over the org's BusinessHours and Holiday records.

A *working day* is a weekday on which the business hours have working time
(a start and an end) and which is not a holiday. Holidays come in two kinds:
dated ones (one day) and recurring ones (the same month and day every
year). Callers decide whether recurring holidays count::

    cal = load_working_calendar(session)                 # the default business hours
    cal.add_working_days(dt.date(2027, 4, 30), 3)        # -> the 3rd working day after

Offsets are counted like this: 0 gives the start date itself (even on a day
off); N > 0 steps forward day by day and counts only working days, landing on
the Nth one. ``WorkingDays`` answers many offsets from one start date after
one precomputation, so 50 items with offsets up to 1,000 days cost one walk
over the calendar, not one walk per item.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONDAY_TO_FRIDAY = frozenset(range(5))


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are worked. ``working_weekdays`` uses ``date.weekday()`` numbers (Monday = 0)."""

    working_weekdays: frozenset[int] = MONDAY_TO_FRIDAY
    holidays: frozenset[dt.date] = frozenset()
    recurring_holidays: frozenset[tuple[int, int]] = frozenset()  # (month, day)
    _cache: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        bad = [d for d in self.working_weekdays if d not in range(7)]
        if bad:
            raise ValueError(f"working weekdays must be 0 (Monday) to 6 (Sunday), got {bad}")

    def is_working_day(self, day: dt.date) -> bool:
        return (
            day.weekday() in self.working_weekdays
            and day not in self.holidays
            and (day.month, day.day) not in self.recurring_holidays
        )

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The ``days``-th working day after ``start`` (``start`` itself for 0)."""
        return self.working_days_from(start, days)[days]

    def working_days_from(self, start: dt.date, max_offset: int) -> WorkingDays:
        """Answers ``[n]`` = start + n working days for every n up to ``max_offset``, computed once.

        Remembered per start date: a batch of plans that share a start date
        shares one walk.
        """
        if max_offset < 0:
            raise ValueError(f"a working-day offset cannot be negative (got {max_offset})")
        if not self.working_weekdays:
            raise ValueError("the calendar has no working weekday, so no working day can be reached")
        cached = self._cache.get(start)
        if cached is not None and cached.max_offset >= max_offset:
            return cached
        days = [start]
        current = start
        one = dt.timedelta(days=1)
        # A year of holidays every working weekday cannot happen, but a bad
        # calendar must not loop for ever: stop after ~10 days per offset.
        limit = start + dt.timedelta(days=max(10 * max_offset, 366) + 366)
        while len(days) <= max_offset:
            current += one
            if current > limit:
                raise ValueError(
                    f"fewer than {max_offset} working days between {start} and {limit}: "
                    "check the business hours and holidays"
                )
            if self.is_working_day(current):
                days.append(current)
        result = WorkingDays(start, max_offset, tuple(days))
        self._cache[start] = result
        return result

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """How many working days lie after ``start`` up to and including ``end`` (0 if end <= start)."""
        if end <= start:
            return 0
        table = self.working_days_from(start, max(1, (end - start).days))
        return bisect.bisect_right(table.days, end) - 1


@dataclass(frozen=True)
class WorkingDays:
    """Precomputed ``start + n working days`` for n = 0..max_offset."""

    start: dt.date
    max_offset: int
    days: tuple[dt.date, ...]

    def __getitem__(self, offset: int) -> dt.date:
        if not 0 <= offset <= self.max_offset:
            raise IndexError(f"offset {offset} is outside 0..{self.max_offset}")
        return self.days[offset]


def add_calendar_days(start: dt.date, days: int) -> dt.date:
    return start + dt.timedelta(days=days)


def weekdays_of_business_hours(record: dict) -> frozenset[int]:
    """Weekday numbers on which a BusinessHours record has working time (a start and an end)."""
    return frozenset(
        number
        for number, name in enumerate(WEEKDAYS)
        if record.get(f"{name}_start") and record.get(f"{name}_end")
    )


def calendar_from_records(
    business_hours: dict | None, holidays: Iterable[dict], *, include_recurring: bool = True
) -> WorkingCalendar:
    """A calendar from a BusinessHours record (None: Monday to Friday) and Holiday records.

    ``include_recurring=False`` ignores recurring holidays, for callers that
    must reproduce a system where only dated holidays close the office.
    """
    weekdays = weekdays_of_business_hours(business_hours) if business_hours else MONDAY_TO_FRIDAY
    dated, recurring = set(), set()
    for holiday in holidays:
        day = holiday["date"]
        if isinstance(day, str):
            day = dt.date.fromisoformat(day)
        if holiday.get("is_recurring"):
            if include_recurring:
                recurring.add((day.month, day.day))
        else:
            dated.add(day)
    return WorkingCalendar(frozenset(weekdays), frozenset(dated), frozenset(recurring))


def default_business_hours(session) -> dict | None:
    """The org's default BusinessHours (``is_default``), else the only one, else None."""
    records = session.query("BusinessHours", order_by="created_at", limit=100).records
    defaults = [r for r in records if r.get("is_default")]
    if defaults:
        return defaults[0]
    return records[0] if len(records) == 1 else None


def load_working_calendar(
    session, business_hours_id: str | None = None, *, include_recurring: bool = True
) -> WorkingCalendar:
    """The working calendar of a BusinessHours record (default: the org's default) as the session sees it.

    Holidays that name these business hours count, and so do holidays that
    name none (org-wide). With no BusinessHours at all, Monday to Friday
    are worked and only org-wide holidays are off.
    """
    hours = session.get(business_hours_id) if business_hours_id else default_business_hours(session)
    where: dict = {"business_hours": {"is_null": True}}
    if hours is not None:
        where = {"or": [where, {"business_hours": hours["id"]}]}
    holidays = session.query("Holiday", where=where, fields=["date", "is_recurring"]).records
    return calendar_from_records(hours, holidays, include_recurring=include_recurring)
