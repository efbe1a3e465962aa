"""Schedule creation and session generation."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from missionbase.core import ValidationError
from missionbase.plugins.pmm.schedules import create_schedule, default_first_start, extend_schedule

from .conftest import make_world

PARIS = ZoneInfo("Europe/Paris")


def local_starts(sessions) -> list[str]:
    return [s["session_start"].astimezone(PARIS).strftime("%Y-%m-%d %a %H:%M") for s in sessions]


def local_dates(sessions) -> list[str]:
    return [s["session_start"].astimezone(PARIS).date().isoformat() for s in sessions]


@pytest.fixture
def service(pmm_app):
    with pmm_app.session("manager") as s:
        return make_world(s, clients=0).service


def schedule(app, svc, **values):
    base = {
        "name": "Class",
        "service": svc["id"],
        "first_session_start": "2025-01-06T18:00",
        "first_session_end": "2025-01-06T20:00",
    }
    with app.session("manager") as s:
        return create_schedule(s, {**base, **values})


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": None}, "name", "is required"),
        ({"service": None}, "service", "is required"),
        ({"first_session_start": None}, "first_session_start", "is required"),
        ({"first_session_end": None}, "first_session_end", "is required"),
        (
            {"first_session_end": "2025-01-06T17:00"},
            "first_session_end",
            "must be after the first session start",
        ),
        ({"frequency": "Daily"}, "service_schedule_ends", "must end On a date or After"),
        ({"frequency": "Daily", "service_schedule_ends": "On"}, "service_schedule_end_date", "is required"),
        (
            {"frequency": "Daily", "service_schedule_ends": "After"},
            "number_of_service_sessions",
            "is required",
        ),
        (
            {"frequency": "Daily", "service_schedule_ends": "On", "service_schedule_end_date": "2025-01-01"},
            "service_schedule_end_date",
            "before the first session",
        ),
        ({"frequency": "Hourly"}, "frequency", "Hourly"),
        ({"colour": "red"}, "colour", "is not a schedule field"),
    ],
)
def test_schedule_is_validated_like_the_wizard(pmm_app, service, values, field, message):
    with pytest.raises(ValidationError, match=f"field '{field}'.*{message}"):
        schedule(pmm_app, service, **values)
    with pmm_app.session("manager") as s:
        assert s.count("ServiceSchedule") == 0 and s.count("ServiceSession") == 0


def test_one_time_schedule_has_one_session_with_the_providers(pmm_app, service):
    with pmm_app.session("manager") as s:
        tutor, helper = s.create_many("Contact", [{"last_name": "Tutor"}, {"last_name": "Helper"}])
    _made, sessions = schedule(
        pmm_app, service, primary_service_provider=tutor["id"], other_service_provider=helper["id"]
    )
    assert local_starts(sessions) == ["2025-01-06 Mon 18:00"]
    assert sessions[0]["session_end"] - sessions[0]["session_start"] == dt.timedelta(hours=2)
    assert (sessions[0]["primary_service_provider"], sessions[0]["other_service_provider"]) == (
        tutor["id"],
        helper["id"],
    )
    assert sessions[0]["name"] == "2025-01-06: Class"


def test_daily_every_other_day_by_count(pmm_app, service):
    _, sessions = schedule(
        pmm_app,
        service,
        frequency="Daily",
        interval=2,
        service_schedule_ends="After",
        number_of_service_sessions=4,
    )
    assert local_dates(sessions) == ["2025-01-06", "2025-01-08", "2025-01-10", "2025-01-12"]


def test_weekly_on_selected_days_until_an_inclusive_date(pmm_app, service):
    # 2 = Monday, 4 = Wednesday (1 = Sunday).
    _, sessions = schedule(
        pmm_app,
        service,
        frequency="Weekly",
        days_of_week=["2", "4"],
        service_schedule_ends="On",
        service_schedule_end_date="2025-01-20",
    )
    assert local_starts(sessions) == [
        "2025-01-06 Mon 18:00",
        "2025-01-08 Wed 18:00",
        "2025-01-13 Mon 18:00",
        "2025-01-15 Wed 18:00",
        "2025-01-20 Mon 18:00",
    ]


def test_weekly_days_default_to_the_start_weekday(pmm_app, service):
    made, sessions = schedule(
        pmm_app,
        service,
        frequency="Weekly",
        service_schedule_ends="After",
        number_of_service_sessions=3,
        first_session_start="2025-01-08T18:00",
        first_session_end="2025-01-08T19:00",
    )
    assert made["days_of_week"] == ["4"]
    assert local_dates(sessions) == ["2025-01-08", "2025-01-15", "2025-01-22"]


def test_weekly_first_week_rules(pmm_app, service):
    # Start Tuesday 7 Jan, Thursday selected: the next selected day that same week.
    _, same_week = schedule(
        pmm_app,
        service,
        frequency="Weekly",
        days_of_week=["5"],
        service_schedule_ends="After",
        number_of_service_sessions=2,
        first_session_start="2025-01-07T18:00",
        first_session_end="2025-01-07T19:00",
    )
    assert local_dates(same_week) == ["2025-01-09", "2025-01-16"]
    # Every 2 weeks on Monday starting on a Tuesday: the first session is 13 days later, not 6.
    _, skipped = schedule(
        pmm_app,
        service,
        frequency="Weekly",
        interval=2,
        days_of_week=["2"],
        service_schedule_ends="After",
        number_of_service_sessions=2,
        first_session_start="2025-01-07T18:00",
        first_session_end="2025-01-07T19:00",
    )
    assert local_dates(skipped) == ["2025-01-20", "2025-02-03"]


def test_monthly_same_day_falls_back_to_the_month_end(pmm_app, service):
    _, sessions = schedule(
        pmm_app,
        service,
        frequency="Monthly",
        service_schedule_ends="After",
        number_of_service_sessions=3,
        first_session_start="2024-01-30T10:00",
        first_session_end="2024-01-30T11:00",
    )
    assert local_dates(sessions) == ["2024-01-30", "2024-02-29", "2024-03-30"]


def test_monthly_last_day(pmm_app, service):
    _, sessions = schedule(
        pmm_app,
        service,
        frequency="Monthly",
        monthly_recurrence_option="LastDayOfMonth",
        service_schedule_ends="After",
        number_of_service_sessions=4,
        first_session_start="2024-01-31T10:00",
        first_session_end="2024-01-31T11:00",
    )
    assert local_dates(sessions) == ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"]


def test_monthly_nth_weekday_skips_months_without_it(pmm_app, service):
    _, second = schedule(
        pmm_app,
        service,
        frequency="Monthly",
        monthly_recurrence_option="2MO",
        service_schedule_ends="After",
        number_of_service_sessions=3,
        first_session_start="2025-01-13T10:00",
        first_session_end="2025-01-13T11:00",
    )
    assert local_dates(second) == ["2025-01-13", "2025-02-10", "2025-03-10"]
    # Fifth Wednesday: in 2025 only January, April, July, October and December have one.
    _, fifth = schedule(
        pmm_app,
        service,
        frequency="Monthly",
        monthly_recurrence_option="5WE",
        service_schedule_ends="On",
        service_schedule_end_date="2025-12-31",
        first_session_start="2025-01-29T10:00",
        first_session_end="2025-01-29T11:00",
    )
    assert local_dates(fifth) == ["2025-01-29", "2025-04-30", "2025-07-30", "2025-10-29", "2025-12-31"]


def test_sessions_keep_the_local_start_time_across_dst(pmm_app, service):
    _, sessions = schedule(
        pmm_app,
        service,
        frequency="Weekly",
        days_of_week=["7"],
        service_schedule_ends="After",
        number_of_service_sessions=3,
        first_session_start="2025-03-22T18:00",
        first_session_end="2025-03-22T19:30",
    )
    # Paris moves to summer time on 30 March: local 18:00 every week, 17:00 then 16:00 UTC.
    assert local_starts(sessions) == ["2025-03-22 Sat 18:00", "2025-03-29 Sat 18:00", "2025-04-05 Sat 18:00"]
    assert [s["session_start"].hour for s in sessions] == [17, 17, 16]
    assert {s["session_end"] - s["session_start"] for s in sessions} == {dt.timedelta(minutes=90)}


def test_end_keeps_the_elapsed_duration_when_a_session_spans_the_change(pmm_app, service):
    # A night session 01:00-04:00 local: on 30 March the clocks skip 02:00-03:00,
    # so three elapsed hours end at 05:00 local that night.
    _, sessions = schedule(
        pmm_app,
        service,
        frequency="Daily",
        service_schedule_ends="After",
        number_of_service_sessions=2,
        first_session_start="2025-03-29T01:00",
        first_session_end="2025-03-29T04:00",
    )
    ends = [s["session_end"].astimezone(PARIS).strftime("%H:%M") for s in sessions]
    assert ends == ["04:00", "05:00"]


def test_the_safety_limit_is_configurable_and_nothing_is_created_over_it(pmm_app, service):
    with pmm_app.session("admin") as s:
        s.set_setting("pmm.max_sessions_per_schedule", 10)
    assert (
        len(
            schedule(
                pmm_app,
                service,
                frequency="Daily",
                service_schedule_ends="After",
                number_of_service_sessions=10,
            )[1]
        )
        == 10
    )
    with pytest.raises(ValidationError, match=r"more than 10 sessions.*pmm.max_sessions_per_schedule"):
        schedule(
            pmm_app,
            service,
            frequency="Daily",
            service_schedule_ends="On",
            service_schedule_end_date="2025-01-31",
        )
    with pmm_app.session("manager") as s:
        assert s.count("ServiceSchedule") == 1 and s.count("ServiceSession") == 10


def test_more_than_500_sessions_by_default(pmm_app, service):
    _, sessions = schedule(
        pmm_app, service, frequency="Daily", service_schedule_ends="After", number_of_service_sessions=600
    )
    assert len(sessions) == 600


def test_extending_adds_sessions_after_the_last_one_only(pmm_app, service):
    made, _sessions = schedule(
        pmm_app,
        service,
        frequency="Weekly",
        days_of_week=["2"],
        service_schedule_ends="After",
        number_of_service_sessions=3,
    )
    with pmm_app.session("manager") as s:
        added = extend_schedule(s, made["id"], count=5)
        assert local_dates(added) == ["2025-01-27", "2025-02-03"]
        assert extend_schedule(s, made["id"], count=5) == []
        more = extend_schedule(s, made["id"], end_date=dt.date(2025, 2, 17))
        assert local_dates(more) == ["2025-02-10", "2025-02-17"]
        everything = s.query(
            "ServiceSession", where={"service_schedule": made["id"]}, order_by="session_start"
        )
        assert len({r["session_start"] for r in everything}) == len(everything.records) == 7
        with pytest.raises(ValidationError, match=r"either a new end date or a new number"):
            extend_schedule(s, made["id"])


def test_default_first_start_rounds_up_to_the_next_half_hour():
    assert default_first_start(dt.datetime(2025, 1, 6, 10, 10, 5)) == dt.datetime(2025, 1, 6, 10, 30, 5)
    assert default_first_start(dt.datetime(2025, 1, 6, 10, 0, 15)) == dt.datetime(2025, 1, 6, 10, 30, 15)
    assert default_first_start(dt.datetime(2025, 1, 6, 10, 45)) == dt.datetime(2025, 1, 6, 11, 0)


def test_cli_schedule_create(org_dir, cli, service):
    result = cli(
        "pmm",
        "schedule",
        "create",
        "--as",
        "manager",
        "--name",
        "Evening class",
        "--service",
        service["id"],
        "--start",
        "2025-01-06T18:00",
        "--end",
        "2025-01-06T20:00",
        "--frequency",
        "Weekly",
        "--days",
        "2,4",
        "--count",
        "4",
        "--json",
    )
    assert result.exit_code == 0, result.err
    assert len(result.json()["sessions"]) == 4
    defaulted = cli(
        "pmm",
        "schedule",
        "create",
        "--as",
        "manager",
        "--name",
        "Drop-in",
        "--service",
        service["id"],
        "--json",
    ).json()["sessions"]
    start, end = (dt.datetime.fromisoformat(defaulted[0][k]) for k in ("session_start", "session_end"))
    assert len(defaulted) == 1 and start.minute in (0, 30) and start > dt.datetime.now(dt.UTC)
    assert end - start == dt.timedelta(hours=1)
    bad = cli(
        "pmm",
        "schedule",
        "create",
        "--as",
        "manager",
        "--name",
        "X",
        "--service",
        service["id"],
        "--start",
        "2025-01-06T18:00",
        "--end",
        "2025-01-06T17:00",
    )
    assert bad.exit_code != 0
    assert bad.err.strip().splitlines() == [
        "error: ServiceSchedule field 'first_session_end': must be after the first session start "
        "(2025-01-06T18:00:00+01:00)"
    ]
