"""Applying an engagement plan template: one plan per target, its tasks in the same transaction.

A plan is created like any record (``session.create("EngagementPlan",
{"template": ..., "target": ...})``); its triggers check the target and
create the tasks, so the CLI, the levels job and a plain ``records create``
behave the same. ``apply_template`` is the bulk entry point.

Owners of the created tasks:

- the template step's assignee, if any;
- else, with "User creating the plan", the calling user; when the caller is
  the system context (the levels job) there is no person to give the work
  to, so the target's owner is used instead;
- else the target's owner. Records of a controlled-by-parent object have no
  owner of their own, so the parent chain is followed up to a record that
  has one. A target owned by a queue gives a queue-owned task when the queue
  may own Tasks (its ``objects`` list is blank or names Task), so the
  queue's members work it; otherwise the task goes to the calling user
  (upstream would put an unusable queue id on the task).
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections import defaultdict

from missionbase.core import UnknownName, ValidationError, chunks

from . import schedule
from .notifications import queue_assignment_emails
from .objects import ASSIGN_TO_CREATOR, PLAN_STATUSES, WAITING_STATUS

# Plans whose counts were set when they were created: the Task rollup
# trigger skips them while their own tasks are being inserted.
FRESH_PLANS: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "fresh_plans", default=frozenset()
)
MAX_PARENT_HOPS = 5
CLOSED_STATUSES = ("Completed",)


def plan_status(total: int, completed: int) -> str:
    """Completed when every task of the plan is closed, In Progress once one is.

    Counted against the plan's own tasks, not the template's current step
    count as upstream does: there, deleting a generated task (or adding a
    step to the template later) left the plan unable ever to complete.
    """
    if completed >= total:
        return PLAN_STATUSES[2]
    return PLAN_STATUSES[1] if completed > 0 else PLAN_STATUSES[0]


# -- loading ------------------------------------------------------------------------
def template_steps(session, template_ids) -> dict[str, dict[str, dict]]:
    """template id -> {step id -> step}, read as the caller."""
    out: dict[str, dict[str, dict]] = defaultdict(dict)
    for chunk in chunks(sorted(set(template_ids))):
        for step in session.query(
            "EngagementPlanTask", where={"template": {"in": chunk}}, order_by="id"
        ).records:
            out[step["template"]][step["id"]] = step
    return out


def _records(session, object_name: str, ids, fields: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for chunk in chunks(sorted(set(ids))):
        for record in session.query(object_name, where={"id": {"in": chunk}}, fields=fields).records:
            out[record["id"]] = record
    return out


def target_owners(session, target_ids) -> dict[str, str]:
    """target id -> owner id, following controlled-by-parent objects up their parent chain."""
    registry = session.registry
    owners: dict[str, str] = {}
    pending = {t: t for t in target_ids}  # record to look at -> the target it stands for
    for _ in range(MAX_PARENT_HOPS):
        by_object: dict[str, list[str]] = defaultdict(list)
        for record_id in pending:
            obj = registry.object_for_id(record_id)
            if obj is not None:
                by_object[obj.name].append(record_id)
        next_pending: dict[str, str] = {}
        for object_name, ids in by_object.items():
            obj = registry.object(object_name)
            parent = obj.parent_field if obj.sharing == "controlled_by_parent" else None
            found = _records(session, object_name, ids, [parent] if parent else ["owner_id"])
            for record_id, record in found.items():
                if parent:
                    if record.get(parent):
                        next_pending.setdefault(record[parent], pending[record_id])
                else:
                    owners.setdefault(pending[record_id], record["owner_id"])
        pending = next_pending
        if not pending:
            break
    return owners


def _queues_taking_tasks(session, owner_ids) -> set[str]:
    queue_ids = [o for o in owner_ids if o and o.startswith("que_")]
    if not queue_ids:
        return set()
    queues = _records(session, "Queue", queue_ids, ["objects"])
    return {
        qid
        for qid, q in queues.items()
        if not (q.get("objects") or "").strip()
        or "Task" in [part.strip() for part in (q.get("objects") or "").split(",")]
    }


def _time_zones(session, user_ids) -> dict[str, str]:
    users = [u for u in user_ids if u and u.startswith("usr_")]
    return {
        uid: u.get("time_zone") or "UTC" for uid, u in _records(session, "User", users, ["time_zone"]).items()
    }


# -- building tasks ------------------------------------------------------------------
def _field_default(session, object_name: str, field: str):
    return session.object(object_name).field(field).default


def prepare_steps(
    template: dict, steps: dict[str, dict], *, base: dt.date, default_priority: str, default_status: str
) -> list[tuple[dict, dict, bool]]:
    """Per step: (step, the Task values every plan of this template shares, whether it gets a reminder).

    Computed once per template and batch: plans created together share the
    base date, so they get the same dates (pure: a fresh dict per step).
    """
    days = schedule.offsets(steps)
    prepared = []
    for step_id, step in steps.items():
        due = schedule.due_date(base, days[step_id], template["skip_weekends"], template["reschedule_to"])
        dependent = bool(step.get("parent_task")) and step["parent_task"] in steps
        shared = {
            "subject": step["subject"],
            "priority": step.get("priority") or default_priority,
            "status": WAITING_STATUS if dependent else (step.get("status") or default_status),
            "type": step.get("type"),
            "description": step.get("comments"),
            "due_date": due,
            "engagement_plan_task": step_id,
            "is_reminder_set": False,
            "reminder_at": None,
        }
        prepared.append((step, shared, bool(step.get("reminder")) and not dependent))
    return prepared


def build_plan_tasks(
    plan: dict, prepared, *, owner_of_step, time_zone_of, target_is_person: bool
) -> list[dict]:
    """The Task rows of one plan (pure: everything it needs is passed in)."""
    link = "who" if target_is_person else "what"
    rows = []
    for step, shared, reminder in prepared:
        owner = owner_of_step(step)
        row = {**shared, "owner_id": owner, "engagement_plan": plan["id"], link: plan["target"]}
        if reminder:
            row["is_reminder_set"] = True
            row["reminder_at"] = schedule.reminder_at(
                shared["due_date"], step.get("reminder_time"), time_zone_of(owner)
            )
        rows.append(row)
    return rows


def initial_counts(steps: dict[str, dict], default_status: str) -> tuple[int, int]:
    """(total, completed) of a new plan's tasks: dependents start waiting, so never closed."""
    completed = sum(
        1
        for s in steps.values()
        if s.get("parent_task") not in steps and (s.get("status") or default_status) in CLOSED_STATUSES
    )
    return len(steps), completed


