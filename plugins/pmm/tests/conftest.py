"""Fixtures for PMM's tests: an org with only PMM enabled, staff users, a program."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from missionbase.core import set_sharing_default
from missionbase.core.testing import add_users

STAFF = {
    # username: (time zone, permission sets)
    "manager": ("Europe/Paris", ["Standard User", "PMM: Manage"]),
    "worker": ("Europe/Paris", ["Standard User", "PMM: Deliver"]),
    "viewer": ("UTC", ["Read Only", "PMM: View"]),
}


@dataclass
class World:
    """A program with a service, clients and their active engagements."""

    program: dict
    service: dict
    contacts: list[dict]
    engagements: list[dict]


@pytest.fixture
def pmm_app(make_app):
    app = make_app(plugins=["pmm"])
    with app.session("admin") as s:
        # Program staff work with every client of the org in these tests.
        set_sharing_default(s, "Contact", "public_read_write")
    add_users(
        app,
        {username: {"time_zone": zone, "permission_sets": sets} for username, (zone, sets) in STAFF.items()},
    )
    return app


def make_world(s, clients: int = 3, stage: str = "Active") -> World:
    program = s.create(
        "Program", {"name": "Youth Literacy", "status": "Active", "start_date": dt.date(2020, 1, 1)}
    )
    service = s.create(
        "Service", {"name": "Tutoring", "program": program["id"], "unit_of_measurement": "Hours"}
    )
    firsts = ["Ana", "Bruno", "Chloe", "David", "Emma", "Farid", "Grace", "Hugo"]
    contacts = s.create_many(
        "Contact",
        [
            {"first_name": firsts[i % len(firsts)], "last_name": f"Client{i}", "is_client": True}
            for i in range(clients)
        ],
    )
    engagements = s.create_many(
        "ProgramEngagement",
        [{"program": program["id"], "contact": c["id"], "stage": stage, "role": "Client"} for c in contacts],
    )
    return World(program, service, contacts, engagements)


@pytest.fixture
def world(pmm_app) -> World:
    with pmm_app.session("manager") as s:
        return make_world(s)


@pytest.fixture
def org_dir(pmm_app, cli_for, tmp_path):
    """A working directory whose missionbase.toml points at the PMM org (for CLI tests)."""
    cli_for(pmm_app)
    return tmp_path
