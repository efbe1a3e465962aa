"""Case Management's declarations: the client fields added to Contact,
client alerts, case notes, case plans with goals and action items, assessments and
incidents, plus the plugin's settings.

Client data that only caseworkers must read (legal name, note content, incident
descriptions, assessment comments) is ``sensitive``: hidden unless a permission
set grants it by name (``permissions.py``). Records about a client follow the
client's own access (Controlled by Parent), so a caseworker sees the notes,
plans and assessments of exactly the clients they can see.
"""

from __future__ import annotations

from missionbase.core import ObjectType, Restriction
from missionbase.core import fields as f

CLIENT_ROLES = ["Client", "Donor", "Volunteer", "Board Member", "Staff"]
AGE_CATEGORIES = ["Child", "Youth", "Adult", "Senior"]
COMMUNICATION_METHODS = ["Call", "Text", "Email"]
PHONE_FIELDS = ["Home Phone", "Mobile Phone", "Work Phone", "Other Phone"]
NOTE_STATUSES = ["Draft", "Complete"]
DRAFT, COMPLETE = NOTE_STATUSES
PLAN_STATUSES = ["Not Started", "In Progress", "Completed", "Abandoned"]
ITEM_STATUSES = ["Not Started", "In Progress", "Completed"]
SEVERITIES = ["Low", "Medium", "High"]
INCIDENT_STATUSES = ["New", "Working", "Closed"]
CLOSED_INCIDENT_STATUSES = ("Closed",)
INCIDENT_TYPES = ["Property Damage", "Injury", "Medical", "Behavioral", "Theft", "Other"]

# Contact fields. Age and its category are derived from the birthdate by
# ``clients.py`` (read-only); the watch-list date is stamped when the flag is set.
CONTACT_FIELDS = [
    f.Text(
        "client_id",
        max_length=40,
        unique=True,
        label="Client ID",
        help="Generated for new clients (casemgmt.client_id_generator) or taken from an import",
    ),
    f.Text("pronouns", max_length=40, help="e.g. she/her/hers"),
    f.Text("legal_name", max_length=121, sensitive=True, help="Full legal name when it differs"),
    f.Text("preferred_name", max_length=80),
    f.Integer("age", read_only=True, help="Whole years, from the birthdate"),
    f.Picklist(
        "age_category",
        AGE_CATEGORIES,
        read_only=True,
        help="From the birthdate and casemgmt.age_category_bounds",
    ),
    f.MultiPicklist("roles", CLIENT_ROLES, restricted=False, help="Shown as badges on the client card"),
    f.Boolean("watch_list", help="Needs particular attention"),
    f.Date("watch_list_date", read_only=True, help="When the watch-list flag was set"),
    f.Picklist("preferred_communication_method", COMMUNICATION_METHODS),
    f.Picklist("preferred_phone_field", PHONE_FIELDS, restricted=False),
    f.Phone("preferred_phone_number"),
    f.Lookup("emergency_contact", "Contact", on_delete="clear"),
    f.Text("emergency_contact_role", max_length=80, help="e.g. Mother, Friend"),
    f.Lookup("photo", "File", on_delete="clear", label="Client photo"),
]

CLIENT_ALERT = ObjectType(
    "ClientAlert",
    label="Client alert",
    prefix="cal",
    sharing="controlled_by_parent",
    parent_field="contact",
    description="Something staff must know at once about a client (an allergy, a safety concern).",
    fields=[
        f.Text("name", max_length=255, required=True, label="Alert"),
        f.Lookup("contact", "Contact", required=True, on_delete="cascade"),
        f.Boolean("active", default=True),
        f.Date("expires_on", help="Inactive from the day after"),
        f.LongText("description", max_length=32000),
    ],
    indexes=[("contact", "active")],
)

CLIENT_NOTE = ObjectType(
    "ClientNote",
    label="Case note",
    prefix="cnt",
    sharing="controlled_by_parent",
    parent_field="client",
    name_field="subject",
    feed=True,
    history=["status"],
    description="A caseworker's note of an interaction with a client. Drafts are seen only by their author; "
    "a completed note is locked except for users with Modify All.",
    fields=[
        f.Lookup("client", "Contact", required=True, on_delete="cascade"),
        f.Text("subject", max_length=255, required=True),
        f.RichText("content", max_length=131072, sensitive=True, help="Rich text (HTML), sanitised on write"),
        f.Picklist("status", NOTE_STATUSES, default=DRAFT, required=True),
        f.Date("interaction_date", indexed=True),
        f.Integer("minutes_spent", min_value=0, label="Minutes spent with client"),
        # Set to the author while the note is a draft, empty once complete: the
        # restriction below then shows a draft to that one user only.
        f.Lookup("draft_author", "User", read_only=True, on_delete="clear"),
    ],
    restrictions=[Restriction("draft_author", ("User", "id", "id"))],
)

