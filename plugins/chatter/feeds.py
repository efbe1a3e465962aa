"""The feeds (§1.4): newest activity first, keyset-paginated, visibility from core.

Every feed is one SQL query over FeedItem whose visibility condition is core
security's ``readable_filter`` for the caller (parent readable, restriction
rules for private and unlisted groups); the feed code only says *which*
posts belong to a feed, never *who may see* them. Posts are then read with
``session.get_many`` and tracked-change rows with ``session.query``, and a
row is kept only when the caller's field-level security shows its field.

- What I Follow: posts on people and records I follow, groups I belong to,
  records I own (any feed-enabled object), my profile, and posts mentioning
  me or a group of mine; not my own tracked changes; not muted posts.
- record / group / profile (posts to the user and by the user) / mentions
  ("To me") / bookmarks / company (everything readable but tracked changes).
A comment moves its post back to the top (``last_activity_at``).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass

import sqlalchemy as sa

from missionbase.core.errors import ValidationError

from .common import feed_enabled_objects
from .groups import find_group

DEFAULT_PAGE = 20


@dataclass
class FeedPage:
    items: list[dict]
    next_cursor: str | None = None


def _cursor(item_at: dt.datetime, item_id: str) -> str:
    raw = json.dumps([item_at.isoformat(), item_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[dt.datetime, str]:
    try:
        at, item_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return dt.datetime.fromisoformat(at), str(item_id)
    except Exception:
        raise ValidationError(f"cursor {cursor!r} is not one this feed returned") from None


def _not_deleted(table):
    return table.c.is_deleted == sa.false()


def feed_page(session, membership_condition, *, limit: int = DEFAULT_PAGE, cursor: str | None = None,
              exclude_own_tracked: bool = False, include_tracked: bool = True) -> FeedPage:
    """One page of the posts matching ``membership_condition`` that the caller may see."""
    if not 1 <= limit <= 200:
        raise ValidationError(f"limit must be between 1 and 200 (got {limit})")
    posts = session.schema.table("FeedItem")
    conditions = [_not_deleted(posts), membership_condition]
    if not session.user.is_system:
        session.policy.check_object(session, "FeedItem", "read")
        readable = session.policy.readable_filter(session, "FeedItem", posts)
        if readable is not None:
            conditions.append(readable)
    mutes = session.schema.table("FeedMute")
    conditions.append(~sa.exists(sa.select(mutes.c.id).where(
        mutes.c.post == posts.c.id, mutes.c.owner_id == session.user.id, _not_deleted(mutes))))
    if exclude_own_tracked:
        conditions.append(sa.or_(posts.c.type != "TrackedChange", posts.c.owner_id != session.user.id))
    if not include_tracked:
        conditions.append(posts.c.type != "TrackedChange")
    items: list[dict] = []
    after = _decode(cursor) if cursor else None
    while True:
        page_conditions = list(conditions)
        if after:
            at, last_id = after
            page_conditions.append(sa.or_(posts.c.last_activity_at < at,
                                          sa.and_(posts.c.last_activity_at == at, posts.c.id < last_id)))
        want = limit - len(items) + 1
        rows = session.conn.execute(
            sa.select(posts.c.id, posts.c.last_activity_at).where(*page_conditions)
            .order_by(posts.c.last_activity_at.desc(), posts.c.id.desc()).limit(want)
        ).all()
        more = len(rows) == want
        rows = rows[: want - 1] if more else rows
        items += _hydrate(session, [r.id for r in rows])
        if len(items) >= limit or not more:
            break
        after = (rows[-1].last_activity_at, rows[-1].id) if rows else after
    next_cursor = None
    if len(items) > limit or (more and items):
        items = items[:limit]
        last = items[-1]
        next_cursor = _cursor(last["last_activity_at"], last["id"])
    return FeedPage(items, next_cursor)


def _hydrate(session, ids: list[str]) -> list[dict]:
    """Posts as the caller sees them; tracked-change rows filtered by field-level security."""
    if not ids:
        return []
    found = session.get_many(ids)
    tracked = [i for i in ids if i in found and found[i]["type"] == "TrackedChange"]
    rows_by_post: dict[str, list[dict]] = {}
    if tracked:
        for row in session.query("FeedTrackedChange", where={"post": {"in": tracked}},
                                 order_by=["created_at"]).records:
            rows_by_post.setdefault(row["post"], []).append(row)
    out = []
    for item_id in ids:
        item = found.get(item_id)
        if item is None:
            continue
        if item["type"] == "TrackedChange":
            parent_object = session.registry.object_for_id(item["parent"])
            visible = [
                {"field": r["field"], "old_value": r["old_value"], "new_value": r["new_value"]}
                for r in rows_by_post.get(item_id, [])
                if session.field_access(parent_object, r["field"]) != "hidden"
            ]
            if not visible:
                continue  # every changed field is hidden from this viewer: the post is too
            item["changes"] = visible
        out.append(item)
    return out


# -- which posts belong to which feed -----------------------------------------------------------


def what_i_follow(session, **kw) -> FeedPage:
    me = session.user.id
    posts = session.schema.table("FeedItem")
    follows = session.schema.table("Follow")
    members = session.schema.table("ChatterGroupMember")
    mentions = session.schema.table("FeedMention")
    my_groups = sa.select(members.c.group).where(members.c.user == me, _not_deleted(members))
    parents = [
        sa.select(follows.c.target).where(follows.c.owner_id == me, _not_deleted(follows)),
        my_groups,
    ]
    for name in feed_enabled_objects(session.registry):
        if name in ("User", "ChatterGroup"):
            continue
        table = session.schema.table(name)
        parents.append(sa.select(table.c.id).where(table.c.owner_id == me, _not_deleted(table)))
    mentioned = sa.select(mentions.c.post).where(
        sa.or_(mentions.c.mentioned == me, mentions.c.mentioned.in_(my_groups)), _not_deleted(mentions))
    condition = sa.or_(posts.c.parent == me, posts.c.parent.in_(sa.union_all(*parents)), posts.c.id.in_(mentioned))
    return feed_page(session, condition, exclude_own_tracked=True, **kw)


def record_feed(session, record_id: str, **kw) -> FeedPage:
    session.get(record_id)  # not found unless the caller can read the record
    posts = session.schema.table("FeedItem")
    return feed_page(session, posts.c.parent == record_id, **kw)


def group_feed(session, group_name: str, **kw) -> FeedPage:
    group = find_group(session, group_name)
    posts = session.schema.table("FeedItem")
    return feed_page(session, posts.c.parent == group["id"], **kw)


def profile_feed(session, user_id: str, **kw) -> FeedPage:
    session.get(user_id)
    posts = session.schema.table("FeedItem")
    return feed_page(session, sa.or_(posts.c.parent == user_id, posts.c.owner_id == user_id), **kw)


def mentions_feed(session, **kw) -> FeedPage:
    posts = session.schema.table("FeedItem")
    mentions = session.schema.table("FeedMention")
    mine = sa.select(mentions.c.post).where(mentions.c.mentioned == session.user.id, _not_deleted(mentions))
    return feed_page(session, posts.c.id.in_(mine), **kw)


def bookmarks_feed(session, **kw) -> FeedPage:
    posts = session.schema.table("FeedItem")
    marks = session.schema.table("FeedBookmark")
    mine = sa.select(marks.c.post).where(marks.c.owner_id == session.user.id, _not_deleted(marks))
    return feed_page(session, posts.c.id.in_(mine), **kw)


def company_feed(session, **kw) -> FeedPage:
    return feed_page(session, sa.true(), include_tracked=False, **kw)


def bookmark(session, post_id: str) -> dict:
    session.get(post_id)
    return session.create("FeedBookmark", {"post": post_id})


def mute(session, post_id: str) -> dict:
    session.get(post_id)
    return session.create("FeedMute", {"post": post_id})
