"""Field history (audit) and the recycle bin's purge.

Objects opt in to history per field (``ObjectType(history=[...])``); every
update that changes such a field records who changed it, when, and the old
and new value, in the same transaction as the change. Reading history goes
through the record (you must be able to read it) and field-level security
(hidden fields' history is not shown).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa

from .clock import utcnow
from .db import chunks
from .errors import AccessDenied
from .ids import new_ids
from .jsonable import to_jsonable


def record_field_history(session, obj, news: list[dict], olds: list[dict]) -> None:
    """Write listener: one history row per tracked field that changed."""
    if not obj.history:
        return
    rows = []
    now = utcnow()
    for new, old in zip(news, olds, strict=True):
        for name in obj.history:
            if new.get(name) != old.get(name):
                rows.append(
                    {
                        "object": obj.name,
                        "record_id": new["id"],
                        "field": name,
                        "old_value": to_jsonable(old.get(name)),
                        "new_value": to_jsonable(new.get(name)),
                        "changed_by": session.user.id,
                        "changed_at": now,
                    }
                )
    if rows:
        for row, history_id in zip(rows, new_ids("fhi", len(rows)), strict=True):
            row["id"] = history_id
        session.conn.execute(session.schema.internal["field_history"].insert(), rows)


def field_history(session, record_id: str) -> list[dict]:
    """Changes to a readable record's tracked fields, newest first, hidden fields left out."""
    record = session.get(record_id)  # raises if the record is not readable
    obj = session.object_of(record_id)
    table = session.schema.internal["field_history"]
    rows = session.conn.execute(
        sa.select(table)
        .where(table.c.record_id == record["id"])
        .order_by(table.c.changed_at.desc(), table.c.id.desc())
    ).mappings()
    return [dict(r) for r in rows if session.field_access(obj, r["field"]) != "hidden"]


def purge_recycle_bin(session, older_than_days: int | None = None) -> int:
    """Delete for good what has been in the recycle bin longer than the retention; returns the count.

    ``older_than_days=0`` empties it. Needs modify_all_data (or the system context).
    """
    if (
        not session.user.is_system
        and "modify_all_data" not in session.app.access_policy.access(session).system
    ):
        raise AccessDenied(f"{session.user.username} cannot empty the recycle bin: it needs modify_all_data")
    days = session.app.settings.recycle_bin_days if older_than_days is None else older_than_days
    bin_table = session.schema.internal["recycle_bin"]
    cutoff = utcnow() - dt.timedelta(days=days)
    entries = session.conn.execute(
        sa.select(bin_table.c.record_id, bin_table.c.object, bin_table.c.deletion_id).where(
            bin_table.c.deleted_at <= cutoff
        )
    ).all()
    by_object: dict[str, list[str]] = defaultdict(list)
    for record_id, object_name, _ in entries:
        by_object[object_name].append(record_id)
    internal = session.schema.internal
    for object_name, ids in by_object.items():
        if object_name not in session.registry.objects:
            continue  # a disabled plugin's records wait until it is enabled again
        table = session.schema.table(object_name)
        for chunk in chunks(ids):
            session.conn.execute(table.delete().where(table.c.id.in_(chunk), table.c.is_deleted == sa.true()))
            session.conn.execute(internal["share"].delete().where(internal["share"].c.record_id.in_(chunk)))
            session.conn.execute(
                internal["field_history"].delete().where(internal["field_history"].c.record_id.in_(chunk))
            )
            session.conn.execute(bin_table.delete().where(bin_table.c.record_id.in_(chunk)))
    deletions = sorted({d for _, o, d in entries if o in session.registry.objects})
    for chunk in chunks(deletions):
        cleared = internal["cleared_lookup"]
        session.conn.execute(cleared.delete().where(cleared.c.deletion_id.in_(chunk)))
    return sum(len(ids) for name, ids in by_object.items() if name in session.registry.objects)


def recycle_bin(session, *, everyone: bool = False) -> list[dict]:
    """Deleted records that can be restored: your own deletions, or everyone's for admins."""
    bin_table = session.schema.internal["recycle_bin"]
    stmt = (
        sa.select(bin_table)
        .where(bin_table.c.root_id == bin_table.c.record_id)
        .order_by(bin_table.c.deleted_at.desc())
    )
    is_admin = session.user.is_system or "modify_all_data" in session.app.access_policy.access(session).system
    if not (everyone and is_admin):
        stmt = stmt.where(bin_table.c.deleted_by == session.user.id)
    retention = dt.timedelta(days=session.app.settings.recycle_bin_days)
    return [
        {**dict(r), "purge_after": r["deleted_at"] + retention} for r in session.conn.execute(stmt).mappings()
    ]
