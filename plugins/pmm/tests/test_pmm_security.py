"""Permission sets, enforced by core security."""

from __future__ import annotations

import pytest

from missionbase.core import AccessDenied, ValidationError
from missionbase.plugins.pmm.attendance import save_roster
from missionbase.plugins.pmm.objects import OBJECT_NAMES
from missionbase.plugins.pmm.participants import add_participants
from missionbase.plugins.pmm.schedules import create_schedule


@pytest.fixture
def scheduled(pmm_app, world):
    with pmm_app.session("manager") as s:
        made, sessions = create_schedule(
            s,
            {
                "name": "Class",
                "service": world.service["id"],
                "first_session_start": "2025-01-06T18:00",
                "first_session_end": "2025-01-06T19:00",
            },
        )
    return made, sessions[0]


def test_deliver_can_take_attendance_but_cannot_create_a_program(pmm_app, world, scheduled):
    schedule, session = scheduled
    with pmm_app.session("worker") as s:
        add_participants(s, schedule["id"], [e["id"] for e in world.engagements])
        saved = save_roster(s, session["id"], {}, rest="Present")
        assert saved.created == 3 and s.get(session["id"])["status"] == "Complete"
        s.create("ProgramEngagement", {"program": world.program["id"], "stage": "Applied"})
        with pytest.raises(AccessDenied, match=r"worker has no Create permission on Program.*PMM: Manage"):
            s.create("Program", {"name": "Mine", "status": "Active"})
        with pytest.raises(AccessDenied, match=r"no Create permission on ServiceSession"):
            s.create("ServiceSession", {"service_schedule": schedule["id"]})
        with pytest.raises(AccessDenied, match=r"no Edit permission on Service"):
            s.update(world.service["id"], {"description": "x"})
        delivery = s.query("ServiceDelivery", limit=1).records[0]
        with pytest.raises(AccessDenied, match=r"no Delete permission on ServiceDelivery"):
            s.delete(delivery["id"])
        assert s.update(world.contacts[0]["id"], {"is_client": False})["is_client"] is False


def test_view_reads_everything_and_writes_nothing(pmm_app, world, scheduled):
    with pmm_app.session("viewer") as s:
        for name in OBJECT_NAMES:
            s.query(name, limit=1)
        assert s.count("ProgramEngagement") == 3
        with pytest.raises(AccessDenied, match=r"no Create permission on ProgramEngagement"):
            s.create("ProgramEngagement", {"program": world.program["id"], "stage": "Applied"})
        with pytest.raises(AccessDenied, match=r"no Edit permission on ServiceSession"):
            s.update(scheduled[1]["id"], {"status": "Canceled"})
        with pytest.raises(AccessDenied, match=r"no Create permission on ServiceDelivery"):
            s.create("ServiceDelivery", {"service": world.service["id"]})


def test_rollups_are_read_only_and_omitted_ids_hidden_from_everyone(pmm_app, world, scheduled):
    with (
        pmm_app.session("worker") as s,
        pytest.raises(ValidationError, match=r"field 'num_present_deliveries': is read-only"),
    ):
        s.update(world.contacts[0]["id"], {"num_present_deliveries": 5})
    for user in ("manager", "admin"):
        with pmm_app.session(user) as s:
            assert "omitted_contact_ids" not in s.get(scheduled[1]["id"])
            with pytest.raises(ValidationError, match=r"omitted_contact_ids"):
                s.update(scheduled[1]["id"], {"omitted_contact_ids": "[]"})


def test_a_user_without_pmm_sets_cannot_read_pmm_objects(pmm_app, world):
    from missionbase.core import assign_permission_set

    with pmm_app.session("admin") as s:
        user = s.create("User", {"username": "outsider", "name": "Outsider"})
        assign_permission_set(s, user["id"], "Standard User")
    with (
        pmm_app.session("outsider") as s,
        pytest.raises(AccessDenied, match=r"no Read permission on Program.*PMM: View"),
    ):
        s.query("Program")
