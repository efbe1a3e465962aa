"""missionbase-housing: a third-party missionbase plugin, and the template to copy for one.

This module holds only the hook implementations; declarations live in
objects.py (objects, permission set) and settings.py, behaviour in plain
functions beside them (rules.py: triggers, reports.py: report and job, actions.py: actions,
cli.py: commands, demo.py: demo data), and schema changes that need more
than ``db upgrade`` in migrations/ (Alembic revision scripts, branch label
``housing``). Everything is imported from ``missionbase.core``, the face
core keeps stable for plugins.
"""

from missionbase.core import Job, Report, hookimpl

from . import objects, settings

# Job, report and setting names start with "housing." (the entry point's name).


@hookimpl
def missionbase_register_objects(registry):
    registry.add(objects.HOUSING_UNIT)
    registry.extend("Contact", objects.CONTACT_FIELDS)


@hookimpl
def missionbase_register_settings(registry):
    for setting in settings.SETTINGS:
        registry.add(setting)


@hookimpl
def missionbase_register_target_types(registry):
    registry.add_target("HousingUnit")


@hookimpl
def missionbase_register_permission_sets(registry):
    registry.add(objects.MANAGE)


@hookimpl
def missionbase_register_triggers(registry):
    from .rules import place_tenants

    registry.add_trigger("HousingUnit", "before_insert", place_tenants)
    registry.add_trigger("HousingUnit", "before_update", place_tenants)


@hookimpl
def missionbase_register_jobs(registry):
    from .reports import check_vacancies

    registry.add(Job("housing.check_vacancies", run=check_vacancies, schedule="daily"))


@hookimpl
def missionbase_register_reports(registry):
    from .reports import occupancy

    registry.add(Report("housing.occupancy", run=occupancy, description="Housing units per status"))


@hookimpl
def missionbase_register_actions(registry):
    from .actions import ACTIONS

    for action in ACTIONS:
        registry.add(action)


@hookimpl
def missionbase_register_commands(cli):
    from .cli import housing

    cli.add_command(housing)


@hookimpl
def missionbase_load_demo_data(ctx):
    from .demo import load_demo

    load_demo(ctx)
