"""Small helpers the Chatter modules share."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from missionbase.core import RecordService, ValidationError

FEED_PARENTS_ALWAYS = ("User", "ChatterGroup")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def system_view(session: RecordService) -> RecordService:
    """The explicit system context in the caller's transaction, for what the system
    itself maintains (counters, rollups, shares, tracked changes) -- never to decide
    who may read something."""
    from missionbase.core import SYSTEM_USER

    if session.user.is_system:
        return session
    return RecordService(session.app, session.conn, SYSTEM_USER)


def has_permission(session: RecordService, permission: str) -> bool:
    if session.user.is_system:
        return True
    access = getattr(session.policy, "access", None)
    return access is not None and permission in access(session).system


def object_letters(session: RecordService, object_name: str) -> frozenset[str]:
    if session.user.is_system:
        return frozenset("CREDVM")
    return session.policy.access(session).letters(object_name)


def feed_enabled_objects(registry) -> list[str]:
    """Objects whose records have a feed: people, groups, and every ObjectType(feed=True).

    The registry's flag is the whole rule: PMM's own feeds-off setting (seen in one upstream
    version only) is not copied; an org that wants quiet program records leaves their
    fields untracked, and posting stays a matter of reading the record."""
    return [*FEED_PARENTS_ALWAYS, *(o.name for o in registry.objects.values() if o.feed)]


def check_feed_parent(session: RecordService, parent_id: str) -> str:
    """The parent's object name, or one clear error when it has no feed."""
    obj = session.registry.object_for_id(parent_id) if isinstance(parent_id, str) else None
    allowed = feed_enabled_objects(session.registry)
    if obj is None or obj.name not in allowed:
        raise ValidationError(
            f"{parent_id} has no feed; posts go on a user, a group or a record of {', '.join(sorted(allowed))}",
            object_name="FeedItem",
            field="parent",
        )
    return obj.name


def membership(session: RecordService, group_id: str, user_id: str) -> str | None:
    """The user's role in the group ('Member', 'Manager'), or None."""
    members = session.schema.table("ChatterGroupMember")
    return session.conn.execute(
        sa.select(members.c.role).where(
            members.c.group == group_id, members.c.user == user_id, members.c.is_deleted == sa.false()
        )
    ).scalar()


def stored_row(session: RecordService, object_name: str, record_id: str) -> dict | None:
    """A stored row regardless of the caller's access (for rules, never for showing)."""
    table = session.schema.table(object_name)
    row = (
        session.conn.execute(
            sa.select(table).where(table.c.id == record_id, table.c.is_deleted == sa.false())
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def manages_group(session: RecordService, group: dict) -> bool:
    """Owner, manager, or modify_all_data (manage_unlisted_groups for unlisted groups)."""
    if session.user.is_system or group["owner_id"] == session.user.id:
        return True
    if membership(session, group["id"], session.user.id) == "Manager":
        return True
    if group.get("visibility") == "Unlisted":
        return has_permission(session, "manage_unlisted_groups")
    return has_permission(session, "modify_all_data")
