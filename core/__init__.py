"""missionbase core: the registry, persistence, record service and hooks.

This package is the one face plugins import from (the built-in plugins and
third-party ones alike)::

    from missionbase.core import hookimpl, ObjectType, PermissionSet, fields as f
    from missionbase.core import ValidationError, query_all, pass_app, echo_table

Everything a plugin needs is here and nothing more; the submodules behind it
(records, security.sharing, cli.context...) are core's own and may move.
tests/test_public_face.py fails when a built-in plugin imports past it.
Plugin tests also use ``missionbase.core.testing`` (pytest fixtures).

Names load on first use (PEP 562): importing this package imports nothing
but importlib, and each name imports only its own module. So the command
line helpers (``pass_app``, ``json_option``...) live here too rather than in a
second face: a plugin's cli.py that imports them pulls in click and
core.cli.context only, never pluggy, pydantic or SQLAlchemy, and
``missionbase --help`` stays a click-only import.
"""

from __future__ import annotations

import importlib
from typing import Any

_CLI = "missionbase.core.cli.context"
_ERRORS = "missionbase.core.errors"
_REGISTRY = "missionbase.core.registry"
_SHARING = "missionbase.core.security.sharing"
_LOCALTIME = "missionbase.core.localtime"

# name -> (module, attribute; None for the module itself)
_EXPORTS = {
    # declarations
    "fields": ("missionbase.core.fields", None),
    "hookimpl": ("missionbase.core.hookspecs", "hookimpl"),
    "ObjectType": (_REGISTRY, "ObjectType"),
    "PermissionSet": (_REGISTRY, "PermissionSet"),
    "Job": (_REGISTRY, "Job"),
    "Report": (_REGISTRY, "Report"),
    "Setting": (_REGISTRY, "Setting"),
    "Generator": (_REGISTRY, "Generator"),
    "Restriction": (_REGISTRY, "Restriction"),
    "NotInFuture": (_REGISTRY, "NotInFuture"),
    "Action": ("missionbase.core.actions", "Action"),
    "run_action": ("missionbase.core.actions", "run_action"),
    # errors
    "MissionbaseError": (_ERRORS, "MissionbaseError"),
    "ConfigError": (_ERRORS, "ConfigError"),
    "UnknownName": (_ERRORS, "UnknownName"),
    "ValidationError": (_ERRORS, "ValidationError"),
    "RecordNotFound": (_ERRORS, "RecordNotFound"),
    "StaleVersion": (_ERRORS, "StaleVersion"),
    "AccessDenied": (_ERRORS, "AccessDenied"),
    "DeleteBlocked": (_ERRORS, "DeleteBlocked"),
    # records and queries
    "open_org": ("missionbase.core.app", "open_org"),
    "SYSTEM_USER": ("missionbase.core.app", "SYSTEM_USER"),
    "RecordService": ("missionbase.core.records", "RecordService"),
    "TriggerContext": ("missionbase.core.records", "TriggerContext"),
    "TriggerRow": ("missionbase.core.records", "TriggerRow"),
    "chunks": ("missionbase.core.db", "chunks"),
    "skip_locked": ("missionbase.core.db", "skip_locked"),
    "Page": ("missionbase.core.query", "Page"),
    "query_all": ("missionbase.core.query", "query_all"),
    "query_pages": ("missionbase.core.query", "query_pages"),
    "ID_PATTERN": ("missionbase.core.ids", "ID_PATTERN"),
    "load_rows": ("missionbase.core.dataio", "load_rows"),
    "run_report": ("missionbase.core.reports", "run_report"),
    "resolve_records": ("missionbase.core.records.lookups", "resolve_records"),
    # local time: what a typed date-time means for the acting user
    "parse_user_datetime": (_LOCALTIME, "parse_user_datetime"),
    "user_zone": (_LOCALTIME, "user_zone"),
    "local_now": (_LOCALTIME, "local_now"),
    "local_today": (_LOCALTIME, "local_today"),
    "local_date": (_LOCALTIME, "local_date"),
    # security
    "assign_permission_set": (_SHARING, "assign_permission_set"),
    "set_sharing_default": (_SHARING, "set_sharing_default"),
    "require_system": (_SHARING, "require_system"),
    "Grantee": (_SHARING, "Grantee"),
    "resolve_grantee": (_SHARING, "resolve_grantee"),
    "share_record": (_SHARING, "share_record"),
    "unshare_record": (_SHARING, "unshare_record"),
    # mail, files, calendar
    "Email": ("missionbase.core.mail", "Email"),
    "store_file": ("missionbase.core.files", "store_file"),
    "WorkingDays": ("missionbase.core.calendar", "WorkingDays"),
    "add_calendar_days": ("missionbase.core.calendar", "add_calendar_days"),
    "load_working_calendar": ("missionbase.core.calendar", "load_working_calendar"),
    # command line (click and core.cli.context only)
    "pass_app": (_CLI, "pass_app"),
    "as_user_option": (_CLI, "as_user_option"),
    "json_option": (_CLI, "json_option"),
    "ids_option": (_CLI, "ids_option"),
    "targets_option": (_CLI, "targets_option"),
    "action_command": (_CLI, "action_command"),
    "display": (_CLI, "display"),
    "echo_json": (_CLI, "echo_json"),
    "echo_record": (_CLI, "echo_record"),
    "echo_report": (_CLI, "echo_report"),
    "echo_table": (_CLI, "echo_table"),
    "read_json": (_CLI, "read_json"),
    "write_json": (_CLI, "write_json"),
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


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
