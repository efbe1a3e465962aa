"""Stored rows as callers see them: the columns a read selects and the formulas it computes.

Multi-picklists become lists, hidden fields go, and formula fields are
computed for the viewer from the stored row plus the ``_dep.`` values the
formulas read (selected beside the row, or fetched for rows just written).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .. import fields as f
from ..db import chunks
from ..query import QueryCompiler
from ..registry import ObjectType
from .access import AccessView
from .model import FORMULA_DEP, Scope

SYSTEM_COLUMNS = ("id", "owner_id", "created_at", "created_by", "modified_at", "modified_by", "version")


class Presentation:
    """Columns, formulas and the presenter for one session's viewer."""

    def __init__(self, scope: Scope, access: AccessView) -> None:
        self.conn = scope.conn
        self.registry = scope.registry
        self.schema = scope.schema
        self.session = scope.session  # formulas compute(record, session)
        self.access = access

    def select_columns(self, obj: ObjectType, compiler: QueryCompiler, fields: list[str] | None) -> list:
        table = compiler.table
        system = [table.c[name] for name in SYSTEM_COLUMNS]
        if not fields:
            visible = [
                table.c[fld.name]
                for fld in obj.fields
                if f.is_stored(fld) and self.access.field_access(obj, fld.name) != "hidden"
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

    def formulas(self, obj: ObjectType, fields: list[str] | None = None) -> list[f.Formula]:
        """The formula fields a read shows: those asked for, else every one the user may see."""
        wanted = [obj.field(p) for p in fields if "." not in p] if fields else obj.fields
        return [
            fld
            for fld in wanted
            if isinstance(fld, f.Formula) and self.access.field_access(obj, fld.name) != "hidden"
        ]

    def dependencies(
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
                    target = self.registry.object(obj.field(lookup_name).targets[0])
                    column = compiler.join(lookup_name, target).c[target_field]
                else:
                    column = compiler.table.c[path]
                columns.append(column.label(FORMULA_DEP + path))
        return columns

    def with_dependencies(self, obj: ObjectType, rows: list[dict]) -> list[dict]:
        """Written rows plus the ``lookup.field`` values their formulas read.

        Fetched per distinct parent (a batch of 10,000 sessions of 200
        schedules reads 200 parents), from parents the viewer may read, as
        the join of a query would.
        """
        formulas = [fld for fld in self.formulas(obj) if any("." in p for p in fld.depends_on)]
        if not formulas or not rows:
            return rows
        paths = sorted({p for fld in formulas for p in fld.depends_on if "." in p})
        values_by_path: dict[str, dict[str, Any]] = {}
        for path in paths:
            lookup_name, _, target_field = path.partition(".")
            target = self.registry.object(obj.field(lookup_name).targets[0])
            table = self.schema.table(target.name)
            condition = table.c.is_deleted == sa.false()
            readable = self.access.readable(target.name, table)
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

    def presenter(self, obj: ObjectType, formulas: list[f.Formula] | None = None):
        """Stored row -> the dict callers see (lists for multi-picklists, aware datetimes, hidden fields gone,
        formula fields computed for this viewer from the stored row and its ``_dep.`` dependencies)."""
        multi = [fld.name for fld in obj.fields if isinstance(fld, f.MultiPicklist)]
        hidden = {fld.name for fld in obj.fields if self.access.field_access(obj, fld.name) == "hidden"}
        drop = tuple(hidden | {"is_deleted", "deleted_at", "deleted_by"})
        if formulas is None:
            formulas = self.formulas(obj)
        computing = [(fld.name, fld.compute) for fld in formulas]
        dep_keys = tuple({FORMULA_DEP + path for fld in formulas for path in fld.depends_on})
        cut = len(FORMULA_DEP)
        session = self.session

        def present(row: dict) -> dict:
            out = row.copy()  # rows are plain dicts; copy + del is twice as fast as dict() + pop()
            if computing:
                deps = [key for key in dep_keys if key in out]
                record = {**out, **{key[cut:]: out[key] for key in deps}} if deps else out
                for key in deps:
                    del out[key]
                for name, compute in computing:
                    out[name] = compute(record, session)
            for name in drop:
                if name in out:
                    del out[name]
            for name in multi:
                value = out.get(name)
                if isinstance(value, str):
                    out[name] = value.split(";") if value else []
            return out

        return present

    def present_written(self, obj: ObjectType, rows: list[dict]) -> list[dict]:
        """What a write returns for the rows it wrote."""
        present = self.presenter(obj)
        return [present(row) for row in self.with_dependencies(obj, rows)]
