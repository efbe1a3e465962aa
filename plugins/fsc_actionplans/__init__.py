"""FSC action plans: versioned templates, task and document items, business-day due dates.

This module holds only the plugin's hook implementations; declarations
live in objects.py, permissions.py and actions.py (the operations the CLI and
the API run), behaviour in plain functions beside them (templates, plans,
assignment, duedates, documents, progress).
"""

from missionbase.core import Report, hookimpl

from . import documents, objects, permissions, plans, progress, templates

# The prefix of this plugin's report, action and setting names (``actionplans.progress``).
namespace = "actionplans"


@hookimpl
def missionbase_register_objects(registry):
    for obj in objects.OBJECTS:
        registry.add(obj)


@hookimpl
def missionbase_register_settings(registry):
    from .settings import SETTINGS

    for setting in SETTINGS:
        registry.add(setting)


@hookimpl
def missionbase_register_permission_sets(registry):
    for permset in permissions.PERMISSION_SETS:
        registry.add(permset)


@hookimpl
def missionbase_register_triggers(registry):
    add = registry.add_trigger
    add("ActionPlanTemplate", "before_insert", templates.check_template_insert)
    add("ActionPlanTemplate", "after_insert", templates.create_first_versions)
    add("ActionPlanTemplate", "before_update", templates.check_template_update)
    add("ActionPlanTemplateVersion", "before_insert", templates.number_new_versions)
    add("ActionPlanTemplateVersion", "before_update", templates.check_version_update)
    add("ActionPlanTemplateVersion", "before_delete", templates.remember_deleted_versions)
    add("ActionPlanTemplateItem", "before_insert", templates.check_item_insert)
    add("ActionPlanTemplateItem", "before_update", templates.check_item_update)
    add("ActionPlanTemplateItem", "before_delete", templates.check_item_delete)
    add("ActionPlanTemplateItemValue", "before_insert", templates.check_value_write)
    add("ActionPlanTemplateItemValue", "before_update", templates.check_value_write)
    add("ActionPlanTemplateItemValue", "before_delete", templates.check_value_delete)
    add("ActionPlan", "before_insert", plans.check_plan_insert)
    add("ActionPlan", "before_update", plans.check_plan_update)
    add("Task", "after_update", plans.sync_items_with_tasks)
    add("Task", "after_undelete", plans.sync_items_with_tasks)
    add("Task", "before_delete", plans.mark_items_of_deleted_tasks)
    add("DocumentChecklistItem", "before_update", documents.check_document_update)
    add("DocumentChecklistItem", "before_delete", documents.check_document_delete)


@hookimpl
def missionbase_register_reports(registry):
    registry.add(
        Report(
            "actionplans.progress",
            run=progress.progress_report,
            description="Action plans by template version, state and owner: % of required items "
            "done, overdue items, missing documents (by=version,state,owner,target_type).",
        )
    )


@hookimpl
def missionbase_register_actions(registry):
    from .actions import ACTIONS

    for action in ACTIONS:
        registry.add(action)


@hookimpl
def missionbase_register_commands(cli):
    from .cli import actionplans

    cli.add_command(actionplans)


@hookimpl
def missionbase_load_demo_data(ctx):
    from .demo import load_demo

    load_demo(ctx)
