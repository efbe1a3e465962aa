"""Following people and records.

- You can follow only what you can read now (core security decides); a
  follow is kept when access is lost later, but its posts stop showing.
- At most ``chatter.follow_limit`` follows per user (default 500); group
  membership does not count. Past it: one clear error naming the limit.
- Auto-follow of records you create is a preference (default on: upstream
  does not fix the default); it skips imports and never fails the save (past
  the limit the record is simply not followed).
- Nobody else is followed in for you: no auto-follow of the creator's
  manager or team (upstream has no such behaviour).
"""

from __future__ import annotations

import sqlalchemy as sa

from missionbase.core import ValidationError

from .common import check_feed_parent, system_view
from .notifications import preferences


def follow_count(session, user_id: str) -> int:
    """Every follow of the user, also those on records they can no longer read (they still count)."""
    table = session.schema.table("Follow")
    return session.conn.execute(
        sa.select(sa.func.count()).where(table.c.owner_id == user_id, table.c.is_deleted == sa.false())
    ).scalar_one()


def before_follow_insert(ctx, rows) -> None:
    session = ctx.session
    table = session.schema.table("Follow")
    limit = session.get_setting("chatter.follow_limit")
    adding: dict[str, int] = {}
    for index, row in enumerate(rows):
        new = row.new
        object_name = check_feed_parent(session, new["target"])
        if object_name == "ChatterGroup":
            raise ValidationError(
                "groups are joined, not followed ('missionbase feed groups join NAME')",
                object_name="Follow",
                row=index,
                field="target",
            )
        if new["target"] == new["owner_id"]:
            raise ValidationError(
                "you cannot follow yourself", object_name="Follow", row=index, field="target"
            )
        if session.conn.execute(
            sa.select(table.c.id).where(
                table.c.owner_id == new["owner_id"],
                table.c.target == new["target"],
                table.c.is_deleted == sa.false(),
            )
        ).first():
            raise ValidationError(
                f"already following {new['target']}", object_name="Follow", row=index, field="target"
            )
        adding[new["owner_id"]] = adding.get(new["owner_id"], 0) + 1
    for user_id, count in adding.items():
        current = follow_count(session, user_id)
        if current + count > limit:
            raise ValidationError(
                f"following {count} more would make {current + count}; the limit is {limit} people and records "
                "(groups do not count). Unfollow something first",
                object_name="Follow",
                field="target",
            )


def follow(session, target_id: str) -> dict:
    session.get(target_id)  # you follow only what you can read: not found otherwise
    return session.create("Follow", {"target": target_id})


def unfollow(session, target_id: str) -> None:
    mine = session.query(
        "Follow", where={"owner_id": session.user.id, "target": target_id}, fields=["id"]
    ).records
    if not mine:
        raise ValidationError(f"you do not follow {target_id}")
    session.delete(mine[0]["id"])


def following(session, limit: int = 100, cursor: str | None = None):
    return session.query(
        "Follow", where={"owner_id": session.user.id}, order_by=["-created_at"], limit=limit, cursor=cursor
    )


def auto_follow_created(ctx, rows) -> None:
    """After-insert on every feed-enabled object: the creator follows what they created."""
    session = ctx.session
    if ctx.importing or ctx.user.is_system or not rows:
        return
    user_id = ctx.user.id
    if not preferences(session, [user_id])[user_id]["auto_follow_records"]:
        return
    room = session.get_setting("chatter.follow_limit") - follow_count(session, user_id)
    targets = [r.new["id"] for r in rows][: max(room, 0)]
    if targets:
        system_view(session).create_many("Follow", [{"target": t, "owner_id": user_id} for t in targets])
