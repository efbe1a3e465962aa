"""Case Management: client record, case notes, case plans, assessments, incidents and follow-up.

This module holds only the plugin's hook implementations; declarations
live in objects.py, permissions.py, settings.py and actions.py (the operations the CLI
and the API run), behaviour in plain functions beside them (clients, clientids, notes,
caseplans, assessments, incidents, followup, home, search).
"""

from missionbase.core import Generator, Job, hookimpl

from . import objects, permissions, settings

# Enabling this plugin without these is a startup error naming them.
requires = ["pmm"]


@hookimpl
def missionbase_register_objects(registry):
    for obj in objects.OBJECTS:
        registry.add(obj)
    registry.extend("Contact", objects.CONTACT_FIELDS)


@hookimpl
def missionbase_register_settings(registry):
    from .clientids import format_generator

    for setting in settings.SETTINGS:
        registry.add(setting)
    registry.add(
        Generator(
            settings.FORMAT_GENERATOR,
            generate=format_generator,
            description="casemgmt.client_id_format, e.g. {YYYY}-{SEQ:6}, a counter per prefix",
        )
    )


@hookimpl
def missionbase_register_target_types(registry):
    registry.add_target("Incident")
    registry.add_target("CasePlan")


@hookimpl
def missionbase_register_permission_sets(registry):
    for permset in permissions.PERMISSION_SETS:
        registry.add(permset)


@hookimpl
def missionbase_register_triggers(registry):
    from . import caseplans, clients, notes, search

    add = registry.add_trigger
    for event in ("before_insert", "before_update"):
        add("Contact", event, clients.derive_contact_fields)
        add("ClientNote", event, notes.stamp_draft_author)
        add("CasePlan", event, caseplans.stamp_plan_dates)
        add("CaseGoal", event, caseplans.copy_plan_client)
        add("ActionItem", event, caseplans.copy_plan_client)
    add("ClientNote", "before_update", notes.lock_completed_notes)
    add("ClientNote", "before_delete", notes.lock_completed_notes)
    search.register_index_triggers(registry)


@hookimpl
def missionbase_register_jobs(registry):
    from . import clients, search

    registry.add(
        Job(
            "casemgmt.refresh_ages",
            run=clients.refresh_ages_job,
            schedule="daily",
            description="Store today's age and age category of contacts whose birthday changed them.",
        )
    )
    registry.add(
        Job(
            "casemgmt.rebuild_search_index",
            run=search.rebuild_index_job,
            description="Rebuild the client and global full-text search index from the records.",
        )
    )


@hookimpl
def missionbase_register_actions(registry):
    from .actions import ACTIONS

    for action in ACTIONS:
        registry.add(action)


@hookimpl
def missionbase_register_commands(cli):
    from .cli import casemgmt, search_command

    cli.add_command(casemgmt)
    cli.add_command(search_command)


@hookimpl
def missionbase_load_demo_data(ctx):
    from .demo import load_demo

    load_demo(ctx)
