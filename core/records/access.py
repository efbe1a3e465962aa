"""What the session's user may see and write, as the record operations ask it.

Every question goes to the access policy, except in the explicit system
context, which may do everything without asking.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .. import fields as f
from ..errors import AccessDenied, MissionbaseError, UnknownName, ValidationError
from ..registry import ObjectType
from ..security import AccessPolicy
from .model import WRITABLE_SYSTEM_FIELDS, Scope


class AccessView:
    """The access policy's answers for one session's user."""

    def __init__(self, scope: Scope, policy: AccessPolicy) -> None:
        self.policy = policy
        self.session = scope.session  # what the policy is asked about
        self.user = scope.user

    def field_access(self, obj: ObjectType, field: str) -> str:
        if self.user.is_system:
            return "edit"
        if not self.in_scope(obj.name):
            return "hidden"  # not even through a lookup (``account.name`` in a filter)
        return self.policy.field_access(self.session, obj.name, field)

    def in_scope(self, object_name: str) -> bool:
        scope = self.session.security.object_scope
        return scope is None or object_name in scope

    def readable(self, object_name: str, table: sa.Table) -> Any:
        """The SQL condition for the rows of ``table`` the user may read (None: every row)."""
        if self.user.is_system:
            return None
        return self.policy.readable_filter(self.session, object_name, table)

    def visible(self, obj: ObjectType, table: Any) -> Any:
        """Rows of ``table`` not deleted and readable; raises AccessDenied without Read on the object."""
        self.check_object(obj, "read")
        condition = table.c.is_deleted == sa.false()
        readable = self.readable(obj.name, table)
        return condition if readable is None else sa.and_(condition, readable)

    def check_object(self, obj: ObjectType, action: str) -> None:
        if self.user.is_system:
            return
        if not self.in_scope(obj.name):
            allowed = ", ".join(sorted(self.session.security.object_scope))
            raise AccessDenied(f"this API token may only touch {allowed}; {obj.name} is outside its scope")
        self.policy.check_object(self.session, obj.name, action)

    def check_rows(self, obj: ObjectType, action: str, rows: list[dict]) -> None:
        if not self.user.is_system and rows:
            self.policy.check_rows(self.session, obj.name, action, rows)

    def parent_decides(self, obj: ObjectType) -> bool:
        return not self.user.is_system and self.policy.parent_decides(self.session, obj.name)

    def restriction_filter(self, obj: ObjectType, table: Any) -> Any:
        return self.policy.restriction_filter(self.session, obj.name, table)

    def readable_parents(self, obj: ObjectType, parent_ids: set[str]) -> set[str]:
        return self.policy.readable_parents(self.session, obj.name, parent_ids)

    def memo(self, statements: dict) -> dict:
        """Where SQL built from this user's read conditions is kept (``statements`` for the system)."""
        return statements if self.user.is_system else self.policy.memo(self.session)

    def has_system_permission(self, name: str) -> bool:
        return self.user.is_system or self.policy.has_system_permission(self.session, name)

    def is_admin(self) -> bool:
        """May the user change org settings (the system context always may)?"""
        return self.user.is_system or self.policy.is_admin(self.session)

    def writable_fields(self, obj: ObjectType, action: str) -> frozenset[str]:
        names = {fld.name for fld in obj.fields if not fld.read_only} | WRITABLE_SYSTEM_FIELDS
        if not self.user.is_system:
            names = {n for n in names if n in WRITABLE_SYSTEM_FIELDS or self.field_access(obj, n) == "edit"}
            if obj.owner_is_creator:
                names.discard("owner_id")
        return frozenset(names)

    def check_keys(
        self, obj: ObjectType, row: Any, allowed: frozenset[str], index: int
    ) -> MissionbaseError | None:
        """Why the user may not write these fields of a row (None: they may)."""
        if not isinstance(row, dict):
            return ValidationError(
                "a record must be a mapping of field names to values", object_name=obj.name, row=index
            )
        if allowed.issuperset(row):  # the usual case, without building a set per row
            return None
        extra = row.keys() - allowed
        name = sorted(extra)[0]
        fld = obj.field(name)
        if name == "owner_id" and obj.owner_is_creator:
            return ValidationError(
                f"is whoever creates the {obj.label.lower()}; only the system sets it",
                object_name=obj.name,
                row=index,
                field=name,
            )
        if name in f.SYSTEM_FIELD_NAMES or (fld is not None and fld.read_only):
            return ValidationError("is read-only", object_name=obj.name, row=index, field=name)
        if fld is not None and self.field_access(obj, name) == "read":
            return ValidationError("is read-only for you", object_name=obj.name, row=index, field=name)
        visible = [n for n in obj.field_names if self.field_access(obj, n) != "hidden"]
        error = UnknownName("field", name, visible, where=obj.name)
        return ValidationError(str(error).replace(f" on {obj.name}", ""), object_name=obj.name, row=index)
