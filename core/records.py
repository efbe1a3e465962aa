"""RecordService: the one door to data.

Every read and write of a record goes through a RecordService bound to one
user and one transaction (``app.session(as_user=...)``). A write validates
against the registry, asks the access policy, runs the object's triggers
with the whole batch, checks lookups and unique values, and writes with
set-based SQL (one executemany per batch, never a round-trip per row). If
anything fails, the transaction rolls back and nothing is written.
"""

from __future__ import annotations

import functools
import gc
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import fields as f
from .clock import utcnow
from .db import chunks
from .errors import (
    AccessDenied,
    DeleteBlocked,
    MissionbaseError,
    RecordNotFound,
    StaleVersion,
    UnknownName,
    ValidationError,
)
from .ids import ID_PATTERN, SYSTEM_USER_ID, new_id, new_ids, prefix_of
from .query import Page, QueryCompiler, encode_cursor
from .registry import ObjectType, Registry
from .security import CurrentUser, SecurityState

if TYPE_CHECKING:
    from .schema import Schema
    from .security import AccessPolicy
    from .validation import ObjectValidator

MAX_TRIGGER_DEPTH = 8
WRITABLE_SYSTEM_FIELDS = frozenset({"owner_id"})
OWNER_OBJECTS = ("User", "Queue")
GC_PAUSE_ROWS = 1000  # batches this large write with the cycle collector paused (see _gc_paused)
FORMULA_DEP = "_dep."  # label prefix of the values formula fields read (see _formula_dependencies)
_CALLERS_RULES = object()  # a read's visibility: the caller's whole read rule (the usual case)


def _atomic(method):
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


def _gc_paused(method):
    """Run ``method(self, obj, rows, ...)`` with the cycle collector paused for a large batch.

    A bulk write makes a few acyclic, short-lived containers per row (dicts,
    tuples); the allocation count would start a collection every 700 of
    them, and each full one rescans every live row of the batch (about a
    quarter of a 100k-row insert's time). Nothing is skipped: the collector is
    back on (and catches up) when the call returns; a nested call leaves it to
    the outer one.
    """

    @functools.wraps(method)
    def wrapper(self, obj, rows, *args, **kwargs):
        if len(rows) < GC_PAUSE_ROWS or not gc.isenabled():
            return method(self, obj, rows, *args, **kwargs)
        gc.disable()
        try:
            return method(self, obj, rows, *args, **kwargs)
        finally:
            gc.enable()

    return wrapper


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
    session: RecordService
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


