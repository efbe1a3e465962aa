"""The access seam every RecordService call goes through.

``AccessPolicy`` is what the RecordService asks before it reads or writes:
may this user do this action on this object, which rows may they see (as a
SQL condition placed inside every query), may they touch these rows, and
which fields may they read or edit. Core ships ``AdminSeesAll``; the record
security layer replaces it with permission sets, field-level security and
sharing, without the RecordService changing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

ACTIONS = ("read", "create", "edit", "delete")


@dataclass(frozen=True)
class CurrentUser:
    """Who a session acts as. ``is_system`` marks the explicit system context."""

    id: str
    username: str
    time_zone: str = "UTC"
    is_system: bool = False


@dataclass
class SecurityState:
    """What the access policy remembers for one session (``session.security``).

    Declared here rather than set on the session by the policy, so the session
    owns its lifetime: a new session (another user, the system view of the same
    transaction) starts empty, and nothing outlives the transaction it was read in.
    """

    # The user's permissions as the policy loaded them (SecurityPolicy: a UserAccess).
    user_access: Any = None
    # Org-wide sharing defaults by object name; None until read (or after they change).
    sharing_defaults: dict[str, str] | None = None
    # (sharing defaults, user access, memo): the memo picked for those two inputs.
    readable_filters: tuple[Any, Any, dict] | None = None
    # The only objects this session may touch (an object-scoped API token); None: any.
    # Narrows the policy's answers, never widens them; the system view is not narrowed.
    object_scope: frozenset[str] | None = None


class AccessPolicy(Protocol):
    def check_object(self, session: Any, object_name: str, action: str) -> None:
        """Raise AccessDenied unless the user may ``action`` records of this object at all."""

    def readable_filter(self, session: Any, object_name: str, table: Any) -> Any | None:
        """A SQL condition selecting the rows of ``table`` the user can read (None: all)."""

    def check_rows(self, session: Any, object_name: str, action: str, rows: list[dict]) -> None:
        """Raise AccessDenied unless the user may ``action`` each of these stored rows."""

    def field_access(self, session: Any, object_name: str, field: str) -> str:
        """'hidden', 'read' or 'edit' for this user and field."""

    def memo(self, session: Any) -> dict:
        """A dict shared by the sessions whose read conditions are the same, where the
        RecordService keeps SQL it builds from them (reads by id)."""

    def parent_decides(self, session: Any, object_name: str) -> bool:
        """Whether the user reads this object's records exactly when they can read their parents;
        reads by id then apply ``restriction_filter`` and ask ``readable_parents`` apart."""

    def restriction_filter(self, session: Any, object_name: str, table: Any) -> Any | None:
        """The part of ``readable_filter`` that is not about the parent (None: nothing)."""

    def readable_parents(self, session: Any, object_name: str, parent_ids: set[str]) -> set[str]:
        """The ids among ``parent_ids`` whose records open their ``object_name`` children."""

    def is_admin(self, session: Any) -> bool:
        """May the (non-system) user change org settings (customize_application)?"""

    def has_system_permission(self, session: Any, name: str) -> bool:
        """Does the (non-system) user hold the system permission ``name`` (``manage_users``...)?"""

    def invalidate_sharing_defaults(self, session: Any) -> None:
        """Forget the session's org-wide sharing defaults: they changed in its transaction."""


class AdminSeesAll:
    """Every user may do everything: the platform before record security."""

    def check_object(self, session, object_name, action):
        return None

    def readable_filter(self, session, object_name, table):
        return None

    def check_rows(self, session, object_name, action, rows):
        return None

    def field_access(self, session, object_name, field):
        return "edit"

    def memo(self, session):
        return self.__dict__.setdefault("_memo", {})  # nothing depends on the user

    def parent_decides(self, session, object_name):
        return False

    def restriction_filter(self, session, object_name, table):
        return None

    def readable_parents(self, session, object_name, parent_ids):
        return set(parent_ids)

    def is_admin(self, session):
        return False  # settings stay with the system context until record security is installed

    def has_system_permission(self, session, name):
        return True

    def invalidate_sharing_defaults(self, session):
        return None
