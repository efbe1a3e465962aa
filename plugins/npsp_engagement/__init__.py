"""NPSP engagement plans (templates, dependent tasks) and Levels.

This module holds only the plugin's hook implementations; declarations
live in objects.py and permissions.py, behaviour in plain functions beside
them.
"""

from missionbase.core import hookimpl

from . import donations, levels, objects, permissions, plans, task_events, template_rules

# The prefix of this plugin's job, report and setting names (its jobs and settings read as ``npsp.levels``).
namespace = "npsp"


@hookimpl
def missionbase_register_objects(registry):
    for obj in objects.OBJECTS:
        registry.add(obj)
    registry.extend("Task", objects.TASK_FIELDS, picklist_values={"status": [objects.WAITING_STATUS]})
    registry.extend("Contact", objects.DONOR_FIELDS)
    registry.extend("Account", objects.DONOR_FIELDS)


@hookimpl
def missionbase_register_target_types(registry):
    registry.add_target("Campaign")
    registry.add_target("Donation")


@hookimpl
def missionbase_register_permission_sets(registry):
    for permset in permissions.PERMISSION_SETS:
        registry.add(permset)


@hookimpl
def missionbase_register_triggers(registry):
    registry.add_trigger("EngagementPlan", "before_insert", plans.check_plan_target)
    registry.add_trigger("EngagementPlan", "before_insert", plans.count_new_plan_tasks)
    registry.add_trigger("EngagementPlan", "after_insert", plans.create_plan_tasks)
    registry.add_trigger("EngagementPlan", "before_update", plans.keep_plan_target)
    registry.add_trigger("EngagementPlanTask", "before_insert", template_rules.check_steps)
    registry.add_trigger("EngagementPlanTask", "before_update", template_rules.check_steps)
    registry.add_trigger("Task", "after_insert", task_events.recount_after_insert)
    registry.add_trigger("Task", "after_update", task_events.recount_after_update)
    registry.add_trigger("Task", "after_update", task_events.activate_dependents)
    registry.add_trigger("Task", "after_delete", task_events.recount_after_delete)
    registry.add_trigger("Task", "after_undelete", task_events.recount_after_insert)
    registry.add_trigger("Donation", "before_insert", donations.name_donations)
    registry.add_trigger("Donation", "after_insert", donations.roll_up_after_change)
    registry.add_trigger("Donation", "after_update", donations.roll_up_after_change)
    registry.add_trigger("Donation", "after_delete", donations.roll_up_after_change)
    registry.add_trigger("Donation", "after_undelete", donations.roll_up_after_change)
    registry.add_trigger("Level", "before_insert", levels.check_levels)
    registry.add_trigger("Level", "before_update", levels.check_levels)


@hookimpl
def missionbase_register_jobs(registry):
    registry.add(levels.ASSIGN_JOB)


@hookimpl
def missionbase_register_actions(registry):
    from . import actions

    for action in actions.ACTIONS:
        registry.add(action)


@hookimpl
def missionbase_register_commands(cli):
    from .cli import plans as plans_group

    cli.add_command(plans_group)


@hookimpl
def missionbase_load_demo_data(ctx):
    from .demo import load_demo

    load_demo(ctx)
