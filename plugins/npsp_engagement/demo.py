"""Demo data: a volunteer onboarding template, a Major Donor ladder, campaigns and gifts."""

from __future__ import annotations

import datetime as dt

from missionbase.core import assign_permission_set

from .levels import assign_levels
from .objects import ASSIGN_TO_TARGET_OWNER
from .template_io import FORMAT, VERSION, import_template


def _document(name: str, description: str, tasks: list[dict], **template) -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        "template": {"name": name, "description": description, **template},
        "tasks": tasks,
    }


def load_demo(ctx) -> None:
    s = ctx.session
    users = ctx.users
    for username, permset in (
        ("maria", "Engagement Plans: Manage"),
        ("dina", "Engagement Plans: Manage"),
        ("ben", "Engagement Plans: Use"),
        ("ana", "Engagement Plans: Use"),
        ("sam", "Engagement Plans: Use"),
    ):
        if username in users:
            assign_permission_set(s, users[username], permset)
    onboarding = import_template(
        s,
        _document(
            "Volunteer onboarding",
            "From sign-up to first outreach shift.",
            [
                {
                    "key": "1",
                    "subject": "Welcome call",
                    "days_after": 1,
                    "type": "Call",
                    "priority": "High",
                    "reminder": True,
                    "reminder_time": 600,
                },
                {
                    "key": "2",
                    "parent": "1",
                    "subject": "Send the volunteer handbook",
                    "days_after": 1,
                    "type": "Email",
                },
                {"key": "3", "parent": "1", "subject": "Background check", "days_after": 3, "type": "Other"},
                {
                    "key": "4",
                    "parent": "3",
                    "subject": "Schedule first outreach shift",
                    "days_after": 2,
                    "type": "Meeting",
                    "reminder": True,
                },
            ],
        ),
    )
    major = import_template(
        s,
        _document(
            "Major donor stewardship",
            "Thank and involve a household that reaches Major Donor.",
            [
                {
                    "key": "1",
                    "subject": "Thank-you call from the director",
                    "days_after": 2,
                    "type": "Call",
                    "priority": "High",
                    "reminder": True,
                    "reminder_time": 570,
                    "assigned_to": "maria" if "maria" in users else None,
                },
                {
                    "key": "2",
                    "parent": "1",
                    "subject": "Invite to a program visit",
                    "days_after": 7,
                    "type": "Email",
                },
                {"key": "3", "parent": "2", "subject": "Impact report", "days_after": 30, "type": "Other"},
            ],
            default_assignee=ASSIGN_TO_TARGET_OWNER,
        ),
    )
    s.create_many(
        "Level",
        [
            {
                "name": "Friend",
                "target": "Contact",
                "source_field": "total_gifts",
                "level_field": "level",
                "previous_level_field": "previous_level",
                "minimum": "1",
                "maximum": "250",
            },
            {
                "name": "Supporter",
                "target": "Contact",
                "source_field": "total_gifts",
                "level_field": "level",
                "previous_level_field": "previous_level",
                "minimum": "250",
                "maximum": "1000",
            },
            {
                "name": "Major Donor",
                "target": "Contact",
                "source_field": "total_gifts",
                "level_field": "level",
                "previous_level_field": "previous_level",
                "minimum": "1000",
                "engagement_plan_template": major["id"],
            },
        ],
    )
    contacts = ctx.records.get("contacts", [])
    year = dt.date.today().year
    spring = s.create(
        "Campaign",
        {
            "name": f"Spring appeal {year}",
            "status": "In Progress",
            "type": "Appeal",
            "start_date": dt.date(year, 3, 1),
        },
    )
    gala = s.create("Campaign", {"name": f"Winter gala {year}", "status": "Planned", "type": "Event"})
    amounts = [25, 50, 120, 300, 750, 1500, 2500, 40, 60, 90]
    s.create_many(
        "Donation",
        [
            {
                "amount": amounts[i % len(amounts)],
                "close_date": dt.date.today() - dt.timedelta(days=7 * i),
                "contact": contact,
                "campaign": spring["id"] if i % 2 else gala["id"],
            }
            for i, contact in enumerate(contacts[:20])
        ],
    )
    if contacts:
        s.create_many(
            "EngagementPlan", [{"template": onboarding["id"], "target": c} for c in contacts[20:23]]
        )
    assign_levels(s)
    ctx.records["engagement_plan_templates"] = [onboarding["id"], major["id"]]
