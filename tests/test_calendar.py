"""Working-day arithmetic (core/calendar.py) over BusinessHours and Holiday records."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from missionbase.core.calendar import (
    WorkingCalendar,
    calendar_from_records,
    load_working_calendar,
)

FRI = dt.date(2027, 4, 30)  # a Friday; Saturday 1 May is Labour Day
WEEKDAY_HOURS = {
    **{f"{d}_start": "09:00" for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
    **{f"{d}_end": "17:00" for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
}


def test_offset_zero_is_the_start_date_even_on_a_day_off():
    cal = WorkingCalendar()
    sunday = dt.date(2027, 5, 2)
    assert cal.add_working_days(sunday, 0) == sunday


def test_weekends_are_skipped():
    cal = WorkingCalendar()
    assert cal.add_working_days(FRI, 1) == dt.date(2027, 5, 3)  # Monday
    assert cal.add_working_days(FRI, 5) == dt.date(2027, 5, 7)
    assert cal.add_working_days(FRI, 6) == dt.date(2027, 5, 10)


def test_dated_and_recurring_holidays_are_skipped():
    cal = WorkingCalendar(holidays=frozenset({dt.date(2027, 5, 3)}), recurring_holidays=frozenset({(5, 4)}))
    # Monday 3 May (dated) and Tuesday 4 May (recurring) are off.
    assert cal.add_working_days(FRI, 1) == dt.date(2027, 5, 5)
    # A recurring holiday falls every year; the dated one only in 2027.
    assert not cal.is_working_day(dt.date(2031, 5, 4))
    assert cal.is_working_day(dt.date(2028, 5, 3))


def test_recurring_holidays_can_be_ignored():
    records = [
        {"date": dt.date(2020, 5, 3), "is_recurring": True},
        {"date": "2027-05-04", "is_recurring": False},
    ]
    assert calendar_from_records(None, records).add_working_days(FRI, 1) == dt.date(2027, 5, 5)
    ignoring = calendar_from_records(None, records, include_recurring=False)
    assert ignoring.add_working_days(FRI, 1) == dt.date(2027, 5, 3)


def test_working_weekdays_come_from_business_hours():
    six_days = {**WEEKDAY_HOURS, "saturday_start": "10:00", "saturday_end": "12:00"}
    cal = calendar_from_records(six_days, [])
    assert cal.add_working_days(FRI, 1) == dt.date(2027, 5, 1)  # Saturday is worked
    assert calendar_from_records(WEEKDAY_HOURS, []).add_working_days(FRI, 1) == dt.date(2027, 5, 3)


def test_a_calendar_without_working_days_is_an_error_not_a_hang():
    with pytest.raises(ValueError, match="no working weekday"):
        WorkingCalendar(working_weekdays=frozenset()).add_working_days(FRI, 3)
    every_day_off = WorkingCalendar(
        recurring_holidays=frozenset((m, d) for m in range(1, 13) for d in range(1, 32))
    )
    with pytest.raises(ValueError, match="fewer than 2 working days"):
        every_day_off.add_working_days(FRI, 2)


def test_working_days_between_counts_working_days_after_start():
    cal = WorkingCalendar()
    assert cal.working_days_between(FRI, dt.date(2027, 5, 10)) == 6
    assert cal.working_days_between(FRI, FRI) == 0


@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
    offsets=st.lists(st.integers(0, 400), min_size=1, max_size=5),
    weekdays=st.frozensets(st.integers(0, 6), min_size=1),
    holidays=st.frozensets(st.dates(dt.date(2020, 1, 1), dt.date(2032, 12, 31)), max_size=30),
)
def test_precomputed_offsets_match_a_day_by_day_walk(start, offsets, weekdays, holidays):
    cal = WorkingCalendar(working_weekdays=weekdays, holidays=holidays)
    table = cal.working_days_from(start, max(offsets))
    for offset in offsets:
        day, counted = start, 0
        while counted < offset:
            day += dt.timedelta(days=1)
            if day.weekday() in weekdays and day not in holidays:
                counted += 1
        assert table[offset] == day


def test_load_working_calendar_reads_the_default_business_hours_and_their_holidays(session):
    other = session.create(
        "BusinessHours", {"name": "Weekend desk", "saturday_start": "09:00", "saturday_end": "12:00"}
    )
    office = session.create("BusinessHours", {"name": "Office", "is_default": True, **WEEKDAY_HOURS})
    session.create_many(
        "Holiday",
        [
            {"name": "Bridge day", "date": dt.date(2027, 5, 3), "business_hours": office["id"]},
            {"name": "Org-wide", "date": dt.date(2027, 5, 4)},
            {"name": "Other desk only", "date": dt.date(2027, 5, 5), "business_hours": other["id"]},
        ],
    )
    cal = load_working_calendar(session)
    assert cal.add_working_days(FRI, 1) == dt.date(2027, 5, 5)
    weekend_desk = load_working_calendar(session, other["id"])
    assert weekend_desk.add_working_days(FRI, 1) == dt.date(2027, 5, 1)
    assert weekend_desk.add_working_days(FRI, 2) == dt.date(2027, 5, 8)


def test_without_business_hours_monday_to_friday_are_worked(session):
    assert load_working_calendar(session).add_working_days(FRI, 1) == dt.date(2027, 5, 3)
