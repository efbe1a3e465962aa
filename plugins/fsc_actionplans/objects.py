"""Declarations of the action plans plugin: templates, versions, items, plans, documents, teams.

A template has numbered versions; a version holds items, and each item has
item values (the defaults of the Task or Document Checklist Item it creates).
A plan points at one published version and one target record, and has one
plan item per created Task or Document Checklist Item.
"""

from missionbase.core import ObjectType
from missionbase.core import fields as f

VERSION_STATUSES = ["Draft", "Published", "Obsolete"]
ITEM_KINDS = ["Task", "Document Checklist Item"]
TASK_KIND, DOCUMENT_KIND = ITEM_KINDS
PLAN_STATES = ["Not Started", "In Progress", "Complete", "Canceled"]
ITEM_STATES = ["Pending", "In Progress", "Completed", "Canceled", "Deleted"]
DOCUMENT_STATUSES = ["New", "Pending Review", "Accepted", "Rejected"]
# What an item value may set, per item kind. "owner" is an assignee
# (creator / user:ID / queue:ID / role:NAME), "due_offset" a number of days.
ITEM_VALUE_FIELDS = {
    TASK_KIND: ("subject", "priority", "status", "owner", "due_offset", "description"),
    DOCUMENT_KIND: ("subject", "owner", "due_offset", "description", "instructions", "document_type"),
}
ALL_ITEM_VALUE_FIELDS = sorted({name for names in ITEM_VALUE_FIELDS.values() for name in names})
TEAM_ROLES = ["Advisor", "Relationship Manager", "Case Manager", "Compliance Officer", "Assistant"]

TEMPLATE = ObjectType(
    "ActionPlanTemplate",
    label="Action plan template",
    prefix="apt",
    sharing="public_read",
    description="A reusable sequence of tasks and documents for one kind of target record.",
    fields=[
        f.Text("name", max_length=255, required=True),
        f.Text(
            "unique_name",
            max_length=80,
            required=True,
            unique=True,
            pattern=r"[A-Za-z][A-Za-z0-9_]*",
            pattern_hint="letters, digits and _, starting with a letter",
        ),
        f.LongText("description", max_length=32000),
        f.Text(
            "target_type",
            max_length=63,
            required=True,
            help="The object plans of this template target; fixed once the template exists",
        ),
        f.Boolean("allow_adhoc_items", help="Plans may add items the template does not have"),
        f.Picklist("category", ["Onboarding", "Application", "Case", "Review", "Other"], restricted=False),
        f.Integer("estimated_completion_days", min_value=0),
    ],
)

VERSION = ObjectType(
    "ActionPlanTemplateVersion",
    label="Action plan template version",
    prefix="apv",
    sharing="controlled_by_parent",
    parent_field="template",
    description="One numbered version of a template: Draft (editable), Published (usable) or Obsolete.",
    fields=[
        f.Lookup("template", "ActionPlanTemplate", required=True, on_delete="cascade"),
        f.Text("name", max_length=255, read_only=True),
        f.Integer("version_number", read_only=True, min_value=1),
        f.Picklist("status", VERSION_STATUSES, default="Draft", read_only=True, indexed=True),
        f.Datetime("activated_at", read_only=True),
        f.Datetime("inactivated_at", read_only=True),
    ],
    indexes=[("template", "version_number")],
)

TEMPLATE_ITEM = ObjectType(
    "ActionPlanTemplateItem",
    label="Action plan template item",
    prefix="ati",
    sharing="controlled_by_parent",
    parent_field="template_version",
    description="A task or document a plan of this version creates.",
    fields=[
        f.Lookup("template_version", "ActionPlanTemplateVersion", required=True, on_delete="cascade"),
        f.Text("name", max_length=255, required=True),
        f.Picklist("kind", ITEM_KINDS, required=True),
        f.Integer("display_order", min_value=0),
        f.Boolean("required"),
        f.Boolean("active", default=True),
    ],
)

TEMPLATE_ITEM_VALUE = ObjectType(
    "ActionPlanTemplateItemValue",
    label="Action plan template item value",
    prefix="atv",
    sharing="controlled_by_parent",
    parent_field="item",
    name_field=None,
    description="One default of the record a template item creates (subject, owner, due offset...).",
    fields=[
        f.Lookup("item", "ActionPlanTemplateItem", required=True, on_delete="cascade"),
        f.Picklist("field_name", ALL_ITEM_VALUE_FIELDS, required=True),
        f.Text("value", max_length=4000),
    ],
)

