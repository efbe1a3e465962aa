"""Templates as portable JSON: export, import (create), and deep clone.

The document names assignees by username (ids differ between orgs) and
links steps by a ``key`` local to the document, so an export imports into
another org and exports back to the same document.
"""

from __future__ import annotations

from typing import Any

from missionbase.core import ValidationError

FORMAT = "missionbase.engagement-plan-template"
VERSION = 1
TEMPLATE_KEYS = (
    "name",
    "description",
    "skip_weekends",
    "reschedule_to",
    "default_assignee",
    "auto_update_due_dates",
)
STEP_KEYS = (
    "subject",
    "days_after",
    "priority",
    "status",
    "type",
    "comments",
    "reminder",
    "reminder_time",
    "send_email",
)
CLONE_SUFFIX = " - Cloned"


def _tree_order(steps: dict[str, dict]) -> list[str]:
    """Parents before children, siblings in creation (id) order."""
    children: dict[str | None, list[str]] = {}
    for step_id in sorted(steps):
        parent = steps[step_id].get("parent_task")
        children.setdefault(parent if parent in steps else None, []).append(step_id)
    out: list[str] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        step_id = stack.pop()
        out.append(step_id)
        stack.extend(reversed(children.get(step_id, [])))
    return out


def export_template(session, template_id: str) -> dict[str, Any]:
    from .plans import template_steps

    template = session.get(template_id)
    steps = template_steps(session, [template_id]).get(template_id, {})
    order = _tree_order(steps)
    keys = {step_id: str(n) for n, step_id in enumerate(order, start=1)}
    user_ids = sorted({s["assigned_to"] for s in steps.values() if s.get("assigned_to")})
    usernames = (
        {
            u["id"]: u["username"]
            for u in session.query("User", where={"id": {"in": user_ids}}, fields=["username"]).records
        }
        if user_ids
        else {}
    )
    return {
        "format": FORMAT,
        "version": VERSION,
        "template": {k: template.get(k) for k in TEMPLATE_KEYS},
        "tasks": [
            {
                "key": keys[step_id],
                "parent": keys.get(steps[step_id].get("parent_task")),
                "assigned_to": usernames.get(steps[step_id].get("assigned_to")),
                **{k: steps[step_id].get(k) for k in STEP_KEYS},
            }
            for step_id in order
        ],
    }


def _fail(message: str) -> None:
    raise ValidationError(f"template document: {message}")


def import_template(session, document: Any, *, name: str | None = None) -> dict:
    """Create a template and its steps from a document; all or nothing. Returns the template."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        _fail(f"'format' must be {FORMAT!r}")
    if document.get("version") != VERSION:
        _fail(f"'version' {document.get('version')!r} is not supported (expected {VERSION})")
    template = document.get("template")
    tasks = document.get("tasks", [])
    if not isinstance(template, dict) or not isinstance(tasks, list):
        _fail("needs a 'template' object and a 'tasks' list")
    values = {k: template[k] for k in TEMPLATE_KEYS if template.get(k) is not None}
    if name:
        values["name"] = name
    keys: dict[str, dict] = {}
    for index, task in enumerate(tasks):
        if not isinstance(task, dict) or not task.get("key"):
            _fail(f"tasks[{index}] needs a 'key'")
        if str(task["key"]) in keys:
            _fail(f"tasks[{index}]: key {task['key']!r} is used twice")
        keys[str(task["key"])] = task
    for index, task in enumerate(tasks):
        parent = task.get("parent")
        if parent is not None and str(parent) not in keys:
            _fail(f"tasks[{index}]: parent {parent!r} is not the key of another task")
    usernames = sorted({t["assigned_to"] for t in tasks if t.get("assigned_to")})
    users = (
        {
            u["username"]: u["id"]
            for u in session.query("User", where={"username": {"in": usernames}}, fields=["username"]).records
        }
        if usernames
        else {}
    )
    for index, task in enumerate(tasks):
        if task.get("assigned_to") and task["assigned_to"] not in users:
            _fail(f"tasks[{index}]: assigned_to {task['assigned_to']!r} is not a user of this org")
    created = session.create("EngagementPlanTemplate", values)
    ids: dict[str, str] = {}
    remaining = list(tasks)
    # Parents must exist before their children: one bulk insert per tree depth.
    while remaining:
        ready = [t for t in remaining if t.get("parent") is None or str(t["parent"]) in ids]
        if not ready:
            _fail("the tasks' parents form a cycle")
        rows = [
            {
                "template": created["id"],
                "parent_task": ids.get(str(t["parent"])) if t.get("parent") is not None else None,
                "assigned_to": users.get(t.get("assigned_to")),
                **{k: t[k] for k in STEP_KEYS if t.get(k) is not None},
            }
            for t in ready
        ]
        for task, step in zip(ready, session.create_many("EngagementPlanTask", rows), strict=True):
            ids[str(task["key"])] = step["id"]
        remaining = [t for t in remaining if str(t["key"]) not in ids]
    return created


def clone_template(session, template_id: str, *, name: str | None = None) -> dict:
    """A deep copy: the template and every step, named "<name> - Cloned" unless told otherwise."""
    document = export_template(session, template_id)
    clone_name = name or (document["template"]["name"] + CLONE_SUFFIX)[:80]
    return import_template(session, document, name=clone_name)
