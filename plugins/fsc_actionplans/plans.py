"""Creating action plans from a published template version, and keeping their state.

``create_plans`` applies one template to one or many target records in the
caller's session: for each target one ActionPlan, one Task or Document
Checklist Item per template item (minus excluded items, plus ad-hoc ones),
and one ActionPlanItem linking each. Rows are written with one
``create_many`` per object per chunk of targets; owners, team roles and the
working calendar are loaded once for the whole call.

State roll-up (what the system does, in the caller's transaction):

- an item follows its Task (Not Started -> Pending, Completed -> Completed,
  any other open status -> In Progress) or its document (New -> Pending,
  Pending Review or Rejected -> In Progress, Accepted -> Completed); a
  deleted Task makes the item Deleted;
- a plan is Not Started until an item starts, In Progress once one has,
  Complete when every required item is Completed, and Canceled only by
  ``cancel_plan``, which cancels its open items.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from missionbase.core import ValidationError

from . import templates as tpl
from .assignment import Assignees, load_assignees
from .duedates import DueDates, load_due_dates
from .objects import DOCUMENT_KIND, ITEM_VALUE_FIELDS, TASK_KIND
from .transaction import one_operation

OPEN_ITEM_STATES = ("Pending", "In Progress")
FINAL_ITEM_STATES = ("Completed", "Canceled", "Deleted")
CHUNK_TARGETS = 1000


@dataclass
class ItemSpec:
    """One item a plan will get: from the template, or ad hoc."""

    name: str
    kind: str
    required: bool
    display_order: int
    values: dict[str, str]
    template_item: str | None = None

    @property
    def offset(self) -> int | None:
        value = self.values.get("due_offset")
        return int(value) if value not in (None, "") else None


@dataclass
class PreparedPlans:
    """Everything checked and loaded before the first row is written."""

    template: dict
    version: dict
    specs: list[ItemSpec]
    targets: list[dict]
    start_date: dt.date
    skip_nonworking: bool
    assignees: Assignees
    due_dates: DueDates
    name: str | None = None
    created: list[dict] = field(default_factory=list)


# -- pure functions ---------------------------------------------------------------------


def item_state_for_task(status: str | None) -> str:
    if status == "Completed":
        return "Completed"
    if status in (None, "Not Started"):
        return "Pending"
    return "In Progress"


def item_state_for_document(status: str | None) -> str:
    return {"Accepted": "Completed", "Pending Review": "In Progress", "Rejected": "In Progress"}.get(
        status or "", "Pending"
    )


def plan_state(items: Iterable[tuple[bool, str]], current: str = "Not Started") -> str:
    """The state a plan's items give it; ``items`` are (required, state) pairs.

    Items that were Canceled or Deleted are left out. Unlike NPSP's
    count-based status, a plan with no items is not Complete, and one with
    only optional items is Complete when all of them are.
    """
    if current == "Canceled":
        return "Canceled"
    live = [(required, state) for required, state in items if state not in ("Canceled", "Deleted")]
    if not live:
        return "Not Started"
    required = [state for is_required, state in live if is_required] or [state for _, state in live]
    if all(state == "Completed" for state in required):
        return "Complete"
    if any(state != "Pending" for _, state in live):
        return "In Progress"
    return "Not Started"


def default_plan_name(template: dict, target: dict, target_obj) -> str:
    label = target.get(target_obj.name_field) if target_obj.name_field else None
    return f"{template['name']} - {label or target['id']}"[:255]


# -- preparing ----------------------------------------------------------------------------


def prepare_plans(
    session,
    template_ref: str,
    target_ids: Sequence[str],
    *,
    start_date: dt.date | None = None,
    skip_nonworking: bool = False,
    exclude: Sequence[str] = (),
    adhoc: Sequence[dict] = (),
    name: str | None = None,
) -> PreparedPlans:
    """Check the request and load what creating the plans needs; raises one clear error."""
    template = tpl.find_template(session, template_ref)
    version = tpl.published_version(session, template)
    if not target_ids:
        raise ValidationError("name at least one target record (--target ID)", object_name="ActionPlan")
    duplicates = sorted(t for t, n in Counter(target_ids).items() if n > 1)
    if duplicates:
        raise ValidationError(
            f"target {duplicates[0]} is named twice; one plan per target per call",
            object_name="ActionPlan",
            field="target",
        )
    targets = load_targets(session, template, list(target_ids))
    specs = template_specs(session, version, exclude)
    if adhoc:
        if not template.get("allow_adhoc_items"):
            raise ValidationError(
                f"template {template['unique_name']} does not allow ad-hoc items (allow_adhoc_items is off)",
                object_name="ActionPlan",
            )
        specs += adhoc_specs(session, adhoc, start_order=max((s.display_order for s in specs), default=0))
    if not specs:
        raise ValidationError(
            f"template {template['unique_name']} leaves no item to create", object_name="ActionPlan"
        )
    start = start_date or dt.date.today()
    assignees = load_assignees(session, [s.values.get("owner") for s in specs], [t["id"] for t in targets])
    offsets = [s.offset for s in specs]
    due = load_due_dates(session, start, offsets, skip_nonworking=skip_nonworking)
    return PreparedPlans(template, version, specs, targets, start, skip_nonworking, assignees, due, name)


def load_targets(session, template: dict, target_ids: list[str]) -> list[dict]:
    """The targets, in the caller's order: each must be of the template's type and readable."""
    wanted = template["target_type"]
    for target_id in target_ids:
        obj = session.registry.object_for_id(target_id) if isinstance(target_id, str) else None
        if obj is None or obj.name != wanted:
            what = f"a {obj.name}" if obj is not None else "not a record id"
            raise ValidationError(
                f"target {target_id} is {what}; template {template['unique_name']} targets {wanted}",
                object_name="ActionPlan",
                field="target",
            )
    obj = session.registry.object(wanted)
    fields = [obj.name_field] if obj.name_field else None
    found: dict[str, dict] = {}
    for start in range(0, len(target_ids), 500):
        chunk = target_ids[start : start + 500]
        for record in session.query(wanted, where={"id": {"in": chunk}}, fields=fields).records:
            found[record["id"]] = record
    for target_id in target_ids:
        if target_id not in found:
            raise ValidationError(
                f"{wanted} {target_id} does not exist (or you cannot see it)",
                object_name="ActionPlan",
                field="target",
            )
    return [found[t] for t in target_ids]


def template_specs(session, version: dict, exclude: Sequence[str]) -> list[ItemSpec]:
    items = tpl.items_of(session, version["id"], active_only=True)
    values = tpl.values_of(session, [i["id"] for i in items])
    by_ref = {**{i["id"]: i for i in items}, **{i["name"]: i for i in items}}
    excluded = set()
    for ref in exclude:
        item = by_ref.get(ref)
        if item is None:
            names = ", ".join(repr(i["name"]) for i in items)
            raise ValidationError(
                f"excluded item {ref!r} is not an active item of {version['name']}; items: {names}",
                object_name="ActionPlan",
            )
        if item["required"]:
            raise ValidationError(
                f"item {item['name']!r} is required, so it cannot be excluded", object_name="ActionPlan"
            )
        excluded.add(item["id"])
    return [
        ItemSpec(i["name"], i["kind"], bool(i["required"]), i["display_order"] or 0, values[i["id"]], i["id"])
        for i in items
        if i["id"] not in excluded
    ]


def adhoc_specs(session, adhoc: Sequence[dict], *, start_order: int) -> list[ItemSpec]:
    max_offset = session.get_setting("actionplans.max_due_offset_days")
    task_obj = session.registry.object("Task")
    specs = []
    for index, raw in enumerate(adhoc):
        if not isinstance(raw, dict) or not raw.get("name"):
            raise ValidationError(f"ad-hoc item {index} needs a name", object_name="ActionPlanItem")
        kind = tpl.normalise_kind(raw.get("kind", TASK_KIND))
        unknown = sorted(set(raw) - {"name", "kind", "required", *ITEM_VALUE_FIELDS[kind]})
        if unknown:
            raise ValidationError(
                f"ad-hoc item {raw['name']!r}: {unknown[0]!r} is not something a {kind} item can set; it can set "
                f"name, required, {', '.join(ITEM_VALUE_FIELDS[kind])}",
                object_name="ActionPlanItem",
            )
        values = {}
        for key in ITEM_VALUE_FIELDS[kind]:
            if raw.get(key) in (None, ""):
                continue
            value = tpl.resolve_value_names(session, key, tpl._text(raw[key]))
            problem = tpl.value_problem(kind, key, value, max_offset=max_offset, task_obj=task_obj)
            if problem:
                raise ValidationError(
                    f"ad-hoc item {raw['name']!r}: {problem}", object_name="ActionPlanItem", field=key
                )
            values[key] = value
        specs.append(ItemSpec(raw["name"], kind, bool(raw.get("required")), start_order + index + 1, values))
    return specs


def preview_plans(session, prepared: PreparedPlans) -> dict:
    """What creating the prepared plans would write: each plan's name and target, and the
    items every plan gets with their due dates (a dry run writes nothing)."""
    target_obj = session.registry.object(prepared.template["target_type"])
    return {
        "version": prepared.version["name"],
        "plans": [
            {"target": t["id"], "name": prepared.name or default_plan_name(prepared.template, t, target_obj)}
            for t in prepared.targets
        ],
        "items": [
            {
                "name": spec.name,
                "kind": spec.kind,
                "required": spec.required,
                "due_date": prepared.due_dates.due(spec.offset),
                "adhoc": spec.template_item is None,
            }
            for spec in prepared.specs
        ],
    }


# -- creating ------------------------------------------------------------------------------


def create_plans(session, template_ref: str, target_ids: Sequence[str], **options: Any) -> list[dict]:
    """Create one plan per target in the caller's session (one transaction); returns the plans."""
    return apply_template(session, template_ref, target_ids, **options)["plans"]


