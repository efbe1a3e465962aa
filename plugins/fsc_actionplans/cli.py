"""``missionbase actionplans``: templates, plans, documents, holidays and the progress report.

Each command runs the plugin's action of the same operation (actions.py), so the
API does exactly what the command does; a template argument may be its unique
name, found here before the action runs on the template's record. Heavy modules
(SQLAlchemy through the plugin's behaviour) load inside each command, so
``missionbase --help`` stays quick.
"""

from __future__ import annotations

import json

import click

from missionbase.core import (
    as_user_option,
    echo_json,
    echo_record,
    echo_table,
    json_option,
    pass_app,
    read_json,
    run_action,
    targets_option,
    write_json,
)


@click.group("actionplans")
def actionplans():
    """Action plans: versioned templates of tasks and documents applied to records."""


# -- templates -----------------------------------------------------------------------------


@actionplans.group("templates")
def templates_group():
    """Create, version, publish, export and import action plan templates."""


@templates_group.command("create")
@click.argument("name")
@click.option(
    "--unique-name", required=True, help="Identifier used to find the template (letters, digits, _)."
)
@click.option(
    "--target-type", required=True, help="Object the plans target (see 'objects list'); fixed later."
)
@click.option("--description")
@click.option("--category")
@click.option("--allow-adhoc", is_flag=True, help="Plans may add items the template does not have.")
@click.option("--estimated-days", type=int, help="Estimated days to complete a plan.")
@as_user_option
@json_option
@pass_app
def templates_create(
    app, name, unique_name, target_type, description, category, allow_adhoc, estimated_days, as_user, as_json
):
    """Create a template; it starts with an empty Draft version 1."""
    values = {
        "name": name,
        "unique_name": unique_name,
        "target_type": target_type,
        "description": description,
        "category": category,
        "allow_adhoc_items": allow_adhoc,
        "estimated_completion_days": estimated_days,
    }
    with app.session(as_user) as s:
        template = run_action(
            s, "ActionPlanTemplate.create_with_draft", {k: v for k, v in values.items() if v is not None}
        )
    _out(
        as_json,
        template,
        f"created template {unique_name} ({template['id']}) with Draft v{template['draft_version']}",
    )


@templates_group.command("add-item")
@click.argument("template")
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice(["task", "document"]), default="task", show_default=True)
@click.option("--required", is_flag=True)
@click.option("--order", "display_order", type=int, help="Display order (default: after the last item).")
@click.option("--subject", help="Task subject / document name (default: the item name).")
@click.option("--priority")
@click.option("--status", help="Initial Task status.")
@click.option("--owner", help="creator, user:USERNAME, queue:QUEUE or role:TEAM_ROLE (default: creator).")
@click.option("--due-offset", type=int, help="Days after the plan's start date.")
@click.option("--description")
@click.option("--instructions", help="For documents: what the client must provide.")
@click.option("--document-type", help="For documents: a DocumentType name or id.")
@click.option("--version", "version_number", type=int, help="Version number (default: the Draft).")
@as_user_option
@json_option
@pass_app
def templates_add_item(
    app,
    template,
    name,
    kind,
    required,
    display_order,
    subject,
    priority,
    status,
    owner,
    due_offset,
    description,
    instructions,
    document_type,
    version_number,
    as_user,
    as_json,
):
    """Add a task or document item to the template's Draft version."""
    values = {
        "name": name,
        "kind": kind,
        "required": required,
        "display_order": display_order,
        "subject": subject,
        "priority": priority,
        "status": status,
        "owner": owner,
        "due_offset": due_offset,
        "description": description,
        "instructions": instructions,
        "document_type": document_type,
        "version": version_number,
    }
    with app.session(as_user) as s:
        created = run_action(
            s,
            "ActionPlanTemplate.add_item",
            {k: v for k, v in values.items() if v is not None},
            record_id=_template_id(s, template),
        )
    _out(as_json, created, f"added {created['kind']} item {name!r} ({created['id']})")


def _status_command(name: str, action: str, help_text: str):
    @templates_group.command(name, help=help_text)
    @click.argument("template")
    @click.option("--version", "version_number", type=int, help="Version number (default: see above).")
    @as_user_option
    @json_option
    @pass_app
    def command(app, template, version_number, as_user, as_json):
        with app.session(as_user) as s:
            changed = run_action(
                s,
                f"ActionPlanTemplate.{action}",
                {"version": version_number},
                record_id=_template_id(s, template),
            )
        _out(as_json, changed, "\n".join(f"{v['name']}: {v['status']}" for v in changed))

    return command


_status_command(
    "publish",
    "publish",
    "Publish the Draft (or --version N); the version published before becomes Obsolete.",
)
_status_command(
    "obsolete", "obsolete", "Retire the Published version (or --version N, a Draft): no new plans from it."
)


