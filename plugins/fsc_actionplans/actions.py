"""Action plans' actions: the operations behind ``missionbase actionplans ...``, the API
and the web pages.

Each handler takes the caller's session and the validated input and returns
plain data; the rules stay in templates.py, plans.py, documents.py,
public_holidays.py and progress.py. A template's actions act on its record (by
id); the command line also finds a template by its unique name first.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from missionbase.core import Action


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- templates -----------------------------------------------------------------------------


class NewTemplate(_Input):
    name: str
    unique_name: str = Field(description="Identifier used to find the template (letters, digits, _)")
    target_type: str = Field(description="Object the plans target; fixed once plans exist")
    description: str | None = None
    category: str | None = None
    allow_adhoc_items: bool = Field(False, description="Plans may add items the template does not have")
    estimated_completion_days: int | None = Field(None, description="Estimated days to complete a plan")


def create_template(session, data: NewTemplate) -> dict:
    from .templates import create_template as create
    from .templates import pick_version

    template = create(session, data.model_dump(exclude_none=True))
    draft = pick_version(session, template, status="Draft")
    return {**template, "draft_version": draft["version_number"]}


def list_templates(session, data: None) -> list[dict]:
    from .templates import list_templates as listed

    return listed(session)


class Version(_Input):
    version: int | None = Field(None, description="Version number (default: see the action)")


class NewItem(_Input):
    name: str
    kind: str = Field("task", description="task or document")
    required: bool = False
    display_order: int | None = Field(None, description="Default: after the last item")
    subject: str | None = Field(None, description="Task subject / document name (default: the item name)")
    priority: str | None = None
    status: str | None = Field(None, description="Initial Task status")
    owner: str | None = Field(None, description="creator, user:USERNAME, queue:QUEUE or role:TEAM_ROLE")
    due_offset: int | None = Field(None, description="Days after the plan's start date")
    description: str | None = None
    instructions: str | None = Field(None, description="For documents: what the client must provide")
    document_type: str | None = Field(None, description="For documents: a DocumentType name or id")
    version: int | None = Field(None, description="Version number (default: the Draft)")


ITEM_RECORD_FIELDS = ("name", "kind", "required", "display_order")


def add_item(session, template_id: str, data: NewItem) -> dict:
    from .templates import add_item as add
    from .templates import find_template

    item = data.model_dump(include=set(ITEM_RECORD_FIELDS), exclude_none=True)
    values = data.model_dump(exclude={*ITEM_RECORD_FIELDS, "version"}, exclude_none=True)
    return add(session, find_template(session, template_id), item, values, version_number=data.version)


def _set_status(status: str):
    def run(session, template_id: str, data: Version) -> list[dict]:
        from .templates import find_template, set_version_status

        return set_version_status(session, find_template(session, template_id), status, data.version)

    return run


def new_version(session, template_id: str, data: None) -> dict:
    from .templates import find_template
    from .templates import new_version as clone

    return clone(session, find_template(session, template_id))


def export_template(session, template_id: str, data: Version) -> dict:
    from .templates import export_template as export
    from .templates import find_template

    return export(session, find_template(session, template_id), data.version)


class TemplateExport(_Input):
    """What ``export`` returns (a file written by ``templates export``)."""

    format: str | None = Field(None, description="missionbase.actionplans.template/1")
    template: dict | None = Field(None, description="The template's fields")
    version: dict | None = Field(None, description="The exported version's number and status (informative)")
    items: list[dict] | None = Field(None, description="The items, each with its values")


def import_template(session, data: TemplateExport) -> dict:
    from .templates import import_template as load

    return load(session, data.model_dump())


# -- plans ---------------------------------------------------------------------------------


class NewPlans(_Input):
    template: str = Field(description="Template unique name or id (its Published version is used)")
    targets: list[str] = Field(
        description="Target records (ids or names, Object:name when ambiguous): one plan each"
    )
    start_date: dt.date | None = Field(None, description="Default: today")
    skip_nonworking: bool = Field(False, description="Count due offsets in working days")
    exclude: list[str] = Field(
        default_factory=list, description="Optional template items (name or id) to skip"
    )
    adhoc: list[dict] = Field(
        default_factory=list, description='Extra items: {"name": ..., "kind": "task", "due_offset": 3}'
    )
    name: str | None = Field(None, description="Plan name (default: template name - target name)")
    dry_run: bool = Field(False, description="Check everything and show what would be created; write nothing")


def create_plans(session, data: NewPlans) -> dict:
    from missionbase.core import resolve_records

    from .plans import apply_template

    return apply_template(
        session,
        data.template,
        resolve_records(session, data.targets, what="targets"),
        start_date=data.start_date,
        skip_nonworking=data.skip_nonworking,
        exclude=list(data.exclude),
        adhoc=list(data.adhoc),
        name=data.name,
        dry_run=data.dry_run,
    )


def show_plan(session, plan_id: str, data: None) -> dict:
    from .plans import show_plan as show

    return show(session, plan_id)


def cancel_plan(session, plan_id: str, data: None) -> dict:
    from .plans import cancel_plan as cancel

    return cancel(session, plan_id)


# -- documents -----------------------------------------------------------------------------


class Attachment(_Input):
    file: str | None = Field(None, description="A stored File id")
    content: str | None = Field(
        None,
        description="Or the file's bytes, base64-encoded",
        json_schema_extra={"contentEncoding": "base64"},
    )
    name: str | None = Field(None, description="The file name, with content")

    @field_validator("content")
    @classmethod
    def _base64(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("is not base64 (RFC 4648, with padding)") from None
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Attachment:
        if (self.file is None) == (self.content is None):
            raise ValueError("give either file (a stored File id) or content (base64) with name")
        if self.content is not None and not self.name:
            raise ValueError("content needs the file's name (name)")
        return self


def attach_document(session, document_id: str, data: Attachment) -> dict:
    from .documents import attach

    if data.file is not None:
        return attach(session, document_id, data.file)
    return attach(session, document_id, base64.b64decode(data.content), name=data.name)


class Review(_Input):
    comment: str | None = Field(None, description="Why (a rejection needs one the client can act on)")


def _review(accept: bool):
    def run(session, document_id: str, data: Review) -> dict:
        from .documents import review

        return review(session, document_id, accept=accept, comment=data.comment)

    return run


# -- holidays and the report ---------------------------------------------------------------


class PublicHolidays(_Input):
    country: str = Field(description="ISO country code, e.g. FR")
    year: int
    subdiv: str | None = Field(None, description="Region, e.g. a state or department code")
    business_hours: str | None = Field(
        None, description="Business hours name or id (default: every calendar)"
    )


def load_holidays(session, data: PublicHolidays) -> list[dict]:
    from .public_holidays import load_public_holidays

    return load_public_holidays(
        session, data.country, data.year, subdiv=data.subdiv, business_hours=data.business_hours
    )


class ProgressOptions(_Input):
    by: str = Field("version,state,owner", description="Comma list of: version, state, owner, target_type")
    plans: bool = Field(False, description="One row per plan instead of groups")
    template: str | None = Field(None, description="Only plans of this template (unique name or id)")


def progress(session, data: ProgressOptions) -> list[dict]:
    from .progress import plan_rows, progress_report
    from .templates import find_template

    template_id = find_template(session, data.template)["id"] if data.template else None
    if data.plans:
        return plan_rows(session, template=template_id)
    return progress_report(session, by=data.by, template=template_id)


def _on_template(name: str, run, **options) -> Action:
    return Action(name, run=run, object="ActionPlanTemplate", on_record=True, **options)


ACTIONS = [
    Action(
        "create_with_draft",
        run=create_template,
        object="ActionPlanTemplate",
        input=NewTemplate,
        permission="create",
        label="New template",
        description="Create a template; it starts with an empty Draft version 1.",
    ),
    Action(
        "list_with_versions",
        run=list_templates,
        object="ActionPlanTemplate",
        permission="read",
        writes=False,
        label="Templates and versions",
        description="Templates with their versions and the Published one.",
    ),
    Action(
        "import_template",
        run=import_template,
        object="ActionPlanTemplate",
        input=TemplateExport,
        permission="create",
        description="Import an export as a Draft (a new template, or a new version of the same unique name).",
    ),
    _on_template(
        "add_item",
        add_item,
        input=NewItem,
        description="Add a task or document item to the template's Draft version.",
    ),
    _on_template(
        "publish",
        _set_status("Published"),
        input=Version,
        description="Publish the Draft (or version N); the version published before becomes Obsolete.",
    ),
    _on_template(
        "obsolete",
        _set_status("Obsolete"),
        input=Version,
        label="Make obsolete",
        description="Retire the Published version (or version N, a Draft): no new plans from it.",
    ),
    _on_template(
        "new_version",
        new_version,
        description="Clone the latest version (items and values) into a new Draft.",
    ),
    _on_template(
        "export",
        export_template,
        input=Version,
        permission="read",
        writes=False,
        description="A version (default: the Published one) as JSON, users and queues by name.",
    ),
    Action(
        "create_from_template",
        run=create_plans,
        object="ActionPlan",
        input=NewPlans,
        permission="create",
        long=True,
        label="Create plans",
        description="Create a plan from the template's Published version on each target (dry_run: check only).",
    ),
    Action(
        "show",
        run=show_plan,
        object="ActionPlan",
        on_record=True,
        permission="read",
        writes=False,
        description="The plan's items with their state, due date and record, and its progress.",
    ),
    Action(
        "cancel",
        run=cancel_plan,
        object="ActionPlan",
        on_record=True,
        description="Cancel the plan and its open items.",
    ),
    Action(
        "attach",
        run=attach_document,
        object="DocumentChecklistItem",
        on_record=True,
        input=Attachment,
        description="Attach a file to the checklist item: it goes to Pending Review.",
    ),
    Action(
        "accept",
        run=_review(True),
        object="DocumentChecklistItem",
        on_record=True,
        input=Review,
        description="Accept a Pending Review document: completes its plan item and freezes it.",
    ),
    Action(
        "reject",
        run=_review(False),
        object="DocumentChecklistItem",
        on_record=True,
        input=Review,
        description="Reject a Pending Review document with a reason; a new file re-submits it.",
    ),
    Action(
        "load_public_holidays",
        run=load_holidays,
        object="Holiday",
        input=PublicHolidays,
        permission="create",
        description="Create Holiday records for a country's public holidays of one year (existing ones kept).",
    ),
    Action(
        "actionplans.progress",
        run=progress,
        input=ProgressOptions,
        permission=None,
        writes=False,
        label="Progress report",
        description="Plans by version, state and owner: % of required items done, overdue, missing documents.",
    ),
]