@one_operation
def apply_template(
    session, template_ref: str, target_ids: Sequence[str], *, dry_run: bool = False, **options: Any
) -> dict:
    """Create one plan per target: the version used, the plans and the items each got.

    With ``dry_run`` everything is checked the same way and nothing is written:
    ``plans`` then lists the name and target of each plan that would be created.
    """
    prepared = prepare_plans(session, template_ref, target_ids, **options)
    preview = preview_plans(session, prepared)
    if dry_run:
        return preview
    for start in range(0, len(prepared.targets), CHUNK_TARGETS):
        write_plans(session, prepared, prepared.targets[start : start + CHUNK_TARGETS])
    return {**preview, "plans": prepared.created}


@one_operation
def write_plans(session, prepared: PreparedPlans, targets: list[dict]) -> list[dict]:
    """Write the plans of ``targets``: plans, tasks, documents, plan items (a few create_many calls)."""
    template, version, specs = prepared.template, prepared.version, prepared.specs
    target_obj = session.registry.object(template["target_type"])
    is_contact = target_obj.name == "Contact"
    due = [prepared.due_dates.due(spec.offset) for spec in specs]
    task_specs = [(i, s) for i, s in enumerate(specs) if s.kind == TASK_KIND]
    doc_specs = [(i, s) for i, s in enumerate(specs) if s.kind == DOCUMENT_KIND]
    task_templates = [(i, _task_values(s, due[i])) for i, s in task_specs]
    doc_templates = [(i, _document_values(s)) for i, s in doc_specs]
    initial_states = [
        item_state_for_task(s.values.get("status")) if s.kind == TASK_KIND else "Pending" for s in specs
    ]
    state = plan_state([(s.required, st) for s, st in zip(specs, initial_states, strict=True)])

    plans = session.create_many(
        "ActionPlan",
        [
            {
                "name": prepared.name or default_plan_name(template, t, target_obj),
                "target": t["id"],
                "template_version": version["id"],
                "start_date": prepared.start_date,
                "skip_nonworking_days": prepared.skip_nonworking,
            }
            for t in targets
        ],
        computed=[{"state": state}] * len(targets),
    )
    resolve = prepared.assignees.resolve
    link = "who" if is_contact else "what"
    task_rows, doc_rows = [], []
    for target in targets:
        target_id = target["id"]
        for i, values in task_templates:
            task_rows.append(
                {**values, link: target_id, "owner_id": resolve(specs[i].values.get("owner"), target_id)}
            )
        for i, values in doc_templates:
            doc_rows.append(
                {**values, "parent": target_id, "owner_id": resolve(specs[i].values.get("owner"), target_id)}
            )
    tasks = session.create_many("Task", task_rows) if task_rows else []
    documents = session.create_many("DocumentChecklistItem", doc_rows) if doc_rows else []
    item_rows, computed = [], []
    task_iter, doc_iter = iter(tasks), iter(documents)
    for plan in plans:
        created_for_plan: dict[int, dict] = {}
        for i, _ in task_templates:
            created_for_plan[i] = {"task": next(task_iter)["id"]}
        for i, _ in doc_templates:
            created_for_plan[i] = {"document": next(doc_iter)["id"]}
        for i, spec in enumerate(specs):
            item_rows.append(
                {
                    "plan": plan["id"],
                    "template_item": spec.template_item,
                    "name": spec.name,
                    "kind": spec.kind,
                    "required": spec.required,
                    "display_order": spec.display_order,
                    "due_date": due[i],
                }
            )
            computed.append(
                {**created_for_plan[i], "is_adhoc": spec.template_item is None, "state": initial_states[i]}
            )
    # The creator may not see a Task they just gave to a colleague or a queue, so the
    # system links the items (owned by the creator) once the creator's right is checked.
    if not session.user.is_system:
        session.policy.check_object(session, "ActionPlanItem", "create")
    for row in item_rows:
        row["owner_id"] = session.user.id
    session.as_system().create_many("ActionPlanItem", item_rows, computed=computed)
    prepared.created.extend(plans)
    return plans


