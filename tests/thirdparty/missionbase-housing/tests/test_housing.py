"""The housing plugin's own tests, as a third-party author writes them.

The fixtures (``make_app``, ``cli_for``, ``PluginConformance``...) come from
``missionbase.core.testing``, which installing missionbase registers as a
pytest plugin: nothing to import or configure here.
"""

from __future__ import annotations

import datetime as dt

import pytest

from missionbase.core import ValidationError
from missionbase.core.testing import PluginConformance, add_users


class TestHousingConformance(PluginConformance):
    plugins = ["housing"]


@pytest.fixture
def housing(make_app):
    app = make_app(plugins=["housing"])
    add_users(app, {"sam": "Sam Caseworker"})
    return app


def test_placing_a_tenant_moves_them_in_today_and_leaving_clears_the_date(housing):
    with housing.session("admin") as s:
        ada = s.create("Contact", {"last_name": "Okafor"})
        unit = s.create("HousingUnit", {"name": "Flat 1A", "tenant": ada["id"]})
        assert unit["move_in_date"] == dt.date.today()
        s.update(unit["id"], {"tenant": None})
        assert s.get(unit["id"])["move_in_date"] is None
        dated = s.create("HousingUnit", {"name": "Flat 2", "tenant": ada["id"], "move_in_date": "2026-01-05"})
        assert dated["move_in_date"] == dt.date(2026, 1, 5)


def test_a_unit_under_maintenance_takes_no_tenant(housing):
    with housing.session("admin") as s:
        ada = s.create("Contact", {"last_name": "Okafor"})
        room = s.create("HousingUnit", {"name": "Room 7", "status": "Maintenance"})
        with pytest.raises(ValidationError, match="field 'tenant': a unit under maintenance"):
            s.update(room["id"], {"tenant": ada["id"]})
        assert s.get(room["id"])["tenant"] is None


def test_occupancy_report_counts_what_the_reader_may_see(housing):
    with housing.session("admin") as s:
        s.create_many("HousingUnit", [{"name": "A"}, {"name": "B"}, {"name": "C", "status": "Maintenance"}])
    report = housing.registry.reports["housing.occupancy"]
    with housing.session("admin") as s:
        assert report.run(s) == [
            {"status": "Available", "units": 2},
            {"status": "Occupied", "units": 0},
            {"status": "Maintenance", "units": 1},
        ]


def test_vacancy_job_warns_below_the_setting(housing, cli_for):
    job = housing.registry.jobs["housing.check_vacancies"]
    with housing.session("admin") as s:
        s.create("HousingUnit", {"name": "A"})
    assert job.run(housing) == "only 1 housing unit(s) available (alert below 2)"
    run = cli_for(housing)
    assert run("settings", "set", "housing.vacancy_alert_below", "1").exit_code == 0
    assert job.run(housing) == "1 housing unit(s) available"


def test_commands_act_as_the_user(housing, cli_for):
    with housing.session("admin") as s:
        ada = s.create("Contact", {"last_name": "Okafor"})
        s.create_many("HousingUnit", [{"name": "Flat 1A"}, {"name": "Flat 1B"}])
    run = cli_for(housing)
    listed = run("housing", "vacancies", "--json")
    assert [u["name"] for u in listed.json()] == ["Flat 1A", "Flat 1B"]
    placed = run("housing", "place", "Flat 1A", ada["id"])
    assert placed.exit_code == 0 and "placed" in placed.out
    assert [u["name"] for u in run("housing", "vacancies", "--json").json()] == ["Flat 1B"]
    # Sam has no housing permission set: the command refuses, in one line.
    refused = run("housing", "vacancies", "--as", "sam")
    assert refused.exit_code != 0 and "HousingUnit" in refused.err and "Traceback" not in refused.err
    missing = run("housing", "place", "Flat 9", ada["id"])
    assert missing.exit_code != 0 and "Flat 9 not found" in missing.err
