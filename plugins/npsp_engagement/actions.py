"""The engagement plugin's actions: the operations behind ``missionbase plans ...``,
the REST API and the web pages.

Each handler takes the caller's session and the validated input and returns
plain data; the rules stay in plans.py, template_io.py and levels.py.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from missionbase.core import Action

from .objects import ASSIGN_TO_CREATOR, ASSIGN_TO_TARGET_OWNER, RESCHEDULE_DAYS


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Step(_Input):
    subject: str = Field(description="What the task asks; unique within the template")
    days_after: int | None = Field(None, description="Days after the plan starts (or its parent closes)")
    parent: str | None = Field(None, description="The subject of an earlier step this one waits for")
    assigned_to: str | None = Field(None, description="Username of the assignee (default: the template's)")
    priority: str | None = None
    status: str | None = None
    type: str | None = None
    comments: str | None = None
    reminder: bool | None = None
    reminder_time: str | None = None
    send_email: bool | None = None


class NewTemplate(_Input):
    name: str = Field(description="The template's name")
    description: str | None = None
    skip_weekends: bool = Field(True, description="No due date lands on a Saturday or Sunday")
    reschedule_to: Literal[tuple(RESCHEDULE_DAYS)] = Field(
        "Monday", description="Where a weekend due date moves"
    )
    default_assignee: Literal[ASSIGN_TO_CREATOR, ASSIGN_TO_TARGET_OWNER] = Field(
        ASSIGN_TO_CREATOR, description="Who gets a task with no assignee"
    )
    auto_update_due_dates: bool = Field(
        True, description="Date dependent tasks from the day their parent closes"
    )
    steps: list[Step] = Field(default_factory=list, description="The steps, parents before their children")


def _shown(session, template_id: str) -> dict:
    from .template_io import export_template

    return {"id": template_id, **export_template(session, template_id)}


def create_template(session, data: NewTemplate) -> dict:
    """A template document built from the input, imported whole (steps keyed by subject)."""
    from .template_io import FORMAT, VERSION, import_template

    template = data.model_dump(exclude={"steps"})
    steps = [
        {"key": step.subject, **step.model_dump(exclude_none=True), "parent": step.parent}
        for step in data.steps
    ]
    document = {"format": FORMAT, "version": VERSION, "template": template, "tasks": steps}
    return _shown(session, import_template(session, document)["id"])


class ImportTemplate(_Input):
    document: dict[str, Any] = Field(description="A template as exported (format, version, template, tasks)")
    name: str | None = Field(None, description="Name of the new template (default: the document's)")


def import_document(session, data: ImportTemplate) -> dict:
    from .template_io import import_template

    return _shown(session, import_template(session, data.document, name=data.name)["id"])


def export(session, template_id: str, data: None) -> dict:
    from .template_io import export_template

    return export_template(session, template_id)


class CloneTemplate(_Input):
    name: str | None = Field(None, description='Name of the copy (default: "<name> - Cloned")')


def clone(session, template_id: str, data: CloneTemplate) -> dict:
    from .template_io import clone_template

    return _shown(session, clone_template(session, template_id, name=data.name)["id"])


class ApplyTemplate(_Input):
    targets: list[str] = Field(
        description="Target records (ids or names, Object:name when ambiguous): one plan each, all in one transaction"
    )


PLAN_SUMMARY = ("id", "name", "target", "target_type", "total_tasks", "status")


def apply(session, template_id: str, data: ApplyTemplate) -> list[dict]:
    from missionbase.core import resolve_records

    from .plans import apply_template

    created = apply_template(session, template_id, resolve_records(session, data.targets, what="targets"))
    return [{k: plan[k] for k in PLAN_SUMMARY} for plan in created]


def _level_moves(session, *, dry_run: bool) -> dict:
    """The moves with level and template names instead of ids (what a person reads)."""
    from .levels import assign_levels

    moves = assign_levels(session, dry_run=dry_run)
    ids = {m.old_level for m in moves} | {m.new_level for m in moves} | {m.plan_template for m in moves}
    ids.discard(None)
    names = {r["id"]: r["name"] for r in session.get_many(sorted(ids)).values()} if ids else {}
    rows = [
        {
            **dataclasses.asdict(m),
            "old_level": names.get(m.old_level, m.old_level),
            "new_level": names.get(m.new_level, m.new_level),
            "plan_template": names.get(m.plan_template, m.plan_template),
        }
        for m in moves
    ]
    return {"dry_run": dry_run, "moves": rows}


def assign_levels(session, data: None) -> dict:
    return _level_moves(session, dry_run=False)


def preview_levels(session, data: None) -> dict:
    return _level_moves(session, dry_run=True)


ACTIONS = [
    Action(
        "create_with_steps",
        run=create_template,
        object="EngagementPlanTemplate",
        input=NewTemplate,
        permission="create",
        label="New template",
        description="Create a template with its steps (a step may wait for an earlier one).",
    ),
    Action(
        "import",
        run=import_document,
        object="EngagementPlanTemplate",
        input=ImportTemplate,
        permission="create",
        description="Create a template from an exported document (assignees by username).",
    ),
    Action(
        "export",
        run=export,
        object="EngagementPlanTemplate",
        on_record=True,
        permission="read",
        writes=False,
        description="The template and its steps as a portable document (assignees by username).",
    ),
    Action(
        "clone",
        run=clone,
        object="EngagementPlanTemplate",
        on_record=True,
        input=CloneTemplate,
        permission="create",
        description="Deep-copy a template and all its steps.",
    ),
    Action(
        "apply",
        run=apply,
        object="EngagementPlanTemplate",
        on_record=True,
        input=ApplyTemplate,
        permission="read",
        description="Apply the template to records: one plan each, all in one transaction.",
    ),
    Action(
        "npsp.assign_levels",
        run=assign_levels,
        permission=None,
        long=True,
        description="Give every record of each ladder the level its amount falls in (plans follow).",
    ),
    Action(
        "npsp.preview_levels",
        run=preview_levels,
        permission=None,
        writes=False,
        long=True,
        description="The level moves assignment would make, writing nothing (a dry run).",
    ),
]
