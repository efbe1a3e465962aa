"""Reads: queries, counts, reads by id, and loading the rows a write will change.

Every read selects only what the user may see: the access view's read
condition goes inside the SQL, and reads by id (the commonest read there is)
reuse a statement built once per user access.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from .. import fields as f
from ..db import chunks, skip_locked
from ..errors import RecordNotFound, ValidationError
from ..query import Page, QueryCompiler, encode_cursor
from ..registry import ObjectType
from .access import AccessView
from .lookups import LookupNames
from .model import Scope, object_of
from .presentation import Presentation

_CALLERS_RULES = object()  # a read's visibility: the caller's whole read rule (the usual case)


class Reader:
    """Reads for one session's user."""

    def __init__(self, scope: Scope, access: AccessView, presentation: Presentation) -> None:
        self.conn = scope.conn
        self.registry = scope.registry
        self.schema = scope.schema
        self.validators = scope.validators
        self.session = scope.session  # the viewer formula fields' SQL is built for
        self.access = access
        self.presentation = presentation
        self.rules = scope.input
        self.lookup_names = LookupNames(scope, self)

    @property
    def is_postgres(self) -> bool:
        return self.conn.dialect.name == "postgresql"

    def get_many(self, record_ids: list[str]) -> dict[str, dict]:
        """Readable records by id (missing or unreadable ids are simply absent)."""
        by_object: dict[str, list[str]] = defaultdict(list)
        for record_id in record_ids:
            by_object[object_of(self.registry, record_id).name].append(record_id)
        out: dict[str, dict] = {}
        for object_name, ids in by_object.items():
            obj = self.registry.object(object_name)
            self.access.check_object(obj, "read")
            for chunk in chunks(ids):
                out.update(self.read_by_ids(obj, chunk))
        return out

    def read_by_ids(self, obj: ObjectType, ids: list[str]) -> dict[str, dict]:
        """One object's part of ``get_many``: the records ``query`` would return for these ids.

        For a Controlled by Parent object (read without View All or Modify All) the rows are
        read under the object's own rules (restrictions) and their parents then checked with
        each parent object's read rule, for those parents only -- rather than through one
        condition that tries, row by row, every object a polymorphic parent can be (a Note or a
        feed post can hang on a dozen objects).
        """
        by_parent = self.access.parent_decides(obj)
        statement, formulas = self.by_ids_statement(obj, by_parent)
        rows = self.conn.execute(statement, {"ids": ids}).mappings().all()
        present = self.presentation.presenter(obj, formulas)
        if not by_parent:
            return {row["id"]: present(dict(row)) for row in rows}
        readable = self.access.readable_parents(obj, {row["_parent"] for row in rows} - {None})
        out = {}
        for row in rows:
            if row["_parent"] in readable:
                record = dict(row)
                del record["_parent"]
                out[record["id"]] = present(record)
        return out

    def by_ids_statement(self, obj: ObjectType, by_parent: bool) -> tuple[Any, list[f.Formula]]:
        """``read_by_ids``'s statement, with the ids bound when it runs: built once per user
        access (and fields shown), since reads by id are the commonest read there is."""
        memo = self.access.memo(self.schema.statements)
        hidden = frozenset(
            fld.name for fld in obj.fields if self.access.field_access(obj, fld.name) == "hidden"
        )
        key = ("by_ids", obj.name, by_parent, hidden)
        built = memo.get(key)
        if built is None:
            compiler = self.compiler(obj)
            table = compiler.table
            columns = self.presentation.select_columns(obj, compiler, None)
            formulas = self.presentation.formulas(obj)
            if formulas:
                columns += self.presentation.dependencies(obj, compiler, formulas, {c.key for c in columns})
            if by_parent:
                columns.append(table.c[obj.parent_field].label("_parent"))
                readable = self.access.restriction_filter(obj, table)
            else:
                readable = self.access.readable(obj.name, table)
            condition = sa.and_(
                self.base_condition(obj, table, compiler, None, readable),
                table.c.id.in_(sa.bindparam("ids", expanding=True, type_=sa.String)),
            )
            statement = sa.select(*columns).select_from(compiler.from_clause()).where(condition)
            built = memo[key] = (statement, formulas)
        return built

    def query(
        self,
        obj: ObjectType,
        where: Any = None,
        *,
        fields: list[str] | None = None,
        order_by: str | list[str] | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        claim: bool = False,
    ) -> Page:
        self.access.check_object(obj, "read")
        compiler = self.compiler(obj)
        table = compiler.table
        columns = self.presentation.select_columns(obj, compiler, fields)
        formulas = self.presentation.formulas(obj, fields)
        if formulas:
            columns += self.presentation.dependencies(obj, compiler, formulas, {c.key for c in columns})
        condition = self.base_condition(obj, table, compiler, where)
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
            # One row more tells whether there is a next page; a claim locks exactly what it
            # returns, so it fetches no extra row (and gives no cursor).
            stmt = stmt.limit(limit if claim else limit + 1)
        if claim:
            stmt = skip_locked(stmt, self.conn, of=table)
        rows = self.conn.execute(stmt).mappings().all()
        next_cursor = None
        if limit is not None and len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            next_cursor = encode_cursor([last[f"_k{i}"] for i in range(len(keys))])
        present = self.presentation.presenter(obj, formulas)
        records = []
        for row in rows:
            record = {k: v for k, v in row.items() if not k.startswith("_k")}
            records.append(present(record))
        return Page(records, next_cursor)

    def count(self, obj: ObjectType, where: Any = None) -> int:
        self.access.check_object(obj, "read")
        compiler = self.compiler(obj)
        condition = self.base_condition(obj, compiler.table, compiler, where)
        stmt = sa.select(sa.func.count()).select_from(compiler.from_clause()).where(condition)
        return int(self.conn.execute(stmt).scalar_one())

    def compiler(self, obj: ObjectType) -> QueryCompiler:
        field_access = self.access.field_access
        object_named = self.registry.object
        return QueryCompiler(
            self.registry,
            self.schema,
            self.validators,
            obj,
            field_visible=lambda object_name, field: (
                field_access(object_named(object_name), field) != "hidden"
            ),
            readable=self.access.readable,
            session=self.session,
            rules=self.rules,
            resolve_name=self.resolve_name,
        )

    def resolve_name(self, targets: list[str], text: str, what: str) -> str:
        """A filter's lookup text as the id of the one readable record it names."""
        return self.lookup_names.resolve(targets, text, what=what)

    def base_condition(self, obj, table, compiler, where, readable: Any = _CALLERS_RULES) -> Any:
        condition = table.c.is_deleted == sa.false()
        if readable is _CALLERS_RULES:
            readable = self.access.readable(obj.name, table)
        if readable is not None:
            condition = sa.and_(condition, readable)
        extra = compiler.where(where)
        return sa.and_(condition, extra) if extra is not None else condition

    def load_for_write(self, obj: ObjectType, ids: list[str], *, deleted: bool = False) -> dict[str, dict]:
        """Stored rows the user may see, locked against concurrent writers until commit."""
        table = self.schema.table(obj.name)
        out: dict[str, dict] = {}
        readable = self.access.readable(obj.name, table)
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