# -- triggers ----------------------------------------------------------------------------
def check_plan_target(ctx, rows) -> None:
    """Exactly one target, of a registered target type; before insert."""
    targets = ctx.session.registry.target_types
    for index, row in enumerate(rows):
        target = row.new.get("target")
        if not target:
            raise ValidationError(
                f"is required: a plan needs exactly one target record ({', '.join(sorted(targets))})",
                object_name="EngagementPlan",
                row=index,
                field="target",
            )
        obj = ctx.session.registry.object_for_id(target)
        if obj is None or obj.name not in targets:
            kind = obj.name if obj else "unknown object"
            raise ValidationError(
                f"{target} is a {kind} record; plans can target {', '.join(sorted(targets))}",
                object_name="EngagementPlan",
                row=index,
                field="target",
            )
        row.new["target_type"] = obj.name


def keep_plan_target(ctx, rows) -> None:
    """A plan's target and template never change; before update."""
    for index, row in enumerate(rows):
        for field in ("target", "template"):
            if row.changed(field):
                raise ValidationError(
                    f"cannot change (from {row.old.get(field)} to {row.new.get(field)}); "
                    "create a new engagement plan instead",
                    object_name="EngagementPlan",
                    row=index,
                    field=field,
                )


def count_new_plan_tasks(ctx, rows) -> None:
    """Set a new plan's counts and status from its template; before insert."""
    session = ctx.session
    steps_by_template = template_steps(session, [r.new["template"] for r in rows])
    default_status = _field_default(session, "Task", "status")
    for row in rows:
        total, completed = initial_counts(steps_by_template.get(row.new["template"], {}), default_status)
        row.new.update(total_tasks=total, completed_tasks=completed, status=plan_status(total, completed))


