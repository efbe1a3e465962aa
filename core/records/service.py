"""RecordService: the one door to data.

Every read and write of a record goes through a RecordService bound to one
user and one transaction (``app.session(as_user=...)``). A write validates
against the registry, asks the access policy, runs the object's triggers
with the whole batch, checks lookups and unique values, and writes with
set-based SQL (one executemany per batch, never a round-trip per row). If
anything fails, the transaction rolls back and nothing is written.

The service is a façade: each job is done by a collaborator of this package
(access view, integrity checks, reads and presentation, inserts, updates,
the recycle bin, triggers), which the service wires together for its user.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import AccessDenied, RecordNotFound, ValidationError, without_row
from ..ids import SYSTEM_USER_ID
from ..localtime import zone
from ..query import Page
from ..registry import ObjectType
from ..security import CurrentUser, SecurityState
from ..validation import InputRules
from .access import AccessView
from .host import RecordServiceHost
from .insert import Inserter, reserve_numbers
from .integrity import IntegrityChecks
from .model import BulkResult, Scope, object_of
from .presentation import Presentation
from .reading import Reader
from .recycle import RecycleBin
from .settings import OrgSettings
from .triggers import TriggerRunner
from .update import Updater


def atomic(method):
    """One call is one unit of work: if it fails, none of its writes (nor its
    triggers') stay, even when the caller catches the error and carries on in
    the same session. A savepoint inside the session's transaction."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        savepoint = self.conn.begin_nested()
        try:
            result = method(self, *args, **kwargs)
        except BaseException:
            if savepoint.is_active:
                savepoint.rollback()
            raise
        savepoint.commit()
        return result

    return wrapper


class RecordService:
    """Record operations for one user inside one transaction."""

    def __init__(
        self,
        app: RecordServiceHost,
        conn: Connection,
        user: CurrentUser,
        *,
        trigger_stack: list[str] | None = None,
    ) -> None:
        self.app = app
        self.conn = conn
        self.user = user
        self.registry = app.registry
        self.schema = app.schema
        self.policy = app.access_policy
        self.security = SecurityState()  # what the policy remembers for this session
        self.importing = False
        # How this session reads typed text: naive date-times in the user's zone; an import
        # adds the org's locale formats and its --lookup keys while it writes.
        self.input_rules = InputRules(zone=zone(user.time_zone or app.settings.time_zone))
        scope = Scope(conn, self.registry, self.schema, user, app.validator, self, self.input_rules)
        self.access_view = access = AccessView(scope, self.policy)
        self.integrity = integrity = IntegrityChecks(scope, access)
        self.presentation = shown = Presentation(scope, access)
        self.reader = reader = Reader(scope, access, shown)
        self.triggers = triggers = TriggerRunner(scope, trigger_stack)
        self.lookup_names = reader.lookup_names
        self.inserter = Inserter(scope, access, integrity, triggers, shown, reader.lookup_names)
        self.updater = Updater(scope, access, integrity, reader, triggers, shown, app.write_listeners)
        self.recycle_bin = RecycleBin(scope, access, reader, triggers)
        self.org_settings = OrgSettings(scope, access)

    # ------------------------------------------------------------------ context
    def as_system(self) -> RecordService:
        """The explicit system context inside this session's transaction.

        For what a rule says the system does on the caller's behalf (a
        roll-up into a read-only field the caller may not edit): it commits
        or rolls back together with the caller's own writes.
        """
        if self.user.is_system:
            return self
        system = CurrentUser(
            id=SYSTEM_USER_ID, username="system", time_zone=self.app.settings.time_zone, is_system=True
        )
        # The trigger stack is shared so that recursion stays bounded across both.
        return RecordService(self.app, self.conn, system, trigger_stack=self.triggers.stack)

    def as_user(self, user_id: str) -> RecordService:
        """The same transaction seen by another (active) user: what would *they* read?

        For code that must ask core security on someone else's behalf before
        telling them about a record (notifications, digests, mentions).
        """
        return RecordService(self.app, self.conn, self.app.resolve_user(self.conn, user_id))

    def limit_to_objects(self, names: Iterable[str]) -> None:
        """From now on this session may touch only these objects (reads, writes, lookups
        followed, search): what an object-scoped API token allows. It cannot be widened again."""
        names = frozenset(names)
        current = self.security.object_scope
        self.security.object_scope = names if current is None else current & names

    def may(self, object_name: str, action: str) -> bool:
        """Whether this user may ``action`` (read, create, edit, delete) records of the object at all."""
        try:
            self.access_view.check_object(self.object(object_name), action)
        except AccessDenied:
            return False
        return True

    def object(self, name: str) -> ObjectType:
        return self.registry.object(name)

    def object_of(self, record_id: str) -> ObjectType:
        return object_of(self.registry, record_id)

    def table(self, obj: ObjectType) -> sa.Table:
        return self.schema.table(obj.name)

    @property
    def is_postgres(self) -> bool:
        return self.conn.dialect.name == "postgresql"

    # ------------------------------------------------------------------ access
    def field_access(self, obj: ObjectType, field: str) -> str:
        return self.access_view.field_access(obj, field)

    def visible_condition(self, object_name: str, table: Any = None) -> Any:
        """SQL selecting the rows of ``table`` (the object's table or an alias of it) this user
        may read: not deleted, and what sharing and restriction rules open to them.

        For code that joins an object into its own SQL (a full-text index, a report): the
        same rule ``query`` applies. Raises AccessDenied without Read on the object.
        """
        obj = self.object(object_name)
        return self.access_view.visible(obj, self.table(obj) if table is None else table)

    def writable_fields(self, obj: ObjectType, action: str) -> frozenset[str]:
        return self.access_view.writable_fields(obj, action)

    # ------------------------------------------------------------------ create
    def create(self, object_name: str, values: dict, *, computed: dict | None = None) -> dict:
        try:
            return self.create_many(object_name, [values], computed=[computed] if computed else None)[0]
        except ValidationError as exc:
            if exc.row is None or type(exc) is not ValidationError:
                raise
            raise without_row(exc) from None

    @atomic
    def create_many(
        self, object_name: str, rows: Iterable[dict], *, computed: list[dict | None] | None = None
    ) -> list[dict]:
        """Insert a batch; any bad row or trigger error rolls back the whole call.

        ``computed`` (one dict per row) sets read-only fields that trusted
        code derives itself, such as a stored file's size and checksum; user
        input can never reach them.
        """
        obj = self.object(object_name)
        return self.inserter.insert(obj, list(rows), collect=False, computed=computed).records

    def create_many_collecting(self, object_name: str, rows: list[dict]) -> BulkResult:
        """Insert the good rows of a batch and report the bad ones by index (for imports).

        Validation, lookup and uniqueness problems are per row; a trigger
        failure names its row, which is then set aside and the rest retried.
        """
        obj = self.object(object_name)
        self.importing = True
        try:
            return self.inserter.insert_collecting(obj, rows)
        finally:
            self.importing = False

    def reserve_numbers(self, key: str, count: int) -> int:
        """Reserve ``count`` consecutive numbers of a named counter; returns the first.

        Safe under concurrent writers: the counter row is updated (and so
        locked) inside the caller's transaction.
        """
        return reserve_numbers(self.conn, self.schema, key, count)

    # ------------------------------------------------------------------ read
    def get(self, record_id: str, *, fields: list[str] | None = None) -> dict:
        obj = self.object_of(record_id)
        page = self.query(obj.name, where={"id": record_id}, fields=fields, limit=1)
        if not page.records:
            raise RecordNotFound(record_id, obj.name)
        return page.records[0]

    def check_record(self, record_id: str, object_name: str, action: str = "read") -> None:
        """Refuse unless ``record_id`` is a readable ``object_name`` record the user may ``action``.

        A record they cannot read, or one of another object, is "not found". ``edit`` and
        ``delete`` ask the record's sharing (and lock it until commit, as a write would);
        ``create`` asks the object permission (an action that adds records under this one).
        """
        obj = self.object(object_name)
        self.access_view.check_object(obj, "read" if action in ("read", "create") else action)
        try:
            is_same_object = self.object_of(record_id).name == obj.name
        except (ValidationError, RecordNotFound):
            is_same_object = False
        if not is_same_object:
            raise RecordNotFound(record_id, obj.name)
        if action in ("edit", "delete"):
            row = self.reader.load_for_write(obj, [record_id])[record_id]
            self.access_view.check_rows(obj, action, [row])
            return
        self.get(record_id, fields=["id"])
        if action == "create":
            self.access_view.check_object(obj, "create")

    def has_system_permission(self, name: str) -> bool:
        return self.access_view.has_system_permission(name)

    def get_many(self, record_ids: list[str]) -> dict[str, dict]:
        """Readable records by id (missing or unreadable ids are simply absent)."""
        return self.reader.get_many(record_ids)

    def query(
        self,
        object_name: str,
        where: Any = None,
        *,
        fields: list[str] | None = None,
        order_by: str | list[str] | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        claim: bool = False,
    ) -> Page:
        """Readable records matching ``where``; with ``claim``, the rows returned are this
        transaction's until it ends and rows another transaction claimed are skipped (for jobs
        that act on each row once, such as sending queued emails)."""
        obj = self.object(object_name)
        return self.reader.query(
            obj, where, fields=fields, order_by=order_by, limit=limit, cursor=cursor, claim=claim
        )

    def count(self, object_name: str, where: Any = None) -> int:
        return self.reader.count(self.object(object_name), where)

    # ------------------------------------------------------------------ update
    def update(
        self, record_id: str, values: dict, *, version: int | None = None, computed: dict | None = None
    ) -> dict:
        if "id" in values:
            # The record is the one named; an id among the values would be silently ignored.
            raise ValidationError("cannot be changed: the record to update is given apart", field="id")
        change = {**values, "id": record_id}
        if version is not None:
            change["version"] = version
        try:
            return self.update_many([change], computed={record_id: computed} if computed else None)[0]
        except ValidationError as exc:
            if exc.row is None or type(exc) is not ValidationError:
                raise
            raise without_row(exc) from None

    @atomic
    def update_many(self, changes: Iterable[dict], *, computed: dict[str, dict] | None = None) -> list[dict]:
        """Apply changes, each ``{"id": ..., "version": optional, field: value...}``.

        A change carrying a ``version`` older than the stored one is rejected
        (optimistic concurrency): nobody's edit is silently overwritten.
        ``computed`` maps record ids to read-only field values trusted code
        derives (rollups, counters); see ``create_many``.
        """
        return self.updater.update_many(changes, computed or {})

    # ------------------------------------------------------------------ delete
    def delete(self, record_id: str) -> None:
        self.delete_many([record_id])

    @atomic
    def delete_many(self, record_ids: Iterable[str]) -> None:
        """Move records to the recycle bin, applying each child lookup's on_delete rule."""
        self.recycle_bin.delete_many(record_ids)

    def undelete(self, record_id: str) -> dict:
        self.undelete_many([record_id])
        return self.get(record_id)

    @atomic
    def undelete_many(self, record_ids: Iterable[str]) -> None:
        """Restore records from the recycle bin with what their delete cascaded or cleared."""
        self.recycle_bin.undelete_many(record_ids)

    # ------------------------------------------------------------------ settings
    def get_setting(self, key: str) -> Any:
        """An org setting's value: what an admin set, else the declared default."""
        return self.org_settings.get(key)

    def set_setting(self, key: str, value: Any) -> Any:
        """Change an org setting (feature switches and the like); needs the system context or an admin.

        The key must be declared by an enabled plugin and the value must have
        its type. Returns the stored value.
        """
        return self.org_settings.set(key, value)
