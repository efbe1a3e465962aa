"""``missionbase plans``: engagement plan templates, plans and level ladders."""

from __future__ import annotations

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

ASSIGNEE_CHOICES = {"creator": "User creating the plan", "owner": "Owner of the target record"}
TEMPLATE = "EngagementPlanTemplate"


@click.group()
def plans():
    """Engagement plan templates, plans and donor levels."""


@plans.group()
def templates():
    """Create, show, clone, export and import engagement plan templates."""


def _parse_task(spec: str, index: int) -> dict:
    from missionbase.core import ValidationError

    parts = spec.split(":")
    if not parts[0].strip() or len(parts) > 3:
        raise ValidationError(f"--task {spec!r} must look like SUBJECT[:DAYS[:PARENT SUBJECT]]")
    task = {"subject": parts[0].strip(), "parent": None}
    if len(parts) > 1 and parts[1].strip():
        try:
            task["days_after"] = int(parts[1])
        except ValueError:
            raise ValidationError(f"--task {spec!r}: days {parts[1]!r} is not a whole number") from None
    if len(parts) > 2 and parts[2].strip():
        task["parent"] = parts[2].strip()
    return task


@templates.command("create")
@click.argument("name")
@click.option("--description")
@click.option("--skip-weekends/--no-skip-weekends", default=True, show_default=True)
@click.option("--reschedule-to", type=click.Choice(["Monday", "Friday"]), default="Monday", show_default=True)
@click.option(
    "--default-assignee",
    type=click.Choice(sorted(ASSIGNEE_CHOICES)),
    default="creator",
    show_default=True,
    help="Who gets a task with no assignee: the plan's creator or the target's owner.",
)
@click.option(
    "--auto-update/--no-auto-update",
    default=True,
    show_default=True,
    help="Date dependent tasks from the day their parent closes.",
)
@click.option(
    "--task",
    "task_specs",
    multiple=True,
    metavar="SUBJECT[:DAYS[:PARENT]]",
    help="A step; PARENT is an earlier step's subject. Repeat for more.",
)
@as_user_option
@json_option
@pass_app
def templates_create(
    app,
    name,
    description,
    skip_weekends,
    reschedule_to,
    default_assignee,
    auto_update,
    task_specs,
    as_user,
    as_json,
):
    """Create a template with its steps: --task Call:0 --task 'Thank-you note:2:Call'."""
    values = {
        "name": name,
        "description": description,
        "skip_weekends": skip_weekends,
        "reschedule_to": reschedule_to,
        "default_assignee": ASSIGNEE_CHOICES[default_assignee],
        "auto_update_due_dates": auto_update,
        "steps": [_parse_task(spec, i) for i, spec in enumerate(task_specs)],
    }
    with app.session(as_user) as s:
        shown = run_action(s, f"{TEMPLATE}.create_with_steps", values)
    _show_template(shown["id"], shown, as_json)


def _show_template(template_id: str, document: dict, as_json: bool) -> None:
    if as_json:
        echo_json({"id": template_id, **document})
        return
    echo_record({"id": template_id, **document["template"]})
    click.echo("")
    by_key = {t["key"]: t for t in document["tasks"]}

    def depth(task):
        n = 0
        while task.get("parent"):
            task, n = by_key[task["parent"]], n + 1
        return n

    echo_table(
        [
            {
                "subject": "  " * depth(t) + t["subject"],
                **{
                    k: t.get(k)
                    for k in (
                        "days_after",
                        "assigned_to",
                        "priority",
                        "status",
                        "type",
                        "reminder",
                        "reminder_time",
                    )
                },
            }
            for t in document["tasks"]
        ]
    )


@templates.command("show")
@click.argument("template")
@as_user_option
@json_option
@pass_app
def templates_show(app, template, as_user, as_json):
    """Show a template (name or id) and its steps as a tree."""
    from .plans import find_template

    with app.session(as_user) as s:
        found = find_template(s, template)
        document = run_action(s, f"{TEMPLATE}.export", record_id=found["id"])
    _show_template(found["id"], document, as_json)


@templates.command("clone")
@click.argument("template")
@click.option("--name", help='Name of the copy (default: "<name> - Cloned").')
@as_user_option
@json_option
@pass_app
def templates_clone(app, template, name, as_user, as_json):
    """Deep-copy a template and all its steps."""
    from .plans import find_template

    values = {"name": name} if name else {}
    with app.session(as_user) as s:
        clone = run_action(s, f"{TEMPLATE}.clone", values, record_id=find_template(s, template)["id"])
    _show_template(clone["id"], clone, as_json)


@templates.command("export")
@click.argument("template")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, writable=True), help="File to write (default: stdout)."
)
@as_user_option
@pass_app
def templates_export(app, template, output, as_user):
    """Write a template as JSON (assignees by username)."""
    from .plans import find_template

    with app.session(as_user) as s:
        document = run_action(s, f"{TEMPLATE}.export", record_id=find_template(s, template)["id"])
    write_json(
        document,
        output,
        f"exported {document['template']['name']!r} ({len(document['tasks'])} task(s)) to {output}",
    )


