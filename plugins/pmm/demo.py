"""PMM demo data: two programs, their services, a weekly and a monthly schedule
with sessions, 30 clients with engagements, and a term of attendance."""

from __future__ import annotations

import datetime as dt
import random

from missionbase.core import assign_permission_set

DEMO_PERMISSION_SETS = {
    "ben": "PMM: Manage",
    "ana": "PMM: Deliver",
    "sam": "PMM: Deliver",
    "vic": "PMM: View",
    "maria": "PMM: View",
}


def load_demo(ctx) -> None:
    from .attendance import save_roster
    from .participants import add_participants
    from .schedules import create_schedule

    s = ctx.session
    rng = random.Random(2025)
    for username, permset in DEMO_PERMISSION_SETS.items():
        if username in ctx.users:
            assign_permission_set(s, ctx.users[username], permset)
    owner = ctx.users.get("ben")
    today = dt.date.today()
    literacy = s.create(
        "Program",
        {
            "name": "Youth Literacy",
            "status": "Active",
            "program_issue_area": "Education",
            "start_date": today - dt.timedelta(days=400),
            "owner_id": owner,
            "short_summary": "After-school reading and homework help",
        },
    )
    food = s.create(
        "Program",
        {
            "name": "Community Pantry",
            "status": "Active",
            "program_issue_area": "Food and Nutrition",
            "start_date": today - dt.timedelta(days=800),
            "owner_id": owner,
        },
    )
    tutoring = s.create(
        "Service",
        {
            "name": "Reading tutoring",
            "program": literacy["id"],
            "unit_of_measurement": "Hours",
            "owner_id": owner,
        },
    )
    workshop = s.create(
        "Service",
        {
            "name": "Parent workshop",
            "program": literacy["id"],
            "unit_of_measurement": "Sessions",
            "owner_id": owner,
        },
    )
    parcels = s.create(
        "Service",
        {"name": "Food parcels", "program": food["id"], "unit_of_measurement": "Parcels", "owner_id": owner},
    )
    cohort = s.create(
        "ProgramCohort",
        {"name": "Autumn group", "program": literacy["id"], "status": "Active", "owner_id": owner},
    )
    contact_ids = ctx.records.get("contacts", [])[:30]
    if contact_ids:
        s.update_many([{"id": c, "is_client": True} for c in contact_ids])
    staff = [ctx.users[u] for u in ("ana", "sam") if u in ctx.users] or [None]
    engagements = s.create_many(
        "ProgramEngagement",
        [
            {
                "program": (literacy if i < 20 else food)["id"],
                "contact": contact,
                "role": "Client",
                "stage": rng.choice(["Active", "Active", "Enrolled"])
                if i < 26
                else rng.choice(["Applied", "Waitlisted"]),
                "start_date": today - dt.timedelta(days=rng.randint(60, 120)) if i < 26 else None,
                "program_cohort": cohort["id"] if i < 10 else None,
                "owner_id": staff[i % len(staff)],
            }
            for i, contact in enumerate(contact_ids)
        ],
    )
    provider = contact_ids[-1] if contact_ids else None
    start = dt.datetime.combine(today - dt.timedelta(weeks=9), dt.time(16, 0), tzinfo=dt.UTC)
    weekly, sessions = create_schedule(
        s,
        {
            "name": "Weekly reading club",
            "service": tutoring["id"],
            "frequency": "Weekly",
            "service_schedule_ends": "After",
            "number_of_service_sessions": 14,
            "first_session_start": start,
            "first_session_end": start + dt.timedelta(hours=1, minutes=30),
            "default_service_quantity": "1.5",
            "participant_capacity": 15,
            "primary_service_provider": provider,
        },
    )
    monthly_start = dt.datetime.combine(today.replace(day=1), dt.time(18, 0), tzinfo=dt.UTC)
    create_schedule(
        s,
        {
            "name": "Monthly parent workshop",
            "service": workshop["id"],
            "frequency": "Monthly",
            "monthly_recurrence_option": f"1{['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'][monthly_start.weekday()]}",
            "service_schedule_ends": "After",
            "number_of_service_sessions": 6,
            "first_session_start": monthly_start,
            "first_session_end": monthly_start + dt.timedelta(hours=2),
        },
    )
    readers = [e["id"] for e in engagements[:20] if e["stage"] in ("Active", "Enrolled")][:15]
    add_participants(s, weekly["id"], readers)
    participants = s.query("ServiceParticipant", where={"service_schedule": weekly["id"]}, fields=["contact"])
    contacts = [p["contact"] for p in participants]
    for session in sessions:
        if session["session_start"].date() >= today:
            break
        marks = {
            c: rng.choices(["Present", "Unexcused Absence", "Excused Absence"], [8, 2, 1])[0]
            for c in contacts
        }
        save_roster(s, session["id"], marks)
    pantry = [e for e in engagements if e["program"] == food["id"] and e["stage"] in ("Active", "Enrolled")]
    rows = [
        {
            "service": parcels["id"],
            "contact": e["contact"],
            "program_engagement": e["id"],
            "quantity": 1,
            "delivery_date": today - dt.timedelta(days=7 * week),
        }
        for e in pantry
        for week in range(1, 5)
    ]
    rows.append({"service": parcels["id"], "quantity": 40, "delivery_date": today - dt.timedelta(days=3)})
    s.create_many("ServiceDelivery", rows)
    ctx.records["programs"] = [literacy["id"], food["id"]]
    ctx.records["program_engagements"] = [e["id"] for e in engagements]
