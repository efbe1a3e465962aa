"""missionbase-housing: a third-party missionbase plugin.

This module holds only the hook implementations; the declarations live in
objects.py and schema changes that need more than ``db upgrade`` live in
migrations/ (Alembic revision scripts, branch label ``housing``).
"""

from missionbase.core import hookimpl

from . import objects


@hookimpl
def missionbase_register_objects(registry):
    registry.add(objects.HOUSING_UNIT)
    registry.extend("Contact", objects.CONTACT_FIELDS)


@hookimpl
def missionbase_register_target_types(registry):
    registry.add_target("HousingUnit")


@hookimpl
def missionbase_register_permission_sets(registry):
    registry.add(objects.MANAGE)
