"""Org settings: what an admin set, else what the declaring plugin defaults to.

As text (``settings list`` prints it, ``settings set`` reads it) a value is
itself when it is text, else JSON: ``true``, ``5``, ``["Present", "Late"]``,
``{"enabled": true}``. What ``settings list`` prints pastes back into
``settings set`` unchanged; a list setting also takes ``Present, Late``.
"""

from __future__ import annotations

import json
import typing
from typing import Any

import sqlalchemy as sa

from ..clock import utcnow
from ..errors import AccessDenied, UnknownName, ValidationError
from .access import AccessView
from .model import Scope


class OrgSettings:
    """Reading and changing declared org settings as one session's user."""

    def __init__(self, scope: Scope, access: AccessView) -> None:
        self.conn = scope.conn
        self.registry = scope.registry
        self.schema = scope.schema
        self.user = scope.user
        self.access = access

    def get(self, key: str) -> Any:
        declared = self.registry.settings.get(key)
        if declared is None:
            raise UnknownName("setting", key, self.registry.settings)
        setting = self.schema.internal["setting"]
        row = self.conn.execute(sa.select(setting.c.value).where(setting.c.key == key)).first()
        return declared.default if row is None else row[0]

    def set(self, key: str, value: Any) -> Any:
        if not self.access.is_admin():
            raise AccessDenied(f"changing setting {key!r} needs an administrator")
        declared = self.registry.settings.get(key)
        if declared is None:
            raise UnknownName("setting", key, self.registry.settings)
        from pydantic import TypeAdapter
        from pydantic import ValidationError as PydanticValidationError

        try:
            value = TypeAdapter(declared.type).validate_python(value)
        except PydanticValidationError as exc:
            raise ValidationError(
                f"{exc.errors()[0]['msg']} (got {value!r})", object_name="setting", field=key
            ) from None
        setting = self.schema.internal["setting"]
        self.conn.execute(setting.delete().where(setting.c.key == key))
        self.conn.execute(
            setting.insert().values(key=key, value=value, modified_at=utcnow(), modified_by=self.user.id)
        )
        return value


def setting_text(value: Any) -> str:
    """A setting's value as ``settings list`` prints it (and ``settings set`` reads it back)."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def setting_from_text(declared_type: Any, text: str) -> Any:
    """The value ``text`` stands for, for a setting of ``declared_type`` (validated afterwards)."""
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        parsed = text
    if declared_type is str:
        return text  # "5" or "true" for a text setting is that text
    if isinstance(parsed, str) and typing.get_origin(declared_type) in (list, tuple, set, frozenset):
        return [part.strip() for part in parsed.split(",") if part.strip()]
    return parsed