class RecordService:
    """Record operations for one user inside one transaction."""

    def __init__(self, app: RecordServiceHost, conn: Connection, user: CurrentUser) -> None:
        self.app = app
        self.conn = conn
        self.user = user
        self.registry = app.registry
        self.schema = app.schema
        self.policy = app.access_policy
        self.security = SecurityState()  # what the policy remembers for this session
        self._trigger_stack: list[str] = []
        self.importing = False

    # ------------------------------------------------------------------ helpers
    def as_system(self) -> RecordService:
        """The explicit system context inside this session's transaction.

        For what a rule says the system does on the caller's behalf (a
        roll-up into a read-only field the caller may not edit): it commits
        or rolls back together with the caller's own writes.
        """
        if self.user.is_system:
            return self
        system = CurrentUser(id=SYSTEM_USER_ID, username="system", is_system=True)
        service = RecordService(self.app, self.conn, system)
        service._trigger_stack = self._trigger_stack  # recursion stays bounded across both
        return service

    def object(self, name: str) -> ObjectType:
        return self.registry.object(name)

    def object_of(self, record_id: str) -> ObjectType:
        if not isinstance(record_id, str) or not ID_PATTERN.match(record_id):
            raise ValidationError(f"{record_id!r} is not a record id (like con_01J...)")
        obj = self.registry.object_for_id(record_id)
        if obj is None:
            raise RecordNotFound(record_id)
        return obj

    def as_user(self, user_id: str) -> RecordService:
        """The same transaction seen by another (active) user: what would *they* read?

        For code that must ask core security on someone else's behalf before
        telling them about a record (notifications, digests, mentions).
        """
        return RecordService(self.app, self.conn, self.app.resolve_user(self.conn, user_id))

    def table(self, obj: ObjectType) -> sa.Table:
        return self.schema.table(obj.name)

    @property
    def is_postgres(self) -> bool:
        return self.conn.dialect.name == "postgresql"

    def field_access(self, obj: ObjectType, field: str) -> str:
        if self.user.is_system:
            return "edit"
        return self.policy.field_access(self, obj.name, field)

    def _readable(self, object_name: str, table: sa.Table) -> Any:
        if self.user.is_system:
            return None
        return self.policy.readable_filter(self, object_name, table)

    def visible_condition(self, object_name: str, table: Any = None) -> Any:
        """SQL selecting the rows of ``table`` (the object's table or an alias of it) this user
        may read: not deleted, and what sharing and restriction rules open to them.

        For code that joins an object into its own SQL (a full-text index, a report): the
        same rule ``query`` applies. Raises AccessDenied without Read on the object.
        """
        obj = self.object(object_name)
        self._check_object(obj, "read")
        table = self.table(obj) if table is None else table
        condition = table.c.is_deleted == sa.false()
        readable = self._readable(obj.name, table)
        return condition if readable is None else sa.and_(condition, readable)

    def _check_object(self, obj: ObjectType, action: str) -> None:
        if not self.user.is_system:
            self.policy.check_object(self, obj.name, action)

    def _check_rows(self, obj: ObjectType, action: str, rows: list[dict]) -> None:
        if not self.user.is_system and rows:
            self.policy.check_rows(self, obj.name, action, rows)

    # ------------------------------------------------------------------ create
    def create(self, object_name: str, values: dict, *, computed: dict | None = None) -> dict:
        return self.create_many(object_name, [values], computed=[computed] if computed else None)[0]

    @_atomic
    def create_many(
        self, object_name: str, rows: Iterable[dict], *, computed: list[dict | None] | None = None
    ) -> list[dict]:
        """Insert a batch; any bad row or trigger error rolls back the whole call.

        ``computed`` (one dict per row) sets read-only fields that trusted
        code derives itself, such as a stored file's size and checksum; user
        input can never reach them.
        """
        obj = self.object(object_name)
        return self._insert(obj, list(rows), collect=False, computed=computed).records

    def create_many_collecting(self, object_name: str, rows: list[dict]) -> BulkResult:
        """Insert the good rows of a batch and report the bad ones by index (for imports).

        Validation, lookup and uniqueness problems are per row; a trigger
        failure names its row, which is then set aside and the rest retried.
        """
        obj = self.object(object_name)
        errors: dict[int, str] = {}
        index_map = list(range(len(rows)))
        self.importing = True
        try:
            return self._insert_collecting(obj, rows, errors, index_map)
        finally:
            self.importing = False

    def _insert_collecting(
        self, obj: ObjectType, rows: list[dict], errors: dict, index_map: list
    ) -> BulkResult:
        while True:
            pending = [rows[i] for i in index_map]
            savepoint = self.conn.begin_nested()
            try:
                result = self._insert(obj, pending, collect=True)
            except ValidationError as exc:
                savepoint.rollback()
                if exc.row is None or exc.row >= len(index_map):
                    raise
                errors[index_map[exc.row]] = (
                    exc.reason if not exc.field else f"field {exc.field!r}: {exc.reason}"
                )
                index_map.pop(exc.row)
                continue
            savepoint.commit()
            for local_index, reason in result.errors.items():
                errors[index_map[local_index]] = reason
            return BulkResult(result.records, errors)

    @_gc_paused
    def _insert(
        self, obj: ObjectType, rows: list[dict], *, collect: bool, computed: list[dict | None] | None = None
    ) -> BulkResult:
        self._check_object(obj, "create")
        if not rows:
            return BulkResult([], {})
        errors: dict[int, str] = {}
        allowed = self.writable_fields(obj, "create")
        defaults = {fld.name: fld.default for fld in obj.fields if fld.default is not None}
        checked: list[dict] = []
        positions: list[int] = []
        for index, row in enumerate(rows):
            problem = self._check_keys(obj, row, allowed, index)
            if problem is not None:
                if not collect:
                    raise problem
                errors[index] = _reason(problem)
                continue
            checked.append({**defaults, **row} if defaults else dict(row))
            positions.append(index)
        validator = self.app.validator(obj.name)
        owners = [row.pop("owner_id", None) for row in checked]
        valid, bad = validator.validate_batch(checked, collect=collect)
        if bad:
            for local_index, reason in bad.items():
                errors[positions[local_index]] = reason
            keep = [i for i in range(len(checked)) if i not in bad]
            positions = [positions[i] for i in keep]
            owners = [owners[i] for i in keep]
        now = utcnow()
        user_id = self.user.id
        ids = new_ids(obj.prefix, len(valid))
        for row, record_id, owner in zip(valid, ids, owners, strict=True):
            row["id"] = record_id
            row["owner_id"] = owner or user_id
            row["created_at"] = row["modified_at"] = now
            row["created_by"] = row["modified_by"] = user_id
            row["version"] = 1
            row["is_deleted"] = False

        if computed:
            for row, position in zip(valid, positions, strict=True):
                row.update(_checked_computed(obj, computed[position]))
        if self.registry.triggers_for(obj.name, "before_insert"):  # no TriggerRow per row for nothing
            self._run_triggers(obj, "before_insert", [TriggerRow(row, None) for row in valid])
        self._assign_auto_numbers(obj, valid)
        problems = self._integrity_problems(obj, valid, None)
        if problems:
            if not collect:
                local, field, reason = problems[0]
                raise ValidationError(reason, object_name=obj.name, row=positions[local], field=field)
            drop = set()
            for local, field, reason in problems:
                if local not in drop:
                    errors[positions[local]] = f"field {field!r}: {reason}"
                    drop.add(local)
            valid = [row for i, row in enumerate(valid) if i not in drop]
        if valid:
            table = self.table(obj)
            blank = dict.fromkeys(table.c.keys())
            valid = [{**blank, **row} for row in valid]
            self._execute_insert(table, valid)
            if self.registry.triggers_for(obj.name, "after_insert"):
                self._run_triggers(obj, "after_insert", [TriggerRow(row, None) for row in valid])
        present = self._presenter(obj)
        return BulkResult([present(row) for row in self._with_formula_dependencies(obj, valid)], errors)

    def _execute_insert(self, table: sa.Table, rows: list[dict]) -> None:
        """``conn.execute(table.insert(), rows)``, minus SQLAlchemy's per-row parameter work.

        On a positional-paramstyle driver (SQLite) the rows are turned into
        tuples column by column with the same bind processors SQLAlchemy
        would apply row by row, and handed to the driver's executemany as
        the same INSERT. A processor runs once for a column whose rows all
        hold the same object (created_at, is_deleted...). Other drivers take
        SQLAlchemy's own path.
        """
        plan = _insert_plan(table, self.conn.dialect)
        if plan is None:
            self.conn.execute(table.insert(), rows)
            return
        sql, columns, processors = plan
        values = list(zip(*map(itemgetter(*columns), rows), strict=True))
        for position, process in processors:
            column = values[position]
            first = column[0]
            if all(value is first for value in column):
                values[position] = (process(first),) * len(column)
            else:
                values[position] = list(map(process, column))
        self.conn.exec_driver_sql(sql, list(zip(*values, strict=True)))

    def writable_fields(self, obj: ObjectType, action: str) -> frozenset[str]:
        names = {fld.name for fld in obj.fields if not fld.read_only} | WRITABLE_SYSTEM_FIELDS
        if not self.user.is_system:
            names = {n for n in names if n in WRITABLE_SYSTEM_FIELDS or self.field_access(obj, n) == "edit"}
            if obj.owner_is_creator:
                names.discard("owner_id")
        return frozenset(names)

    def _check_keys(
        self, obj: ObjectType, row: Any, allowed: frozenset[str], index: int
    ) -> MissionbaseError | None:
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

    # ------------------------------------------------------------------ integrity
    def _integrity_problems(self, obj: ObjectType, rows: list[dict], olds: list[dict] | None) -> list[tuple]:
        """Required, lookup and unique problems as (row index, field, reason), in row order."""
        problems: list[tuple[int, str, str]] = []
        for fld in obj.fields:
            if fld.required and not isinstance(fld, f.AutoNumber):
                name = fld.name
                for i, row in enumerate(rows):
                    value = row.get(name)
                    if value is None or value == "":
                        problems.append((i, name, "is required"))
        problems += self._lookup_problems(obj, rows, olds)
        problems += self._unique_problems(obj, rows, olds)
        problems.sort(key=lambda p: p[0])
        return problems

    def _lookup_problems(self, obj: ObjectType, rows: list[dict], olds: list[dict] | None) -> list[tuple]:
        wanted: dict[str, set[str]] = defaultdict(set)  # object name -> ids
        checks: list[tuple[int, str, str, list[str]]] = []
        lookups = [(fld.name, self.registry.lookup_target_names(fld)) for fld in obj.lookups()]
        lookups.append(("owner_id", list(OWNER_OBJECTS)))
        target_of = self._id_object_cache()
        for name, targets in lookups:
            accepted = frozenset(targets)  # "*" lists every object: a set keeps the test O(1)
            # Each distinct value is classified once (a batch repeats its owner and parents);
            # the rows are walked again only for a value of the wrong kind, to name its rows.
            if olds is None:
                values = [row.get(name) for row in rows]
            else:
                values = [
                    None if old.get(name) == row.get(name) else row.get(name)
                    for row, old in zip(rows, olds, strict=True)
                ]
            try:
                distinct: Iterable = set(values)
            except TypeError:  # an unhashable value (owner_id is not validated): one by one
                distinct = values
            bad = []
            for value in distinct:
                # The caller owning what they write needs no check (nor Read on User).
                if value is None or (name == "owner_id" and value == self.user.id):
                    continue
                target = target_of(value)
                if target is None or target.name not in accepted:
                    bad.append(value)
                    continue
                wanted[target.name].add(value)
            if bad:
                wrong = set(bad) if distinct is not values else bad
                checks += [
                    (i, name, value, targets)
                    for i, value in enumerate(values)
                    if value is not None and value in wrong
                ]
        found: set[str] = set()
        for object_name, id_set in wanted.items():
            table = self.schema.table(object_name)
            condition = table.c.is_deleted == sa.false()
            readable = self._readable(object_name, table)
            if readable is not None:
                condition = sa.and_(condition, readable)
            for chunk in chunks(sorted(id_set)):
                found.update(
                    self.conn.scalars(sa.select(table.c.id).where(table.c.id.in_(chunk), condition)).all()
                )
        problems = [
            (i, name, f"{value} is not a {' or '.join(targets) if len(targets) < 4 else 'known'} record")
            for i, name, value, targets in checks
        ]
        missing = {value for id_set in wanted.values() for value in id_set} - found
        if not missing:  # the usual case: no second pass over the batch
            return problems
        for name, _targets in lookups:
            for i, row in enumerate(rows):
                value = row.get(name)
                if value is None or value not in missing or (olds is not None and olds[i].get(name) == value):
                    continue
                problems.append(
                    (i, name, f"{target_of(value).name} {value} does not exist (or you cannot see it)")
                )
        return problems

    def _id_object_cache(self):
        """``registry.object_for_id``, remembered per id (a batch repeats its owner and parents)."""
        cache: dict[str, ObjectType | None] = {}
        object_for_id = self.registry.object_for_id

        def target_of(value: Any) -> ObjectType | None:
            if not isinstance(value, str):
                return object_for_id(value)
            try:
                return cache[value]
            except KeyError:
                target = cache[value] = object_for_id(value)
                return target

        return target_of

    def _unique_problems(self, obj: ObjectType, rows: list[dict], olds: list[dict] | None) -> list[tuple]:
        problems = []
        table = self.table(obj)
        for fld in obj.fields:
            if not fld.unique:
                continue
            seen: dict[Any, int] = {}
            values = []
            for i, row in enumerate(rows):
                value = row.get(fld.name)
                if value is None or (olds is not None and olds[i].get(fld.name) == value):
                    continue
                if value in seen:
                    problems.append(
                        (
                            i,
                            fld.name,
                            f"{value!r} is used twice in this batch (rows {seen[value]} and {i}); it must be unique",
                        )
                    )
                    continue
                seen[value] = i
                values.append(value)
            ids = {row["id"] for row in rows}
            for chunk in chunks(values):
                existing = self.conn.execute(
                    sa.select(table.c[fld.name], table.c.id).where(table.c[fld.name].in_(chunk))
                ).all()
                for value, record_id in existing:
                    if record_id not in ids:
                        problems.append(
                            (
                                seen[value],
                                fld.name,
                                f"{value!r} already exists ({record_id}); it must be unique",
                            )
                        )
        return problems

    def _assign_auto_numbers(self, obj: ObjectType, rows: list[dict]) -> None:
        for fld in obj.fields:
            if isinstance(fld, f.AutoNumber) and rows:
                first = self.reserve_numbers(f"{obj.name}.{fld.name}", len(rows))
                for offset, row in enumerate(rows):
                    row[fld.name] = fld.render(first + offset)

    def reserve_numbers(self, key: str, count: int) -> int:
        """Reserve ``count`` consecutive numbers of a named counter; returns the first.

        Safe under concurrent writers: the counter row is updated (and so
        locked) inside the caller's transaction. One upsert, so two writers
        reserving from a counter that does not exist yet do not both insert
        it (on PostgreSQL the second would fail on the primary key).
        """
        from sqlalchemy.dialects import postgresql, sqlite

        seq = self.schema.internal["sequence"]
        upsert = (postgresql.insert if self.is_postgres else sqlite.insert)(seq).values(name=key, value=count)
        upsert = upsert.on_conflict_do_update(
            index_elements=[seq.c.name], set_={"value": seq.c.value + count}
        )
        return self.conn.execute(upsert.returning(seq.c.value)).scalar_one() - count + 1

    # ------------------------------------------------------------------ read
    def get(self, record_id: str, *, fields: list[str] | None = None) -> dict:
        obj = self.object_of(record_id)
        page = self.query(obj.name, where={"id": record_id}, fields=fields, limit=1)
        if not page.records:
            raise RecordNotFound(record_id, obj.name)
        return page.records[0]

    def get_many(self, record_ids: list[str]) -> dict[str, dict]:
        """Readable records by id (missing or unreadable ids are simply absent)."""
        by_object: dict[str, list[str]] = defaultdict(list)
        for record_id in record_ids:
            by_object[self.object_of(record_id).name].append(record_id)
        out: dict[str, dict] = {}
        for object_name, ids in by_object.items():
            obj = self.object(object_name)
            self._check_object(obj, "read")
            for chunk in chunks(ids):
                out.update(self._read_by_ids(obj, chunk))
        return out

    def _read_by_ids(self, obj: ObjectType, ids: list[str]) -> dict[str, dict]:
        """One object's part of ``get_many``: the records ``query`` would return for these ids.

        For a Controlled by Parent object (read without View All or Modify All) the rows are
        read under the object's own rules (restrictions) and their parents then checked with
        each parent object's read rule, for those parents only -- rather than through one
        condition that tries, row by row, every object a polymorphic parent can be (a Note or a
        feed post can hang on a dozen objects).
        """
        by_parent = not self.user.is_system and self.policy.parent_decides(self, obj.name)
        statement, formulas = self._by_ids_statement(obj, by_parent)
        rows = self.conn.execute(statement, {"ids": ids}).mappings().all()
        present = self._presenter(obj, formulas)
        if not by_parent:
            return {row["id"]: present(dict(row)) for row in rows}
        readable = self.policy.readable_parents(self, obj.name, {row["_parent"] for row in rows} - {None})
        out = {}
        for row in rows:
            if row["_parent"] in readable:
                record = dict(row)
                del record["_parent"]
                out[record["id"]] = present(record)
        return out

    def _by_ids_statement(self, obj: ObjectType, by_parent: bool) -> tuple[Any, list[f.Formula]]:
        """``_read_by_ids``'s statement, with the ids bound when it runs: built once per user
        access (and fields shown), since reads by id are the commonest read there is."""
        memo = self.schema.statements if self.user.is_system else self.policy.memo(self)
        hidden = frozenset(fld.name for fld in obj.fields if self.field_access(obj, fld.name) == "hidden")
        key = ("by_ids", obj.name, by_parent, hidden)
        built = memo.get(key)
        if built is None:
            compiler = self._compiler(obj)
            table = compiler.table
            columns = self._select_columns(obj, compiler, None)
            formulas = self._formulas(obj)
            if formulas:
                columns += self._formula_dependencies(obj, compiler, formulas, {c.key for c in columns})
            if by_parent:
                columns.append(table.c[obj.parent_field].label("_parent"))
                readable = self.policy.restriction_filter(self, obj.name, table)
            else:
                readable = self._readable(obj.name, table)
            condition = sa.and_(
                self._base_condition(obj, table, compiler, None, readable),
                table.c.id.in_(sa.bindparam("ids", expanding=True, type_=sa.String)),
            )
            statement = sa.select(*columns).select_from(compiler.from_clause()).where(condition)
            built = memo[key] = (statement, formulas)
        return built

    def query(
        self,
        object_name: str,
        where: Any = None,
        *,
        fields: list[str] | None = None,
        order_by: str | list[str] | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page:
        obj = self.object(object_name)
        self._check_object(obj, "read")
        compiler = self._compiler(obj)
        table = compiler.table
        columns = self._select_columns(obj, compiler, fields)
        formulas = self._formulas(obj, fields)
        if formulas:
            columns += self._formula_dependencies(obj, compiler, formulas, {c.key for c in columns})
        condition = self._base_condition(obj, table, compiler, where)
        keys = compiler.order_keys(order_by)
        if cursor:
            condition = sa.and_(condition, compiler.after_cursor(keys, cursor))
        # Sort keys are selected too (labelled) so the next cursor can be built.
        sort_labels = [sa.sql.expression.label(f"_k{i}", col) for i, (_, col, _, _) in enumerate(keys)]
        stmt = sa.select(*columns, *sort_labels).select_from(compiler.from_clause()).where(condition)
        stmt = stmt.order_by(*compiler.order_clause(keys))
        if limit is not None:
            if limit < 1:
                raise ValidationError(f"limit must be at least 1 (got {limit})")
            stmt = stmt.limit(limit + 1)
        rows = self.conn.execute(stmt).mappings().all()
        next_cursor = None
        if limit is not None and len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            next_cursor = encode_cursor([last[f"_k{i}"] for i in range(len(keys))])
        present = self._presenter(obj, formulas)
        records = []
        for row in rows:
            record = {k: v for k, v in row.items() if not k.startswith("_k")}
            records.append(present(record))
        return Page(records, next_cursor)

    def count(self, object_name: str, where: Any = None) -> int:
        obj = self.object(object_name)
        self._check_object(obj, "read")
        compiler = self._compiler(obj)
        condition = self._base_condition(obj, compiler.table, compiler, where)
        stmt = sa.select(sa.func.count()).select_from(compiler.from_clause()).where(condition)
        return int(self.conn.execute(stmt).scalar_one())

    def _compiler(self, obj: ObjectType) -> QueryCompiler:
        return QueryCompiler(
            self.registry,
            self.schema,
            self.app.validator,
            obj,
            field_visible=lambda object_name, field: (
                self.field_access(self.object(object_name), field) != "hidden"
            ),
            readable=self._readable,
            session=self,
        )

    def _base_condition(self, obj, table, compiler, where, readable: Any = _CALLERS_RULES) -> Any:
        condition = table.c.is_deleted == sa.false()
        if readable is _CALLERS_RULES:
            readable = self._readable(obj.name, table)
        if readable is not None:
            condition = sa.and_(condition, readable)
        extra = compiler.where(where)
        return sa.and_(condition, extra) if extra is not None else condition

    def _select_columns(self, obj: ObjectType, compiler: QueryCompiler, fields: list[str] | None) -> list:
        table = compiler.table
        system = [
            table.c[name]
            for name in (
                "id",
                "owner_id",
                "created_at",
                "created_by",
                "modified_at",
                "modified_by",
                "version",
            )
        ]
        if not fields:
            visible = [
                table.c[fld.name]
                for fld in obj.fields
                if f.is_stored(fld) and self.field_access(obj, fld.name) != "hidden"
            ]
            return system + visible
        chosen = [table.c.id]
        for path in fields:
            if path == "id":
                continue
            if "." not in path:
                fld = obj.field(path)
                if fld is not None and not f.is_stored(fld):
                    compiler.field(obj, path)  # hidden by FLS: unknown, like any field
                    continue  # computed by the presenter from its dependencies
            column, _, _ = compiler.column(path)
            chosen.append(column.label(path) if "." in path else column)
        return chosen

    def _formulas(self, obj: ObjectType, fields: list[str] | None = None) -> list[f.Formula]:
        """The formula fields a read shows: those asked for, else every one the user may see."""
        wanted = [obj.field(p) for p in fields if "." not in p] if fields else obj.fields
        return [
            fld
            for fld in wanted
            if isinstance(fld, f.Formula) and self.field_access(obj, fld.name) != "hidden"
        ]

    def _formula_dependencies(
        self, obj: ObjectType, compiler: QueryCompiler, formulas: list[f.Formula], selected: set
    ) -> list:
        """Columns the formulas' ``compute`` reads, labelled ``_dep.<path>`` (the presenter drops them).

        Read regardless of field-level security (the formula's own access decides what is shown);
        a ``lookup.field`` path joins the target through the compiler, so only readable targets.
        """
        columns, seen = [], set(selected)
        for fld in formulas:
            for path in fld.depends_on:
                if path in seen:
                    continue
                seen.add(path)
                if "." in path:
                    lookup_name, _, target_field = path.partition(".")
                    target = self.object(obj.field(lookup_name).targets[0])
                    column = compiler.join(lookup_name, target).c[target_field]
                else:
                    column = compiler.table.c[path]
                columns.append(column.label(FORMULA_DEP + path))
        return columns

    def _with_formula_dependencies(self, obj: ObjectType, rows: list[dict]) -> list[dict]:
        """Written rows plus the ``lookup.field`` values their formulas read.

        Fetched per distinct parent (a batch of 10,000 sessions of 200
        schedules reads 200 parents), from parents the viewer may read, as
        the join of a query would.
        """
        formulas = [fld for fld in self._formulas(obj) if any("." in p for p in fld.depends_on)]
        if not formulas or not rows:
            return rows
        paths = sorted({p for fld in formulas for p in fld.depends_on if "." in p})
        values_by_path: dict[str, dict[str, Any]] = {}
        for path in paths:
            lookup_name, _, target_field = path.partition(".")
            target = self.object(obj.field(lookup_name).targets[0])
            table = self.schema.table(target.name)
            condition = table.c.is_deleted == sa.false()
            readable = self._readable(target.name, table)
            if readable is not None:
                condition = sa.and_(condition, readable)
            parent_ids = sorted({row[lookup_name] for row in rows if row.get(lookup_name)})
            found: dict[str, Any] = {}
            for chunk in chunks(parent_ids):
                stmt = sa.select(table.c.id, table.c[target_field]).where(table.c.id.in_(chunk), condition)
                found.update(self.conn.execute(stmt).all())
            values_by_path[path] = found
        out = []
        for row in rows:
            extra = {
                FORMULA_DEP + path: values_by_path[path].get(row.get(path.partition(".")[0]))
                for path in paths
            }
            out.append({**extra, **row})
        return out

    def _presenter(self, obj: ObjectType, formulas: list[f.Formula] | None = None):
        """Stored row -> the dict callers see (lists for multi-picklists, aware datetimes, hidden fields gone,
        formula fields computed for this viewer from the stored row and its ``_dep.`` dependencies)."""
        multi = [fld.name for fld in obj.fields if isinstance(fld, f.MultiPicklist)]
        hidden = {fld.name for fld in obj.fields if self.field_access(obj, fld.name) == "hidden"}
        drop = tuple(hidden | {"is_deleted", "deleted_at", "deleted_by"})
        if formulas is None:
            formulas = self._formulas(obj)
        computing = [(fld.name, fld.compute) for fld in formulas]
        dep_keys = tuple({FORMULA_DEP + path for fld in formulas for path in fld.depends_on})
        cut = len(FORMULA_DEP)

        def present(row: dict) -> dict:
            out = row.copy()  # rows are plain dicts; copy + del is twice as fast as dict() + pop()
            if computing:
                deps = [key for key in dep_keys if key in out]
                record = {**out, **{key[cut:]: out[key] for key in deps}} if deps else out
                for key in deps:
                    del out[key]
                for name, compute in computing:
                    out[name] = compute(record, self)
            for name in drop:
                if name in out:
                    del out[name]
            for name in multi:
                value = out.get(name)
                if isinstance(value, str):
                    out[name] = value.split(";") if value else []
            return out

        return present

    # ------------------------------------------------------------------ update
    def update(
        self, record_id: str, values: dict, *, version: int | None = None, computed: dict | None = None
    ) -> dict:
        change = {**values, "id": record_id}
        if version is not None:
            change["version"] = version
        return self.update_many([change], computed={record_id: computed} if computed else None)[0]

    @_atomic
    def update_many(self, changes: Iterable[dict], *, computed: dict[str, dict] | None = None) -> list[dict]:
        """Apply changes, each ``{"id": ..., "version": optional, field: value...}``.

        A change carrying a ``version`` older than the stored one is rejected
        (optimistic concurrency): nobody's edit is silently overwritten.
        ``computed`` maps record ids to read-only field values trusted code
        derives (rollups, counters); see ``create_many``.
        """
        changes = list(changes)
        by_object: dict[str, list[tuple[int, dict]]] = defaultdict(list)
        first_row: dict[str, int] = {}
        for index, change in enumerate(changes):
            if not isinstance(change, dict) or "id" not in change:
                raise ValidationError("each change needs the record 'id'", row=index)
            object_name = self.object_of(change["id"]).name
            # Two changes to one record would each start from the stored row: one would be lost.
            seen = first_row.setdefault(change["id"], index)
            if seen != index:
                raise ValidationError(
                    f"record {change['id']} is changed twice in this call (rows {seen} and {index}); "
                    "merge the changes into one",
                    object_name=object_name,
                    row=index,
                )
            by_object[object_name].append((index, change))
        results: dict[int, dict] = {}
        for object_name, indexed in by_object.items():
            updated = self._update_object(self.object(object_name), indexed, computed or {})
            results.update(updated)
        return [results[i] for i in range(len(changes))]

    def _update_object(
        self, obj: ObjectType, indexed: list[tuple[int, dict]], computed: dict[str, dict]
    ) -> dict[int, dict]:
        self._check_object(obj, "edit")
        allowed = self.writable_fields(obj, "edit")
        validator = self.app.validator(obj.name)
        bare, versions, owners = [], [], []
        for index, change in indexed:
            values = {k: v for k, v in change.items() if k not in ("id", "version")}
            problem = self._check_keys(obj, values, allowed, index)
            if problem is not None:
                raise problem
            owners.append(values.pop("owner_id", None))
            versions.append(change.get("version"))
            bare.append(values)
        try:
            valid, _ = validator.validate_batch(bare)
        except ValidationError as exc:
            exc_row = indexed[exc.row][0] if exc.row is not None else None
            raise ValidationError(exc.reason, object_name=obj.name, row=exc_row, field=exc.field) from None
        ids = [change["id"] for _, change in indexed]
        olds = self._load_for_write(obj, ids)
        self._check_rows(obj, "edit", [olds[i] for i in ids])
        now = utcnow()
        news, old_list = [], []
        for (_, change), values, version, owner in zip(indexed, valid, versions, owners, strict=True):
            old = olds[change["id"]]
            if version is not None and int(version) != old["version"]:
                raise StaleVersion(change["id"], int(version), old["version"])
            new = {
                **old,
                **values,
                "modified_at": now,
                "modified_by": self.user.id,
                "version": old["version"] + 1,
            }
            if owner is not None:
                new["owner_id"] = owner
            if change["id"] in computed:
                new.update(_checked_computed(obj, computed[change["id"]]))
            news.append(new)
            old_list.append(old)
        self._run_triggers(
            obj, "before_update", [TriggerRow(n, o) for n, o in zip(news, old_list, strict=True)]
        )
        problems = self._integrity_problems(obj, news, old_list)
        if problems:
            local, field, reason = problems[0]
            raise ValidationError(reason, object_name=obj.name, row=indexed[local][0], field=field)
        table = self.table(obj)
        # Only the columns some record of the batch changes (and the version stamp):
        # rewriting unchanged columns would also rewrite every index on them.
        stamped = ("modified_at", "modified_by", "version")
        columns = [
            c.name
            for c in table.c
            if c.name not in ("id", "created_at", "created_by", "is_deleted", "deleted_at", "deleted_by")
            and (
                c.name in stamped
                or any(n.get(c.name) != o.get(c.name) for n, o in zip(news, old_list, strict=True))
            )
        ]
        stmt = (
            table.update()
            .where(table.c.id == sa.bindparam("b_id"))
            .values({c: sa.bindparam(f"b_{c}") for c in columns})
        )
        self.conn.execute(stmt, [{"b_id": n["id"], **{f"b_{c}": n.get(c) for c in columns}} for n in news])
        self._after_write(obj, news, old_list)
        self._run_triggers(
            obj, "after_update", [TriggerRow(n, o) for n, o in zip(news, old_list, strict=True)]
        )
        present = self._presenter(obj)
        news = self._with_formula_dependencies(obj, news)
        return {index: present(new) for (index, _), new in zip(indexed, news, strict=True)}

    def _after_write(self, obj: ObjectType, news: list[dict], olds: list[dict]) -> None:
        """Extension point for what follows every update (field history)."""
        for listener in self.app.write_listeners:
            listener(self, obj, news, olds)

    def _load_for_write(self, obj: ObjectType, ids: list[str], *, deleted: bool = False) -> dict[str, dict]:
        """Stored rows the user may see, locked against concurrent writers until commit."""
        table = self.table(obj)
        out: dict[str, dict] = {}
        readable = self._readable(obj.name, table)
        for chunk in chunks(list(dict.fromkeys(ids))):
            condition = sa.and_(
                table.c.id.in_(chunk), table.c.is_deleted == (sa.true() if deleted else sa.false())
            )
            if readable is not None:
                condition = sa.and_(condition, readable)
            stmt = sa.select(table).where(condition)
            if self.is_postgres:
                stmt = stmt.with_for_update()
            for row in self.conn.execute(stmt).mappings():
                out[row["id"]] = dict(row)
        for record_id in ids:
            if record_id not in out:
                raise RecordNotFound(record_id, obj.name)
        return out

    # ------------------------------------------------------------------ delete
    def delete(self, record_id: str) -> None:
        self.delete_many([record_id])

    @_atomic
    def delete_many(self, record_ids: Iterable[str]) -> None:
        """Move records to the recycle bin, applying each child lookup's on_delete rule."""
        record_ids = list(dict.fromkeys(record_ids))
        deletion_id = new_id("del")
        by_object: dict[str, list[str]] = defaultdict(list)
        for record_id in record_ids:
            by_object[self.object_of(record_id).name].append(record_id)
        # Records this call deletes (asked for, or reached by a cascade): a child among
        # them is neither blocked by, cleared by, nor cascaded to twice from its parent.
        claimed = set(record_ids)
        for object_name, ids in by_object.items():
            self._delete_object(self.object(object_name), ids, deletion_id, root=True, claimed=claimed)

    def _delete_object(
        self, obj: ObjectType, ids: list[str], deletion_id: str, *, root: bool, claimed: set[str]
    ) -> None:
        if root:
            self._check_object(obj, "delete")
        loaded = self._load_for_write(obj, ids)
        rows = {record_id: loaded[record_id] for record_id in ids}  # in the caller's order
        if root:
            self._check_rows(obj, "delete", list(rows.values()))
        claimed.update(ids)
        self._run_triggers(obj, "before_delete", [TriggerRow(None, row) for row in rows.values()])
        for child_obj, lookup in self.registry.referencing_lookups(obj.name):
            child_table = self.table(child_obj)
            child_ids: list[tuple[str, str]] = []
            for chunk in chunks(ids):
                child_ids += self.conn.execute(
                    sa.select(child_table.c.id, child_table.c[lookup.name]).where(
                        child_table.c[lookup.name].in_(chunk), child_table.c.is_deleted == sa.false()
                    )
                ).all()
            child_ids = [(cid, parent) for cid, parent in child_ids if cid not in claimed]
            if not child_ids:
                continue
            if lookup.on_delete == "restrict":
                parent = child_ids[0][1]
                raise DeleteBlocked(
                    f"cannot delete {obj.name} {parent}: {len(child_ids)} {child_obj.name} record(s) refer to it "
                    f"through {lookup.name!r} (e.g. {child_ids[0][0]}); delete or change them first"
                )
            if lookup.on_delete == "cascade":
                self._delete_object(
                    child_obj, [cid for cid, _ in child_ids], deletion_id, root=False, claimed=claimed
                )
            else:  # clear, remembered so undelete can put the lookup back
                cleared = self.schema.internal["cleared_lookup"]
                self.conn.execute(
                    cleared.insert(),
                    [
                        {
                            "deletion_id": deletion_id,
                            "object": child_obj.name,
                            "record_id": cid,
                            "field": lookup.name,
                            "value": parent,
                        }
                        for cid, parent in child_ids
                    ],
                )
                self.conn.execute(
                    child_table.update()
                    .where(child_table.c.id == sa.bindparam("b_id"))
                    .values({lookup.name: None, "version": child_table.c.version + 1}),
                    [{"b_id": cid} for cid, _ in child_ids],
                )
        now = utcnow()
        table = self.table(obj)
        self.conn.execute(
            table.update()
            .where(table.c.id == sa.bindparam("b_id"))
            .values(is_deleted=True, deleted_at=now, deleted_by=self.user.id),
            [{"b_id": record_id} for record_id in ids],
        )
        bin_table = self.schema.internal["recycle_bin"]
        self.conn.execute(
            bin_table.insert(),
            [
                {
                    "record_id": record_id,
                    "object": obj.name,
                    "deletion_id": deletion_id,
                    "root_id": record_id if root else "",
                    "name": _display_name(obj, rows[record_id]),
                    "deleted_at": now,
                    "deleted_by": self.user.id,
                }
                for record_id in ids
            ],
        )
        self._run_triggers(obj, "after_delete", [TriggerRow(None, row) for row in rows.values()])

    def undelete(self, record_id: str) -> dict:
        self.undelete_many([record_id])
        return self.get(record_id)

    @_atomic
    def undelete_many(self, record_ids: Iterable[str]) -> None:
        """Restore records from the recycle bin with what their delete cascaded or cleared."""
        bin_table = self.schema.internal["recycle_bin"]
        for record_id in dict.fromkeys(record_ids):
            obj = self.object_of(record_id)
            entry = (
                self.conn.execute(sa.select(bin_table).where(bin_table.c.record_id == record_id))
                .mappings()
                .first()
            )
            if entry is None:
                raise (
                    RecordNotFound(record_id, obj.name)
                    if not self._exists(obj, record_id)
                    else ValidationError(f"{obj.name} {record_id} is not deleted", object_name=obj.name)
                )
            if entry["root_id"] != record_id:
                root = self.conn.execute(
                    sa.select(bin_table.c.record_id).where(
                        bin_table.c.deletion_id == entry["deletion_id"],
                        bin_table.c.root_id == bin_table.c.record_id,
                    )
                ).scalar()
                raise ValidationError(
                    f"{obj.name} {record_id} was deleted together with {root}; undelete {root} instead",
                    object_name=obj.name,
                )
            self._check_object(obj, "delete")
            deleted_rows = self._load_for_write(obj, [record_id], deleted=True)
            self._check_rows(obj, "delete", list(deleted_rows.values()))
            self._restore_deletion(entry["deletion_id"])

    def _exists(self, obj: ObjectType, record_id: str) -> bool:
        table = self.table(obj)
        return self.conn.execute(sa.select(table.c.id).where(table.c.id == record_id)).first() is not None

    def _restore_deletion(self, deletion_id: str) -> None:
        bin_table = self.schema.internal["recycle_bin"]
        cleared = self.schema.internal["cleared_lookup"]
        entries = (
            self.conn.execute(sa.select(bin_table).where(bin_table.c.deletion_id == deletion_id))
            .mappings()
            .all()
        )
        by_object: dict[str, list[str]] = defaultdict(list)
        for entry in entries:
            by_object[entry["object"]].append(entry["record_id"])
        restored: dict[str, list[dict]] = {}
        for object_name, ids in by_object.items():
            obj = self.object(object_name)
            table = self.table(obj)
            self.conn.execute(
                table.update()
                .where(table.c.id == sa.bindparam("b_id"))
                .values(is_deleted=False, deleted_at=None, deleted_by=None, version=table.c.version + 1),
                [{"b_id": i} for i in ids],
            )
            restored[object_name] = (
                list(self._load_for_write(obj, ids).values())
                if self.user.is_system
                else [
                    dict(r) for r in self.conn.execute(sa.select(table).where(table.c.id.in_(ids))).mappings()
                ]
            )
        for row in (
            self.conn.execute(sa.select(cleared).where(cleared.c.deletion_id == deletion_id)).mappings().all()
        ):
            table = self.schema.table(row["object"])
            self.conn.execute(
                table.update()
                .where(table.c.id == row["record_id"], table.c[row["field"]].is_(None))
                .values({row["field"]: row["value"], "version": table.c.version + 1})
            )
        self.conn.execute(cleared.delete().where(cleared.c.deletion_id == deletion_id))
        self.conn.execute(bin_table.delete().where(bin_table.c.deletion_id == deletion_id))
        for object_name, rows in restored.items():
            self._run_triggers(
                self.object(object_name), "after_undelete", [TriggerRow(row, None) for row in rows]
            )

    # ------------------------------------------------------------------ triggers
    def _run_triggers(self, obj: ObjectType, event: str, rows: list[TriggerRow]) -> None:
        if not rows:
            return
        for trigger in self.registry.triggers_for(obj.name, event):
            label = f"{obj.name}.{event}"
            if len(self._trigger_stack) >= MAX_TRIGGER_DEPTH:
                chain = " -> ".join([*self._trigger_stack, label])
                raise MissionbaseError(f"triggers recursed more than {MAX_TRIGGER_DEPTH} levels: {chain}")
            self._trigger_stack.append(label)
            try:
                trigger.handler(TriggerContext(self, obj, event), rows)
            finally:
                self._trigger_stack.pop()

    # ------------------------------------------------------------------ settings
    def get_setting(self, key: str) -> Any:
        """An org setting's value: what an admin set, else the declared default."""
        declared = self.registry.settings.get(key)
        if declared is None:
            raise UnknownName("setting", key, self.registry.settings)
        setting = self.schema.internal["setting"]
        row = self.conn.execute(sa.select(setting.c.value).where(setting.c.key == key)).first()
        return declared.default if row is None else row[0]

    def set_setting(self, key: str, value: Any) -> Any:
        """Change an org setting (feature switches and the like); needs the system context or an admin.

        The key must be declared by an enabled plugin and the value must have
        its type. Returns the stored value.
        """
        if not self.user.is_system and not self.policy.is_admin(self):
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


# table -> dialect -> (INSERT sql, column keys, [(position, bind processor)]) or None
_INSERT_PLANS: weakref.WeakKeyDictionary[sa.Table, dict[Any, tuple | None]] = weakref.WeakKeyDictionary()


def _insert_plan(table: sa.Table, dialect: Any) -> tuple | None:
    """How ``_execute_insert`` writes full rows of ``table`` on this dialect (None: not positional)."""
    plans = _INSERT_PLANS.setdefault(table, {})
    if dialect in plans:
        return plans[dialect]
    columns = list(table.c.keys())
    compiled = table.insert().compile(dialect=dialect, column_keys=columns)
    plan = None
    if compiled.positional and list(compiled.positiontup or ()) == columns:
        processors = []
        for position, key in enumerate(columns):
            process = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors.append((position, process))
        plan = (compiled.string, columns, processors)
    plans[dialect] = plan
    return plan


def _checked_computed(obj: ObjectType, values: dict | None) -> dict:
    """Computed values may only target read-only fields: a programming error otherwise."""
    values = values or {}
    for name in values:
        fld = obj.field(name)
        if fld is None or not fld.read_only:
            raise TypeError(f"computed value for {obj.name}.{name}: only read-only fields are computed")
    return values


def _display_name(obj: ObjectType, row: dict) -> str | None:
    if obj.name_field:
        value = row.get(obj.name_field)
        return str(value)[:255] if value is not None else None
    return None


def _reason(error: MissionbaseError) -> str:
    if isinstance(error, ValidationError):
        return f"field {error.field!r}: {error.reason}" if error.field else error.reason
    return str(error)


__all__ = [
    "BulkResult",
    "RecordService",
    "RecordServiceHost",
    "TriggerContext",
    "TriggerRow",
    "chunks",
    "prefix_of",
]
