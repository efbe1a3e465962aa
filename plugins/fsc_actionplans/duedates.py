"""Due dates of plan items: the start date plus an offset in calendar or working days.

Working days come from core's working calendar (the org's default business
hours and holidays). The calendar is loaded once per call and the working
days from the start date are walked once, up to the largest offset, so a
50-item template with offsets up to 1,000 days costs one walk per batch,
not one per item (and never one per plan).

As in Industries action plans (and as the issue states), only non-recurring
holidays are days off by default: recurring ones are ignored. Holidays
loaded with ``actionplans holidays load`` are dated, so they count. An org
whose Christmas is entered once as recurring can switch
``actionplans.recurring_holidays_are_nonworking`` on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from missionbase.core import WorkingDays, add_calendar_days, load_working_calendar

from .settings import RECURRING_HOLIDAYS


@dataclass
class DueDates:
    start: dt.date
    working_days: WorkingDays | None = None  # None: calendar days

    def due(self, offset: int | None) -> dt.date | None:
        if offset is None:
            return None
        if self.working_days is None:
            return add_calendar_days(self.start, offset)
        return self.working_days[offset]


def load_due_dates(
    session, start: dt.date, offsets: Sequence[int | None], *, skip_nonworking: bool
) -> DueDates:
    if not skip_nonworking:
        return DueDates(start)
    include_recurring = bool(session.get_setting(RECURRING_HOLIDAYS.key))
    calendar = load_working_calendar(session, include_recurring=include_recurring)
    largest = max((o for o in offsets if o is not None), default=0)
    return DueDates(start, calendar.working_days_from(start, largest))
