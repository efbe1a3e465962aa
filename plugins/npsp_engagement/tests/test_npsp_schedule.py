"""Date arithmetic of plan tasks (pure functions)."""

from __future__ import annotations

import datetime as dt

import pytest

from missionbase.plugins.npsp_engagement import schedule

SAT, SUN = dt.date(2026, 1, 10), dt.date(2026, 1, 11)


@pytest.mark.parametrize(
    ("day", "reschedule_to", "expected"),
    [
        (SAT, "Monday", dt.date(2026, 1, 12)),
        (SUN, "Monday", dt.date(2026, 1, 12)),
        (SAT, "Friday", dt.date(2026, 1, 9)),
        (SUN, "Friday", dt.date(2026, 1, 9)),
        (SAT, None, dt.date(2026, 1, 12)),
        (dt.date(2026, 1, 7), "Friday", dt.date(2026, 1, 7)),
    ],
)
def test_weekend_moves(day, reschedule_to, expected):
    assert schedule.move_off_weekend(day, reschedule_to) == expected


def test_offsets_add_ancestors_days_with_blank_as_zero_and_survive_a_cycle():
    steps = {
        "a": {"days_after": 3},
        "b": {"parent_task": "a", "days_after": None},
        "c": {"parent_task": "b", "days_after": 10},
        "x": {"parent_task": "y", "days_after": 1},
        "y": {"parent_task": "x", "days_after": 1},
    }
    got = schedule.offsets(steps)
    assert (got["a"], got["b"], got["c"]) == (3, 3, 13)
    assert got["x"] > 0  # a bad tree stops at the depth limit instead of looping
    assert schedule.offsets(steps) == got  # computing again changes nothing (upstream's bulk bug)


def test_weekend_move_happens_once_on_the_final_date():
    # Parent due Saturday (moved to Monday); its child 2 days later is due Monday, not Wednesday.
    base = dt.date(2026, 1, 6)
    assert schedule.due_date(base, 4, True, "Monday") == dt.date(2026, 1, 12)
    assert schedule.due_date(base, 6, True, "Monday") == dt.date(2026, 1, 12)


def test_reminder_keeps_wall_clock_time_on_a_daylight_saving_day():
    # Paris moves to summer time on 2026-03-29: 09:00 local is 07:00 UTC that day.
    assert schedule.reminder_at(dt.date(2026, 3, 29), 540, "Europe/Paris") == dt.datetime(
        2026, 3, 29, 7, 0, tzinfo=dt.UTC
    )
    assert schedule.reminder_at(dt.date(2026, 3, 28), None, "Europe/Paris") == dt.datetime(
        2026, 3, 28, 11, 0, tzinfo=dt.UTC
    )
    assert schedule.reminder_at(dt.date(2026, 3, 28), 0, "Not/AZone") == dt.datetime(
        2026, 3, 28, 0, 0, tzinfo=dt.UTC
    )
