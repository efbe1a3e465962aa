"""Demo data: a client onboarding template (tasks and three documents) and a few plans."""

from __future__ import annotations

import datetime as dt

from missionbase.core import assign_permission_set

from . import templates as tpl
from .plans import create_plans


def load_demo(ctx) -> None:
    s = ctx.session
    users = ctx.users
    for username in ("maria", "ben"):
        if username in users:
            assign_permission_set(s, users[username], "Action Plans: Manage Templates")
    for username in ("ana", "sam", "ben", "maria"):
        if username in users:
            assign_permission_set(s, users[username], "Action Plans: Use")
    types = s.create_many(
        "DocumentType",
        [
            {"name": "Identity document", "description": "Passport, ID card or residence permit"},
            {"name": "Proof of address", "description": "Utility bill or rent receipt under 3 months old"},
            {"name": "Income statement", "description": "Last tax notice or three payslips"},
        ],
    )
    template = tpl.create_template(
        s,
        {
            "name": "Client onboarding",
            "unique_name": "client_onboarding",
            "target_type": "Contact",
            "category": "Onboarding",
            "estimated_completion_days": 15,
            "allow_adhoc_items": True,
            "description": "Welcome a new client: first call, documents, needs assessment, follow-up.",
        },
    )
    queue = (ctx.records.get("queues") or [None])[0]
    items = [
        ("Welcome call", "task", True, {"due_offset": 1, "priority": "High", "owner": "creator"}),
        (
            "Identity document",
            "document",
            True,
            {
                "document_type": types[0]["id"],
                "due_offset": 5,
                "instructions": "A photo of both sides is fine.",
            },
        ),
        ("Proof of address", "document", True, {"document_type": types[1]["id"], "due_offset": 5}),
        ("Income statement", "document", False, {"document_type": types[2]["id"], "due_offset": 10}),
        (
            "Needs assessment",
            "task",
            True,
            {
                "due_offset": 7,
                "owner": f"queue:{queue}" if queue else "creator",
                "description": "Housing, income, health, family: note what the client asks for.",
            },
        ),
        ("Follow-up call", "task", False, {"due_offset": 15, "priority": "Normal"}),
    ]
    for name, kind, required, values in items:
        tpl.add_item(s, template, {"name": name, "kind": kind, "required": required}, values)
    tpl.set_version_status(s, template, "Published")
    contacts = ctx.records.get("contacts", [])[:5]
    if contacts:
        plans = create_plans(
            s,
            template["id"],
            contacts,
            start_date=dt.date.today() - dt.timedelta(days=3),
            skip_nonworking=True,
        )
        if "ana" in users:  # a caseworker's plans, so 'report --as ana' shows them
            s.update_many([{"id": p["id"], "owner_id": users["ana"]} for p in plans])
        ctx.records["action_plans"] = [p["id"] for p in plans]
