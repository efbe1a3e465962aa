"""Inserting a batch: defaults, validation, system fields, triggers, integrity, one executemany."""

from __future__ import annotations

import functools
import gc
import weakref
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import fields as f
from ..clock import utcnow
from ..errors import ValidationError
from ..ids import ID_PATTERN, new_ids
from ..registry import ObjectType
from ..schema import Schema
from .access import AccessView
from .integrity import IntegrityChecks
from .lookups import LookupNames
from .model import BulkResult, Scope, TriggerRow, checked_computed, reason
from .presentation import Presentation
from .triggers import TriggerRunner

GC_PAUSE_ROWS = 1000  # batches this large write with the cycle collector paused (see gc_paused)


def gc_paused(method):
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


class Inserter:
    """Creates records for one session's user."""

    def __init__(
        self,
        scope: Scope,
        access: AccessView,
        integrity: IntegrityChecks,
        triggers: TriggerRunner,
        presentation: Presentation,
        lookup_names: LookupNames,
    ) -> None:
        self.conn = scope.conn
        self.schema = scope.schema
        self.user = scope.user
        self.validators = scope.validators
        self.access = access
        self.integrity = integrity
        self.triggers = triggers
        self.presentation = presentation
        self.rules = scope.input
        self.lookup_names = lookup_names

    def insert_collecting(self, obj: ObjectType, rows: list[dict]) -> BulkResult:
        """Insert the good rows and report the bad ones by index; a trigger failure that names
        its row sets that row aside and the rest are tried again."""
        errors: dict[int, str] = {}
        index_map = list(range(len(rows)))
        while True:
            pending = [rows[i] for i in index_map]
            savepoint = self.conn.begin_nested()
            try:
                result = self.insert(obj, pending, collect=True)
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
            for local_index, why in result.errors.items():
                errors[index_map[local_index]] = why
            return BulkResult(result.records, errors)

    @gc_paused
    def insert(
        self, obj: ObjectType, rows: list[dict], *, collect: bool, computed: list[dict | None] | None = None
    ) -> BulkResult:
        self.access.check_object(obj, "create")
        if not rows:
            return BulkResult([], {})
        errors: dict[int, str] = {}
        allowed = self.access.writable_fields(obj, "create")
        defaults = {fld.name: fld.default for fld in obj.fields if fld.default is not None}
        checked: list[dict] = []
        positions: list[int] = []
        for index, row in enumerate(rows):
            problem = self.access.check_keys(obj, row, allowed, index)
            if problem is not None:
                if not collect:
                    raise problem
                errors[index] = reason(problem)
                continue
            checked.append({**defaults, **row} if defaults else dict(row))
            positions.append(index)
        try:
            unnamed = self.lookup_names.resolve_rows(obj, checked, collect)
        except ValidationError as exc:
            raise ValidationError(
                exc.reason, object_name=obj.name, row=positions[exc.row or 0], field=exc.field
            ) from None
        for local in unnamed:  # the rest of the row is still checked, so every error shows
            for fld in obj.lookups():
                value = checked[local].get(fld.name)
                if isinstance(value, str) and not ID_PATTERN.match(value):
                    checked[local][fld.name] = None
        validator = self.validators(obj.name)
        owners = [row.pop("owner_id", None) for row in checked]
        raw = list(checked) if unnamed or collect else None
        valid, bad = validator.validate_batch(checked, collect=collect, rules=self.rules)
        if bad or unnamed:
            rejected = sorted(set(bad) | set(unnamed))
            for local in rejected:
                found = "; ".join(p for p in (unnamed.get(local), bad.get(local)) if p)
                parts = [found, *self.missing(obj, raw[local], found)]
                errors[positions[local]] = "; ".join(p for p in parts if p)
            keep_valid = [i for i in range(len(checked)) if i not in bad]
            drop = {n for n, i in enumerate(keep_valid) if i in unnamed}
            valid = [row for n, row in enumerate(valid) if n not in drop]
            keep = [i for i in keep_valid if i not in unnamed]
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
                row.update(checked_computed(obj, computed[position]))
        if self.triggers.has(obj, "before_insert"):  # no TriggerRow per row for nothing
            self.triggers.run(obj, "before_insert", [TriggerRow(row, None) for row in valid])
        self.assign_auto_numbers(obj, valid)
        problems = self.integrity.problems(obj, valid, None)
        if problems:
            if not collect:
                local, field, why = problems[0]
                raise ValidationError(why, object_name=obj.name, row=positions[local], field=field)
            drop: dict[int, list[str]] = {}
            for local, field, why in problems:
                drop.setdefault(local, []).append(f"field {field!r}: {why}")
            for local, texts in drop.items():
                errors[positions[local]] = "; ".join(texts)
            valid = [row for i, row in enumerate(valid) if i not in drop]
        if valid:
            table = self.schema.table(obj.name)
            blank = dict.fromkeys(table.c.keys())
            valid = [{**blank, **row} for row in valid]
            self.execute_insert(table, valid)
            if self.triggers.has(obj, "after_insert"):
                self.triggers.run(obj, "after_insert", [TriggerRow(row, None) for row in valid])
        return BulkResult(self.presentation.present_written(obj, valid), errors)

    @staticmethod
    def missing(obj: ObjectType, row: dict, other_errors: str | None) -> list[str]:
        """Required fields a rejected row leaves empty (a row's every error is reported at once)."""
        return [
            f"field {fld.name!r}: is required"
            for fld in obj.fields
            if fld.required
            and not isinstance(fld, f.AutoNumber)
            and row.get(fld.name) in (None, "")
            and f"field {fld.name!r}" not in (other_errors or "")
        ]

    def execute_insert(self, table: sa.Table, rows: list[dict]) -> None:
        """``conn.execute(table.insert(), rows)``, minus SQLAlchemy's per-row parameter work.

        On a positional-paramstyle driver (SQLite) the rows are turned into
        tuples column by column with the same bind processors SQLAlchemy
        would apply row by row, and handed to the driver's executemany as
        the same INSERT. A processor runs once for a column whose rows all
        hold the same object (created_at, is_deleted...). Other drivers take
        SQLAlchemy's own path.
        """
        plan = insert_plan(table, self.conn.dialect)
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

    def assign_auto_numbers(self, obj: ObjectType, rows: list[dict]) -> None:
        for fld in obj.fields:
            if isinstance(fld, f.AutoNumber) and rows:
                first = reserve_numbers(self.conn, self.schema, f"{obj.name}.{fld.name}", len(rows))
                for offset, row in enumerate(rows):
                    row[fld.name] = fld.render(first + offset)


