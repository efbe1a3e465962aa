"""Demo data: caseworkers' permission sets, client details and alerts, case notes, a case plan
from a goal template, an assessment type with a client's history, and incidents."""

from __future__ import annotations

import datetime as dt

from missionbase.core import assign_permission_set

from .assessments import record_assessment
from .caseplans import add_goal_from_template
from .incidents import report_incident
from .notes import write_note

DEMO_PERMISSION_SETS = {
    "ana": "Case Management: Caseworker",
    "sam": "Case Management: Caseworker",
    "ben": "Case Management: Supervisor",
    "maria": "Case Management: Supervisor",
    "vic": "Case Management: Read Only",
}
PRONOUNS = ["she/her/hers", "he/him/his", "they/them/theirs"]


def load_demo(ctx) -> None:
    s = ctx.session
    for username, permset in DEMO_PERMISSION_SETS.items():
        if username in ctx.users:
            assign_permission_set(s, ctx.users[username], permset)
    today = dt.date.today()
    clients = s.query("Contact", {"is_client": True}, order_by="created_at", limit=30).records
    if not clients:
        return
    s.update_many(
        [
            {
                "id": c["id"],
                "pronouns": PRONOUNS[i % 3],
                "preferred_communication_method": ["Call", "Text", "Email"][i % 3],
                "roles": ["Client", "Volunteer"] if i % 7 == 0 else ["Client"],
                "watch_list": i % 9 == 0,
                "emergency_contact": clients[(i + 1) % len(clients)]["id"],
                "emergency_contact_role": "Friend",
            }
            for i, c in enumerate(clients)
        ]
    )
    s.create_many(
        "ClientAlert",
        [
            {
                "contact": clients[0]["id"],
                "name": "Severe peanut allergy",
                "description": "Carries an EpiPen.",
            },
            {
                "contact": clients[1]["id"],
                "name": "Do not call before 10:00",
                "expires_on": today + dt.timedelta(days=60),
            },
            {"contact": clients[1]["id"], "name": "Moved recently", "active": False},
        ],
    )
    for i, client in enumerate(clients[:6]):
        author = client["owner_id"]
        note = write_note(
            s,
            client["id"],
            ["Intake conversation", "Housing follow-up", "Job search check-in"][i % 3],
            content="<p>Discussed current situation and next steps.</p>",
            status="Complete" if i % 2 == 0 else "Draft",
            interaction_date=today - dt.timedelta(days=i),
            minutes_spent=30 + 5 * i,
        )
        s.update(note["id"], {"owner_id": author})
    stable = s.create("GoalTemplate", {"name": "Stable housing", "description": "Move into a lasting home."})
    items = s.create_many(
        "ActionItemTemplate",
        [
            {"name": "Collect proof of income", "due_in_days": 7},
            {"name": "Apply for social housing", "due_in_days": 21},
            {"name": "Visit three flats", "due_in_days": 45},
        ],
    )
    s.create_many(
        "GoalActionItemTemplate",
        [
            {
                "goal_template": stable["id"],
                "action_item_template": item["id"],
                "is_required": i < 2,
                "sort_order": i,
            }
            for i, item in enumerate(items)
        ],
    )
    plan = s.create(
        "CasePlan",
        {
            "name": f"Plan for {clients[0]['name']}",
            "contact": clients[0]["id"],
            "status": "In Progress",
            "owner_id": clients[0]["owner_id"],
        },
    )
    add_goal_from_template(s, plan["id"], stable["id"])
    readiness = s.create(
        "AssessmentType", {"name": "Job readiness", "description": "Five areas scored 0 to 4."}
    )
    questions = s.create_many(
        "AssessmentQuestion",
        [
            {"assessment_type": readiness["id"], "question": q, "sort_order": i, "max_score": 4}
            for i, q in enumerate(["CV", "Interview skills", "Transport", "Childcare", "Digital skills"])
        ],
    )
    s.create_many(
        "AssessmentTier",
        [
            {"assessment_type": readiness["id"], "name": name, "min_total": low}
            for name, low in (("Not ready", 0), ("Getting there", 8), ("Ready", 15))
        ],
    )
    for months, scores in ((6, [1, 1, 2, 0, 2]), (3, [2, 2, 3, 1, 2]), (0, [3, 3, 4, 2, 3])):
        record_assessment(
            s,
            clients[0]["id"],
            readiness["id"],
            {q["id"]: v for q, v in zip(questions, scores, strict=True)},
            completed_date=today - dt.timedelta(days=30 * months),
        )
    branch = (ctx.records.get("accounts") or [None])[0]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    report_incident(
        s,
        {
            "subject": "Argument in the waiting room",
            "incident_datetime": now - dt.timedelta(days=2),
            "incident_type": "Behavioral",
            "severity": "Medium",
            "branch": branch,
            "description": "Two clients argued over a queue place; calmed down by staff.",
            "owner_id": clients[2]["owner_id"],
        },
        [clients[2]["id"], clients[3]["id"]],
    )
    report_incident(
        s,
        {
            "subject": "Fall on the stairs",
            "incident_datetime": now - dt.timedelta(hours=5),
            "incident_type": "Injury",
            "severity": "High",
            "branch": branch,
            "owner_id": clients[4]["owner_id"],
        },
        [clients[4]["id"]],
    )
