"""Core's own hook implementations: the standard objects and their triggers."""

from ..hookspecs import hookimpl
from ..registry import Job, PermissionSet
from . import behaviour
from .standard import STANDARD_OBJECTS

PEOPLE_AND_CALENDARS = ("User", "Role", "Group", "Queue", "GroupMember", "BusinessHours", "Holiday")
WORK_OBJECTS = ("Account", "Contact", "Task", "Event", "Note", "File")


@hookimpl
def missionbase_register_objects(registry):
    for obj in STANDARD_OBJECTS:
        registry.add(obj)


@hookimpl
def missionbase_register_target_types(registry):
    registry.add_target("Account")
    registry.add_target("Contact")


@hookimpl
def missionbase_register_permission_sets(registry):
    registry.add(
        PermissionSet(
            "System Administrator",
            objects={"*": "CREDVM"},
            system=[
                "view_all_data",
                "modify_all_data",
                "manage_users",
                "customize_application",
                "manage_sharing",
            ],
            description="Everything, including users, permission sets and sharing settings.",
        )
    )
    registry.add(
        PermissionSet(
            "Standard User",
            objects={
                **dict.fromkeys(WORK_OBJECTS, "CRED"),
                **dict.fromkeys(PEOPLE_AND_CALENDARS, "R"),
                "OutboundEmail": "R",
            },  # the emails queued to oneself (their owner)
            description="Work with people, organisations, tasks, events, notes and files (sharing decides which).",
        )
    )
    registry.add(
        PermissionSet(
            "Read Only",
            objects=dict.fromkeys((*WORK_OBJECTS, *PEOPLE_AND_CALENDARS), "R"),
            description="Read what sharing opens to you; change nothing.",
        )
    )


@hookimpl
def missionbase_register_jobs(registry):
    registry.add(
        Job(
            "core.purge_recycle_bin",
            run=behaviour.purge_recycle_bin_job,
            schedule="daily",
            description="Delete for good what has been in the recycle bin longer than recycle_bin_days.",
        )
    )
    registry.add(
        Job(
            "core.send_outbound_email",
            run=behaviour.send_outbound_email_job,
            schedule="every few minutes",
            description="Send queued OutboundEmail records (SMTP relay of the config, or a plugin transport).",
        )
    )
    registry.add(
        Job(
            "core.purge_logins",
            run=behaviour.purge_logins_job,
            schedule="hourly",
            description="Delete expired login sessions and failed logins older than the failure window.",
        )
    )


@hookimpl
def missionbase_load_demo_data(ctx):
    from ..demo import load_core_demo  # the demo needs SQLAlchemy; declarations do not

    load_core_demo(ctx)


@hookimpl
def missionbase_register_triggers(registry):
    registry.add_trigger("Contact", "before_insert", behaviour.set_contact_name)
    registry.add_trigger("Contact", "before_update", behaviour.set_contact_name)
    registry.add_trigger("Task", "before_insert", behaviour.stamp_task_completion)
    registry.add_trigger("Task", "before_update", behaviour.stamp_task_completion)
    registry.add_trigger("Event", "before_insert", behaviour.check_event_times)
    registry.add_trigger("Event", "before_update", behaviour.check_event_times)
    registry.add_trigger("User", "after_update", behaviour.end_credentials_of_deactivated)
    registry.add_trigger("User", "after_delete", behaviour.end_credentials_of_deactivated)
    registry.add_trigger("Role", "before_insert", behaviour.check_role_cycle)
    registry.add_trigger("Role", "before_update", behaviour.check_role_cycle)
    registry.add_trigger("BusinessHours", "before_insert", behaviour.check_business_hours)
    registry.add_trigger("BusinessHours", "before_update", behaviour.check_business_hours)
    for name in ("User", "Role", "GroupMember"):  # the org graph cached for access checks
        for event in ("after_insert", "after_update", "after_delete", "after_undelete"):
            registry.add_trigger(name, event, behaviour.forget_org_graph)


@hookimpl
def missionbase_register_settings(registry):
    # Declarations only; the login and session code that reads them loads with the first login.
    from ..auth.settings import SETTINGS

    for setting in SETTINGS:
        registry.add(setting)
