"""Fixtures for Case Management's tests: an org with PMM and casemgmt, a small team.

ana and sam are caseworkers under sup (role hierarchy); viewer has the read-only
set. Contact sharing stays Private: each caseworker sees the clients they own.
"""

from __future__ import annotations

import datetime as dt

import pytest

from missionbase.core.testing import add_users

TEAM = {
    # username: (role, permission sets)
    "sup": ("Supervisor", ["Standard User", "PMM: Deliver", "Case Management: Supervisor"]),
    "ana": ("Caseworker", ["Standard User", "PMM: Deliver", "Case Management: Caseworker"]),
    "sam": ("Caseworker", ["Standard User", "PMM: Deliver", "Case Management: Caseworker"]),
    "viewer": (None, ["Read Only", "PMM: View", "Case Management: Read Only"]),
}


@pytest.fixture
def cm_app(make_app):
    app = make_app(plugins=["pmm", "casemgmt"])
    with app.system_session() as s:
        supervisor = s.create("Role", {"name": "Supervisor"})
        roles = {
            "Supervisor": supervisor["id"],
            "Caseworker": s.create("Role", {"name": "Caseworker", "parent": supervisor["id"]})["id"],
        }
    add_users(
        app,
        {
            username: {"role": roles.get(role), "permission_sets": sets}
            for username, (role, sets) in TEAM.items()
        },
    )
    return app


@pytest.fixture
def users(cm_app) -> dict[str, str]:
    with cm_app.system_session() as s:
        return {u["username"]: u["id"] for u in s.query("User", fields=["username"]).records}


def make_client(s, first: str, last: str, **values) -> dict:
    return s.create("Contact", {"first_name": first, "last_name": last, "is_client": True, **values})


@pytest.fixture
def program(cm_app):
    """A program and a service (PMM objects are Public Read/Write)."""
    with cm_app.system_session() as s:
        prg = s.create("Program", {"name": "Housing First", "status": "Active"})
        svc = s.create("Service", {"name": "Counselling", "program": prg["id"]})
    return {"program": prg["id"], "service": svc["id"]}


def engage(s, program: dict, contact_id: str, stage: str = "Active", start: dt.date | None = None) -> dict:
    return s.create(
        "ProgramEngagement",
        {
            "program": program["program"],
            "contact": contact_id,
            "stage": stage,
            "start_date": start or dt.date(2026, 1, 5),
            "role": "Client",
        },
    )


def deliver(s, program: dict, engagement: dict, day: dt.date, status: str = "Present") -> dict:
    return s.create(
        "ServiceDelivery",
        {
            "service": program["service"],
            "contact": engagement["contact"],
            "program_engagement": engagement["id"],
            "delivery_date": day,
            "attendance_status": status,
            "quantity": 1 if status == "Present" else 0,
        },
    )


@pytest.fixture
def in_org(cm_app, tmp_path, monkeypatch):
    """Run the command line against ``cm_app``'s database (a config file in the working folder)."""
    for name in ("MISSIONBASE_DATABASE_URL", "MISSIONBASE_PLUGINS", "MISSIONBASE_USER", "MISSIONBASE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "missionbase.toml").write_text(
        f'database_url = "{cm_app.settings.database_url}"\nplugins = ["pmm", "casemgmt"]\n'
        f'files_dir = "{tmp_path / "files"}"\n'
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path
