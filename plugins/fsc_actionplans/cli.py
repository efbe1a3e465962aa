"""``missionbase actionplans``: templates, plans, documents, holidays and the progress report.

Heavy modules (SQLAlchemy through the plugin's behaviour) load inside each
command, so ``missionbase --help`` stays quick.
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
    from .templates import create_template, pick_version

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
        template = create_template(s, {k: v for k, v in values.items() if v is not None})
        draft = pick_version(s, template, status="Draft")
    _out(
        as_json,
        {**template, "draft_version": draft["version_number"]},
        f"created template {unique_name} ({template['id']}) with Draft v{draft['version_number']}",
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
    from .templates import add_item, find_template

    values = {
        "subject": subject,
        "priority": priority,
        "status": status,
        "owner": owner,
        "due_offset": due_offset,
        "description": description,
        "instructions": instructions,
        "document_type": document_type,
    }
    item = {"name": name, "kind": kind, "required": required}
    if display_order is not None:
        item["display_order"] = display_order
    with app.session(as_user) as s:
        found = find_template(s, template)
        created = add_item(
            s, found, item, {k: v for k, v in values.items() if v is not None}, version_number=version_number
        )
    _out(as_json, created, f"added {created['kind']} item {name!r} ({created['id']})")


def _status_command(name: str, status: str, help_text: str):
    @templates_group.command(name, help=help_text)
    @click.argument("template")
    @click.option("--version", "version_number", type=int, help="Version number (default: see above).")
    @as_user_option
    @json_option
    @pass_app
    def command(app, template, version_number, as_user, as_json):
        from .templates import find_template, set_version_status

        with app.session(as_user) as s:
            changed = set_version_status(s, find_template(s, template), status, version_number)
        _out(as_json, changed, "\n".join(f"{v['name']}: {v['status']}" for v in changed))

    return command


_status_command(
    "publish",
    "Published",
    "Publish the Draft (or --version N); the version published before becomes Obsolete.",
)
_status_command(
    "obsolete", "Obsolete", "Retire the Published version (or --version N, a Draft): no new plans from it."
)


@templates_group.command("new-version")
@click.argument("template")
@as_user_option
@json_option
@pass_app
def templates_new_version(app, template, as_user, as_json):
    """Clone the latest version (items and values) into a new Draft."""
    from .templates import find_template, new_version

    with app.session(as_user) as s:
        draft = new_version(s, find_template(s, template))
    _out(as_json, draft, f"created {draft['name']} (Draft)")


@templates_group.command("export")
@click.argument("template")
@click.option("--version", "version_number", type=int, help="Version number (default: the Published one).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file (default: stdout).")
@as_user_option
@pass_app
def templates_export(app, template, version_number, output, as_user):
    """Export a template version as JSON (items and item values, users and queues by name)."""
    from .templates import export_template, find_template

    with app.session(as_user) as s:
        data = export_template(s, find_template(s, template), version_number)
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
    from .templates import import_template

    data = read_json(path)
    with app.session(as_user) as s:
        draft = import_template(s, data)
    _out(as_json, draft, f"imported as {draft['name']} (Draft); publish it to use it")


@templates_group.command("list")
@as_user_option
@json_option
@pass_app
def templates_list(app, as_user, as_json):
    """Templates with their versions."""
    from .templates import list_templates

    with app.session(as_user) as s:
        rows = list_templates(s)
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

    from .plans import prepare_plans, write_plans

    extra = []
    for text in adhoc:
        try:
            extra.append(json.loads(text))
        except json.JSONDecodeError as exc:
            raise ValidationError(f"--adhoc {text!r} is not valid JSON ({exc})") from None
    if batch_size < 1:
        raise ValidationError(f"--batch-size must be at least 1 (got {batch_size})")
    from missionbase.core import resolve_records

    # Everything is checked first; then each batch of targets is one transaction.
    with app.session(as_user) as s:
        prepared = prepare_plans(
            s,
            template,
            resolve_records(s, targets),
            start_date=start.date() if start else None,
            skip_nonworking=skip_nonworking,
            exclude=exclude,
            adhoc=extra,
            name=name,
        )
    for begin in range(0, len(prepared.targets), batch_size):
        with app.session(as_user) as s:
            write_plans(s, prepared, prepared.targets[begin : begin + batch_size])
    plans = prepared.created
    if as_json:
        echo_json(plans)
    else:
        echo_table(plans, ["id", "name", "state", "start_date"])
        click.echo(f"created {len(plans)} plan(s) from {prepared.version['name']}")


@actionplans.command("show")
@click.argument("plan")
@as_user_option
@json_option
@pass_app
def plans_show(app, plan, as_user, as_json):
    """A plan: its items with their state, due date and record, and its progress."""
    from .plans import show_plan

    with app.session(as_user) as s:
        shown = show_plan(s, plan)
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
    from .plans import cancel_plan

    with app.session(as_user) as s:
        canceled = cancel_plan(s, plan)
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
    from .documents import attach

    with app.session(as_user) as s:
        updated = attach(s, document, path)
    _out(as_json, updated, f"{updated['name']}: {updated['status']} (file {updated['received_file']})")


def _review_command(name: str, accept: bool, help_text: str):
    @documents_group.command(name, help=help_text)
    @click.argument("document")
    @click.option("--reason", "--comment", "comment", help="Why (required to reject).")
    @as_user_option
    @json_option
    @pass_app
    def command(app, document, comment, as_user, as_json):
        from .documents import review

        with app.session(as_user) as s:
            updated = review(s, document, accept=accept, comment=comment)
        _out(as_json, updated, f"{updated['name']}: {updated['status']}")

    return command


_review_command("accept", True, "Accept a Pending Review document: completes its plan item and freezes it.")
_review_command(
    "reject", False, "Reject a Pending Review document (with --reason); a new file re-submits it."
)


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
    from .public_holidays import load_public_holidays

    with app.session(as_user) as s:
        created = load_public_holidays(s, country, year, subdiv=subdiv, business_hours=business_hours)
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
    from .progress import plan_rows, progress_report
    from .templates import find_template

    with app.session(as_user) as s:
        template_id = find_template(s, template)["id"] if template else None
        rows = (
            plan_rows(s, template=template_id)
            if per_plan
            else progress_report(s, by=by, template=template_id)
        )
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


def _out(as_json: bool, data, message: str) -> None:
    if as_json:
        echo_json(data)
    else:
        click.echo(message)