def reserve_numbers(conn: Connection, schema: Schema, key: str, count: int) -> int:
    """Reserve ``count`` consecutive numbers of a named counter; returns the first.

    Safe under concurrent writers: the counter row is updated (and so
    locked) inside the caller's transaction. One upsert, so two writers
    reserving from a counter that does not exist yet do not both insert
    it (on PostgreSQL the second would fail on the primary key).
    """
    from sqlalchemy.dialects import postgresql, sqlite

    seq = schema.internal["sequence"]
    is_postgres = conn.dialect.name == "postgresql"
    upsert = (postgresql.insert if is_postgres else sqlite.insert)(seq).values(name=key, value=count)
    upsert = upsert.on_conflict_do_update(index_elements=[seq.c.name], set_={"value": seq.c.value + count})
    return conn.execute(upsert.returning(seq.c.value)).scalar_one() - count + 1


# table -> dialect -> (INSERT sql, column keys, [(position, bind processor)]) or None
_INSERT_PLANS: weakref.WeakKeyDictionary[sa.Table, dict[Any, tuple | None]] = weakref.WeakKeyDictionary()


def insert_plan(table: sa.Table, dialect: Any) -> tuple | None:
    """How ``execute_insert`` writes full rows of ``table`` on this dialect (None: not positional)."""
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
