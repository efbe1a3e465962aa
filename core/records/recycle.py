"""The recycle bin: deleting records (with each child lookup's on_delete rule) and undeleting them.

A delete marks the rows deleted and files them in the recycle bin under one
deletion id, with every child record it cascaded to and every lookup it
cleared, so that undeleting the record asked for puts all of it back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa

from ..clock import utcnow
from ..db import chunks
from ..errors import DeleteBlocked, RecordNotFound, ValidationError
from ..ids import new_id
from ..registry import ObjectType
from .access import AccessView
from .model import Scope, TriggerRow, display_name, object_of
from .reading import Reader
from .triggers import TriggerRunner


class RecycleBin:
    """Deletes and undeletes for one session's user."""

    def __init__(self, scope: Scope, access: AccessView, reader: Reader, triggers: TriggerRunner) -> None:
        self.conn = scope.conn
        self.registry = scope.registry
        self.schema = scope.schema
        self.user = scope.user
        self.access = access
        self.reader = reader
        self.triggers = triggers

    # -- delete -----------------------------------------------------------------------
    def delete_many(self, record_ids: Iterable[str]) -> None:
        record_ids = list(dict.fromkeys(record_ids))
        deletion_id = new_id("del")
        by_object: dict[str, list[str]] = defaultdict(list)
        for record_id in record_ids:
            by_object[object_of(self.registry, record_id).name].append(record_id)
        # Records this call deletes (asked for, or reached by a cascade): a child among
        # them is neither blocked by, cleared by, nor cascaded to twice from its parent.
        claimed = set(record_ids)
        for object_name, ids in by_object.items():
            self.delete_object(
                self.registry.object(object_name), ids, deletion_id, root=True, claimed=claimed
            )

    def delete_object(
        self, obj: ObjectType, ids: list[str], deletion_id: str, *, root: bool, claimed: set[str]
    ) -> None:
        if root:
            self.access.check_object(obj, "delete")
        loaded = self.reader.load_for_write(obj, ids)
        rows = {record_id: loaded[record_id] for record_id in ids}  # in the caller's order
        if root:
            self.access.check_rows(obj, "delete", list(rows.values()))
        claimed.update(ids)
        self.triggers.run(obj, "before_delete", [TriggerRow(None, row) for row in rows.values()])
        for child_obj, lookup in self.registry.referencing_lookups(obj.name):
            child_table = self.schema.table(child_obj.name)
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
                self.delete_object(
                    child_obj, [cid for cid, _ in child_ids], deletion_id, root=False, claimed=claimed
                )
            else:  # clear, remembered so undelete can put the lookup back
                self.clear_lookup(child_obj, lookup.name, child_ids, deletion_id)
        now = utcnow()
        table = self.schema.table(obj.name)
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
                    "name": display_name(obj, rows[record_id]),
                    "deleted_at": now,
                    "deleted_by": self.user.id,
                }
                for record_id in ids
            ],
        )
        self.triggers.run(obj, "after_delete", [TriggerRow(None, row) for row in rows.values()])

    def clear_lookup(
        self, child_obj: ObjectType, field: str, child_ids: list[tuple[str, str]], deletion_id: str
    ) -> None:
        cleared = self.schema.internal["cleared_lookup"]
        self.conn.execute(
            cleared.insert(),
            [
                {
                    "deletion_id": deletion_id,
                    "object": child_obj.name,
                    "record_id": cid,
                    "field": field,
                    "value": parent,
                }
                for cid, parent in child_ids
            ],
        )
        child_table = self.schema.table(child_obj.name)
        self.conn.execute(
            child_table.update()
            .where(child_table.c.id == sa.bindparam("b_id"))
            .values({field: None, "version": child_table.c.version + 1}),
            [{"b_id": cid} for cid, _ in child_ids],
        )

    # -- undelete -----------------------------------------------------------------------
    def undelete_many(self, record_ids: Iterable[str]) -> None:
        bin_table = self.schema.internal["recycle_bin"]
        for record_id in dict.fromkeys(record_ids):
            obj = object_of(self.registry, record_id)
            entry = (
                self.conn.execute(sa.select(bin_table).where(bin_table.c.record_id == record_id))
                .mappings()
                .first()
            )
            if entry is None:
                # "not deleted" only to someone who can read it; to anyone else it does not exist.
                raise (
                    ValidationError(f"{obj.name} {record_id} is not deleted", object_name=obj.name)
                    if self.readable(obj, record_id)
                    else RecordNotFound(record_id, obj.name)
                )
            self.reader.load_for_write(obj, [record_id], deleted=True)  # unreadable: not found
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
            self.access.check_object(obj, "delete")
            deleted_rows = self.reader.load_for_write(obj, [record_id], deleted=True)
            self.access.check_rows(obj, "delete", list(deleted_rows.values()))
            self.restore_deletion(entry["deletion_id"])

    def readable(self, obj: ObjectType, record_id: str) -> bool:
        """Whether the user can read the (not deleted) record."""
        table = self.schema.table(obj.name)
        condition = sa.and_(table.c.id == record_id, table.c.is_deleted == sa.false())
        readable = self.access.readable(obj.name, table)
        if readable is not None:
            condition = sa.and_(condition, readable)
        return self.conn.execute(sa.select(table.c.id).where(condition)).first() is not None

    def restore_deletion(self, deletion_id: str) -> None:
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
            obj = self.registry.object(object_name)
            table = self.schema.table(obj.name)
            self.conn.execute(
                table.update()
                .where(table.c.id == sa.bindparam("b_id"))
                .values(is_deleted=False, deleted_at=None, deleted_by=None, version=table.c.version + 1),
                [{"b_id": i} for i in ids],
            )
            restored[object_name] = (
                list(self.reader.load_for_write(obj, ids).values())
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
            self.triggers.run(
                self.registry.object(object_name), "after_undelete", [TriggerRow(row, None) for row in rows]
            )
