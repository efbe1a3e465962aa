"""Case plans: goals and action items, created from templates or by hand.

A plan's status dates are stamped when it enters In Progress, Completed or
Abandoned (and kept: a plan reopened from Completed keeps when it was first
completed until it completes again). Goals and action items carry their
plan's client, so "everything about this client" is one lookup away.
"""

from __future__ import annotations

import datetime as dt

from missionbase.core import ValidationError

STATUS_DATES = {
    "In Progress": "in_progress_date",
    "Completed": "completed_date",
    "Abandoned": "abandoned_date",
}


def stamp_plan_dates(ctx, rows) -> None:
    """CasePlan before_insert / before_update."""
    today = dt.date.today()
    for row in rows:
        status = row.new.get("status")
        if row.changed("status") and status in STATUS_DATES:
            row.new[STATUS_DATES[status]] = today


def copy_plan_client(ctx, rows) -> None:
    """CaseGoal / ActionItem before_insert / before_update: the client is the plan's."""
    plan_ids = sorted({row.new["case_plan"] for row in rows if row.new.get("case_plan")})
    plans = ctx.session.get_many(plan_ids) if plan_ids else {}
    goal_ids = sorted({row.new["goal"] for row in rows if row.new.get("goal")})
    goals = ctx.session.get_many(goal_ids) if goal_ids else {}
    for index, row in enumerate(rows):
        plan = plans.get(row.new.get("case_plan"))
        if plan is not None:
            row.new["contact"] = plan["contact"]
        goal = goals.get(row.new.get("goal"))
        if goal is not None and goal["case_plan"] != row.new.get("case_plan"):
            raise ValidationError(
                f"goal {goal['id']} belongs to another case plan ({goal['case_plan']})",
                object_name=ctx.object.name,
                row=index,
                field="goal",
            )


def add_goal_from_template(
    session,
    plan_id: str,
    goal_template_id: str,
    *,
    include_optional: bool = False,
    today: dt.date | None = None,
) -> dict:
    """Add a goal to a plan from a template, with the template's required action items
    (and the optional ones when asked), due ``due_in_days`` after today."""
    today = today or dt.date.today()
    if not str(goal_template_id).startswith(session.object("GoalTemplate").prefix + "_"):
        raise ValidationError(
            f"{goal_template_id} is not a goal template", object_name="CaseGoal", field="goal_template"
        )
    plan = session.get(plan_id)
    template = session.get(goal_template_id)
    links = session.query(
        "GoalActionItemTemplate",
        {"goal_template": goal_template_id},
        fields=["action_item_template", "is_required", "sort_order"],
        order_by=["sort_order", "created_at"],
    ).records
    links = [link for link in links if link["is_required"] or include_optional]
    item_templates = session.get_many([link["action_item_template"] for link in links]) if links else {}
    goal = session.create(
        "CaseGoal", {"name": template["name"], "case_plan": plan["id"], "goal_template": goal_template_id}
    )
    rows = []
    for link in links:
        item = item_templates[link["action_item_template"]]
        days = item.get("due_in_days")
        rows.append(
            {
                "name": item["name"],
                "case_plan": plan["id"],
                "goal": goal["id"],
                "action_item_template": item["id"],
                "due_date": today + dt.timedelta(days=days) if days is not None else None,
            }
        )
    goal["action_items"] = session.create_many("ActionItem", rows) if rows else []
    return goal


def plan_outline(session, plan_id: str) -> dict:
    """A plan with its goals and each goal's action items (items without a goal last)."""
    plan = session.get(plan_id)
    goals = session.query("CaseGoal", {"case_plan": plan_id}, order_by="created_at").records
    items = session.query("ActionItem", {"case_plan": plan_id}, order_by=["due_date", "created_at"]).records
    by_goal: dict = {g["id"]: [] for g in goals}
    loose = []
    for item in items:
        by_goal.get(item.get("goal"), loose).append(item)
    plan["goals"] = [{**g, "action_items": by_goal[g["id"]]} for g in goals]
    plan["other_action_items"] = loose
    return plan
