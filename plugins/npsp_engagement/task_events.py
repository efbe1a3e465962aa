"""What happens to plans when their Tasks change: counts, status and dependent activation.

Both are done by the system on the caller's behalf (``session.as_system()``,
in the caller's transaction): whoever closes a task may not be allowed to
edit the plan's counters or see the teammates' tasks that now become active.
"""

from __future__ import annotations

from collections import defaultdict

from missionbase.core import chunks

from . import schedule
from .notifications import queue_assignment_emails
from .objects import WAITING_STATUS
from .plans import FRESH_PLANS, plan_status, template_steps


# -- counts and status --------------------------------------------------------------
def _plan_ids(rows, *, changed_only: bool) -> set[str]:
    fresh = FRESH_PLANS.get()
    out: set[str] = set()
    for row in rows:
        if changed_only and not (row.changed("engagement_plan") or row.changed("is_closed")):
            continue
        for values in (row.new, row.old):
            plan = values.get("engagement_plan") if values else None
            if plan and plan not in fresh:
                out.add(plan)
    return out


def recount_plans(session, plan_ids) -> None:
    """Recompute total/completed/status of these plans from their tasks (set-based)."""
    system = session.as_system()
    plan_ids = sorted(plan_ids)
    for chunk in chunks(plan_ids):
        counts = {pid: [0, 0] for pid in chunk}
        tasks = system.query(
            "Task", where={"engagement_plan": {"in": chunk}}, fields=["engagement_plan", "is_closed"]
        ).records
        for task in tasks:
            counts[task["engagement_plan"]][0] += 1
            counts[task["engagement_plan"]][1] += 1 if task["is_closed"] else 0
        plans = system.query(
            "EngagementPlan", where={"id": {"in": chunk}}, fields=["total_tasks", "completed_tasks", "status"]
        ).records
        changes, computed = [], {}
        for plan in plans:
            total, completed = counts[plan["id"]]
            values = {
                "total_tasks": total,
                "completed_tasks": completed,
                "status": plan_status(total, completed),
            }
            if any(plan[k] != v for k, v in values.items()):
                changes.append({"id": plan["id"]})
                computed[plan["id"]] = values
        if changes:
            system.update_many(changes, computed=computed)


def recount_after_insert(ctx, rows) -> None:
    recount_plans(ctx.session, _plan_ids(rows, changed_only=False))


def recount_after_update(ctx, rows) -> None:
    recount_plans(ctx.session, _plan_ids(rows, changed_only=True))


def recount_after_delete(ctx, rows) -> None:
    recount_plans(ctx.session, _plan_ids(rows, changed_only=False))


# -- dependent activation ---------------------------------------------------------------
def activate_dependents(ctx, rows) -> None:
    """A plan task that closes activates its direct children and re-dates deeper ones.

    Values come from the template as it is now. Only tasks still waiting
    are touched: a dependent task someone already started or finished by
    hand keeps its status. Closing a task whose plan (or dependent task)
    was deleted does nothing.
    """
    closing = [
        r.new
        for r in rows
        if r.new.get("is_closed")
        and not r.old.get("is_closed")
        and r.new.get("engagement_plan")
        and r.new.get("engagement_plan_task")
    ]
    if not closing:
        return
    session = ctx.session
    system = session.as_system()
    plans = {
        p["id"]: p
        for p in system.query(
            "EngagementPlan",
            where={"id": {"in": sorted({t["engagement_plan"] for t in closing})}},
            fields=["template"],
        ).records
    }
    if not plans:
        return
    template_ids = sorted({p["template"] for p in plans.values()})
    templates = {
        t["id"]: t
        for t in system.query(
            "EngagementPlanTemplate",
            where={"id": {"in": template_ids}},
            fields=["skip_weekends", "reschedule_to", "auto_update_due_dates"],
        ).records
    }
    steps_by_template = template_steps(system, template_ids)
    today = schedule.today(session.app.settings.time_zone)
    default_status = session.object("Task").field("status").default

    wanted: dict[tuple[str, str], dict] = {}  # (plan, step) -> the values to set
    emailed: set[tuple[str, str]] = set()  # direct children whose assignee is told
    for task in closing:
        plan = plans.get(task["engagement_plan"])
        if plan is None:
            continue
        template = templates[plan["template"]]
        steps = steps_by_template.get(plan["template"], {})
        children: dict[str | None, list[str]] = defaultdict(list)
        for step_id, step in steps.items():
            children[step.get("parent_task")].append(step_id)
        move = (template["skip_weekends"], template["reschedule_to"])
        for child_id in children.get(task["engagement_plan_task"], []):
            child = steps[child_id]
            values: dict = {"status": child.get("status") or default_status, "_step": child}
            if template["auto_update_due_dates"]:
                values["due_date"] = schedule.due_date(today, child.get("days_after") or 0, *move)
            wanted[(plan["id"], child_id)] = values
            if child.get("send_email"):
                emailed.add((plan["id"], child_id))
            if not template["auto_update_due_dates"]:
                continue
            days = {child_id: 0}
            for below in schedule.descendants(children, child_id):
                days[below] = days[steps[below]["parent_task"]] + (steps[below].get("days_after") or 0)
                wanted.setdefault(
                    (plan["id"], below),
                    {
                        "due_date": schedule.due_date(
                            today, (child.get("days_after") or 0) + days[below], *move
                        )
                    },
                )
    if not wanted:
        return
    plan_ids = sorted({plan for plan, _ in wanted})
    step_ids = sorted({step for _, step in wanted})
    targets = system.query(
        "Task",
        where={
            "engagement_plan": {"in": plan_ids},
            "engagement_plan_task": {"in": step_ids},
            "status": WAITING_STATUS,
        },
        fields=["engagement_plan", "engagement_plan_task", "due_date", "owner_id"],
    ).records
    owners = {t["id"]: t["owner_id"] for t in targets}
    zones = (
        {
            u["id"]: u.get("time_zone")
            for u in system.query(
                "User",
                where={"id": {"in": sorted({o for o in owners.values() if o.startswith("usr_")})}},
                fields=["time_zone"],
            ).records
        }
        if owners
        else {}
    )
    fallback_zone = session.user.time_zone
    changes = []
    for task in targets:
        values = dict(wanted.get((task["engagement_plan"], task["engagement_plan_task"]), {}))
        step = values.pop("_step", None)
        if step is not None and step.get("reminder"):
            due = values.get("due_date") or task["due_date"]
            zone = zones.get(owners.get(task["id"]), fallback_zone)
            values["is_reminder_set"] = True
            values["reminder_at"] = schedule.reminder_at(due, step.get("reminder_time"), zone)
        if values:
            changes.append({"id": task["id"], **values})
    if not changes:
        return
    updated = system.update_many(changes)
    emailing = [t for t in updated if (t["engagement_plan"], t["engagement_plan_task"]) in emailed]
    if emailing:
        names = {
            p["id"]: p["name"]
            for p in system.query(
                "EngagementPlan",
                where={"id": {"in": sorted({t["engagement_plan"] for t in emailing})}},
                fields=["name"],
            ).records
        }
        queue_assignment_emails(session, emailing, names)
