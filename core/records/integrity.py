"""Integrity checks of a batch about to be written: required values, lookups, unique values.

Each problem is ``(row index, field, reason)``; the caller decides whether
one fails the call or only sets its row aside (imports).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from .. import fields as f
from ..clock import utcnow
from ..db import chunks
from ..registry import ObjectType
from .access import AccessView
from .model import OWNER_OBJECTS, Scope, id_object_cache


class IntegrityChecks:
    """The checks for one session: lookups must point at records its user can see."""

    def __init__(self, scope: Scope, access: AccessView) -> None:
        self.conn = scope.conn
        self.registry = scope.registry
        self.schema = scope.schema
        self.user = scope.user
        self.input = scope.input
        self.access = access

    def problems(self, obj: ObjectType, rows: list[dict], olds: list[dict] | None) -> list[tuple]:
        """Required, lookup and unique problems as (row index, field, reason), in row order.

        ``olds`` (updates) are the stored rows: a value left as it was is not checked again.
        """
        problems: list[tuple[int, str, str]] = []
        for fld in obj.fields:
            if fld.required and not isinstance(fld, f.AutoNumber):
                name = fld.name
                for i, row in enumerate(rows):
                    value = row.get(name)
                    if value is None or value == "":
                        problems.append((i, name, "is required"))
        problems += self.lookup_problems(obj, rows, olds)
        problems += self.unique_problems(obj, rows, olds)
        if obj.rules:
            problems += self.rule_problems(obj, rows, olds)
        problems.sort(key=lambda p: p[0])
        return problems

    def lookup_problems(self, obj: ObjectType, rows: list[dict], olds: list[dict] | None) -> list[tuple]:
        wanted: dict[str, set[str]] = defaultdict(set)  # object name -> ids
        checks: list[tuple[int, str, str, list[str]]] = []
        lookups = [(fld.name, self.registry.lookup_target_names(fld)) for fld in obj.lookups()]
        lookups.append(("owner_id", list(OWNER_OBJECTS)))
        target_of = id_object_cache(self.registry)
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
            readable = self.access.readable(object_name, table)
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

    def rule_problems(self, obj: ObjectType, rows: list[dict], olds: list[dict] | None) -> list[tuple]:
        """Dates and date-times a rule says must not be in the future (``NotInFuture``)."""
        problems = []
        now = utcnow()
        zone = self.input.zone
        today = now.astimezone(zone).date()
        for rule in obj.rules:
            lookup_name, _, target_field = rule.path.rpartition(".")
            own = lookup_name or target_field
            watched = [own, *([rule.when] if rule.when else [])]
            checked = [
                i
                for i, row in enumerate(rows)
                if (rule.when is None or row.get(rule.when) not in (None, ""))
                and (olds is None or any(row.get(n) != olds[i].get(n) for n in watched))
                and row.get(own) is not None
            ]
            if not checked:
                continue
            if lookup_name:
                values = self._target_values(obj, lookup_name, target_field, {rows[i][own] for i in checked})
            for i in checked:
                value = values.get(rows[i][own]) if lookup_name else rows[i][own]
                if value is None:
                    continue
                if isinstance(value, dt.datetime):
                    moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
                    late = moment > now
                    shown = moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
                else:
                    late = value > today
                    shown = value.isoformat()
                if late:
                    what = rule.message or f"{rule.path} must not be in the future"
                    problems.append((i, own, f"{what} ({rule.path} is {shown}, later than now)"))
        return problems

    def _target_values(self, obj: ObjectType, lookup_name: str, field: str, ids: set) -> dict[str, Any]:
        """``field`` of the readable records a lookup points at, by id."""
        target = self.registry.object(obj.field(lookup_name).targets[0])
        table = self.schema.table(target.name)
        condition = table.c.is_deleted == sa.false()
        readable = self.access.readable(target.name, table)
        if readable is not None:
            condition = sa.and_(condition, readable)
        out: dict[str, Any] = {}
        for chunk in chunks(sorted(i for i in ids if isinstance(i, str))):
            out.update(
                self.conn.execute(
                    sa.select(table.c.id, table.c[field]).where(table.c.id.in_(chunk), condition)
                ).all()
            )
        return out

    def _readable_ids(self, obj: ObjectType, table: sa.Table, record_ids: list[str]) -> set[str]:
        if not record_ids:
            return set()
        readable = self.access.readable(obj.name, table)
        if readable is None:
            return set(record_ids)
        found: set[str] = set()
        for chunk in chunks(record_ids):
            condition = sa.and_(table.c.id.in_(chunk), table.c.is_deleted == sa.false(), readable)
            found |= set(self.conn.scalars(sa.select(table.c.id).where(condition)))
        return found

    def unique_problems(self, obj: ObjectType, rows: list[dict], olds: list[dict] | None) -> list[tuple]:
        problems = []
        table = self.schema.table(obj.name)
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
            clashes: list[tuple[Any, str]] = []
            for chunk in chunks(values):
                existing = self.conn.execute(
                    sa.select(table.c[fld.name], table.c.id).where(table.c[fld.name].in_(chunk))
                ).all()
                clashes += [(value, record_id) for value, record_id in existing if record_id not in ids]
            shown = self._readable_ids(obj, table, [record_id for _, record_id in clashes])
            for value, record_id in clashes:
                # The id only for a record the user may read: for any other, saying which
                # record holds the value would reveal that it exists.
                where = f" ({record_id})" if record_id in shown else ""
                problems.append(
                    (seen[value], fld.name, f"{value!r} already exists{where}; it must be unique")
                )
        return problems
