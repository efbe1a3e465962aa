"""What a RecordService is opened with: the app, seen through the little the service uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.engine import Connection

from ..registry import Registry
from ..security import AccessPolicy, CurrentUser

if TYPE_CHECKING:
    from ..schema import Schema
    from ..validation import ObjectValidator


class RecordServiceHost(Protocol):
    """What a RecordService needs from whatever opens it (``App`` is one).

    Sessions keep it as ``session.app``: plugins reach the org's settings and
    ``resolve_user`` through it.
    """

    registry: Registry
    schema: Schema
    access_policy: AccessPolicy
    settings: Any
    # Called after every update with (session, object, new rows, old rows).
    write_listeners: list[Callable[..., None]]

    def validator(self, object_name: str) -> ObjectValidator: ...

    def resolve_user(self, conn: Connection, name_or_id: str) -> CurrentUser: ...
