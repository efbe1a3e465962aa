"""Packaged reports (and the follow-up filters casemgmt shares), run as the calling user."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from missionbase.core import run_report, set_sharing_default

from .conftest import make_world

TODAY = dt.date(2025, 6, 18)


@pytest.fixture
def data(pmm_app):
    with pmm_app.session("manager") as s:
        w = make_world(s, clients=3)  # Ana, Bruno, Chloe: Active, owned by the manager
        s.update(w.contacts[0]["id"], {"phone": "+33 6 12 34 56 78", "mailing_country": "France"})
        s.update(w.contacts[1]["id"], {"mailing_country": "Belgium"})
        s.create("Contact", {"last_name": "Donor", "mailing_country": "France"})  # not a client
        s.create_many(
            "ProgramEngagement",
            [
                {
                    "program": w.program["id"],
                    "contact": w.contacts[0]["id"],
                    "stage": "Enrolled",
                    "start_date": dt.date(2025, 6, 2),
                },
                {
                    "program": w.program["id"],
                    "contact": w.contacts[1]["id"],
                    "stage": "Enrolled",
                    "start_date": dt.date(2025, 5, 30),
                },
            ],
        )
        for e in w.engagements:
            s.update(e["id"], {"start_date": dt.date(2025, 1, 6)})
        meals = s.create(
            "Service", {"name": "Meals", "program": w.program["id"], "unit_of_measurement": "Meals"}
        )

        def delivered(who, day, status, quantity=1):
            return {
                "service": w.service["id"],
                "contact": w.contacts[who]["id"],
                "program_engagement": w.engagements[who]["id"],
                "delivery_date": day,
                "attendance_status": status,
                "quantity": quantity,
            }

        s.create_many(
            "ServiceDelivery",
            [
                delivered(0, dt.date(2025, 6, 10), "Present", 2),
                delivered(1, dt.date(2025, 5, 1), "Present", 2),
                delivered(1, dt.date(2025, 5, 8), "Unexcused Absence", 0),
                delivered(2, dt.date(2025, 6, 1), "Unexcused Absence", 0),
                delivered(2, dt.date(2025, 6, 8), "Excused Absence", 0),
                delivered(2, dt.date(2025, 6, 15), "Unexcused Absence", 0),
                delivered(0, dt.date(2024, 12, 20), "Present", 3),
                {"service": meals["id"], "quantity": 40, "delivery_date": dt.date(2025, 2, 1)},
            ],
        )
    return w


def run(app, user, name, today=TODAY):
    with app.session(user) as s:
        return run_report(s, "pmm." + name, {"today": today})


def test_engagement_reports(pmm_app, data):
    assert run(pmm_app, "manager", "all_active_program_engagements") == [
        {"program": "Youth Literacy", "engagements": 3}
    ]
    enrolled = run(pmm_app, "manager", "clients_enrolled_this_month")
    assert [(r["start_date"], r["engagement"]) for r in enrolled] == [
        (dt.date(2025, 6, 2), "Ana Client0 2025-06-02: Youth Literacy")
    ]
    assert run(pmm_app, "manager", "clients_enrolled_this_month_by_program") == [
        {"program": "Youth Literacy", "engagements": 1}
    ]


def test_clients_missing_phone_number_respects_contact_sharing(pmm_app, data):
    rows = run(pmm_app, "worker", "clients_missing_phone_number")
    assert [(r["mailing_country"], r["name"]) for r in rows] == [
        ("Belgium", "Bruno Client1"),
        (None, "Chloe Client2"),
    ]
    with pmm_app.session("admin") as s:
        set_sharing_default(s, "Contact", "private")
    assert run(pmm_app, "worker", "clients_missing_phone_number") == []  # the manager owns them
    assert len(run(pmm_app, "manager", "clients_missing_phone_number")) == 2


def test_delivery_sums(pmm_app, data):
    ytd = run(pmm_app, "manager", "services_delivered_ytd")
    assert ytd == [
        {"program": "Youth Literacy", "service": "Meals", "unit": "Meals", "quantity": decimal.Decimal(40)},
        {"program": "Youth Literacy", "service": "Tutoring", "unit": "Hours", "quantity": decimal.Decimal(4)},
    ]
    months = run(pmm_app, "manager", "units_delivered_last_6_months")
    # January to June 2025: December 2024 is out.
    assert [(r["month"], r["service"], r["quantity"]) for r in months] == [
        ("2025-02", "Meals", 40),
        ("2025-05", "Tutoring", 2),
        ("2025-06", "Tutoring", 2),
    ]


def test_follow_up_reports(pmm_app, data):
    absent = run(pmm_app, "manager", "contacts_absent_for_last_service_delivery")
    # Chloe (3 in a row) first, then Bruno (1); every engagement of theirs is listed.
    assert [(r["contact_name"], r["consecutive_absences"]) for r in absent] == [
        ("Chloe Client2", 3),
        ("Bruno Client1", 1),
        ("Bruno Client1", None),
    ]
    assert {r["contact_name"] for r in run(pmm_app, "manager", "contacts_with_3_consecutive_absences")} == {
        "Chloe Client2"
    }
    # The worker owns none of these engagements.
    assert run(pmm_app, "worker", "contacts_absent_for_last_service_delivery") == []
    # Last service within 14 days (today included) is recent: Ana (10 June) is not listed.
    stale = run(pmm_app, "manager", "contacts_without_recent_service_deliveries")
    assert [(r["name"], r["last_service_date"]) for r in stale] == [
        ("Bruno Client1", dt.date(2025, 5, 1)),
        ("Chloe Client2", None),
    ]
    assert [
        r["name"]
        for r in run(
            pmm_app, "manager", "contacts_without_recent_service_deliveries", today=dt.date(2025, 6, 25)
        )
    ] == ["Ana Client0", "Bruno Client1", "Chloe Client2"]


def test_cli_report(org_dir, cli, data):
    result = cli("pmm", "report", "all_active_program_engagements", "--as", "viewer", "--json")
    assert result.exit_code == 0, result.err
    assert result.json() == [{"program": "Youth Literacy", "engagements": 3}]
    csv = cli("pmm", "report", "all_active_program_engagements", "--as", "viewer", "--csv")
    assert csv.out.splitlines() == ["program,engagements", "Youth Literacy,3"]
    unknown = cli("pmm", "report", "all_active", "--as", "viewer")
    assert unknown.exit_code != 0 and "unknown report" in unknown.err
    assert "pmm.services_delivered_ytd" in cli("reports", "list", "--json").out