@templates_group.command("new-version")
@click.argument("template")
@as_user_option
@json_option
@pass_app
def templates_new_version(app, template, as_user, as_json):
    """Clone the latest version (items and values) into a new Draft."""
    with app.session(as_user) as s:
        draft = run_action(s, "ActionPlanTemplate.new_version", record_id=_template_id(s, template))
    _out(as_json, draft, f"created {draft['name']} (Draft)")


@templates_group.command("export")
@click.argument("template")
@click.option("--version", "version_number", type=int, help="Version number (default: the Published one).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file (default: stdout).")
@as_user_option
@pass_app
def templates_export(app, template, version_number, output, as_user):
    """Export a template version as JSON (items and item values, users and queues by name)."""
    with app.session(as_user) as s:
        data = run_action(
            s, "ActionPlanTemplate.export", {"version": version_number}, record_id=_template_id(s, template)
        )
    write_json(
        data,
        output,
        f"exported {data['template']['unique_name']} v{data['version']['version_number']} to {output}",
    )


@templates_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@as_user_option
@json_option
@pass_app
def templates_import(app, path, as_user, as_json):
    """Import an exported template as a Draft (a new template, or a new version of the same unique name)."""
    from missionbase.core import ValidationError

    data = read_json(path)
    if not isinstance(data, dict):
        raise ValidationError(f"{path} is not an action plan template export (a JSON object)")
    with app.session(as_user) as s:
        draft = run_action(s, "ActionPlanTemplate.import_template", data)
    _out(as_json, draft, f"imported as {draft['name']} (Draft); publish it to use it")


@templates_group.command("list")
@as_user_option
@json_option
@pass_app
def templates_list(app, as_user, as_json):
    """Templates with their versions."""
    with app.session(as_user) as s:
        rows = run_action(s, "ActionPlanTemplate.list_with_versions")
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows, ["unique_name", "name", "target_type", "versions", "id"])


# -- plans ---------------------------------------------------------------------------------


@actionplans.command("create")
@click.argument("template")
@targets_option
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="Start date (default: today).")
@click.option("--skip-nonworking", is_flag=True, help="Count due offsets in working days.")
@click.option("--exclude", multiple=True, help="Template item (name or id) to leave out; not a required one.")
@click.option(
    "--adhoc", multiple=True, help='Extra item as JSON: {"name": ..., "kind": "task", "due_offset": 3}.'
)
@click.option("--name", help="Plan name (default: template name - target name).")
@click.option("--batch-size", type=int, default=1000, show_default=True, help="Targets per transaction.")
@as_user_option
@json_option
@pass_app
def plans_create(
    app, template, targets, start, skip_nonworking, exclude, adhoc, name, batch_size, as_user, as_json
):
    """Create a plan from the template's Published version on each target."""
    from missionbase.core import ValidationError

    extra = []
    for text in adhoc:
        try:
            extra.append(json.loads(text))
        except json.JSONDecodeError as exc:
            raise ValidationError(f"--adhoc {text!r} is not valid JSON ({exc})") from None
    if batch_size < 1:
        raise ValidationError(f"--batch-size must be at least 1 (got {batch_size})")
    from missionbase.core import resolve_records

    with app.session(as_user) as s:
        target_ids = resolve_records(s, targets)
    values = {
        "template": template,
        "targets": target_ids,
        "start_date": start.date() if start else None,
        "skip_nonworking": skip_nonworking,
        "exclude": list(exclude),
        "adhoc": extra,
        "name": name,
    }
    key = "ActionPlan.create_from_template"
    batches = [target_ids[begin : begin + batch_size] for begin in range(0, len(target_ids), batch_size)]
    if len(batches) > 1:  # everything is checked first; then each batch of targets is one transaction
        with app.session(as_user) as s:
            run_action(s, key, {**values, "dry_run": True})
    plans, version = [], None
    for batch in batches or [[]]:
        with app.session(as_user) as s:
            done = run_action(s, key, {**values, "targets": batch})
        plans += done["plans"]
        version = done["version"]
    if as_json:
        echo_json(plans)
    else:
        echo_table(plans, ["id", "name", "state", "start_date"])
        click.echo(f"created {len(plans)} plan(s) from {version}")


@actionplans.command("show")
@click.argument("plan")
@as_user_option
@json_option
@pass_app
def plans_show(app, plan, as_user, as_json):
    """A plan: its items with their state, due date and record, and its progress."""
    with app.session(as_user) as s:
        shown = run_action(s, "ActionPlan.show", record_id=plan)
    if as_json:
        echo_json(shown)
        return
    echo_record(
        {k: shown["plan"][k] for k in ("id", "name", "target", "state", "start_date", "skip_nonworking_days")}
    )
    click.echo()
    echo_table(shown["items"], ["name", "kind", "required", "state", "due_date", "status", "record"])
    p = shown["progress"]
    click.echo(
        f"\n{p['required_done']}/{p['required_total']} required items done ({p['percent_done']}%), "
        f"{p['overdue_items']} overdue, {p['documents_missing']} document(s) missing"
    )