CLIENT_NOTE_RELATIONSHIP = ObjectType(
    "ClientNoteRelationship",
    label="Case note relationship",
    prefix="cnr",
    sharing="controlled_by_parent",
    parent_field="client_note",
    name_field=None,
    description="Links a case note to another record it is about (an incident, an engagement, a plan).",
    fields=[
        f.Lookup("client_note", "ClientNote", required=True, on_delete="cascade"),
        f.Lookup("related", "*", required=True, on_delete="cascade"),
    ],
)

GOAL_TEMPLATE = ObjectType(
    "GoalTemplate",
    label="Goal template",
    prefix="gtp",
    sharing="public_read",
    description="A reusable goal; adding it to a case plan creates its required action items.",
    fields=[f.Text("name", max_length=255, required=True), f.LongText("description", max_length=32000)],
)

ACTION_ITEM_TEMPLATE = ObjectType(
    "ActionItemTemplate",
    label="Action item template",
    prefix="ait",
    sharing="public_read",
    description="A reusable step towards a goal.",
    fields=[
        f.Text("name", max_length=255, required=True),
        f.Integer(
            "due_in_days", min_value=0, help="Due this many days after it is added; blank: no due date"
        ),
    ],
)

GOAL_ACTION_ITEM_TEMPLATE = ObjectType(
    "GoalActionItemTemplate",
    label="Goal action item template",
    prefix="gai",
    sharing="public_read",
    name_field=None,
    description="An action item template belonging to a goal template; required ones are created with the goal.",
    fields=[
        f.Lookup("goal_template", "GoalTemplate", required=True, on_delete="cascade"),
        f.Lookup("action_item_template", "ActionItemTemplate", required=True, on_delete="cascade"),
        f.Boolean("is_required", default=True),
        f.Integer("sort_order", default=0),
    ],
)

CASE_PLAN = ObjectType(
    "CasePlan",
    label="Case plan",
    prefix="csp",
    sharing="controlled_by_parent",
    parent_field="contact",
    feed=True,
    history=["status"],
    description="A client's plan of goals and action items.",
    fields=[
        f.Text("name", max_length=255, required=True),
        f.Lookup("contact", "Contact", required=True, on_delete="cascade", label="Client"),
        f.Picklist("status", PLAN_STATUSES, default="Not Started", required=True),
        f.Date("in_progress_date", read_only=True),
        f.Date("completed_date", read_only=True),
        f.Date("abandoned_date", read_only=True),
        f.LongText("description", max_length=32000),
    ],
)

CASE_GOAL = ObjectType(
    "CaseGoal",
    label="Goal",
    prefix="cgl",
    sharing="controlled_by_parent",
    parent_field="case_plan",
    description="A goal of a case plan.",
    fields=[
        f.Text("name", max_length=255, required=True),
        f.Lookup("case_plan", "CasePlan", required=True, on_delete="cascade"),
        f.Lookup("contact", "Contact", on_delete="cascade", read_only=True, label="Client"),
        f.Lookup("goal_template", "GoalTemplate", on_delete="clear"),
        f.Picklist("status", ITEM_STATUSES, default="Not Started", required=True),
    ],
)

ACTION_ITEM = ObjectType(
    "ActionItem",
    label="Action item",
    prefix="aci",
    sharing="controlled_by_parent",
    parent_field="case_plan",
    description="A step towards a case plan goal.",
    fields=[
        f.Text("name", max_length=255, required=True),
        f.Lookup("case_plan", "CasePlan", required=True, on_delete="cascade"),
        f.Lookup("goal", "CaseGoal", on_delete="cascade"),
        f.Lookup("contact", "Contact", on_delete="cascade", read_only=True, label="Client"),
        f.Lookup("action_item_template", "ActionItemTemplate", on_delete="clear"),
        f.Picklist("status", ITEM_STATUSES, default="Not Started", required=True),
        f.Date("due_date", indexed=True),
    ],
)

ASSESSMENT_TYPE = ObjectType(
    "AssessmentType",
    label="Assessment type",
    prefix="ast",
    sharing="public_read",
    description="A questionnaire (job readiness, financial stability) whose scores add up to a tier.",
    fields=[
        f.Text("name", max_length=255, required=True, unique=True),
        f.LongText("description", max_length=32000),
    ],
)

