"""Actions: operations that are more than one record write, declared once for every surface.

Generating a schedule's sessions, saving an attendance roster, applying a plan
template, posting on a feed: a plugin declares each as an ``Action`` (name,
object, input model, permission, handler) in ``missionbase_register_actions``.
The CLI (the plugin's own commands and ``missionbase actions run``), the REST
API (``POST .../actions/{name}``) and the web UI all call ``run_action`` with
the acting user's session, so none of them holds a rule of its own.

An action is found by its key: ``Object.name`` for an action on an object's
records (``Shelter.admit``), or a name in the plugin's namespace for
an org-level one (``shelter.nightly_count``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import AccessDenied, ConfigError, UnknownName, ValidationError

ACTION_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# What ``permission`` may name: object access on the action's object (and, for a record
# action, on that record), or one of the system permissions.
OBJECT_ACCESS = ("read", "create", "edit", "delete")


@dataclass
class Action:
    """One operation a user can run on a record, on an object, or on the org.

    ``run`` is called as ``run(session, data)``, or ``run(session, record_id, data)``
    when ``on_record`` is set, where ``data`` is an instance of ``input`` (a pydantic
    model; None when the action takes no input). It returns JSON-able data (dicts,
    lists, strings, numbers, dates) and writes only through the session, so it
    commits or rolls back with the caller's transaction.

    ``permission`` is checked before ``run``: ``read``/``create``/``edit``/``delete``
    on ``object`` (and on the record for a record action: a record the caller
    cannot read is "not found"), a system permission such as ``manage_users``, or
    None for an org-level action anyone signed in may try (its writes are still
    checked by the RecordService). ``writes=False`` marks an action that changes
    nothing (a preview, a dry run, a picker's choices): read-only API tokens may
    call it. ``long`` marks one that may take minutes on a large org: the API may
    answer it with a job once a worker runs them.
    """

    name: str
    run: Callable[..., Any]
    object: str | None = None
    on_record: bool = False
    input: Any = None  # a pydantic BaseModel subclass
    permission: str | None = "edit"
    writes: bool = True
    long: bool = False
    label: str = ""
    description: str = ""
    plugin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.object is None:
            namespace, _, short = self.name.partition(".")
            if not (namespace and short and ACTION_NAME.match(short)):
                raise ConfigError(
                    f"org-level action {self.name!r} must be named 'namespace.action_name' "
                    "(lowercase letters, digits and underscores after the dot)"
                )
            if self.on_record:
                raise ConfigError(f"action {self.name!r}: a record action needs its object")
        elif not ACTION_NAME.match(self.name):
            raise ConfigError(
                f"action {self.name!r} on {self.object}: use lowercase letters, digits and underscores"
            )
        if not self.label:
            self.label = self.name.rsplit(".", 1)[-1].replace("_", " ").capitalize()

    @property
    def key(self) -> str:
        """How the registry, the CLI and the API's org-level route name it."""
        return f"{self.object}.{self.name}" if self.object else self.name

    def input_schema(self) -> dict[str, Any]:
        """The JSON schema of the input (an empty object when there is none)."""
        if self.input is None:
            return {"type": "object", "properties": {}, "additionalProperties": False}
        return self.input.model_json_schema()

    def describe(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "object": self.object,
            "on_record": self.on_record,
            "label": self.label,
            "description": self.description,
            "permission": self.permission,
            "writes": self.writes,
            "long": self.long,
            "plugin": self.plugin,
            "input": self.input_schema(),
        }


class ActionInputError(ValidationError):
    """The input of an action failed its model: every problem, each naming its field."""

    def __init__(self, action: Action, problems: list[tuple[str | None, str]]) -> None:
        self.problems = problems
        if len(problems) == 1:
            field, listed = problems[0]
        else:
            field = None
            listed = "; ".join(f"{name}: {message}" if name else message for name, message in problems)
        super().__init__(listed, object_name=f"action {action.key}", field=field)


def find_action(registry, key: str, *, object_name: str | None = None) -> Action:
    """The action ``key`` (``Object.name`` or ``namespace.name``); with ``object_name``,
    ``key`` may be the short name of one of that object's actions."""
    actions = registry.actions
    if object_name is not None:
        wanted = key if "." in key else f"{object_name}.{key}"
        action = actions.get(wanted)
        if action is None or action.object != object_name:
            names = [a.name for a in actions.values() if a.object == object_name]
            raise UnknownName("action", key, names, where=object_name)
        return action
    action = actions.get(key)
    if action is None:
        raise UnknownName("action", key, actions)
    return action


def actions_for(registry, object_name: str | None) -> list[Action]:
    """The actions on one object's records or the object itself (None: the org-level ones)."""
    return sorted((a for a in registry.actions.values() if a.object == object_name), key=lambda a: a.name)


def parse_input(action: Action, values: dict[str, Any] | None) -> Any:
    """``values`` as the action's input model, or one ActionInputError naming every bad field."""
    values = values or {}
    if not isinstance(values, dict):
        raise ActionInputError(action, [(None, "the input must be an object of option names to values")])
    if action.input is None:
        if values:  # each given option named, as for an action whose model forbids extras
            raise ActionInputError(
                action, [(name, "unknown option: this action takes no input") for name in sorted(values)]
            )
        return None
    import pydantic

    try:
        return action.input.model_validate(values)
    except pydantic.ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            name = ".".join(str(part) for part in error.get("loc", ())) or None
            message = error.get("msg", "invalid")
            if error.get("type") == "extra_forbidden":
                allowed = ", ".join(sorted(action.input.model_fields))
                message = f"unknown option; allowed: {allowed}"
            elif error.get("type") in ("literal_error", "enum") and isinstance(error.get("input"), str):
                # Name the closest allowed values, as every other unknown name does.
                choices = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
                message = str(UnknownName("value", error["input"], choices))
            problems.append((name, message))
        raise ActionInputError(action, problems) from None


def check_permission(session, action: Action, record_id: str | None) -> None:
    """Refuse before the handler runs: the action's declared permission, and for a record
    action a record of its object that the caller can see (else "not found")."""
    if action.on_record:
        if not record_id:
            raise ValidationError(f"action {action.key} acts on one {action.object} record: give its id")
        session.check_record(record_id, action.object, action.permission or "read")
        return
    if action.permission is None:
        return
    if action.permission in OBJECT_ACCESS:
        session.access_view.check_object(session.object(action.object), action.permission)
    elif not session.has_system_permission(action.permission):
        raise AccessDenied(
            f"{session.user.username} may not run {action.key}: it needs the "
            f"{action.permission} system permission"
        )


def run_action(
    session, key: str, values: dict[str, Any] | None = None, *, record_id: str | None = None, object_name=None
) -> Any:
    """Run the action ``key`` as the session's user: check its input and permission, then call it.

    Whatever the surface, the input is validated whole first (every bad field named
    at once), then the permission checked, then the handler runs in the session's
    transaction (so an error anywhere writes nothing).
    """
    action = find_action(session.registry, key, object_name=object_name)
    data = parse_input(action, values)
    check_permission(session, action, record_id)
    if action.on_record:
        return action.run(session, record_id, data)
    return action.run(session, data)
