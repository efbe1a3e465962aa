"""The filter / sort / page language over declared fields.

Filters are plain data, so the CLI, a future API and Python callers share
one language and user input never reaches SQL text (values are bound
parameters, names are checked against the registry)::

    {"status": "Active"}                            # equals
    {"amount": {"ge": 100}, "close_date": {"lt": "2025-01-01"}}
    {"or": [{"city": "Lyon"}, {"account.name": {"startswith": "Acme"}}]}

Operators: eq ne lt le gt ge in ieq contains startswith is_null. ``and`` /
``or`` take lists. ``account.name`` follows a (non-polymorphic) lookup one
level. Pages are keyset-paginated: the cursor holds the last row's sort
values, so page 1,000 costs what page 1 costs.

Text equality (``eq``, ``ne``, ``in``) is exact, case included, so it can use
indexes and unique keys; ``ieq`` (``=~`` on the command line) ignores case, as
``contains`` and ``startswith`` do. A lookup (and ``owner_id``,
``created_by``, ``modified_by``) compared with text that is not an id takes
it as the name of a record the user can read (``owner_id = ben``); text
naming no record, or several, is an error. Date-times without an offset are
the user's local times.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from . import fields as f
from .errors import UnknownName, ValidationError
from .ids import ID_PATTERN
from .jsonable import to_jsonable
from .localtime import coerce_datetime

OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "ieq", "contains", "startswith", "is_null")
CLI_OPERATORS = "= != < <= > >= =~ (text, ignoring case), in, contains, startswith, is null, is not null"
SORTABLE_SYSTEM = ("id", "created_at", "modified_at", "owner_id", "created_by", "modified_by")
FILTERABLE_SYSTEM = (*SORTABLE_SYSTEM, "version")
STRING_KINDS = (f.StringField, f.Picklist, f.AutoNumber)


# System fields that hold no text: text operators are refused on them as on declared fields
# (otherwise each database would compare their text form its own way).
NON_TEXT_SYSTEM_FIELDS = {
    "version": "integer",
    "created_at": "datetime",
    "modified_at": "datetime",
    "deleted_at": "datetime",
    "is_deleted": "boolean",
}


@dataclass
class Page:
    records: list[dict]
    next_cursor: str | None = None

    def __iter__(self):
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)


def query_pages(
    session,
    object_name: str,
    where: Any = None,
    *,
    fields: list[str] | None = None,
    order_by: str | list[str] | None = None,
    page_size: int = 1000,
) -> Iterator[list[dict]]:
    """Every record ``session.query`` finds, one page of records at a time.

    Follows the keyset cursor to the end, so a caller that works page by
    page (an export, a batch job) keeps memory at one page however many
    records match. Always yields at least one (possibly empty) page.
    """
    cursor = None
    while True:
        page = session.query(
            object_name, where, fields=fields, order_by=order_by, limit=page_size, cursor=cursor
        )
        yield page.records
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def query_all(session, object_name: str, where: Any = None, **options: Any) -> list[dict]:
    """Every record ``session.query`` finds (all pages), as one list; ``options`` as ``query_pages``."""
    return [record for page in query_pages(session, object_name, where, **options) for record in page]


@dataclass
class QueryPlan:
    """Joins collected while compiling a query (one alias per traversed lookup)."""

    joins: dict[str, tuple[sa.Table, Any]] = field(default_factory=dict)


class QueryCompiler:
    """Compiles the filter language for one object into SQLAlchemy expressions.

    ``field_visible(object_name, field)`` and ``readable(object_name, table)``
    come from the access policy: hidden fields cannot be filtered on (an
    error, not an oracle) and traversed lookups only join readable records.
    """

    def __init__(
        self,
        registry,
        schema,
        validators,
        obj,
        *,
        field_visible,
        readable,
        session=None,
        rules=None,
        resolve_name=None,
    ) -> None:
        self.registry, self.schema, self.validators, self.obj = registry, schema, validators, obj
        self.table = schema.table(obj.name)
        self.field_visible = field_visible
        self.readable = readable
        self.session = session  # the viewer, for formula fields' SQL expressions
        self.rules = rules  # how the viewer's typed values read (their time zone)
        # resolve_name(targets, text, what) -> the id of the one readable record text names.
        self.resolve_name = resolve_name
        self.plan = QueryPlan()

    # -- column resolution ----------------------------------------------------
    def column(self, path: str) -> tuple[sa.ColumnElement, f.Field | None, Any]:
        """The column for ``field`` or ``lookup.field``, with its Field and validator."""
        if "." in path:
            lookup_name, _, target_field = path.partition(".")
            lookup = self.field(self.obj, lookup_name)
            if not isinstance(lookup, f.Lookup):
                raise ValidationError(
                    f"{lookup_name!r} is not a lookup, so {path!r} cannot follow it",
                    object_name=self.obj.name,
                )
            if lookup.polymorphic:
                raise ValidationError(
                    f"lookup {lookup_name!r} points at several objects; it cannot be followed",
                    object_name=self.obj.name,
                )
            target = self.registry.object(lookup.targets[0])
            alias = self.join(lookup_name, target)
            if target_field in FILTERABLE_SYSTEM:
                return alias.c[target_field], None, None
            fld = self.field(target, target_field)
            return self._stored_or_sql(alias, target, fld, path), fld, self.validators(target.name)
        if path in FILTERABLE_SYSTEM:
            return self.table.c[path], None, None
        fld = self.field(self.obj, path)
        return self._stored_or_sql(self.table, self.obj, fld, path), fld, self.validators(self.obj.name)

    def _stored_or_sql(self, table, obj, fld: f.Field, path: str) -> sa.ColumnElement:
        """The field's column, or a formula's declared SQL expression (an error without one)."""
        if f.is_stored(fld):
            return table.c[fld.name]
        if fld.sql is None:
            raise ValidationError(
                f"{path!r} is a formula field computed when read; it cannot be used to filter or sort "
                "(it declares no SQL expression)",
                object_name=obj.name,
                field=path,
            )
        return fld.sql(table, self.session)

    def field(self, obj, name: str) -> f.Field:
        fld = obj.field(name)
        if fld is None or not self.field_visible(obj.name, name):
            visible = [n for n in obj.field_names if self.field_visible(obj.name, n)]
            raise UnknownName("field", name, [*visible, *FILTERABLE_SYSTEM], where=obj.name)
        return fld

    def join(self, lookup_name: str, target) -> sa.Table:
        if lookup_name not in self.plan.joins:
            alias = self.schema.table(target.name).alias(f"j_{lookup_name}")
            condition = sa.and_(alias.c.id == self.table.c[lookup_name], alias.c.is_deleted == sa.false())
            readable = self.readable(target.name, alias)
            if readable is not None:
                condition = sa.and_(condition, readable)
            self.plan.joins[lookup_name] = (alias, condition)
        return self.plan.joins[lookup_name][0]

    def from_clause(self) -> sa.FromClause:
        source: sa.FromClause = self.table
        for alias, condition in self.plan.joins.values():
            source = source.outerjoin(alias, condition)
        return source

    # -- filters --------------------------------------------------------------
    def where(self, spec: Any) -> sa.ColumnElement | None:
        # An empty filter ({} or [], alone or in a list) is no filter: every record.
        if spec is None or spec == {} or spec == []:
            return None
        if isinstance(spec, list):
            parts = [part for part in (self.where(s) for s in spec) if part is not None]
            return sa.and_(*parts) if parts else None
        if not isinstance(spec, dict):
            raise ValidationError(f"a filter must be a mapping of field to condition, not {spec!r}")
        clauses = []
        for key, value in spec.items():
            if key in ("and", "or"):
                if not isinstance(value, list) or not value:
                    raise ValidationError(f"{key!r} takes a non-empty list of filters")
                parts = [self.where(v) for v in value]
                clauses.append(sa.and_(*parts) if key == "and" else sa.or_(*parts))
            elif isinstance(value, dict):
                for op, operand in value.items():
                    clauses.append(self.condition(key, op, operand))
            else:
                clauses.append(self.condition(key, "eq", value))
        return sa.and_(*clauses) if len(clauses) != 1 else clauses[0]

    def condition(self, path: str, op: str, value: Any) -> sa.ColumnElement:
        if op not in OPERATORS:
            raise UnknownName("operator", op, OPERATORS, where=path)
        column, fld, validator = self.column(path)
        if isinstance(fld, f.Formula):
            fld = fld.result  # the kind of value it yields decides which operators apply
        if op == "is_null":
            return column.is_(None) if _truthy(value) else column.is_not(None)
        if op in ("contains", "startswith", "ieq"):
            kind = fld.kind if fld is not None else NON_TEXT_SYSTEM_FIELDS.get(path)
            if kind is not None and (fld is None or not isinstance(fld, STRING_KINDS)):
                raise ValidationError(
                    f"{op!r} works on text fields; {path!r} is {kind}", object_name=self.obj.name
                )
            text = str(value)
            if "\x00" in text:
                raise ValidationError(f"{op!r} value for {path!r} contains a NUL character (\\x00)")
            if isinstance(fld, f.MultiPicklist) and op == "contains":
                # Match whole values of the ';'-separated list, not substrings.
                padded = sa.literal(";") + column + sa.literal(";")
                return padded.like(f"%;{_escape_like(text)};%", escape="\\")
            pattern = {"contains": "%{}%", "startswith": "{}%", "ieq": "{}"}[op].format(_escape_like(text))
            return column.ilike(pattern, escape="\\")
        if op == "in":
            if not isinstance(value, list | tuple | set):
                value = [v.strip() for v in str(value).split(",")]
            return column.in_([self._coerce(path, fld, validator, v) for v in value])
        coerced = self._coerce(path, fld, validator, value)
        if coerced is None:
            return column.is_(None) if op == "eq" else column.is_not(None)
        coerced = _bound(column, coerced)
        return {
            "eq": column.__eq__,
            "ne": lambda v: sa.or_(column != v, column.is_(None)),
            "lt": column.__lt__,
            "le": column.__le__,
            "gt": column.__gt__,
            "ge": column.__ge__,
        }[op](coerced)

    def _coerce(self, path: str, fld, validator, value):
        if value is None:
            return None
        targets = self._lookup_targets(path, fld)
        if targets is not None and isinstance(value, str) and not ID_PATTERN.match(value.strip()):
            if self.resolve_name is None:
                raise ValidationError(
                    f"{path!r} needs a record id (got {value!r})", object_name=self.obj.name
                )
            return self.resolve_name(targets, value, f"{path!r}")
        if fld is None:  # system column
            if path.endswith(("created_at", "modified_at")):
                return _parse_datetime(value, path, self.rules.zone if self.rules else dt.UTC)
            if path.endswith("version"):
                try:
                    return int(value)
                except (TypeError, ValueError):
                    raise ValidationError(f"{path!r} is a whole number (got {value!r})") from None
            return str(value)
        if isinstance(fld, f.MultiPicklist):
            return ";".join(validator.validate_value(fld.name, value, self.rules).split(";"))
        return validator.validate_value(fld.name, value, self.rules)

    def _lookup_targets(self, path: str, fld) -> list[str] | None:
        """The objects a lookup-like path points at (None: not a lookup)."""
        name = path.rpartition(".")[2]
        if fld is None:
            if name == "owner_id":
                return ["User", "Queue"]
            return ["User"] if name in ("created_by", "modified_by") else None
        if isinstance(fld, f.Formula):
            fld = fld.result
        if isinstance(fld, f.Lookup):
            return ["*"] if f.ANY_OBJECT in fld.targets else list(fld.targets)
        return None

    # -- ordering and keyset paging ----------------------------------------------
    def order_keys(self, order_by: str | list[str] | None) -> list[tuple[str, sa.ColumnElement, bool, Any]]:
        """(path, column, descending, field) for each key, ``id`` always last as the tie-breaker."""
        names = [order_by] if isinstance(order_by, str) else list(order_by or [])
        names = [n.strip() for name in names for n in name.split(",") if n.strip()]
        keys = []
        for name in names:
            descending = name.startswith("-")
            path = name.lstrip("-+")
            column, fld, _ = self.column(path)
            keys.append((path, column, descending, fld))
        if not any(k[0] == "id" for k in keys):
            keys.append(("id", self.table.c.id, False, None))
        return keys

    def order_clause(self, keys) -> list[sa.ColumnElement]:
        # NULLs last in both directions on both engines, so keyset conditions are portable.
        return [(col.desc() if desc else col.asc()).nulls_last() for _, col, desc, _ in keys]

    def after_cursor(self, keys, cursor: str) -> sa.ColumnElement:
        values = decode_cursor(cursor, len(keys))
        values = [self._cursor_value(k, v) for k, v in zip(keys, values, strict=True)]
        alternatives = []
        for i, (_, column, descending, _) in enumerate(keys):
            equal_before = [
                keys[j][1].is_(None) if values[j] is None else keys[j][1] == values[j] for j in range(i)
            ]
            value = values[i]
            if value is None:
                continue  # nothing sorts after NULL within this key (NULLs last)
            value = _bound(column, value)
            beyond = column < value if descending else column > value
            alternatives.append(sa.and_(*equal_before, sa.or_(beyond, column.is_(None))))
        return sa.or_(*alternatives) if alternatives else sa.false()

    def _cursor_value(self, key, value):
        path = key[0]
        if value is None:
            return None
        _, fld, validator = self.column(path)
        return self._coerce(path, fld, validator, value)


def _bound(column: sa.ColumnElement, value: Any) -> sa.BindParameter:
    """A bound parameter of the column's type: SQLAlchemy refuses ``column < True`` on a
    bare Python bool, which boolean sort keys and filters need."""
    return sa.literal(value, type_=column.type)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "on")
    return bool(value)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _parse_datetime(value: Any, path: str, zone: dt.tzinfo) -> dt.datetime:
    """A filter's date-time: without an offset, a local time of the viewer's zone."""
    try:
        return coerce_datetime(value, zone)
    except ValueError as exc:
        raise ValidationError(f"{path!r}: {exc}") from None


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([to_jsonable(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, expected: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except Exception:
        raise ValidationError(f"cursor {cursor!r} is not one this query returned") from None
    if not isinstance(values, list) or len(values) != expected:
        raise ValidationError("cursor does not match this query's sort order; start again without it")
    return values


def parse_where(text: str) -> dict:
    """The CLI's ``--where`` mini-language: ``field op value``.

    ``status = Active``, ``amount >= 10``, ``name =~ acme`` (ignoring case),
    ``name startswith Ac``, ``email is null``, ``stage in Applied,Enrolled``.
    Several ``--where`` are ANDed; a JSON object is taken as the full filter
    language. An operator it does not know (``==``, ``like``) is an error
    listing those it does, never a condition read some other way.
    """
    text = text.strip()
    if text.startswith("{") or text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"--where JSON is not valid ({exc})") from None
    match = _CONDITION.match(text)
    if match:
        path, symbol, right = match.group(1), match.group(2), match.group(3).strip()
        if symbol not in _SYMBOLS:
            raise ValidationError(
                f"--where {text!r}: unknown operator {symbol!r}; use one of {CLI_OPERATORS}"
            )
        return {path: {_SYMBOLS[symbol]: _cli_value(right)}}
    parts = text.split(None, 2)
    if len(parts) >= 2:
        path, word = parts[0], parts[1].lower()
        rest = parts[2] if len(parts) == 3 else ""
        if word == "is":
            negate = rest.lower().startswith("not")
            if rest.lower().replace("not", "").strip() == "null":
                return {path: {"is_null": not negate}}
        if word in ("in", "contains", "startswith"):
            value: Any = (
                [_cli_value(v.strip()) for v in rest.split(",")] if word == "in" else _cli_value(rest)
            )
            return {path: {word: value}}
        if _FIELD_PATH.match(path):
            raise ValidationError(
                f"--where {text!r}: unknown operator {parts[1]!r}; use one of {CLI_OPERATORS}"
            )
    raise ValidationError(
        f"--where {text!r} is not understood; write 'field = value' with one of {CLI_OPERATORS}, "
        "e.g. 'mailing_city = Lyon', 'name =~ acme', 'stage in Applied,Enrolled'"
    )


_SYMBOLS = {"!=": "ne", "<=": "le", ">=": "ge", "=~": "ieq", "=": "eq", "<": "lt", ">": "gt"}
_FIELD_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
# A field, then a run of operator characters (so '==' or '=>' is seen whole and refused), then the value.
_CONDITION = re.compile(
    r"^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\s*([=!<>~]+)(.*)$", re.DOTALL
)


def _cli_value(text: str) -> Any:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return None if text.lower() == "null" else text