def _task_values(spec: ItemSpec, due: dt.date | None) -> dict:
    values = {"subject": spec.values.get("subject") or spec.name, "due_date": due}
    for key in ("priority", "status", "description"):
        if spec.values.get(key):
            values[key] = spec.values[key]
    return values


def _document_values(spec: ItemSpec) -> dict:
    values = {"name": spec.values.get("subject") or spec.name, "required": spec.required}
    if spec.values.get("document_type"):
        values["document_type"] = spec.values["document_type"]
    if spec.values.get("instructions"):
        values["instructions"] = spec.values["instructions"]
    return values


# -- roll-up -----------------------------------------------------------------------------


def set_item_states(system, new_states: dict[str, str]) -> None:
    """Write item states (system) and roll the plans they belong to up."""
    if not new_states:
        return
    items = system.get_many(sorted(new_states))
    changes = [item_id for item_id, state in new_states.items() if items[item_id]["state"] != state]
    if changes:
        system.update_many(
            [{"id": i} for i in changes], computed={i: {"state": new_states[i]} for i in changes}
        )
    rollup_plans(system, {items[i]["plan"] for i in new_states})


def rollup_plans(system, plan_ids: Iterable[str]) -> None:
    plan_ids = sorted(set(plan_ids))
    if not plan_ids:
        return
    items: dict[str, list[tuple[bool, str]]] = {p: [] for p in plan_ids}
    for start in range(0, len(plan_ids), 500):
        for item in system.query(
            "ActionPlanItem",
            where={"plan": {"in": plan_ids[start : start + 500]}},
            fields=["plan", "required", "state"],
        ).records:
            items[item["plan"]].append((bool(item["required"]), item["state"]))
    plans = system.get_many(plan_ids)
    changes = {}
    for plan_id, plan in plans.items():
        state = plan_state(items[plan_id], plan["state"])
        if state != plan["state"]:
            changes[plan_id] = {
                "state": state,
                "completed_at": dt.datetime.now(dt.UTC) if state == "Complete" else None,
            }
    if changes:
        system.update_many([{"id": p} for p in changes], computed=changes)


