"""The values record operations pass around, and the small rules they share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from ..errors import MissionbaseError, RecordNotFound, ValidationError
from ..ids import ID_PATTERN
from ..registry import ObjectType, Registry
from ..security import CurrentUser

if TYPE_CHECKING:
    from ..schema import Schema
    from ..validation import InputRules, ObjectValidator

WRITABLE_SYSTEM_FIELDS = frozenset({"owner_id"})
OWNER_OBJECTS = ("User", "Queue")
FORMULA_DEP = "_dep."  # label prefix of the values formula fields read (see Presentation.dependencies)


@dataclass(frozen=True)
class Scope:
    """What every collaborator of one session works with.

    ``session`` is the RecordService the collaborators make up. They hand it on
    to what the platform calls with a session (the access policy, triggers,
    write listeners, formula fields) and never call it themselves.
    """

    conn: Connection
    registry: Registry
    schema: Schema
    user: CurrentUser
    validators: Callable[[str], ObjectValidator]
    session: Any
    # How the session's input text is read (the user's zone; an import's locale formats).
    input: InputRules


@dataclass
class TriggerRow:
    """One record in a trigger batch. ``old`` is None on insert, ``new`` on delete."""

    new: dict | None
    old: dict | None

    def changed(self, field: str) -> bool:
        if self.old is None or self.new is None:
            return True
        return self.new.get(field) != self.old.get(field)


@dataclass
class TriggerContext:
    # The RecordService itself; typed loosely so this module, which the service's
    # collaborators import, does not depend back on the service.
    session: Any
    object: ObjectType
    event: str

    @property
    def user(self) -> CurrentUser:
        return self.session.user

    @property
    def importing(self) -> bool:
        """True while an import (``create_many_collecting``) writes: automations that
        should not fire for loaded data (auto-follow, notifications) can skip it."""
        return self.session.importing


@dataclass
class BulkResult:
    """Outcome of a bulk write that collects bad rows instead of failing (imports)."""

    records: list[dict]
    errors: dict[int, str]  # input row index -> one-line reason


def object_of(registry: Registry, record_id: str) -> ObjectType:
    """The object a record id belongs to, from its prefix."""
    if not isinstance(record_id, str) or not ID_PATTERN.match(record_id):
        raise ValidationError(f"{record_id!r} is not a record id (like con_01J...)")
    obj = registry.object_for_id(record_id)
    if obj is None:
        raise RecordNotFound(record_id)
    return obj


def checked_computed(obj: ObjectType, values: dict | None) -> dict:
    """Computed values may only target read-only fields: a programming error otherwise."""
    values = values or {}
    for name in values:
        fld = obj.field(name)
        if fld is None or not fld.read_only:
            raise TypeError(f"computed value for {obj.name}.{name}: only read-only fields are computed")
    return values


def display_name(obj: ObjectType, row: dict) -> str | None:
    if obj.name_field:
        value = row.get(obj.name_field)
        return str(value)[:255] if value is not None else None
    return None


def reason(error: MissionbaseError) -> str:
    """One line for a row an import sets aside."""
    if isinstance(error, ValidationError):
        return f"field {error.field!r}: {error.reason}" if error.field else error.reason
    return str(error)


def id_object_cache(registry: Registry):
    """``registry.object_for_id``, remembered per id (a batch repeats its owner and parents)."""
    cache: dict[str, ObjectType | None] = {}
    object_for_id = registry.object_for_id

    def target_of(value: Any) -> ObjectType | None:
        if not isinstance(value, str):
            return object_for_id(value)
        try:
            return cache[value]
        except KeyError:
            target = cache[value] = object_for_id(value)
            return target

    return target_of
