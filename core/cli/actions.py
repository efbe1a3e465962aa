"""``missionbase actions``: every declared action, run from the command line with no plugin code."""

from __future__ import annotations

import click

from .context import as_user_option, echo_json, echo_table, json_option, parse_assignments, pass_app


@click.group()
def actions():
    """List the actions the enabled plugins declare, and run one."""


@actions.command("list")
@click.argument("object_name", metavar="[OBJECT]", required=False)
@click.option("--all", "show_all", is_flag=True, help="Every action, on every object and the org.")
@json_option
@pass_app
def list_command(app, object_name, show_all, as_json):
    """Actions on OBJECT's records, or the org-level ones (--all: every one)."""
    from ..actions import actions_for

    registry = app.registry
    if object_name is not None:
        registry.object(object_name)  # an unknown object: the closest names
    found = (
        sorted(registry.actions.values(), key=lambda a: a.key)
        if show_all
        else actions_for(registry, object_name)
    )
    if as_json:
        echo_json([action.describe() for action in found])
        return
    rows = [
        {
            "action": action.key,
            "on": "a record" if action.on_record else (action.object or "the org"),
            "needs": action.permission or "-",
            "options": ", ".join(_option_names(action)) or "-",
            "description": action.description or action.label,
        }
        for action in found
    ]
    echo_table(rows, max_width=60)


@actions.command("run")
@click.argument("key", metavar="ACTION")
@click.argument("record_id", metavar="[RECORD_ID]", required=False)
@click.option(
    "--set", "pairs", multiple=True, metavar="OPTION=VALUE", help="An input option; repeat for more."
)
@click.option("--data", metavar="JSON", help="The input as a JSON object.")
@as_user_option
@json_option
@pass_app
def run_command(app, key, record_id, pairs, data, as_user, as_json):
    """Run ACTION (Object.name or namespace.name) as --as USER, on RECORD_ID for a record action.

    Example: missionbase actions run Shelter.admit shl_01J... --set contact=con_01J...
    """
    from ..actions import find_action, run_action

    action = find_action(app.registry, key)
    values = _typed(action, parse_assignments(pairs, data))
    with app.session(as_user) as session:
        result = run_action(session, key, values, record_id=record_id)
        time_zone = session.user.time_zone
    if as_json:
        echo_json(result)
    elif isinstance(result, list) and all(isinstance(row, dict) for row in result):
        echo_table(result, time_zone=time_zone)
    elif isinstance(result, dict):
        echo_table([result], time_zone=time_zone)
    else:
        click.echo(f"{action.key}: done" if result is None else str(result))


def _option_names(action) -> list[str]:
    return list(action.input.model_fields) if action.input is not None else []


def _typed(action, values: dict) -> dict:
    """``--set days=2,4`` for an option that takes a list: the text split at commas
    (the model converts each item); everything else is left for the model to read."""
    if action.input is None:
        return values
    out = dict(values)
    for name, value in values.items():
        info = action.input.model_fields.get(name)
        if info is None or not isinstance(value, str):
            continue
        if _takes_a_list(info.annotation):
            out[name] = [item.strip() for item in value.split(",") if item.strip()]
    return out


def _takes_a_list(annotation) -> bool:
    import typing

    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    # ``list[str] | None``: a list when given
    return any(_takes_a_list(arg) for arg in typing.get_args(annotation)) if origin is not None else False