@templates.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--name", help="Name of the new template (default: the one in the file).")
@as_user_option
@json_option
@pass_app
def templates_import(app, path, name, as_user, as_json):
    """Create a template from an exported JSON file."""
    values = {"document": read_json(path), "name": name}
    with app.session(as_user) as s:
        shown = run_action(s, f"{TEMPLATE}.import", values)
    _show_template(shown["id"], shown, as_json)


@plans.command("apply")
@click.argument("template")
@targets_option
@as_user_option
@json_option
@pass_app
def apply(app, template, targets, as_user, as_json):
    """Apply a template to records: one plan each, all in one transaction."""
    from missionbase.core import resolve_records

    from .plans import find_template

    with app.session(as_user) as s:
        template_id = find_template(s, template)["id"]
        rows = run_action(
            s, f"{TEMPLATE}.apply", {"targets": resolve_records(s, targets)}, record_id=template_id
        )
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows)


@plans.command("show")
@click.argument("plan")
@as_user_option
@json_option
@pass_app
def show(app, plan, as_user, as_json):
    """Show a plan (id or EP-number) and its tasks."""
    from missionbase.core import RecordNotFound

    with app.session(as_user) as s:
        if plan.startswith("epl_"):
            record = s.get(plan)
        else:
            found = s.query("EngagementPlan", where={"name": plan}, limit=1).records
            if not found:
                raise RecordNotFound(plan, "EngagementPlan")
            record = found[0]
        tasks = s.query(
            "Task",
            where={"engagement_plan": record["id"]},
            order_by=["due_date", "id"],
            fields=["subject", "status", "due_date", "owner_id", "reminder_at"],
        ).records
        tz = s.user.time_zone
    if as_json:
        echo_json({**record, "tasks": tasks})
        return
    echo_record(
        {
            k: record[k]
            for k in (
                "id",
                "name",
                "template",
                "target",
                "target_type",
                "status",
                "completed_tasks",
                "total_tasks",
            )
        },
        time_zone=tz,
    )
    click.echo("")
    echo_table(tasks, ["id", "subject", "status", "due_date", "owner_id", "reminder_at"], time_zone=tz)


# -- levels -------------------------------------------------------------------------------
@plans.group()
def levels():
    """Level ladders (e.g. Major Donor) and their assignment."""


LEVEL_COLUMNS = [
    "id",
    "name",
    "target",
    "level_field",
    "source_field",
    "minimum",
    "maximum",
    "active",
    "engagement_plan_template",
]


@levels.command("list")
@as_user_option
@json_option
@pass_app
def levels_list(app, as_user, as_json):
    """Every level, by ladder and minimum."""
    from .levels import sort_key

    with app.session(as_user) as s:
        rows = s.query("Level").records
    rows.sort(key=lambda lv: (lv["target"], lv["level_field"], sort_key(lv)))
    echo_json(rows) if as_json else echo_table(rows, LEVEL_COLUMNS)


@levels.command("create")
@click.option("--name", required=True)
@click.option("--target", required=True, help="A plan target type, e.g. Contact or Account.")
@click.option("--source-field", required=True, help="A number field of the target, e.g. total_gifts.")
@click.option("--level-field", default="level", show_default=True, help="The target's lookup to Level.")
@click.option("--previous-level-field", help="A second lookup to Level, e.g. previous_level.")
@click.option("--min", "minimum", help="Inclusive lower bound (blank: none).")
@click.option("--max", "maximum", help="Exclusive upper bound (blank: none).")
@click.option("--template", help="Engagement plan template (name or id) applied on reaching the level.")
@click.option("--inactive", is_flag=True, help="Create it inactive (left out of the ladder).")
@as_user_option
@json_option
@pass_app
def levels_create(
    app,
    name,
    target,
    source_field,
    level_field,
    previous_level_field,
    minimum,
    maximum,
    template,
    inactive,
    as_user,
    as_json,
):
    """Add a level to a ladder."""
    from .plans import find_template

    with app.session(as_user) as s:
        values = {
            "name": name,
            "target": target,
            "source_field": source_field,
            "level_field": level_field,
            "previous_level_field": previous_level_field,
            "minimum": minimum,
            "maximum": maximum,
            "active": not inactive,
        }
        if template:
            values["engagement_plan_template"] = find_template(s, template)["id"]
        record = s.create("Level", values)
    echo_json(record) if as_json else echo_record(record)


@levels.command("assign")
@click.option("--dry-run", is_flag=True, help="Print the moves without writing anything.")
@as_user_option
@json_option
@pass_app
def levels_assign(app, dry_run, as_user, as_json):
    """Give every record of each ladder the level its amount falls in."""
    with app.session(as_user) as s:
        done = run_action(s, "npsp.preview_levels" if dry_run else "npsp.assign_levels")
    rows = done["moves"]
    if as_json:
        echo_json(done)
        return
    if rows:
        echo_table(rows[:200], ["record_id", "ladder", "old_level", "new_level", "plan_template"])
        if len(rows) > 200:
            click.echo(f"... and {len(rows) - 200} more")
    plans_count = sum(1 for m in rows if m["plan_template"])
    verb = "would change" if dry_run else "changed"
    click.echo(
        f"{len(rows)} record(s) {verb} level; {plans_count} engagement plan(s) "
        f"{'would be ' if dry_run else ''}created"
    )
