"""The hooks a missionbase plugin may implement.

Declaration hooks are called once per app, plugin by plugin in dependency
order (a plugin's requirements first). Each plugin receives
``registry.scoped(plugin)``, a view that records it as the owner of what it
adds, so clashes name both plugins; job, report and setting names must start
with the plugin's namespace (its name, or ``namespace = "..."`` in its
module). The other hooks are ordinary pluggy calls: ``tryfirst``/``trylast``
order them, and ``MISSIONBASE_TRACE_HOOKS=1`` prints every call on stderr.
Implement a hook with the ``hookimpl`` marker exported by ``missionbase.core``::

    from missionbase.core import hookimpl

    @hookimpl
    def missionbase_register_objects(registry):
        registry.add(HOUSING_UNIT)

A plugin module may also set ``requires = ["programs"]`` to name the plugins it
builds on; enabling it without them is a startup error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from .config import Settings
    from .demo_context import DemoContext
    from .mail import Email
    from .registry import PluginRegistry

PROJECT_NAME = "missionbase"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# --- Declarations: once per app, plugin by plugin in dependency order --------


@hookspec
def missionbase_register_objects(registry: PluginRegistry) -> None:
    """Declare object types and extend those of other plugins.

    Call ``registry.add(ObjectType(...))`` for each new object and
    ``registry.extend("Contact", [fields...], picklist_values={...})`` to add
    fields or picklist values to an object declared elsewhere. Extensions are
    applied after every plugin has declared, so order does not matter.
    Declaring an object or field another plugin already declared is an error
    naming both plugins.
    """


@hookspec
def missionbase_register_settings(registry: PluginRegistry) -> None:
    """Declare org settings and value generators: ``registry.add(Setting("shelter.max_beds", 50))``.

    A setting's key starts with the plugin's namespace (its name, or the
    module's ``namespace = "..."``); an admin changes it with ``missionbase
    settings set KEY VALUE`` and code reads it with ``session.setting(KEY)``.
    ``registry.add(Generator("shelter.bed_code", generate=fn))`` names a way
    to generate values (client numbers) other plugins may pick. Keep the
    declarations in the plugin's ``settings.py``.
    """


@hookspec
def missionbase_register_target_types(registry: PluginRegistry) -> None:
    """Name the objects plan templates may target: ``registry.add_target("HousingUnit")``.

    Engagement plans and action plans read this one registry, so a third
    party's object can receive plans without either plan plugin knowing it.
    """


@hookspec
def missionbase_register_permission_sets(registry: PluginRegistry) -> None:
    """Ship permission sets: ``registry.add(PermissionSet("Housing: Manage", objects={...}))``.

    Admins assign them to users; a user's rights are the union of the sets
    assigned.
    """


@hookspec
def missionbase_register_triggers(registry: PluginRegistry) -> None:
    """Attach handlers to record events: ``registry.add_trigger("Contact", "before_insert", fn)``.

    Events: before_insert, after_insert, before_update, after_update,
    before_delete, after_delete, after_undelete. A handler is called once per
    batch as ``fn(ctx, rows)``: ``ctx`` carries the session (the caller's
    RecordService, so further writes stay in the same transaction and under
    the same user), the object and the event; ``rows`` is a list of
    ``TriggerRow(new, old)`` dicts. Before-handlers may change ``new``;
    raising ``ValidationError`` rolls the whole operation back.
    """


@hookspec
def missionbase_register_jobs(registry: PluginRegistry) -> None:
    """Declare scheduled or batch work: ``registry.add(Job("shelter.nightly", run=fn))``.

    ``missionbase jobs run NAME`` calls ``fn(org)``; the job opens its own
    sessions (usually the explicit system context).
    """


@hookspec
def missionbase_register_reports(registry: PluginRegistry) -> None:
    """Declare named reports: ``registry.add(Report("shelter.occupancy", run=fn))``.

    ``fn(session, **params)`` returns a list of dict rows. Reports read
    through the session, so they only see what the caller may see.
    """


@hookspec
def missionbase_register_actions(registry: PluginRegistry) -> None:
    """Declare actions, the operations that are more than one record write:
    ``registry.add(Action("admit", run=fn, object="Shelter", on_record=True, input=Model))``.

    The CLI (``missionbase actions run``, and the plugin's own commands calling
    ``run_action``), the REST API (``POST .../actions/{name}``) and the web UI run
    the same declaration as the acting user: input checked against the pydantic
    model, the permission checked, then ``fn(session, [record_id,] data)``.
    Declared after the objects, so an action may be on another plugin's object.
    """


# --- Command line: when the missionbase command starts -----------------------


@hookspec
def missionbase_register_commands(cli: click.Group) -> None:
    """Add click commands or groups to the ``missionbase`` command line: ``cli.add_command(group)``.

    Commands get the app with ``missionbase.core.cli.context.pass_app``.
    Import heavy modules inside the command function, not at module top, so
    ``missionbase --help`` stays fast.
    """


# --- Org life: demo data, outgoing mail --------------------------------------


@hookspec
def missionbase_load_demo_data(ctx: DemoContext) -> None:
    """Create this plugin's demo records with ``ctx.session`` (system context).

    ``ctx`` is a ``missionbase.core.demo_context.DemoContext``.

    ``ctx.users`` maps demo user names to ids and ``ctx.records`` collects ids
    other plugins' demo data may refer to (for example ``ctx.records["contacts"]``).
    Called in dependency order by ``missionbase demo``, once per plugin and org:
    core records which plugins' demo data is loaded and skips them next time.
    """


@hookspec(firstresult=True)
def missionbase_send_emails(settings: Settings, emails: list[Email]) -> int | None:
    """Deliver outgoing email instead of core's SMTP relay (a provider's API, say).

    ``emails`` is a list of ``missionbase.core.mail.Email`` (to, subject, body);
    ``settings`` the org's. Return how many were sent, or None to leave them to
    the next plugin and finally to the SMTP relay of the config: the first
    answer wins and later transports are not called (``tryfirst=True`` on the
    hookimpl puts a transport ahead of the others). Every sender
    (``app.send_emails``: the outbound email queue, Chatter's notifications and
    digests, engagement plan tasks) goes through this hook, so no plugin needs
    another plugin's code to send mail. Raise ``MissionbaseError`` with one line
    naming the provider when it refuses; nothing is marked sent then.
    """
