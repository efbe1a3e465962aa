"""Program Management: programs, services, schedules, sessions, attendance and rollups.

This module holds only the plugin's hook implementations; declarations
live in objects.py, permissions.py and settings.py, behaviour in plain
functions beside them (schedules, participants, attendance, deliveries,
rollups, reports).
"""

from missionbase.core import hookimpl

from . import objects, permissions, settings


@hookimpl
def missionbase_register_objects(registry):
    for obj in objects.OBJECTS:
        registry.add(obj)
    registry.extend("Contact", objects.CONTACT_FIELDS)


@hookimpl
def missionbase_register_settings(registry):
    for setting in settings.SETTINGS:
        registry.add(setting)


@hookimpl
def missionbase_register_target_types(registry):
    registry.add_target("Program")
    registry.add_target("ProgramEngagement")


@hookimpl
def missionbase_register_permission_sets(registry):
    for permset in permissions.PERMISSION_SETS:
        registry.add(permset)


@hookimpl
def missionbase_register_triggers(registry):
    from . import triggers

    triggers.register(registry)


@hookimpl
def missionbase_register_reports(registry):
    from . import reports

    for report in reports.REPORTS:
        registry.add(report)


@hookimpl
def missionbase_register_actions(registry):
    from . import actions

    for action in actions.ACTIONS:
        registry.add(action)


@hookimpl
def missionbase_register_commands(cli):
    from .cli import pmm

    cli.add_command(pmm)


@hookimpl
def missionbase_load_demo_data(ctx):
    from .demo import load_demo

    load_demo(ctx)
