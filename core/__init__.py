"""missionbase core: the registry, persistence, record service and hooks.

What plugin authors import::

    from missionbase.core import hookimpl, ObjectType, PermissionSet, fields as f

Attributes load on first use (PEP 562), so ``import missionbase.core.errors``
from the command line does not pull in pluggy, pydantic or SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "fields": ("missionbase.core.fields", None),
    "hookimpl": ("missionbase.core.hookspecs", "hookimpl"),
    "ObjectType": ("missionbase.core.registry", "ObjectType"),
    "PermissionSet": ("missionbase.core.registry", "PermissionSet"),
    "Job": ("missionbase.core.registry", "Job"),
    "Report": ("missionbase.core.registry", "Report"),
    "Setting": ("missionbase.core.registry", "Setting"),
    "Generator": ("missionbase.core.registry", "Generator"),
    "Restriction": ("missionbase.core.registry", "Restriction"),
    "MissionbaseError": ("missionbase.core.errors", "MissionbaseError"),
    "ValidationError": ("missionbase.core.errors", "ValidationError"),
    "TriggerRow": ("missionbase.core.records", "TriggerRow"),
    "RecordNotFound": ("missionbase.core.errors", "RecordNotFound"),
    "open_org": ("missionbase.core.app", "open_org"),
    "assign_permission_set": ("missionbase.core.security.sharing", "assign_permission_set"),
    # Command-line helpers (click only, so plugin CLI modules stay light to import).
    "pass_app": ("missionbase.core.cli.context", "pass_app"),
    "as_user_option": ("missionbase.core.cli.context", "as_user_option"),
    "json_option": ("missionbase.core.cli.context", "json_option"),
    "echo_json": ("missionbase.core.cli.context", "echo_json"),
    "echo_table": ("missionbase.core.cli.context", "echo_table"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'missionbase.core' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value
