"""Participants, the attendance roster and bulk delivery entry."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from missionbase.core import ValidationError
from missionbase.plugins.pmm.attendance import build_roster, save_roster
from missionbase.plugins.pmm.deliveries import bulk_deliveries
from missionbase.plugins.pmm.participants import add_participants, candidates
from missionbase.plugins.pmm.schedules import create_schedule

from .conftest import make_world


@pytest.fixture
def setup(pmm_app):
    """A weekly schedule of 3 sessions and 4 clients (Ana, Bruno, Chloe active; David waitlisted)."""
    with pmm_app.session("manager") as s:
        w = make_world(s, clients=3)
        david = s.create("Contact", {"first_name": "David", "last_name": "Waiting"})
        waitlisted = s.create(
            "ProgramEngagement", {"program": w.program["id"], "contact": david["id"], "stage": "Waitlisted"}
        )
        tutor = s.create("Contact", {"first_name": "Tess", "last_name": "Tutor"})
        made, sessions = create_schedule(
            s,
            {
                "name": "Tuesday tutoring",
                "service": w.service["id"],
                "frequency": "Weekly",
                "service_schedule_ends": "After",
                "number_of_service_sessions": 3,
                "first_session_start": "2025-01-07T23:30",
                "first_session_end": "2025-01-08T00:30",
                "default_service_quantity": "1.5",
                "participant_capacity": 2,
                "primary_service_provider": tutor["id"],
            },
        )
    return {"w": w, "schedule": made, "sessions": sessions, "waitlisted": waitlisted, "tutor": tutor}


def test_candidates_are_active_engagements_of_the_service_program_not_yet_on_the_schedule(pmm_app, setup):
    w = setup["w"]
    with pmm_app.session("worker") as s:
        other = s.create(
            "ProgramEngagement",
            {"program": w.program["id"], "contact": w.contacts[0]["id"], "stage": "Enrolled"},
        )
        found = candidates(s, setup["schedule"]["id"])
        assert [c["contact.first_name"] for c in found] == ["Ana", "Ana", "Bruno", "Chloe"]
        assert setup["waitlisted"]["id"] not in {c["id"] for c in found}
        assert [c["id"] for c in candidates(s, setup["schedule"]["id"], stage="Enrolled")] == [other["id"]]
        assert [c["contact.first_name"] for c in candidates(s, setup["schedule"]["id"], search="bru")] == [
            "Bruno"
        ]
        with pytest.raises(ValidationError, match=r"stage 'Waitlisted' is not an active stage"):
            candidates(s, setup["schedule"]["id"], stage="Waitlisted")
        added = add_participants(s, setup["schedule"]["id"], [w.engagements[0]["id"]])
        assert added.warning is None
        assert added.participants[0]["name"] == "Ana Client0 - Tuesday tutoring"
        assert added.participants[0]["status"] == "Enrolled"
        # Ana is on the schedule now: neither of her engagements is offered again.
        assert [c["contact.first_name"] for c in candidates(s, setup["schedule"]["id"])] == ["Bruno", "Chloe"]


def test_cohort_filter_and_capacity_only_warns(pmm_app, setup):
    w = setup["w"]
    with pmm_app.session("manager") as s:
        cohort = s.create("ProgramCohort", {"name": "Spring", "program": w.program["id"], "status": "Active"})
        s.update(w.engagements[2]["id"], {"program_cohort": cohort["id"]})
    with pmm_app.session("worker") as s:
        assert [c["id"] for c in candidates(s, setup["schedule"]["id"], cohort=cohort["id"])] == [
            w.engagements[2]["id"]
        ]
        added = add_participants(s, setup["schedule"]["id"], [e["id"] for e in w.engagements])
        assert len(added.participants) == 3
        assert "3 participants, over its capacity of 2" in added.warning
        with pytest.raises(ValidationError, match=r"is not a candidate"):
            add_participants(s, setup["schedule"]["id"], [setup["waitlisted"]["id"]])
        assert s.get(setup["schedule"]["id"])["participants_enrolled"] == 3


def test_roster_rows_and_save(pmm_app, setup):
    w, session_id = setup["w"], setup["sessions"][0]["id"]
    with pmm_app.session("worker") as s:
        add_participants(s, setup["schedule"]["id"], [e["id"] for e in w.engagements])
        roster = build_roster(s, session_id)
        assert [r.contact_name for r in roster.rows] == ["Ana Client0", "Bruno Client1", "Chloe Client2"]
        first = roster.rows[0]
        # 23:30 in Paris on 7 January, the worker's zone.
        assert (first.attendance_status, first.quantity, first.delivery_date) == (
            "Present",
            1.5,
            dt.date(2025, 1, 7),
        )
        assert (first.service, first.service_provider, first.delivery) == (
            w.service["id"],
            setup["tutor"]["id"],
            None,
        )
        ana, bruno, chloe = (c["id"] for c in w.contacts)
        saved = save_roster(s, session_id, {ana: "Present", bruno: "Unexcused Absence"}, skip=[chloe])
        assert (saved.created, saved.updated, saved.message) == (2, 0, "Saved 2 Service Delivery records.")
        assert s.get(session_id)["status"] == "Complete"
        roster = build_roster(s, session_id)
        by_contact = roster.by_contact()
        assert by_contact[bruno].quantity == 0  # an absence records no quantity
        assert by_contact[ana].delivery is not None
        assert by_contact[chloe].skipped and by_contact[chloe].delivery is None
        # Updating: Ana leaves Present, so her quantity becomes 0; Chloe is recorded after all.
        saved = save_roster(s, session_id, {ana: "Excused Absence", chloe: "Present"})
        assert (saved.created, saved.updated) == (1, 1)
        roster = build_roster(s, session_id).by_contact()
        assert (roster[ana].attendance_status, roster[ana].quantity) == ("Excused Absence", 0)
        assert not roster[chloe].skipped
        assert save_roster(s, session_id, {ana: "Excused Absence"}).message == (
            "There are no Service Delivery records to update."
        )


def test_roster_exclusions_are_trimmed_and_case_insensitive(pmm_app, setup):
    w, session_id = setup["w"], setup["sessions"][1]["id"]
    with pmm_app.session("worker") as s:
        add_participants(s, setup["schedule"]["id"], [e["id"] for e in w.engagements])
        s.update(w.engagements[1]["id"], {"role": "Volunteer"})
        roster = build_roster(s, session_id, exclude_roles=(" volunteer ",), sort_by="last_name")
        assert [r.contact_name for r in roster.rows] == ["Ana Client0", "Chloe Client2"]


def test_a_bad_row_saves_nothing(pmm_app, setup):
    w, session_id = setup["w"], setup["sessions"][0]["id"]
    with pmm_app.session("worker") as s:
        add_participants(s, setup["schedule"]["id"], [e["id"] for e in w.engagements])
        ana, bruno = w.contacts[0]["id"], w.contacts[1]["id"]
        with pytest.raises(ValidationError, match=r"field 'attendance_status'.*'Late'"):
            save_roster(s, session_id, {ana: "Present", bruno: "Late"})
        with pytest.raises(ValidationError, match=f"contact {setup['tutor']['id']} is not on the roster"):
            save_roster(s, session_id, {setup["tutor"]["id"]: "Present"})
        assert s.count("ServiceDelivery") == 0
        assert s.get(session_id)["status"] == "Pending"


def test_bulk_deliveries_including_anonymous(pmm_app, setup):
    w = setup["w"]
    with pmm_app.session("worker") as s:
        made = bulk_deliveries(
            s,
            [
                {
                    "contact": w.contacts[0]["id"],
                    "program_engagement": w.engagements[0]["id"],
                    "service": w.service["id"],
                    "quantity": 2,
                    "delivery_date": "2025-02-01",
                },
                {"service": w.service["id"], "quantity": 40, "delivery_date": "2025-02-01"},
            ],
        )
        assert made[1]["contact"] is None and made[1]["name"] == "Anonymous 2025-02-01: Tutoring"
        with pytest.raises(ValidationError, match=r"row 1 field 'quantity': is required for an anonymous"):
            bulk_deliveries(s, [{"service": w.service["id"], "quantity": 1}, {"service": w.service["id"]}])
        with pytest.raises(ValidationError, match=r"row 0 field 'program_engagement': is required"):
            bulk_deliveries(s, [{"service": w.service["id"], "contact": w.contacts[0]["id"]}])
        assert s.count("ServiceDelivery") == 2


def test_bulk_active_filter(pmm_app, setup):
    w = setup["w"]
    with pmm_app.session("admin") as s:
        s.set_setting("pmm.bulk_delivery_active_filter", True)
    with pmm_app.session("worker") as s:
        david = setup["waitlisted"]
        with pytest.raises(ValidationError, match=r"stage 'Waitlisted', not an active one"):
            bulk_deliveries(
                s,
                [
                    {
                        "contact": david["contact"],
                        "program_engagement": david["id"],
                        "service": w.service["id"],
                        "quantity": 1,
                    }
                ],
            )


def test_cli_participants_attendance_and_bulk(org_dir, cli, setup):
    w, schedule_id, session_id = setup["w"], setup["schedule"]["id"], setup["sessions"][0]["id"]
    ana, bruno, chloe = (c["id"] for c in w.contacts)
    added = cli("pmm", "participants", "add", schedule_id, "--all", "--as", "worker")
    assert added.exit_code == 0, added.err
    assert "Added 3 participant(s)." in added.out and "over its capacity of 2" in added.err
    shown = cli("pmm", "attendance", "show", session_id, "--as", "worker", "--json").json()
    assert [r["contact_name"] for r in shown] == ["Ana Client0", "Bruno Client1", "Chloe Client2"]
    saved = cli(
        "pmm",
        "attendance",
        "save",
        session_id,
        "--present",
        ana,
        "--absent",
        bruno,
        "--skip",
        chloe,
        "--as",
        "worker",
        "--json",
    )
    assert saved.exit_code == 0, saved.err
    assert saved.json()["message"] == "Saved 2 Service Delivery records."
    rows = org_dir / "attendance.json"
    rows.write_text(json.dumps([{"contact": chloe, "attendance_status": "Present", "quantity": 2}]))
    assert cli("pmm", "attendance", "save", session_id, str(rows), "--as", "worker").out.strip() == (
        "Saved 1 Service Delivery records."
    )
    bad = cli(
        "pmm",
        "attendance",
        "save",
        setup["sessions"][1]["id"],
        "--present",
        setup["tutor"]["id"],
        "--as",
        "worker",
    )
    assert bad.exit_code != 0 and len(bad.err.strip().splitlines()) == 1 and "not on the roster" in bad.err
    bulk = org_dir / "meals.csv"
    bulk.write_text(f"service,quantity,delivery_date\n{w.service['id']},40,2025-02-01\n")
    assert cli("pmm", "deliveries", "bulk", str(bulk), "--as", "worker").out.strip() == (
        "Saved 1 Service Delivery records."
    )


def test_attendance_on_a_session_that_has_not_started_is_refused(org_dir, cli, pmm_app, setup):
    """Attendance says the session happened: a future session keeps no delivery and stays Pending."""
    w = setup["w"]
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(microsecond=0)
    with pmm_app.session("manager") as s:
        _, sessions = create_schedule(
            s,
            {
                "name": "Next week",
                "service": w.service["id"],
                "first_session_start": start,
                "first_session_end": start + dt.timedelta(hours=1),
            },
        )
        add_participants(s, sessions[0]["service_schedule"], [e["id"] for e in w.engagements])
    future = sessions[0]["id"]
    refused = cli("pmm", "attendance", "save", future, "--rest", "Present", "--as", "worker")
    assert refused.exit_code == 1 and len(refused.err.strip().splitlines()) == 1
    assert "field 'service_session': attendance cannot be taken before the session starts" in refused.err
    with pmm_app.session("worker") as s:
        assert s.count("ServiceDelivery", {"service_session": future}) == 0
        assert s.get(future)["status"] == "Pending"
        # A delivery without attendance (planned) on that session is still fine.
        s.create("ServiceDelivery", {"service": w.service["id"], "service_session": future, "quantity": 1})
    past = setup["sessions"][0]["id"]  # January 2025: attendance is taken as before
    assert cli("pmm", "attendance", "save", past, "--rest", "Present", "--as", "worker").exit_code == 0