PLAN = ObjectType(
    "ActionPlan",
    label="Action plan",
    prefix="apl",
    sharing="private",
    feed=True,
    history=["state"],
    description="A template version applied to one target record: its tasks, documents and progress.",
    fields=[
        f.Text("name", max_length=255, required=True),
        f.Lookup("target", "*", required=True, on_delete="cascade", help="The record the plan is about"),
        f.Text("target_type", max_length=63, read_only=True, indexed=True),
        f.Lookup("template_version", "ActionPlanTemplateVersion", required=True, on_delete="restrict"),
        f.Lookup("template", "ActionPlanTemplate", read_only=True, on_delete="restrict"),
        f.Date("start_date", required=True),
        f.Boolean("skip_nonworking_days", help="Count due offsets in working days"),
        f.Picklist("state", PLAN_STATES, default="Not Started", read_only=True, indexed=True),
        f.Datetime("completed_at", read_only=True),
    ],
)

PLAN_ITEM = ObjectType(
    "ActionPlanItem",
    label="Action plan item",
    prefix="apc",
    sharing="controlled_by_parent",
    parent_field="plan",
    description="One task or document of a plan, with its state.",
    fields=[
        f.Lookup("plan", "ActionPlan", required=True, on_delete="cascade"),
        f.Lookup("template_item", "ActionPlanTemplateItem", on_delete="clear"),
        f.Text("name", max_length=255, required=True),
        f.Picklist("kind", ITEM_KINDS, required=True),
        f.Boolean("required"),
        f.Integer("display_order", min_value=0),
        f.Boolean("is_adhoc", read_only=True),
        f.Date("due_date", indexed=True),
        f.Picklist("state", ITEM_STATES, default="Pending", read_only=True, indexed=True),
        f.Lookup("task", "Task", on_delete="clear", read_only=True),
        f.Lookup("document", "DocumentChecklistItem", on_delete="clear", read_only=True),
    ],
)

DOCUMENT_TYPE = ObjectType(
    "DocumentType",
    label="Document type",
    prefix="dty",
    sharing="public_read",
    description="A kind of document a checklist item asks for (ID card, proof of address...).",
    fields=[
        f.Text("name", max_length=80, required=True, unique=True),
        f.Text("description", max_length=255),
    ],
)

DOCUMENT = ObjectType(
    "DocumentChecklistItem",
    label="Document checklist item",
    prefix="dci",
    sharing="private",
    history=["status"],
    description="A document to collect from a client and review: New, Pending Review, Accepted or Rejected.",
    fields=[
        f.Text("name", max_length=255, required=True),
        f.Lookup("document_type", "DocumentType", on_delete="restrict"),
        f.LongText("instructions", max_length=32000),
        f.Picklist("status", DOCUMENT_STATUSES, default="New", read_only=True, indexed=True),
        f.Boolean("required"),
        f.Lookup("parent", "*", on_delete="clear", help="The business record the document is for"),
        f.Lookup("received_file", "File", on_delete="clear", read_only=True),
        f.Boolean("is_frozen", read_only=True, help="Accepted documents cannot change"),
        f.Lookup("reviewed_by", "User", on_delete="clear", read_only=True),
        f.Datetime("reviewed_at", read_only=True),
        f.Text("review_comment", max_length=1000, read_only=True),
    ],
)

TEAM_MEMBER = ObjectType(
    "RecordTeamMember",
    label="Record team member",
    prefix="rtm",
    sharing="public_read",
    name_field=None,
    description="A user's role on a record's team (account team, case team); items assigned to a role use it.",
    fields=[
        f.Lookup("record", "*", required=True, on_delete="cascade"),
        f.Lookup("user", "User", required=True, on_delete="cascade"),
        f.Picklist("role", TEAM_ROLES, required=True, restricted=False),
        f.Boolean("active", default=True),
    ],
    indexes=[("record", "role")],
)

OBJECTS = [
    TEMPLATE,
    VERSION,
    TEMPLATE_ITEM,
    TEMPLATE_ITEM_VALUE,
    PLAN,
    PLAN_ITEM,
    DOCUMENT_TYPE,
    DOCUMENT,
    TEAM_MEMBER,
]
