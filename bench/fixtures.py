"""Bench fixtures shared by the benches: rows written straight to a table (never timed).

The benches import this as a sibling module (``python bench/NAME.py`` puts
``bench/`` on the path).
"""

from __future__ import annotations

import datetime as dt

from missionbase.core.ids import SYSTEM_USER_ID, new_ids

BATCH = 20_000


def insert_rows(
    conn,
    schema,
    object_name: str,
    rows: list[dict],
    prefix: str,
    owners: list[str] | None = None,
    batch: int = BATCH,
) -> list[str]:
    """Insert ``rows`` with generated ids and system columns; returns the ids.

    Owners: a row's own ``owner_id``, else ``owners`` round-robin, else the system user.
    """
    table = schema.table(object_name)
    now = dt.datetime.now(dt.UTC)
    blank = dict.fromkeys(table.c.keys())
    ids = new_ids(prefix, len(rows))
    system = {
        "created_at": now,
        "created_by": SYSTEM_USER_ID,
        "modified_at": now,
        "modified_by": SYSTEM_USER_ID,
        "version": 1,
        "is_deleted": False,
    }
    for offset in range(0, len(rows), batch):
        chunk = []
        for n, (row, record_id) in enumerate(
            zip(rows[offset : offset + batch], ids[offset : offset + batch], strict=True)
        ):
            owner = owners[(offset + n) % len(owners)] if owners else SYSTEM_USER_ID
            chunk.append({**blank, "owner_id": owner, **row, "id": record_id, **system})
        conn.execute(table.insert(), chunk)
    return ids
