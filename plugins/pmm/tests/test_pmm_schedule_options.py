"""`pmm schedule create` keeps what its help promises: an end defaults to start + 1 hour, and
a number of sessions or an end date without a repeating frequency is refused, not dropped."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import make_world


@pytest.fixture
def service_id(pmm_app):
    with pmm_app.session("manager") as s:
        return make_world(s).service["id"]


def _create(cli, service_id, *options):
    return cli(
        "pmm", "schedule", "create", "--name", "Tutoring", "--service", service_id, *options,
        "--as", "manager", "--json",
    )  # fmt: skip


def test_start_without_end_lasts_one_hour_in_the_users_zone(org_dir, cli, service_id, pmm_app):
    created = _create(cli, service_id, "--start", "2026-12-10T18:00")
    assert created.exit_code == 0, created.err
    schedule = created.json()["schedule"]
    start = dt.datetime.fromisoformat(schedule["first_session_start"])
    end = dt.datetime.fromisoformat(schedule["first_session_end"])
    assert start == dt.datetime(2026, 12, 10, 17, 0, tzinfo=dt.UTC)  # 18:00 in Paris, winter time
    assert end - start == dt.timedelta(hours=1)
    assert len(created.json()["sessions"]) == 1


def test_a_count_or_an_end_date_without_a_repeating_frequency_is_refused(org_dir, cli, service_id, pmm_app):
    start = ("--start", "2026-12-10T18:00")
    count = _create(cli, service_id, *start, "--count", "3")
    assert count.exit_code == 1 and "field 'frequency': a number of sessions needs a frequency" in count.err
    until = _create(cli, service_id, *start, "--until", "2027-01-31")
    assert until.exit_code == 1 and "an end date needs a frequency that repeats" in until.err
    with pmm_app.session("admin") as s:
        assert s.count("ServiceSchedule") == 0  # nothing written
    weekly = _create(cli, service_id, *start, "--count", "3", "--frequency", "Weekly")
    assert weekly.exit_code == 0 and len(weekly.json()["sessions"]) == 3
