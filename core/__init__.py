"""missionbase core: the registry, persistence, record service and hooks.

What plugin authors import::

    from missionbase.core import hookimpl, ObjectType, PermissionSet, fields as f

Heavy modules (SQLAlchemy) load only when an org is opened, so importing
this package for declarations stays cheap.
"""

from . import fields
from .errors import MissionbaseError, ValidationError
from .hookspecs import hookimpl
from .registry import Job, ObjectType, PermissionSet, Report

__all__ = [
    "Job",
    "MissionbaseError",
    "ObjectType",
    "PermissionSet",
    "Report",
    "ValidationError",
    "fields",
    "hookimpl",
    "open_org",
]


def open_org(*args, **kwargs):
    """Open an org: ``open_org("missionbase.toml")``; see ``missionbase.core.app.open_org``."""
    from .app import open_org as _open

    return _open(*args, **kwargs)
