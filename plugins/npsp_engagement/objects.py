"""Declarations of the engagement plugin: templates, template tasks, plans,
levels, campaigns and donations, and the fields it adds to core objects."""

from __future__ import annotations

from missionbase.core import ObjectType
from missionbase.core import fields as f

ASSIGN_TO_CREATOR = "User creating the plan"
ASSIGN_TO_TARGET_OWNER = "Owner of the target record"
RESCHEDULE_DAYS = ["Monday", "Friday"]
WAITING_STATUS = "Waiting on Dependent Task"
PLAN_STATUSES = ["Not Started", "In Progress", "Completed"]
# The template task's own picklists use core Task's values, so a copied value
# is always one the Task accepts (NPSP's "Medium" has no Task counterpart).
TASK_PRIORITIES = ["High", "Normal", "Low"]
TASK_TYPES = ["Call", "Meeting", "Other", "Email"]
TASK_STATUSES = ["Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred"]
WON_STAGE = "Closed Won"

TEMPLATE = ObjectType(
    "EngagementPlanTemplate",
    label="Engagement plan template",
    prefix="ept",
    sharing="public_read",
    description="A reusable sequence of follow-up tasks applied to a donor, volunteer or any plan target.",
    fields=[
        f.Text("name", max_length=80, required=True, indexed=True),
        f.LongText("description", max_length=32000),
        f.Boolean("skip_weekends", default=True, help="No due date lands on a Saturday or Sunday"),
        f.Picklist(
            "reschedule_to",
            RESCHEDULE_DAYS,
            default="Monday",
            help="Where a weekend due date moves when skip_weekends is on",
        ),
        f.Picklist(
            "default_assignee",
            [ASSIGN_TO_CREATOR, ASSIGN_TO_TARGET_OWNER],
            default=ASSIGN_TO_CREATOR,
            help="Who gets a task whose template task has no assignee",
        ),
        f.Boolean(
            "auto_update_due_dates",
            default=True,
            label="Automatically update child due dates",
            help="When a task closes, date its dependent tasks from that day",
        ),
    ],
)

TEMPLATE_TASK = ObjectType(
    "EngagementPlanTask",
    label="Engagement plan task",
    prefix="ett",
    sharing="controlled_by_parent",
    parent_field="template",
    name_field="subject",
    description="One step of an engagement plan template; a step with a parent waits for it.",
    fields=[
        f.Lookup("template", "EngagementPlanTemplate", required=True, on_delete="cascade"),
        f.Text("subject", max_length=255, required=True),
        f.Lookup(
            "parent_task",
            "EngagementPlanTask",
            on_delete="clear",
            help="The step this one waits for; deleting it makes this step top-level",
        ),
        f.Lookup("assigned_to", "User", on_delete="clear"),
        f.Integer(
            "days_after",
            min_value=0,
            max_value=999,
            help="Days after the plan's date, or after the parent's due date for a dependent step",
        ),
        f.Picklist("priority", TASK_PRIORITIES),
        f.Picklist("status", TASK_STATUSES),
        f.Picklist("type", TASK_TYPES),
        f.LongText("comments", max_length=32000),
        f.Boolean("reminder"),
        f.Integer(
            "reminder_time",
            min_value=0,
            max_value=1439,
            help="Minutes after midnight of the due date; blank means noon",
        ),
        f.Boolean("send_email", help="Notify the assignee when the task becomes active"),
    ],
)

PLAN = ObjectType(
    "EngagementPlan",
    label="Engagement plan",
    prefix="epl",
    sharing="controlled_by_parent",
    parent_field="template",
    description="A template applied to one target record: its tasks, counted as they close.",
    fields=[
        f.AutoNumber("name", "EP-{0000}"),
        f.Lookup("template", "EngagementPlanTemplate", required=True, on_delete="cascade"),
        # Any registered target type: checked against the target-type registry on save.
        f.Lookup("target", "*", on_delete="clear"),
        f.Text("target_type", max_length=63, read_only=True),
        f.Integer("total_tasks", read_only=True, default=0),
        f.Integer("completed_tasks", read_only=True, default=0),
        f.Picklist("status", PLAN_STATUSES, read_only=True, default="Not Started"),
    ],
)

LEVEL = ObjectType(
    "Level",
    prefix="lvl",
    sharing="public_read",
    description="A rung of a ladder: records whose source amount is in [minimum, maximum) get this level.",
    fields=[
        f.Text("name", max_length=80, required=True),
        f.Text("target", max_length=63, required=True, help="A plan target type, e.g. Contact or Account"),
        f.Text("source_field", max_length=63, required=True, help="A number field on the target"),
        f.Text(
            "level_field",
            max_length=63,
            required=True,
            help="The target's lookup to Level that holds the level; it names the ladder",
        ),
        f.Text(
            "previous_level_field", max_length=63, help="A second lookup to Level that keeps the last level"
        ),
        f.Decimal("minimum", 18, 2, help="Inclusive (>=); blank = no lower bound"),
        f.Decimal("maximum", 18, 2, help="Exclusive (<); blank = no upper bound"),
        f.Lookup("engagement_plan_template", "EngagementPlanTemplate", on_delete="clear"),
        f.Boolean("active", default=True),
        f.LongText("description", max_length=32000),
    ],
)

CAMPAIGN = ObjectType(
    "Campaign",
    prefix="cpg",
    sharing="public_read",
    description="A fundraising or outreach effort donations can be attributed to.",
    fields=[
        f.Text("name", max_length=80, required=True),
        f.Picklist("status", ["Planned", "In Progress", "Completed", "Aborted"], default="Planned"),
        f.Picklist("type", ["Appeal", "Event", "Email", "Direct Mail", "Other"], restricted=False),
        f.Date("start_date"),
        f.Date("end_date"),
        f.Currency("expected_revenue"),
        f.LongText("description", max_length=32000),
    ],
)

DONATION = ObjectType(
    "Donation",
    prefix="don",
    sharing="private",
    description="A gift or pledge from a contact or an organisation.",
    fields=[
        f.Text("name", max_length=120, help="Filled in from the donor and date when left blank"),
        f.Currency("amount", required=True, min_value=0),
        f.Date("close_date", required=True, indexed=True),
        f.Picklist("stage", ["Pledged", "Prospecting", WON_STAGE, "Closed Lost"], default=WON_STAGE),
        f.Lookup("contact", "Contact", on_delete="clear"),
        f.Lookup("account", "Account", on_delete="clear"),
        f.Lookup("campaign", "Campaign", on_delete="clear"),
    ],
)

# Gift rollups (kept up to date from won donations) and the default ladder's fields.
DONOR_FIELDS = [
    f.Currency("total_gifts", read_only=True, help="Sum of won donations"),
    f.Date("last_gift_date", read_only=True),
    f.Currency("last_gift_amount", read_only=True),
    f.Integer("number_of_gifts", read_only=True),
    f.Lookup("level", "Level", on_delete="clear"),
    f.Lookup("previous_level", "Level", on_delete="clear"),
]

TASK_FIELDS = [
    f.Lookup("engagement_plan", "EngagementPlan", on_delete="clear"),
    f.Lookup("engagement_plan_task", "EngagementPlanTask", on_delete="clear"),
]

OBJECTS = [TEMPLATE, TEMPLATE_TASK, PLAN, LEVEL, CAMPAIGN, DONATION]