def create_plan_tasks(ctx, rows) -> None:
    """Create every plan's tasks in the caller's transaction; after insert."""
    session = ctx.session
    plans = [r.new for r in rows]
    templates = _records(
        session,
        "EngagementPlanTemplate",
        {p["template"] for p in plans},
        ["skip_weekends", "reschedule_to", "default_assignee"],
    )
    steps_by_template = template_steps(session, templates)
    if not any(steps_by_template.values()):
        return
    target_ids = [p["target"] for p in plans]
    creator = None if session.user.is_system else session.user.id
    needs_owner = any(
        not step.get("assigned_to")
        and (creator is None or templates[p["template"]]["default_assignee"] != ASSIGN_TO_CREATOR)
        for p in plans
        for step in steps_by_template.get(p["template"], {}).values()
    )
    owners = target_owners(session, target_ids) if needs_owner else {}
    queues_ok = _queues_taking_tasks(session, set(owners.values()))
    fallback = creator or session.user.id

    def owner_for(plan: dict, template: dict):
        target_owner = owners.get(plan["target"])
        if target_owner and target_owner.startswith("que_") and target_owner not in queues_ok:
            target_owner = None
        use_creator = creator is not None and template["default_assignee"] == ASSIGN_TO_CREATOR

        def owner_of_step(step: dict) -> str:
            if step.get("assigned_to"):
                return step["assigned_to"]
            if use_creator:
                return creator
            return target_owner or fallback

        return owner_of_step

    assignees = {s.get("assigned_to") for steps in steps_by_template.values() for s in steps.values()}
    zones = _time_zones(session, {*assignees, *owners.values(), fallback})
    own_zone = session.user.time_zone if not session.user.is_system else session.app.settings.time_zone

    def time_zone_of(owner: str) -> str:
        return zones.get(owner, own_zone)

    base = schedule.today(session.app.settings.time_zone)
    default_priority = _field_default(session, "Task", "priority")
    default_status = _field_default(session, "Task", "status")
    prepared = {
        tid: prepare_steps(
            templates[tid], steps, base=base, default_priority=default_priority, default_status=default_status
        )
        for tid, steps in steps_by_template.items()
    }
    task_rows: list[dict] = []
    for plan in plans:
        template = templates[plan["template"]]
        target_obj = session.registry.object_for_id(plan["target"])
        task_rows += build_plan_tasks(
            plan,
            prepared.get(plan["template"], []),
            owner_of_step=owner_for(plan, template),
            time_zone_of=time_zone_of,
            target_is_person=target_obj.name == "Contact",
        )
    token = FRESH_PLANS.set(FRESH_PLANS.get() | {p["id"] for p in plans})
    try:
        created = session.create_many("Task", task_rows)
    finally:
        FRESH_PLANS.reset(token)
    emailing = {
        sid for steps in steps_by_template.values() for sid, s in steps.items() if s.get("send_email")
    }
    if emailing:
        active = [
            t for t in created if t["engagement_plan_task"] in emailing and t["status"] != WAITING_STATUS
        ]
        queue_assignment_emails(session, active, {p["id"]: p["name"] for p in plans})


# -- the bulk entry point --------------------------------------------------------------
def find_template(session, name_or_id: str) -> dict:
    """A template by id or exact name; one clear error otherwise."""
    if name_or_id.startswith("ept_"):
        return session.get(name_or_id)
    found = session.query("EngagementPlanTemplate", where={"name": name_or_id}, limit=2).records
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise ValidationError(f"two templates are named {name_or_id!r}; give the template id instead")
    names = [t["name"] for t in session.query("EngagementPlanTemplate", fields=["name"], limit=200).records]
    raise UnknownName("engagement plan template", name_or_id, names)


def apply_template(session, template: str, target_ids: list[str]) -> list[dict]:
    """One plan per target (all or nothing); returns the plans."""
    template_id = find_template(session, template)["id"]
    if not target_ids:
        raise ValidationError("give at least one target record id")
    seen: set[str] = set()
    for target in target_ids:
        if target in seen:
            raise ValidationError(f"target {target} is given twice; a record gets one plan per apply")
        seen.add(target)
    return session.create_many("EngagementPlan", [{"template": template_id, "target": t} for t in target_ids])
