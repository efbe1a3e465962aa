"""Updating records with optimistic concurrency.

A change may carry the ``version`` it was based on: one older than the
stored version is rejected (StaleVersion), so nobody's edit is silently
overwritten. The stored rows are locked when read, and only the columns a
batch changes are written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

import sqlalchemy as sa

from ..clock import utcnow
from ..errors import StaleVersion, ValidationError
from ..registry import ObjectType
from .access import AccessView
from .integrity import IntegrityChecks
from .model import Scope, TriggerRow, checked_computed, object_of
from .presentation import Presentation
from .reading import Reader
from .triggers import TriggerRunner

STAMPED = ("modified_at", "modified_by", "version")
NEVER_UPDATED = ("id", "created_at", "created_by", "is_deleted", "deleted_at", "deleted_by")


class Updater:
    """Applies changes for one session's user."""

    def __init__(
        self,
        scope: Scope,
        access: AccessView,
        integrity: IntegrityChecks,
        reader: Reader,
        triggers: TriggerRunner,
        presentation: Presentation,
        listeners: list[Callable[..., None]],
    ) -> None:
        self.conn = scope.conn
        self.registry = scope.registry
        self.schema = scope.schema
        self.user = scope.user
        self.validators = scope.validators
        self.session = scope.session  # the write listeners' first argument
        self.access = access
        self.integrity = integrity
        self.reader = reader
        self.triggers = triggers
        self.presentation = presentation
        self.listeners = listeners
        self.rules = scope.input

    def update_many(self, changes: Iterable[dict], computed: dict[str, dict]) -> list[dict]:
        changes = list(changes)
        by_object: dict[str, list[tuple[int, dict]]] = defaultdict(list)
        first_row: dict[str, int] = {}
        for index, change in enumerate(changes):
            if not isinstance(change, dict) or "id" not in change:
                raise ValidationError("each change needs the record 'id'", row=index)
            object_name = object_of(self.registry, change["id"]).name
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
            results.update(self.update_object(self.registry.object(object_name), indexed, computed))
        return [results[i] for i in range(len(changes))]

    def update_object(
        self, obj: ObjectType, indexed: list[tuple[int, dict]], computed: dict[str, dict]
    ) -> dict[int, dict]:
        self.access.check_object(obj, "edit")
        allowed = self.access.writable_fields(obj, "edit")
        validator = self.validators(obj.name)
        bare, versions = [], []
        for index, change in indexed:
            values = {k: v for k, v in change.items() if k not in ("id", "version")}
            problem = self.access.check_keys(obj, values, allowed, index)
            if problem is not None:
                raise problem
            versions.append(change.get("version"))
            bare.append(values)
        try:
            self.reader.lookup_names.resolve_rows(obj, bare, collect=False)
            owners = [values.pop("owner_id", None) for values in bare]
            valid, _ = validator.validate_batch(bare, rules=self.rules)
        except ValidationError as exc:
            exc_row = indexed[exc.row][0] if exc.row is not None else None
            raise ValidationError(exc.reason, object_name=obj.name, row=exc_row, field=exc.field) from None
        ids = [change["id"] for _, change in indexed]
        olds = self.reader.load_for_write(obj, ids)
        self.access.check_rows(obj, "edit", [olds[i] for i in ids])
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
                new.update(checked_computed(obj, computed[change["id"]]))
            news.append(new)
            old_list.append(old)
        self.triggers.run(
            obj, "before_update", [TriggerRow(n, o) for n, o in zip(news, old_list, strict=True)]
        )
        problems = self.integrity.problems(obj, news, old_list)
        if problems:
            local, field, reason = problems[0]
            raise ValidationError(reason, object_name=obj.name, row=indexed[local][0], field=field)
        self.write_changed_columns(obj, news, old_list)
        for listener in self.listeners:  # what follows every update (field history, shares)
            listener(self.session, obj, news, old_list)
        self.triggers.run(
            obj, "after_update", [TriggerRow(n, o) for n, o in zip(news, old_list, strict=True)]
        )
        presented = self.presentation.present_written(obj, news)
        return {index: record for (index, _), record in zip(indexed, presented, strict=True)}

    def write_changed_columns(self, obj: ObjectType, news: list[dict], olds: list[dict]) -> None:
        """One executemany of the columns some record of the batch changes (and the version stamp):
        rewriting unchanged columns would also rewrite every index on them."""
        table = self.schema.table(obj.name)
        columns = [
            c.name
            for c in table.c
            if c.name not in NEVER_UPDATED
            and (
                c.name in STAMPED
                or any(n.get(c.name) != o.get(c.name) for n, o in zip(news, olds, strict=True))
            )
        ]
        stmt = (
            table.update()
            .where(table.c.id == sa.bindparam("b_id"))
            .values({c: sa.bindparam(f"b_{c}") for c in columns})
        )
        self.conn.execute(stmt, [{"b_id": n["id"], **{f"b_{c}": n.get(c) for c in columns}} for n in news])
