"""Objects, defaults, lookup delete rules and validation rules."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from missionbase.core import DeleteBlocked, ValidationError

from .conftest import make_world


def test_every_object_is_public_read_write_and_named(pmm_app):
    names = [
        "Program",
        "ProgramCohort",
        "ProgramEngagement",
        "Service",
        "ServiceSchedule",
        "ServiceSession",
        "ServiceParticipant",
        "ServiceDelivery",
    ]
    for name in names:
        obj = pmm_app.registry.object(name)
        assert obj.sharing == "public_read_write"
        assert obj.field("name").max_length == 80
        assert obj.feed
    assert pmm_app.registry.object("ProgramEngagement").history == ["stage"]
    assert pmm_app.registry.object("ServiceDelivery").history == ["attendance_status"]
    assert {"Program", "ProgramEngagement"} <= set(pmm_app.registry.target_types)


def test_program_requires_a_status_from_the_restricted_list(pmm_app):
    with pmm_app.session("manager") as s:
        with pytest.raises(ValidationError, match=r"field 'status': is required"):
            s.create("Program", {"name": "P"})
        with pytest.raises(ValidationError, match=r"field 'status'.*'Paused'"):
            s.create("Program", {"name": "P", "status": "Paused"})
        with pytest.raises(ValidationError, match=r"field 'program_issue_area'"):
            s.create("Program", {"name": "P", "status": "Active", "program_issue_area": "Sports"})


def test_program_start_date_must_be_before_end_date(pmm_app):
    with pmm_app.session("manager") as s:
        with pytest.raises(ValidationError, match=r"field 'start_date': Start Date must be before End Date"):
            s.create(
                "Program",
                {"name": "P", "status": "Active", "start_date": "2025-05-01", "end_date": "2025-04-01"},
            )
        program = s.create("Program", {"name": "P", "status": "Active", "start_date": "2025-05-01"})
        with pytest.raises(ValidationError, match=r"Start Date must be before End Date"):
            s.update(program["id"], {"end_date": "2025-01-01"})


def test_cohort_dates_must_lie_within_the_program(pmm_app):
    with pmm_app.session("manager") as s:
        program = s.create(
            "Program", {"name": "P", "status": "Active", "start_date": "2025-01-01", "end_date": "2025-12-31"}
        )
        base = {"name": "Spring", "program": program["id"], "status": "Planned"}
        with pytest.raises(ValidationError, match=r"field 'start_date'.*within the program dates"):
            s.create("ProgramCohort", {**base, "start_date": "2024-12-01"})
        with pytest.raises(ValidationError, match=r"field 'end_date'.*within the program dates"):
            s.create("ProgramCohort", {**base, "end_date": "2026-01-15"})
        with pytest.raises(ValidationError, match=r"Start Date must be before End Date"):
            s.create("ProgramCohort", {**base, "start_date": "2025-06-01", "end_date": "2025-03-01"})
        with pytest.raises(ValidationError, match=r"field 'status': is required"):
            s.create("ProgramCohort", {"name": "X", "program": program["id"]})
        assert s.create("ProgramCohort", {**base, "start_date": "2025-03-01", "end_date": "2025-06-01"})


def test_engagement_rules(pmm_app):
    with pmm_app.session("manager") as s:
        w = make_world(s, clients=1)
        household = s.create("Account", {"name": "Other Household"})
        other_program = s.create("Program", {"name": "Other", "status": "Active"})
        cohort = s.create("ProgramCohort", {"name": "C", "program": other_program["id"], "status": "Active"})
        base = {"program": w.program["id"], "contact": w.contacts[0]["id"], "stage": "Enrolled"}
        with pytest.raises(ValidationError, match=r"field 'account'.*must be the client's account"):
            s.create("ProgramEngagement", {**base, "account": household["id"]})
        with pytest.raises(ValidationError, match=r"field 'application_date'.*after the Start Date"):
            s.create(
                "ProgramEngagement", {**base, "application_date": "2025-03-02", "start_date": "2025-03-01"}
            )
        with pytest.raises(ValidationError, match=r"field 'start_date': Start Date must be before End Date"):
            s.create("ProgramEngagement", {**base, "start_date": "2025-03-02", "end_date": "2025-03-01"})
        with pytest.raises(ValidationError, match=r"field 'start_date'.*within the program dates"):
            s.create("ProgramEngagement", {**base, "start_date": "2019-05-01"})
        with pytest.raises(ValidationError, match=r"field 'program_cohort'.*cohort must match the program"):
            s.create("ProgramEngagement", {**base, "program_cohort": cohort["id"]})
        with pytest.raises(ValidationError, match=r"field 'stage'"):
            s.create("ProgramEngagement", {**base, "stage": "Graduated"})
        with pytest.raises(ValidationError, match=r"field 'program': is required"):
            s.create("ProgramEngagement", {"contact": w.contacts[0]["id"], "stage": "Enrolled"})


def test_delivery_rules(pmm_app):
    with pmm_app.session("manager") as s:
        w = make_world(s, clients=2)
        other_program = s.create("Program", {"name": "Food", "status": "Active"})
        other_service = s.create("Service", {"name": "Meals", "program": other_program["id"]})
        with pytest.raises(ValidationError, match=r"field 'service': is required"):
            s.create("ServiceDelivery", {"contact": w.contacts[0]["id"]})
        with pytest.raises(
            ValidationError, match=r"Contact must match the Contact in the Program Engagement"
        ):
            s.create(
                "ServiceDelivery",
                {
                    "service": w.service["id"],
                    "contact": w.contacts[1]["id"],
                    "program_engagement": w.engagements[0]["id"],
                },
            )
        with pytest.raises(ValidationError, match=r"field 'program_engagement'.*match the service's program"):
            s.create(
                "ServiceDelivery",
                {
                    "service": other_service["id"],
                    "contact": w.contacts[0]["id"],
                    "program_engagement": w.engagements[0]["id"],
                },
            )
        # A delivery without a contact may name any engagement's contact (the filter is skipped).
        anonymous = s.create(
            "ServiceDelivery",
            {"service": w.service["id"], "quantity": 40, "program_engagement": w.engagements[0]["id"]},
        )
        assert anonymous["name"].startswith("Anonymous ")


def test_defaults(pmm_app):
    today = dt.datetime.now(ZoneInfo("Europe/Paris")).date()  # the manager's zone
    with pmm_app.session("manager") as s:
        w = make_world(s, clients=1)
        assert w.service["status"] == "Active"
        assert w.service["attendance_field_set"] == "Attendance_Service_Deliveries"
        schedule = s.create("ServiceSchedule", {"name": "S", "service": w.service["id"]})
        assert (schedule["frequency"], schedule["interval"], schedule["create_service_session_records"]) == (
            "One Time",
            1,
            True,
        )
        session = s.create("ServiceSession", {"service_schedule": schedule["id"]})
        assert session["status"] == "Pending"
        participant = s.create(
            "ServiceParticipant", {"contact": w.contacts[0]["id"], "service_schedule": schedule["id"]}
        )
        assert (participant["status"], participant["sign_up_date"]) == ("Enrolled", today)
        delivery = s.create("ServiceDelivery", {"service": w.service["id"]})
        assert delivery["delivery_date"] == today
        assert s.get(w.contacts[0]["id"])["is_client"] is True
        household = s.create("Account", {"name": "H"})
        with_account = s.create("ServiceDelivery", {"service": w.service["id"], "account": household["id"]})
        assert (delivery["household_benefit"], with_account["household_benefit"]) == (False, True)


def test_lookup_delete_rules(pmm_app):
    with pmm_app.session("manager") as s:
        w = make_world(s, clients=1)
        cohort = s.create("ProgramCohort", {"name": "C", "program": w.program["id"], "status": "Active"})
        engagement = s.update(w.engagements[0]["id"], {"program_cohort": cohort["id"]})
        schedule = s.create("ServiceSchedule", {"name": "S", "service": w.service["id"]})
        session = s.create("ServiceSession", {"service_schedule": schedule["id"]})
        delivery = s.create(
            "ServiceDelivery",
            {
                "service": w.service["id"],
                "contact": w.contacts[0]["id"],
                "program_engagement": engagement["id"],
                "service_session": session["id"],
            },
        )
    with pmm_app.session("admin") as s:
        with pytest.raises(DeleteBlocked, match=r"ProgramCohort"):
            s.delete(w.program["id"])
        with pytest.raises(
            DeleteBlocked, match=r"cannot delete Contact .*(ProgramEngagement|ServiceDelivery)"
        ):
            s.delete(w.contacts[0]["id"])
        with pytest.raises(DeleteBlocked, match=r"cannot delete Service .*ServiceDelivery"):
            s.delete(w.service["id"])
        with pytest.raises(DeleteBlocked, match=r"ServiceDelivery"):
            s.delete(engagement["id"])
        s.delete(cohort["id"])
        assert s.get(engagement["id"])["program_cohort"] is None
        s.delete(session["id"])
        assert s.get(delivery["id"])["service_session"] is None
        s.delete(schedule["id"])
