"""The feeds: newest activity first, keyset-paginated, visibility from core.

Every feed is one SQL query over FeedItem whose visibility condition is core
security's ``readable_filter`` for the caller (parent readable, restriction
rules for private and unlisted groups); the feed code only says *which*
posts belong to a feed, never *who may see* them. Posts are then read with
``session.get_many`` and tracked-change rows with ``session.query``, and a
row is kept only when the caller's field-level security shows its field.

- What I Follow: posts on people and records I follow, groups I belong to,
  records I own (any feed-enabled object), my profile, and posts mentioning
  me or a group of mine; not my own tracked changes; not muted posts; not
  the posts of an archived group nobody commented on since its archiving.
- record / group / profile (posts to the user and by the user) / mentions
  ("To me") / bookmarks / company (everything readable but tracked changes
  and an archived group's dormant posts).
A comment moves its post back to the top (``last_activity_at``).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import weakref
from dataclasses import dataclass

import sqlalchemy as sa

from missionbase.core import ValidationError

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


def feed_page(
    session,
    membership_condition,
    *,
    limit: int = DEFAULT_PAGE,
    cursor: str | None = None,
    exclude_own_tracked: bool = False,
    include_tracked: bool = True,
) -> FeedPage:
    """One page of the posts matching ``membership_condition`` that the caller may see.

    A list of conditions means posts matching any of them, each read newest first on its own
    index and merged (``UNION`` of limited branches), rather than an OR that gathers every
    matching post to sort them."""
    if not 1 <= limit <= 200:
        raise ValidationError(f"limit must be between 1 and 200 (got {limit})")
    posts = session.schema.table("FeedItem")
    branches = membership_condition if isinstance(membership_condition, list) else [membership_condition]
    conditions = [_not_deleted(posts)]
    if not session.user.is_system:
        session.policy.check_object(session, "FeedItem", "read")
        readable = session.policy.readable_filter(session, "FeedItem", posts)
        if readable is not None:
            conditions.append(readable)
    mutes = session.schema.table("FeedMute")
    conditions.append(
        ~sa.exists(
            sa.select(mutes.c.id).where(
                mutes.c.post == posts.c.id, mutes.c.owner_id == session.user.id, _not_deleted(mutes)
            )
        )
    )
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
            page_conditions.append(
                sa.or_(
                    posts.c.last_activity_at < at,
                    sa.and_(posts.c.last_activity_at == at, posts.c.id < last_id),
                )
            )
        want = limit - len(items) + 1
        newest_first = (posts.c.last_activity_at.desc(), posts.c.id.desc())
        selects = [
            sa.select(posts.c.id, posts.c.last_activity_at)
            .where(branch, *page_conditions)
            .order_by(*newest_first)
            .limit(want)
            for branch in branches
        ]
        if len(selects) == 1:
            rows = session.conn.execute(selects[0]).all()
        else:
            merged = sa.union(*(sa.select(q.subquery().c) for q in selects)).subquery()
            rows = session.conn.execute(
                sa.select(merged.c.id, merged.c.last_activity_at)
                .order_by(merged.c.last_activity_at.desc(), merged.c.id.desc())
                .limit(want)
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


def _hydrate(session, ids: list[str], found: dict[str, dict] | None = None) -> list[dict]:
    """Posts as the caller sees them; tracked-change rows filtered by field-level security.

    ``found``: these posts already read through the caller's session (``get_many``).
    """
    if not ids:
        return []
    if found is None:
        found = session.get_many(ids)
    tracked = [i for i in ids if i in found and found[i]["type"] == "TrackedChange"]
    rows_by_post: dict[str, list[dict]] = {}
    if tracked:
        for row in session.query(
            "FeedTrackedChange", where={"post": {"in": tracked}}, order_by=["created_at"]
        ).records:
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


def what_i_follow(session, *, limit: int = DEFAULT_PAGE, cursor: str | None = None) -> FeedPage:
    """What I Follow: bounded index range scans, never a scan of the whole feed table.

    Usually the page lies among the newest ``WINDOW`` posts of the org
    (``_recent_window``: one scan of the recency index that stops at a page).
    When it does not (what I follow is quiet next to the rest), or a source
    turns out unreadable, the page is ranked source by source:

    1. Sources: my profile, what I follow (at most ``chatter.follow_limit``),
       my groups and the feed-enabled records I own. For each, its newest
       qualifying post (not deleted, not muted by me, not my own tracked
       change): one ``ORDER BY last_activity_at DESC LIMIT 1`` range scan of
       ``FeedItem(parent, last_activity_at, id)`` per source, in one query.
    2. The page can only hold posts of the ``limit + 1`` sources with the
       newest posts: if a source outside them held a page post, each of those
       sources' newest posts would rank above it, which is more than a page.
       For those sources, up to ``limit + 1`` posts each (``UNION ALL`` of
       ``LIMIT`` range scans), plus the newest posts mentioning me or my
       groups; merged, the first ``limit + 1`` are the candidates.
    3. Visibility is core security's, on the candidate rows only
       (``session.get_many``; for FeedItem, Controlled by Parent, core checks
       the candidates' parents per parent object, and FeedItem's restriction
       rules -- a private group's posts carry its restriction). A parent's
       posts share their visibility, so a source whose candidate core hides
       is left out and the page is ranked again without it (a source I follow
       but can no longer read costs one round, not a scan of its posts).
       Tracked-change
       rows are then filtered by field-level security.

    Work grows with the number of sources (follow limit, groups, owned
    records) and the page size, never with the number of feed items.
    """
    if not 1 <= limit <= 200:
        raise ValidationError(f"limit must be between 1 and 200 (got {limit})")
    if not session.user.is_system:
        session.policy.check_object(session, "FeedItem", "read")
    after = _decode(cursor) if cursor else None
    want = limit + 1
    items: list[dict] = []
    hidden_sources: set[str] = set()
    while True:
        ordered = None if hidden_sources else _recent_window(session, after, want)
        if ordered is None:
            ranked = [
                r
                for r in _run(session, "newest", after, want=want + len(hidden_sources))
                if r.parent not in hidden_sources
            ]
            chosen = [r.parent for r in ranked[:want]]
            candidates = {r.id: r for r in _run(session, "sources", after, parents=chosen, want=want)}
            candidates.update({r.id: r for r in _mentioning(session, after, want)})
            ordered = sorted(candidates.values(), key=lambda r: (r.last_activity_at, r.id), reverse=True)
        take = ordered[: want - len(items)]
        found = _readable_posts(session, take)  # core security decides, on these rows only
        unreadable = {r.parent for r in take if r.id not in found}
        if unreadable:
            hidden_sources |= unreadable
            continue
        items += _hydrate(session, [r.id for r in take], found)
        if len(items) >= want or len(ordered) < want:
            break  # a page and one more, or every source is exhausted
        after = (take[-1].last_activity_at, take[-1].id)
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        next_cursor = _cursor(items[-1]["last_activity_at"], items[-1]["id"])
    return FeedPage(items, next_cursor)


def _readable_posts(session, rows) -> dict[str, dict]:
    """The candidate posts the caller may read, as core security decides (``get_many``: for a
    Controlled by Parent object it checks these posts' parents, per parent object)."""
    return session.get_many([r.id for r in rows])


WINDOW = 2000  # newest posts looked at before ranking the sources one by one


def _recent_window(session, after, want: int) -> list | None:
    """The page's candidates when ``want`` posts of my sources lie among the ``WINDOW`` newest
    posts (of the whole feed table, after the cursor), else None. Exact: a post outside the
    window is older than every post in it. Cheap when what I follow is a fair share of the org's
    activity. One statement: the window's floor (a short index-only scan), the scan of the
    recency index from the top that stops at ``want`` matches, and my newest mentions (few per
    user, merged here: an OR would scan the window), which core security checks with the rest."""
    rows = _run(session, "recent", after, want=want)
    floor = any(r.src == "f" for r in rows)
    window = [r for r in rows if r.src == "w"]
    if floor and len(window) < want:
        return None
    merged = {r.id: r for r in rows if r.src != "f"}
    return sorted(merged.values(), key=lambda r: (r.last_activity_at, r.id), reverse=True)[:want]


def _mentioning(session, after, want: int) -> list:
    """The newest posts that mention me or my groups and that core security lets me read
    (work grows with my mentions, not with the feed table)."""
    found: list = []
    while True:
        rows = _run(session, "mentions", after, want=want)
        if not rows:
            return found
        visible = session.get_many([r.id for r in rows])
        found += [r for r in rows if r.id in visible]
        if len(found) >= want or len(rows) < want:
            return found[:want]
        after = (rows[-1].last_activity_at, rows[-1].id)


# The candidate queries are built once per schema and shape, with bound parameters, so a page
# costs no SQL construction or compilation; none of them decides visibility (core does, above).
_STATEMENTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _run(session, kind: str, after, *, parents: list[str] | None = None, want: int = 1) -> list:
    if kind == "sources" and not parents:
        return []
    # PostgreSQL reads any number of sources with one statement (their ids bound as an array).
    n_parents = 0 if session.is_postgres else len(parents or ())
    shape = (kind, after is not None, n_parents, want if kind in ("sources", "mentions") else 0)
    table = session.schema.table("FeedItem")
    cache = _STATEMENTS.setdefault(table, {})
    stmt = cache.get(shape)
    if stmt is None:
        stmt = cache[shape] = _build(session, *shape)
    params = {"me": session.user.id, "top_n": want, "window": WINDOW - 1}
    if after:
        params["after_at"], params["after_id"] = after
    if session.is_postgres:
        params["parent_ids"] = list(parents or ())
    else:
        params.update({f"parent_{index}": parent for index, parent in enumerate(parents or ())})
    return session.conn.execute(stmt, params).all()


def _awake(session, posts):
    """Not a dormant post: an archived group's posts leave feeds until someone comments on
    them after the archiving, which brings that post back. Only posts on groups
    are looked up (``substr`` of the id: no probe for a post on anything else)."""
    groups = session.schema.table("ChatterGroup")
    prefix = session.registry.object("ChatterGroup").prefix
    return sa.or_(
        sa.func.substr(posts.c.parent, 1, len(prefix)) != prefix,
        ~sa.exists(
            sa.select(groups.c.id).where(
                groups.c.id == posts.c.parent,
                groups.c.is_archived == sa.true(),
                groups.c.archived_at >= posts.c.last_activity_at,
            )
        ),
    )


def _qualifying(session, posts, has_after: bool) -> list:
    """Row predicates every What I Follow post meets besides its source."""
    me = sa.bindparam("me", type_=sa.String)
    mutes = session.schema.table("FeedMute")
    conditions = [
        _not_deleted(posts),
        # not my own system posts (what I changed or created: I know)
        sa.or_(posts.c.type.not_in(["TrackedChange", "RecordCreated"]), posts.c.owner_id != me),
        ~sa.exists(
            sa.select(mutes.c.id).where(
                mutes.c.owner_id == me, mutes.c.post == posts.c.id, _not_deleted(mutes)
            )
        ),
        _awake(session, posts),
    ]
    if has_after:
        at = sa.bindparam("after_at", type_=posts.c.last_activity_at.type)
        last_id = sa.bindparam("after_id", type_=sa.String)
        conditions.append(sa.tuple_(posts.c.last_activity_at, posts.c.id) < sa.tuple_(at, last_id))
    return conditions


def _sources(session, *, distinct: bool = True):
    """The parents whose posts are in my What I Follow: my profile, what I follow, my groups and
    the feed-enabled records I own (which of their posts I may read is core security's call).
    ``distinct=False`` when only membership matters (an IN list), which spares the dedup sort."""
    me = sa.bindparam("me", type_=sa.String)
    follows = session.schema.table("Follow")
    members = session.schema.table("ChatterGroupMember")
    parts = [
        sa.select(sa.cast(me, sa.String).label("pid")),
        sa.select(follows.c.target).where(follows.c.owner_id == me, _not_deleted(follows)),
        sa.select(members.c.group).where(members.c.user == me, _not_deleted(members)),
    ]
    for name in feed_enabled_objects(session.registry):
        if name not in ("User", "ChatterGroup"):
            owned = session.schema.table(name)
            parts.append(sa.select(owned.c.id).where(owned.c.owner_id == me, _not_deleted(owned)))
    return (sa.union(*parts) if distinct else sa.union_all(*parts)).subquery("src")


def _mentioned_posts(session):
    me = sa.bindparam("me", type_=sa.String)
    mentions = session.schema.table("FeedMention")
    members = session.schema.table("ChatterGroupMember")
    mine = sa.select(members.c.group).where(members.c.user == me, _not_deleted(members))
    return sa.select(mentions.c.post).where(
        sa.or_(mentions.c.mentioned == me, mentions.c.mentioned.in_(mine)), _not_deleted(mentions)
    )


def _build(session, kind: str, has_after: bool, n_parents: int, want: int):
    table = session.schema.table("FeedItem")
    newest_first = (table.c.last_activity_at.desc(), table.c.id.desc())
    if kind == "recent":
        return _recent_statement(session, table, has_after)
    if kind == "newest":  # each source's newest qualifying post
        sources = _sources(session)
        posts = table.alias("p")
        newest = (
            sa.select(posts.c.last_activity_at, posts.c.id, posts.c.parent)
            .where(posts.c.parent == sources.c.pid, *_qualifying(session, posts, has_after))
            .order_by(posts.c.last_activity_at.desc(), posts.c.id.desc())
            .limit(1)
        )
        if session.is_postgres:
            # LATERAL: the source's newest post comes with its columns (joining a top id back to
            # the table let the planner hash the whole table).
            top = newest.lateral("top")
            return (
                sa.select(top.c.last_activity_at, top.c.id, top.c.parent)
                .select_from(sources.join(top, sa.true()))
                .order_by(top.c.last_activity_at.desc(), top.c.id.desc())
                .limit(sa.bindparam("top_n", type_=sa.Integer))
            )
        # SQLite has no LATERAL: the top id of each source, joined back on the primary key.
        top = newest.with_only_columns(posts.c.id).scalar_subquery()
        tops = sa.select(top.label("top_id")).select_from(sources).subquery("tops")
        return (
            sa.select(table.c.last_activity_at, table.c.id, table.c.parent)
            .join(tops, table.c.id == tops.c.top_id)
            .order_by(*newest_first)
            .limit(sa.bindparam("top_n", type_=sa.Integer))
        )
    if kind == "sources" and session.is_postgres:  # up to `want` newest posts of each chosen source
        # One LATERAL scan per source id of the array: a small plan whatever the number of
        # sources (a UNION of one branch per source took longer to plan than to run).
        from sqlalchemy.dialects.postgresql import ARRAY

        chosen = (
            sa.func.unnest(sa.bindparam("parent_ids", type_=ARRAY(sa.String)))
            .table_valued("pid")
            .render_derived(name="src")
        )
        per = (
            sa.select(table.c.last_activity_at, table.c.id, table.c.parent)
            .where(table.c.parent == chosen.c.pid, *_qualifying(session, table, has_after))
            .order_by(*newest_first)
            .limit(want)
            .lateral("per")
        )
        return sa.select(per.c.last_activity_at, per.c.id, per.c.parent).select_from(
            chosen.join(per, sa.true())
        )
    if kind == "sources":
        branches = []
        for index in range(n_parents):
            per = (
                sa.select(table.c.last_activity_at, table.c.id, table.c.parent)
                .where(
                    table.c.parent == sa.bindparam(f"parent_{index}", type_=sa.String),
                    *_qualifying(session, table, has_after),
                )
                .order_by(*newest_first)
                .limit(want)
                .subquery(f"s{index}")
            )
            branches.append(sa.select(per.c.last_activity_at, per.c.id, per.c.parent))
        return sa.union_all(*branches)
    return _mentions_statement(session, table, has_after, sa.literal(want))  # kind == "mentions"


def _mentions_statement(session, table, has_after: bool, limit):
    return (
        sa.select(table.c.last_activity_at, table.c.id, table.c.parent)
        .where(table.c.id.in_(_mentioned_posts(session)), *_qualifying(session, table, has_after))
        .order_by(table.c.last_activity_at.desc(), table.c.id.desc())
        .limit(limit)
    )


def _recent_statement(session, table, has_after: bool):
    """Rows tagged ``src``: ``w`` my sources' newest posts within the window, ``m`` my newest
    mentions, ``f`` the window's floor (absent when fewer posts than the window remain)."""
    newest_first = (table.c.last_activity_at.desc(), table.c.id.desc())
    top_n = sa.bindparam("top_n", type_=sa.Integer)
    # The oldest post of the window: WINDOW-1 entries down the recency index (index only).
    floor_conditions = _qualifying(session, table, has_after)[-1:] if has_after else []
    floor = (
        sa.select(table.c.last_activity_at.label("at"), table.c.id.label("fid"))
        .where(*floor_conditions)
        .order_by(*newest_first)
        .limit(1)
        .offset(sa.bindparam("window", type_=sa.Integer))
        .cte("window_floor")
    )
    # No floor (fewer posts than the window): from the beginning of time. A row comparison with
    # no OR, so both databases walk the recency index between the top and the floor.
    beginning = sa.literal(dt.datetime(1970, 1, 1, tzinfo=dt.UTC), type_=table.c.last_activity_at.type)
    floor_at = sa.func.coalesce(sa.select(floor.c.at).scalar_subquery(), beginning)
    floor_id = sa.func.coalesce(sa.select(floor.c.fid).scalar_subquery(), sa.literal(""))
    within = sa.tuple_(table.c.last_activity_at, table.c.id) >= sa.tuple_(floor_at, floor_id)
    # My sources are read once inside the statement (no round trip, no binding every id) into a
    # hash: PostgreSQL's "hashed SubPlan" (an IN inside COALESCE stays a sub-plan; a bare IN
    # becomes a semi-join whose plan under LIMIT compares each recent post with every source,
    # and ``= ANY(ARRAY(...))`` searches the array linearly), SQLite's ephemeral index. On both,
    # ``parent || ''`` keeps the walk on the recency index (stopping at a page) rather than a
    # seek per source: the floor is unknown when the statement is planned, so the planner
    # cannot see that the window is short.
    sources = sa.select(_sources(session, distinct=False).c.pid)
    parent = table.c.parent.op("||")(sa.literal_column("''"))
    mine = sa.func.coalesce(parent.in_(sources), sa.false())
    window = (
        sa.select(table.c.last_activity_at, table.c.id, table.c.parent)
        .where(mine, within, *_qualifying(session, table, has_after))
        .order_by(*newest_first)
        .limit(top_n)
        .subquery("w")
    )
    mentions = _mentions_statement(session, table.alias("mentioned"), has_after, top_n).subquery("m")
    return sa.union_all(
        sa.select(sa.literal("w").label("src"), window.c.last_activity_at, window.c.id, window.c.parent),
        sa.select(sa.literal("m"), mentions.c.last_activity_at, mentions.c.id, mentions.c.parent),
        sa.select(sa.literal("f"), floor.c.at, floor.c.fid, sa.null()),
    )


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
    # posts to the user and by the user (a post's owner is its author: FeedItem.owner_is_creator)
    return feed_page(session, [posts.c.parent == user_id, posts.c.owner_id == user_id], **kw)


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
    posts = session.schema.table("FeedItem")
    return feed_page(session, _awake(session, posts), include_tracked=False, **kw)


def bookmark(session, post_id: str) -> dict:
    session.get(post_id)
    return session.create("FeedBookmark", {"post": post_id})


def mute(session, post_id: str) -> dict:
    session.get(post_id)
    return session.create("FeedMute", {"post": post_id})