ASSESSMENT_QUESTION = ObjectType(
    "AssessmentQuestion",
    label="Assessment question",
    prefix="asq",
    sharing="public_read",
    name_field="question",
    fields=[
        f.Lookup("assessment_type", "AssessmentType", required=True, on_delete="cascade"),
        f.Text("question", max_length=255, required=True),
        f.Integer("sort_order", default=0),
        f.Integer("min_score", default=0),
        f.Integer("max_score", required=True, default=5),
    ],
)

ASSESSMENT_TIER = ObjectType(
    "AssessmentTier",
    label="Assessment tier",
    prefix="atr",
    sharing="public_read",
    description="A scoring threshold: an assessment whose total reaches min_total is in this tier "
    "(the highest such tier).",
    fields=[
        f.Lookup("assessment_type", "AssessmentType", required=True, on_delete="cascade"),
        f.Text("name", max_length=80, required=True),
        f.Integer("min_total", required=True),
    ],
)

ASSESSMENT = ObjectType(
    "Assessment",
    prefix="asm",
    sharing="controlled_by_parent",
    parent_field="client",
    feed=True,
    description="One completed questionnaire for a client: answers, total score and tier.",
    fields=[
        f.Text("name", max_length=255),
        f.Lookup("client", "Contact", required=True, on_delete="cascade"),
        f.Lookup("assessment_type", "AssessmentType", required=True, on_delete="restrict"),
        f.Date("completed_date", required=True, indexed=True),
        f.Integer("total_score", read_only=True),
        f.Text("tier", max_length=80, read_only=True),
        f.LongText("comments", max_length=32000, sensitive=True),
    ],
)

ASSESSMENT_ANSWER = ObjectType(
    "AssessmentAnswer",
    label="Assessment answer",
    prefix="asa",
    sharing="controlled_by_parent",
    parent_field="assessment",
    name_field=None,
    fields=[
        f.Lookup("assessment", "Assessment", required=True, on_delete="cascade"),
        f.Lookup("question", "AssessmentQuestion", required=True, on_delete="restrict"),
        f.Integer("score", required=True),
    ],
)

INCIDENT = ObjectType(
    "Incident",
    prefix="inc",
    sharing="private",
    feed=True,
    history=["status", "severity"],
    name_field="subject",
    description="Something that happened involving one or more clients (a Case of record type Incident).",
    fields=[
        f.Text("subject", max_length=255, required=True),
        f.Datetime("incident_datetime", required=True, label="Date and time"),
        f.Picklist("incident_type", INCIDENT_TYPES, restricted=False),
        f.Picklist("severity", SEVERITIES, default="Low", required=True),
        f.Picklist("status", INCIDENT_STATUSES, default="New", required=True, indexed=True),
        f.Text("location_notes", max_length=1000),
        f.Lookup("branch", "Account", on_delete="clear", help="The service location"),
        f.Lookup("contact", "Contact", on_delete="clear", label="Primary client"),
        f.LongText("description", max_length=32000, sensitive=True),
    ],
)

INCIDENT_CLIENT = ObjectType(
    "IncidentClient",
    label="Incident client",
    prefix="icl",
    sharing="controlled_by_parent",
    parent_field="incident",
    name_field=None,
    description="A client involved in an incident.",
    fields=[
        f.Lookup("incident", "Incident", required=True, on_delete="cascade"),
        f.Lookup("contact", "Contact", required=True, on_delete="cascade"),
    ],
)

OBJECTS = [
    CLIENT_ALERT,
    CLIENT_NOTE,
    CLIENT_NOTE_RELATIONSHIP,
    GOAL_TEMPLATE,
    ACTION_ITEM_TEMPLATE,
    GOAL_ACTION_ITEM_TEMPLATE,
    CASE_PLAN,
    CASE_GOAL,
    ACTION_ITEM,
    ASSESSMENT_TYPE,
    ASSESSMENT_QUESTION,
    ASSESSMENT_TIER,
    ASSESSMENT,
    ASSESSMENT_ANSWER,
    INCIDENT,
    INCIDENT_CLIENT,
]
OBJECT_NAMES = [obj.name for obj in OBJECTS]
TEMPLATE_OBJECTS = (
    "GoalTemplate",
    "ActionItemTemplate",
    "GoalActionItemTemplate",
    "AssessmentType",
    "AssessmentQuestion",
    "AssessmentTier",
)
CLIENT_WORK_OBJECTS = tuple(name for name in OBJECT_NAMES if name not in TEMPLATE_OBJECTS)
