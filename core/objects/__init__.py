"""Core's own hook implementations: the standard objects and their triggers."""

from ..hookspecs import hookimpl
from . import behaviour
from .standard import STANDARD_OBJECTS


@hookimpl
def missionbase_register_objects(registry):
    for obj in STANDARD_OBJECTS:
        registry.add(obj)


@hookimpl
def missionbase_register_target_types(registry):
    registry.add_target("Account")
    registry.add_target("Contact")


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
    registry.add_trigger("BusinessHours", "before_insert", behaviour.check_business_hours)
    registry.add_trigger("BusinessHours", "before_update", behaviour.check_business_hours)