def items_for(system, field_name: str, ids: list[str]) -> list[dict]:
    out = []
    for start in range(0, len(ids), 500):
        out += system.query(
            "ActionPlanItem",
            where={field_name: {"in": ids[start : start + 500]}},
            fields=["plan", "state", "task", "document"],
        ).records
    return out


def sync_items_with_tasks(ctx, rows) -> None:
    """Task status changes move their plan items (trigger: Task after_update / after_undelete)."""
    status = {
        row.new["id"]: row.new.get("status")
        for row in rows
        if ctx.event == "after_undelete" or row.changed("status")
    }
    if not status:
        return
    system = ctx.session.as_system()
    items = items_for(system, "task", sorted(status))
    set_item_states(
        system,
        {
            item["id"]: item_state_for_task(status[item["task"]])
            for item in items
            if item["state"] not in ("Canceled",)
            and (item["state"] != "Deleted" or ctx.event == "after_undelete")
        },
    )


def mark_items_of_deleted_tasks(ctx, rows) -> None:
    """A deleted Task's plan item becomes Deleted (trigger: Task before_delete, while the link still exists)."""
    system = ctx.session.as_system()
    items = items_for(system, "task", [row.old["id"] for row in rows])
    set_item_states(system, {item["id"]: "Deleted" for item in items if item["state"] != "Canceled"})