@actionplans.command("cancel")
@click.argument("plan")
@as_user_option
@json_option
@pass_app
def plans_cancel(app, plan, as_user, as_json):
    """Cancel a plan and its open items."""
    with app.session(as_user) as s:
        canceled = run_action(s, "ActionPlan.cancel", record_id=plan)
    _out(as_json, canceled, f"canceled {canceled['name']}")


# -- documents -----------------------------------------------------------------------------


@actionplans.group("documents")
def documents_group():
    """Receive and review the documents of checklist items."""


@documents_group.command("attach")
@click.argument("document")
@click.argument("path", type=click.Path(dir_okay=False))
@as_user_option
@json_option
@pass_app
def documents_attach(app, document, path, as_user, as_json):
    """Attach a file (a path, or a stored File id) to a checklist item: it goes to Pending Review."""
    with app.session(as_user) as s:
        updated = run_action(s, "DocumentChecklistItem.attach", _attachment(path), record_id=document)
    _out(as_json, updated, f"{updated['name']}: {updated['status']} (file {updated['received_file']})")


def _review_command(name: str, help_text: str):
    @documents_group.command(name, help=help_text)
    @click.argument("document")
    @click.option("--reason", "--comment", "comment", help="Why (required to reject).")
    @as_user_option
    @json_option
    @pass_app
    def command(app, document, comment, as_user, as_json):
        with app.session(as_user) as s:
            updated = run_action(s, f"DocumentChecklistItem.{name}", {"comment": comment}, record_id=document)
        _out(as_json, updated, f"{updated['name']}: {updated['status']}")

    return command


_review_command("accept", "Accept a Pending Review document: completes its plan item and freezes it.")
_review_command("reject", "Reject a Pending Review document (with --reason); a new file re-submits it.")


# -- holidays and the report ---------------------------------------------------------------


@actionplans.group("holidays")
def holidays_group():
    """Public holidays for working-day due dates."""


@holidays_group.command("load")
@click.option("--country", required=True, help="ISO country code, e.g. FR.")
@click.option("--year", type=int, required=True)
@click.option("--subdiv", help="Region, e.g. a state or department code.")
@click.option("--business-hours", help="Business hours name or id (default: holidays for every calendar).")
@as_user_option
@json_option
@pass_app
def holidays_load(app, country, year, subdiv, business_hours, as_user, as_json):
    """Create Holiday records for a country's public holidays of one year (existing ones are kept)."""
    values = {"country": country, "year": year, "subdiv": subdiv, "business_hours": business_hours}
    with app.session(as_user) as s:
        created = run_action(s, "Holiday.load_public_holidays", values)
    if as_json:
        echo_json(created)
    else:
        echo_table(created, ["date", "name", "id"])
        click.echo(f"loaded {len(created)} holiday(s) for {country.upper()} {year}")


@actionplans.command("report")
@click.option(
    "--by",
    default="version,state,owner",
    show_default=True,
    help="Group by a comma list of: version, state, owner, target_type.",
)
@click.option("--plans", "per_plan", is_flag=True, help="One row per plan instead of groups.")
@click.option("--template", help="Only plans of this template (unique name or id).")
@as_user_option
@json_option
@pass_app
def report(app, by, per_plan, template, as_user, as_json):
    """Progress and compliance: % of required items done, overdue items and missing documents."""
    with app.session(as_user) as s:
        rows = run_action(s, "actionplans.progress", {"by": by, "plans": per_plan, "template": template})
    if as_json:
        echo_json(rows)
    elif per_plan:
        echo_table(
            rows,
            [
                "name",
                "version",
                "state",
                "owner",
                "target_type",
                "percent_done",
                "overdue_items",
                "documents_missing",
            ],
        )
    else:
        echo_table(rows)


def _template_id(session, ref: str) -> str:
    """A template's id from its unique name (or id), as the session sees it."""
    from .templates import find_template

    return find_template(session, ref)["id"]


def _attachment(path: str) -> dict:
    """The attach action's input: a stored File id as it is, a local file's bytes (base64)."""
    import base64
    from pathlib import Path

    from missionbase.core import ValidationError

    if path.startswith("fil_"):
        return {"file": path}
    source = Path(path)
    if not source.is_file():
        raise ValidationError(f"file {source} does not exist")
    return {"content": base64.b64encode(source.read_bytes()).decode("ascii"), "name": source.name}


def _out(as_json: bool, data, message: str) -> None:
    if as_json:
        echo_json(data)
    else:
        click.echo(message)
