"""Auto-naming and engagement date defaults."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from missionbase.plugins.pmm import naming

from .conftest import make_world


def paris_today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Europe/Paris")).date()


def test_engagement_name_uses_start_date_or_creation_date(pmm_app):
    with pmm_app.session("manager") as s:
        w = make_world(s, clients=1)
        contact = w.contacts[0]["id"]
        dated = s.create(
            "ProgramEngagement",
            {"program": w.program["id"], "contact": contact, "stage": "Enrolled", "start_date": "2024-09-02"},
        )
        assert dated["name"] == "Ana Client0 2024-09-02: Youth Literacy"
        undated = s.create(
            "ProgramEngagement", {"program": w.program["id"], "contact": contact, "stage": "Enrolled"}
        )
        assert undated["name"] == f"Ana Client0 {paris_today().isoformat()}: Youth Literacy"
        anonymous = s.create(
            "ProgramEngagement", {"program": w.program["id"], "stage": "Enrolled", "start_date": "2024-09-02"}
        )
        assert anonymous["name"] == "Anonymous 2024-09-02: Youth Literacy"
        # Renamed on edit too, unless the override is checked.
        assert s.update(dated["id"], {"start_date": "2024-10-01"})["name"].startswith(
            "Ana Client0 2024-10-01"
        )
        kept = s.update(
            dated["id"], {"name": "Ana's tutoring", "auto_name_override": True, "start_date": "2024-11-01"}
        )
        assert kept["name"] == "Ana's tutoring"


def test_names_are_cut_to_80_characters_with_dots(pmm_app):
    with pmm_app.session("manager") as s:
        long_program = s.create("Program", {"name": "P" * 80, "status": "Active"})
        engagement = s.create("ProgramEngagement", {"program": long_program["id"], "stage": "Enrolled"})
        assert len(engagement["name"]) == 80 and engagement["name"].endswith("...")
        assert engagement["name"].startswith("Anonymous ")
    assert naming.clip("x" * 80) == "x" * 80
    assert naming.clip("x" * 81) == "x" * 77 + "..."


def test_engagement_date_defaults_by_stage(pmm_app):
    today = paris_today()
    with pmm_app.session("manager") as s:
        w = make_world(s, clients=1)
        later = s.create(
            "Program",
            {"name": "Next year", "status": "Planned", "start_date": today + dt.timedelta(days=365)},
        )
        base = {"program": w.program["id"], "contact": w.contacts[0]["id"]}
        applied = s.create("ProgramEngagement", {**base, "stage": "Applied"})
        assert applied["application_date"] == today
        started = s.create("ProgramEngagement", {**base, "stage": "Applied", "start_date": "2024-01-01"})
        assert started["application_date"] is None  # start is not later than today
        active = s.create("ProgramEngagement", {**base, "stage": "Active"})
        assert active["start_date"] == today
        not_started = s.create("ProgramEngagement", {"program": later["id"], "stage": "Active"})
        assert not_started["start_date"] is None  # the program has not started yet
        enrolled = s.create("ProgramEngagement", {**base, "stage": "Enrolled"})
        assert enrolled["start_date"] is None  # only Active fills the start date
        finished = s.update(active["id"], {"stage": "Completed"})
        assert finished["end_date"] == today
        assert s.update(enrolled["id"], {"stage": "Withdrawn"})["end_date"] == today


def test_delivery_session_and_participant_names(pmm_app):
    with pmm_app.session("manager") as s:
        w = make_world(s, clients=1)
        delivery = s.create(
            "ServiceDelivery",
            {
                "service": w.service["id"],
                "contact": w.contacts[0]["id"],
                "program_engagement": w.engagements[0]["id"],
                "delivery_date": "2025-02-03",
            },
        )
        assert delivery["name"] == "Ana Client0 2025-02-03: Tutoring"
        anonymous = s.create(
            "ServiceDelivery", {"service": w.service["id"], "quantity": 40, "delivery_date": "2025-02-03"}
        )
        assert anonymous["name"] == "Anonymous 2025-02-03: Tutoring"
        custom = s.create(
            "ServiceDelivery", {"service": w.service["id"], "name": "Meals", "autoname_override": True}
        )
        assert custom["name"] == "Meals"
        schedule = s.create("ServiceSchedule", {"name": "Monday class", "service": w.service["id"]})
        # 23:30 UTC is already the next day in Paris, the manager's zone.
        session = s.create(
            "ServiceSession",
            {"service_schedule": schedule["id"], "session_start": "2025-02-03T23:30:00+00:00"},
        )
        assert session["name"] == "2025-02-04: Monday class"
        participant = s.create(
            "ServiceParticipant", {"contact": w.contacts[0]["id"], "service_schedule": schedule["id"]}
        )
        assert participant["name"] == "Ana Client0 - Monday class"


def test_naming_can_be_switched_off_per_org(pmm_app):
    with pmm_app.session("admin") as s:
        s.set_setting("pmm.naming_and_dates", False)
    with pmm_app.session("manager") as s:
        w = make_world(s, clients=1)
        engagement = s.create(
            "ProgramEngagement", {"program": w.program["id"], "stage": "Active", "name": "Mine"}
        )
        assert (engagement["name"], engagement["start_date"]) == ("Mine", None)