def check_plan_insert(ctx, rows) -> None:
    """A plan needs a Published version and a target of its template's type; it records both."""
    system = ctx.session.as_system()
    versions = system.get_many(sorted({row.new["template_version"] for row in rows}))
    templates = system.get_many(sorted({v["template"] for v in versions.values()}))
    for index, row in enumerate(rows):
        version = versions.get(row.new["template_version"])
        if version is None or version["status"] != "Published":
            status = version["status"] if version else "missing"
            raise ValidationError(
                f"plans are created from a Published version only; {version['name'] if version else row.new['template_version']}"
                f" is {status}",
                object_name="ActionPlan",
                row=index,
                field="template_version",
            )
        template = templates[version["template"]]
        target_obj = ctx.session.registry.object_for_id(row.new["target"])
        wanted = template["target_type"]
        if target_obj is None or target_obj.name != wanted:
            raise ValidationError(
                f"target {row.new['target']} is not a {wanted}; template {template['unique_name']} targets {wanted}",
                object_name="ActionPlan",
                row=index,
                field="target",
            )
        row.new["template"] = template["id"]
        row.new["target_type"] = wanted


def check_plan_update(ctx, rows) -> None:
    for index, row in enumerate(rows):
        for name in ("target", "template_version"):
            if row.changed(name):
                raise ValidationError(
                    f"a plan keeps its {name} for ever; create a new plan instead",
                    object_name="ActionPlan",
                    row=index,
                    field=name,
                )


# -- cancel and show -----------------------------------------------------------------------


@one_operation
def cancel_plan(session, plan_id: str) -> dict:
    """Cancel a plan (the caller must be able to edit it) and its open items."""
    plan = session.get(plan_id)
    if plan["state"] in ("Complete", "Canceled"):
        raise ValidationError(
            f"plan {plan['name']} is {plan['state']}; only an open plan can be canceled",
            object_name="ActionPlan",
        )
    updated = session.update(plan_id, {}, computed={"state": "Canceled"})
    system = session.as_system()
    items = system.query(
        "ActionPlanItem", where={"plan": plan_id, "state": {"in": list(OPEN_ITEM_STATES)}}, fields=["id"]
    ).records
    if items:
        system.update_many(
            [{"id": i["id"]} for i in items], computed={i["id"]: {"state": "Canceled"} for i in items}
        )
    return updated


def show_plan(session, plan_id: str) -> dict:
    """A plan with its items (and their Task or document status) and progress."""
    from .progress import plan_progress

    plan = session.get(plan_id)
    items = session.query(
        "ActionPlanItem", where={"plan": plan_id}, order_by=["display_order", "created_at"]
    ).records
    linked = session.get_many([i[k] for i in items for k in ("task", "document") if i.get(k)])
    rows = []
    for item in items:
        record = linked.get(item.get("task") or item.get("document") or "", {})
        rows.append(
            {
                "id": item["id"],
                "name": item["name"],
                "kind": item["kind"],
                "required": item["required"],
                "state": item["state"],
                "due_date": item["due_date"],
                "record": item.get("task") or item.get("document"),
                "status": record.get("status"),
                "owner": record.get("owner_id"),
            }
        )
    return {"plan": plan, "items": rows, "progress": plan_progress(items, dt.date.today(), linked)}
