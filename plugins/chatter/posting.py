"""Posts, comments, likes and shares: their rules, as triggers and functions.

The triggers hold the rules, so they apply however a record is written
(these functions, ``records create FeedItem``, an import). Reading always
goes through the caller's session: what core security hides, these
functions cannot touch ("not found").

Edit and delete rules are Chatter's own and deliberately differ from
record sharing: an author may delete their post on a Contact they can only
read. So after the rule allowed it, the change is carried out by the system
context in the caller's transaction.

- Edit a post: modify_all_data always; otherwise, while the org allows edits
  (``chatter.allow_edits``, on by default), its author, and the owner of the
  record it is on with the "Chatter: Edit Posts on Records I Own" permission
  (``edit_posts_on_owned_records``). System posts (tracked changes, record
  created) are never edited. Each edit counts a revision and stamps editor
  and time; an edit that mentions someone new notifies them.
- Delete a post: its author, the owner or a manager of its group, Modify
  All on the parent's object, modify_all_data, moderate_chatter, or (in an
  unlisted group) manage_unlisted_groups. A tracked change only with
  modify_all_data. Its comments, likes and mentions go with it.
- Comments: edited by their author while edits are allowed (or
  modify_all_data); deleted by their
  author, the profile owner for comments on their profile, and the people
  who may delete the post.
- Share: a new post pointing at the original. Comments are not carried over
  and the original's mentions are not notified again; posts of private and
  unlisted groups cannot be shared.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from missionbase.core import AccessDenied, RecordNotFound, ValidationError

from . import mentions
from .common import (
    check_feed_parent,
    has_permission,
    manages_group,
    membership,
    now,
    object_letters,
    stored_row,
    system_view,
)
from .notifications import Notice, deliver
from .richtext import plain_text, sanitise


@dataclass
class PostResult:
    """What the author sees after posting: the record and anything they should know."""

    record: dict
    notes: list[str] = field(default_factory=list)


def _snippet(body: str | None) -> str:
    text = plain_text(body)
    return text if len(text) <= 60 else text[:59] + "…"


def _username(session, user_id: str) -> str:
    row = stored_row(session, "User", user_id)
    return row["name"] if row else user_id


# -- triggers: FeedItem ----------------------------------------------------------------


def before_post_insert(ctx, rows) -> None:
    session = ctx.session
    for index, row in enumerate(rows):
        new = row.new
        parent_object = check_feed_parent(session, new.get("parent"))
        kind = new.get("type") or "Text"
        new["body"] = sanitise(new.get("body"))
        if kind in ("Text", "Announcement") and not plain_text(new["body"]) and not new.get("shared_from"):
            raise ValidationError(
                f"a {kind} post needs a body", object_name="FeedItem", row=index, field="body"
            )
        if kind == "Link" and not new.get("link_url"):
            raise ValidationError(
                "a Link post needs link_url", object_name="FeedItem", row=index, field="link_url"
            )
        if kind == "File" and not new.get("file"):
            raise ValidationError("a File post needs a file", object_name="FeedItem", row=index, field="file")
        if kind in ("TrackedChange", "RecordCreated") and not ctx.user.is_system:
            raise ValidationError(
                f"{kind} posts are written by the system", object_name="FeedItem", row=index, field="type"
            )
        new["last_activity_at"] = new["created_at"]
        new["comment_count"] = new["like_count"] = new["revision"] = 0
        new["members_only"] = new["unlisted_members_only"] = None
        if parent_object == "ChatterGroup":
            group = stored_row(session, "ChatterGroup", new["parent"])
            if group is None:
                raise RecordNotFound(new["parent"], "ChatterGroup")
            _check_group_post(session, group, kind, index)
            if group["visibility"] == "Private":
                new["members_only"] = group["id"]
            elif group["visibility"] == "Unlisted":
                new["unlisted_members_only"] = group["id"]
        if new.get("shared_from"):
            original = stored_row(session, "FeedItem", new["shared_from"])
            if original is not None:
                _check_shareable(session, original)


def _check_group_post(session, group: dict, kind: str, index: int) -> None:
    if session.user.is_system:
        return
    name = group["name"]
    if group["is_archived"]:
        raise ValidationError(
            f"group {name!r} is archived: it accepts comments but no new posts",
            object_name="FeedItem",
            row=index,
            field="parent",
        )
    role = membership(session, group["id"], session.user.id)
    if group["visibility"] != "Public" and role is None:
        raise AccessDenied(f"{session.user.username} is not a member of group {name!r}, so cannot post in it")
    if (group["is_broadcast"] or kind == "Announcement") and not manages_group(session, group):
        what = "broadcast-only group" if group["is_broadcast"] else "group (announcements)"
        raise AccessDenied(f"only the owner and managers post in {what} {name!r}")


def _check_shareable(session, original: dict) -> None:
    if original["parent"].startswith(session.registry.object("ChatterGroup").prefix + "_"):
        group = stored_row(session, "ChatterGroup", original["parent"])
        if group and group["visibility"] != "Public":
            raise ValidationError(
                f"post {original['id']} is in {group['visibility'].lower()} group {group['name']!r}; "
                "such posts cannot be shared",
                object_name="FeedItem",
                field="shared_from",
            )


def after_post_insert(ctx, rows) -> None:
    session = ctx.session
    notices: list[tuple[str, Notice]] = []
    mention_rows: list[tuple[dict, dict]] = []
    groups_touched: dict[str, object] = {}
    for row in rows:
        post = row.new
        author = post["owner_id"]
        for mentioned in mentions.resolve(session, post.get("body"), object_name="FeedItem"):
            mention_rows.append(({"post": post["id"], "mentioned": mentioned}, post))
        parent_object = session.registry.object_for_id(post["parent"]).name
        label = _username(session, author)
        if parent_object == "User" and post["parent"] != author:
            notices.append(
                (
                    author,
                    Notice(
                        post["parent"],
                        "post_on_my_profile",
                        f"{label} posted on your profile: {_snippet(post['body'])}",
                        post["id"],
                    ),
                )
            )
        if post.get("shared_from"):
            original = stored_row(session, "FeedItem", post["shared_from"])
            if original:
                notices.append(
                    (author, Notice(original["owner_id"], "share", f"{label} shared your post", post["id"]))
                )
        if parent_object == "ChatterGroup":
            groups_touched[post["parent"]] = post["created_at"]
            group = stored_row(session, "ChatterGroup", post["parent"])
            for member, frequency in _members(session, post["parent"]):
                if frequency != "Never":
                    notices.append(
                        (
                            author,
                            Notice(
                                member,
                                "group_post",
                                f"{label} posted in {group['name']}: {_snippet(post['body'])}",
                                post["id"],
                                group_frequency=frequency,
                            ),
                        )
                    )
    notices += _mention_notices(session, mention_rows)
    _touch_groups(session, groups_touched)
    for actor in {a for a, _ in notices}:
        deliver(session, [n for a, n in notices if a == actor], actor=actor)


def _members(session, group_id: str) -> list[tuple[str, str]]:
    members = session.schema.table("ChatterGroupMember")
    return list(
        session.conn.execute(
            sa.select(members.c.user, members.c.notification_frequency).where(
                members.c.group == group_id, members.c.is_deleted == sa.false()
            )
        )
    )


def _mention_notices(session, mention_rows: list[tuple[dict, dict]]) -> list[tuple[str, Notice]]:
    """Write FeedMention rows (accessibility decided by core security as the mentionee)."""
    from .notifications import readable_by

    if not mention_rows:
        return []
    out = []
    records, computed = [], []
    for values, post in mention_rows:
        mentioned = values["mentioned"]
        author = post["owner_id"]
        label = _username(session, author)
        if mentioned.startswith("usr_"):
            accessible = post["id"] in readable_by(session, mentioned, [post["id"]])
            if accessible:
                out.append(
                    (
                        author,
                        Notice(
                            mentioned,
                            "mention",
                            f"{label} mentioned you: {_snippet(post['body'])}",
                            post["id"],
                        ),
                    )
                )
        else:
            accessible = True
            for member, _ in _members(session, mentioned):
                out.append(
                    (
                        author,
                        Notice(
                            member,
                            "mention",
                            f"{label} mentioned a group of yours: {_snippet(post['body'])}",
                            post["id"],
                        ),
                    )
                )
        records.append({**values, "owner_id": author})
        computed.append({"is_accessible": accessible})
    system_view(session).create_many("FeedMention", records, computed=computed)
    return out


def _touch_groups(session, groups: dict) -> None:
    if groups:
        system_view(session).update_many(
            [{"id": gid} for gid in groups],
            computed={gid: {"last_activity_at": at} for gid, at in groups.items()},
        )


def before_post_update(ctx, rows) -> None:
    if ctx.user.is_system:
        return
    for row in rows:
        reason = edit_refusal(ctx.session, row.old)
        if reason:
            raise AccessDenied(reason)
        changed = {k for k in ("parent", "type", "shared_from", "file") if row.new.get(k) != row.old.get(k)}
        if changed:
            raise ValidationError(
                f"only the text of a post can be edited, not {', '.join(sorted(changed))}",
                object_name="FeedItem",
            )
        row.new["body"] = sanitise(row.new.get("body"))
        _stamp_edit(row.new, row.old, ctx.user.id)


def before_post_delete(ctx, rows) -> None:
    if ctx.user.is_system:
        return
    for row in rows:
        reason = delete_refusal(ctx.session, row.old)
        if reason:
            raise AccessDenied(reason)


def _stamp_edit(new: dict, old: dict, editor: str) -> None:
    new["revision"] = (old.get("revision") or 0) + 1
    new["last_edited_by"] = editor
    new["last_edited_at"] = now()


def edit_refusal(session, post: dict) -> str | None:
    """Why the caller may not edit this post (None: they may).

    modify_all_data edits anything; otherwise edits need the org setting
    ``chatter.allow_edits`` (on by default), and then the author edits their own posts and,
    with ``edit_posts_on_owned_records``, the owner of the record edits others' posts on it --
    its owner only: a manager above the owner in the role hierarchy gets the owner's access to
    the record (core security), not this Chatter right (upstream does not say, so we keep it narrow).
    """
    user = session.user
    if post["type"] in ("TrackedChange", "RecordCreated"):
        return f"post {post['id']} is a {post['type']} post written by the system; it cannot be edited"
    if user.is_system or has_permission(session, "modify_all_data"):
        return None
    if not session.get_setting("chatter.allow_edits"):
        return "editing posts and comments is turned off in this org (chatter.allow_edits)"
    if post["owner_id"] == user.id:
        return None
    parent_object = session.registry.object_for_id(post["parent"])
    if parent_object.name not in ("User", "ChatterGroup") and has_permission(
        session, "edit_posts_on_owned_records"
    ):
        parent = stored_row(session, parent_object.name, post["parent"])
        if parent and parent["owner_id"] == user.id:
            return None
    return (
        f"{user.username} cannot edit post {post['id']}: only its author, the owner of the record it is on "
        "(with edit_posts_on_owned_records) or modify_all_data may"
    )


def _comment_edit_refusal(session, comment: dict) -> str | None:
    if session.user.is_system or has_permission(session, "modify_all_data"):
        return None
    if not session.get_setting("chatter.allow_edits"):
        return "editing posts and comments is turned off in this org (chatter.allow_edits)"
    if comment["owner_id"] == session.user.id:
        return None
    return (
        f"{session.user.username} cannot edit comment {comment['id']}: only its author or modify_all_data may"
    )


def delete_refusal(session, post: dict) -> str | None:
    """Why the caller may not delete this post (None: they may)."""
    user = session.user
    if user.is_system or has_permission(session, "modify_all_data"):
        return None
    if post["type"] == "TrackedChange":
        return f"post {post['id']} is a tracked change; only modify_all_data deletes those"
    if post["owner_id"] == user.id or has_permission(session, "moderate_chatter"):
        return None
    parent_object = session.registry.object_for_id(post["parent"])
    if parent_object.name == "ChatterGroup":
        group = stored_row(session, "ChatterGroup", post["parent"])
        if group and manages_group(session, group):
            return None
    elif "M" in object_letters(session, parent_object.name):
        return None
    return (
        f"{user.username} cannot delete post {post['id']}: only its author, its group's owner or managers, "
        f"Modify All on {parent_object.name}, moderate_chatter or modify_all_data may"
    )


# -- triggers: FeedComment and FeedLike ----------------------------------------------------


def before_comment_insert(ctx, rows) -> None:
    for index, row in enumerate(rows):
        row.new["body"] = sanitise(row.new.get("body"))
        row.new["like_count"] = row.new["revision"] = 0
        if not plain_text(row.new["body"]):
            raise ValidationError("is required", object_name="FeedComment", row=index, field="body")


def after_comment_insert(ctx, rows) -> None:
    session = ctx.session
    posts: dict[str, dict] = {}
    notices: list[tuple[str, Notice]] = []
    mention_rows = []
    groups_touched = {}
    comments = session.schema.table("FeedComment")
    for row in rows:
        comment = row.new
        post = posts.get(comment["post"]) or stored_row(session, "FeedItem", comment["post"])
        posts[post["id"]] = post
        author = comment["owner_id"]
        label = _username(session, author)
        notices.append(
            (
                author,
                Notice(
                    post["owner_id"],
                    "comment_on_my_post",
                    f"{label} commented on your post: {_snippet(comment['body'])}",
                    post["id"],
                ),
            )
        )
        earlier = session.conn.execute(
            sa.select(comments.c.owner_id)
            .distinct()
            .where(
                comments.c.post == post["id"],
                comments.c.id != comment["id"],
                comments.c.is_deleted == sa.false(),
            )
        ).scalars()
        for commenter in earlier:
            notices.append(
                (
                    author,
                    Notice(
                        commenter,
                        "comment_after_mine",
                        f"{label} also commented: {_snippet(comment['body'])}",
                        post["id"],
                    ),
                )
            )
        for mentioned in mentions.resolve(session, comment["body"], object_name="FeedComment"):
            mention_rows.append(
                (
                    {"post": post["id"], "comment": comment["id"], "mentioned": mentioned},
                    {**post, "owner_id": author, "body": comment["body"]},
                )
            )
        if post["parent"].startswith(session.registry.object("ChatterGroup").prefix + "_"):
            groups_touched[post["parent"]] = comment["created_at"]
    counts = _count_by(session, "FeedComment", "post", list(posts))
    system_view(session).update_many(
        [{"id": pid} for pid in posts],
        computed={
            pid: {"comment_count": counts.get(pid, 0), "last_activity_at": rows[-1].new["created_at"]}
            for pid in posts
        },
    )
    notices += _mention_notices(session, mention_rows)
    _touch_groups(session, groups_touched)
    for actor in {a for a, _ in notices}:
        deliver(session, [n for a, n in notices if a == actor], actor=actor)


def _count_by(session, object_name: str, column: str, ids: list[str]) -> dict[str, int]:
    table = session.schema.table(object_name)
    rows = session.conn.execute(
        sa.select(table.c[column], sa.func.count())
        .where(table.c[column].in_(ids), table.c.is_deleted == sa.false())
        .group_by(table.c[column])
    )
    return dict(rows.all())


def before_like_insert(ctx, rows) -> None:
    session = ctx.session
    likes = session.schema.table("FeedLike")
    for index, row in enumerate(rows):
        new = row.new
        if new.get("comment"):
            comment = stored_row(session, "FeedComment", new["comment"])
            if comment is None or comment["post"] != new["post"]:
                raise ValidationError(
                    f"comment {new['comment']} is not on post {new['post']}",
                    object_name="FeedLike",
                    row=index,
                    field="comment",
                )
        target = likes.c.comment == new["comment"] if new.get("comment") else likes.c.comment.is_(None)
        exists = session.conn.execute(
            sa.select(likes.c.id).where(
                likes.c.post == new["post"],
                target,
                likes.c.owner_id == new["owner_id"],
                likes.c.is_deleted == sa.false(),
            )
        ).first()
        if exists:
            raise ValidationError(
                f"you already like {new.get('comment') or new['post']}", object_name="FeedLike", row=index
            )


def after_like_change(ctx, rows) -> None:
    session = ctx.session
    likes = [r.new or r.old for r in rows]
    _recount_likes(session, likes)
    if ctx.event != "after_insert":
        return
    notices = []
    for like in likes:
        liked = (
            stored_row(session, "FeedComment", like["comment"])
            if like.get("comment")
            else stored_row(session, "FeedItem", like["post"])
        )
        if liked:
            what = "comment" if like.get("comment") else "post"
            notices.append(
                Notice(
                    liked["owner_id"],
                    "like",
                    f"{_username(session, like['owner_id'])} liked your {what}",
                    like["post"],
                )
            )
    for actor in {like["owner_id"] for like in likes}:
        deliver(
            session,
            [n for n, like in zip(notices, likes, strict=False) if like["owner_id"] == actor],
            actor=actor,
        )


def _recount_likes(session, likes: list[dict]) -> None:
    table = session.schema.table("FeedLike")
    post_ids = sorted({like["post"] for like in likes if not like.get("comment")})
    comment_ids = sorted({like["comment"] for like in likes if like.get("comment")})
    sys = system_view(session)
    if post_ids:
        counts = dict(
            session.conn.execute(
                sa.select(table.c.post, sa.func.count())
                .where(
                    table.c.post.in_(post_ids), table.c.comment.is_(None), table.c.is_deleted == sa.false()
                )
                .group_by(table.c.post)
            ).all()
        )
        alive = [p for p in post_ids if stored_row(session, "FeedItem", p)]
        if alive:
            sys.update_many(
                [{"id": p} for p in alive], computed={p: {"like_count": counts.get(p, 0)} for p in alive}
            )
    if comment_ids:
        counts = _count_by(session, "FeedLike", "comment", comment_ids)
        alive = [c for c in comment_ids if stored_row(session, "FeedComment", c)]
        if alive:
            sys.update_many(
                [{"id": c} for c in alive], computed={c: {"like_count": counts.get(c, 0)} for c in alive}
            )


# -- functions a user (or the CLI) calls ------------------------------------------------------


def post(
    session,
    parent_id: str,
    body: str | None = None,
    *,
    type: str = "Text",
    link_url: str | None = None,
    file: str | None = None,
) -> PostResult:
    """Post to a user's profile, a group or a feed-enabled record the caller can read."""
    values = {"parent": parent_id, "type": type, "body": body}
    if link_url:
        values["link_url"] = link_url
    if file:
        values["file"] = file
    record = session.create("FeedItem", values)
    return PostResult(record, _inaccessible_mention_notes(session, record["id"]))


def _inaccessible_mention_notes(session, post_id: str, comment_id: str | None = None) -> list[str]:
    table = session.schema.table("FeedMention")
    condition = table.c.comment == comment_id if comment_id else table.c.comment.is_(None)
    rows = session.conn.execute(
        sa.select(table.c.mentioned).where(
            table.c.post == post_id, condition, table.c.is_accessible == sa.false()
        )
    ).scalars()
    return [
        f"@[{_username(session, uid)}] cannot see this feed, so was not notified and will not see the post"
        for uid in rows
    ]


def comment(session, post_id: str, body: str) -> PostResult:
    record = session.create("FeedComment", {"post": post_id, "body": body})
    return PostResult(record, _inaccessible_mention_notes(session, post_id, record["id"]))


def check_post_id(session, post_id: str) -> str:
    """The id, or one clear error when it is not a post's (a typo, a comment's id...)."""
    obj = session.registry.object_for_id(post_id) if isinstance(post_id, str) else None
    if obj is None or obj.name != "FeedItem":
        raise ValidationError(f"{post_id!r} is not a post id (like fdi_01J...)")
    return post_id


def _visible_post(session, post_id: str) -> dict:
    return session.get(check_post_id(session, post_id))  # core security: not found unless readable


def like(session, post_id: str, comment_id: str | None = None) -> dict:
    _visible_post(session, post_id)
    return session.create("FeedLike", {"post": post_id, "comment": comment_id})


def unlike(session, post_id: str, comment_id: str | None = None) -> None:
    _visible_post(session, post_id)
    where = (
        {"post": post_id, "created_by": session.user.id, "comment": {"is_null": True}}
        if not comment_id
        else {"post": post_id, "created_by": session.user.id, "comment": comment_id}
    )
    mine = session.query("FeedLike", where=where, fields=["id"]).records
    if not mine:
        raise ValidationError(f"you do not like {comment_id or post_id}")
    system_view(session).delete(mine[0]["id"])  # your own like: the rule is yours to undo


def share(session, post_id: str, to_parent: str | None = None, body: str | None = None) -> PostResult:
    """Share a post you can see to your profile (default), a group or a record."""
    original = _visible_post(session, post_id)
    values = {
        "parent": to_parent or session.user.id,
        "type": "Text",
        "body": body,
        "shared_from": original["id"],
    }
    record = session.create("FeedItem", values)
    return PostResult(record, _inaccessible_mention_notes(session, record["id"]))


def edit(session, item_id: str, body: str) -> dict:
    """Edit a post's or comment's text (rules in the module docstring)."""
    obj = session.registry.object_for_id(item_id) if isinstance(item_id, str) else None
    if obj is None or obj.name not in ("FeedItem", "FeedComment"):
        raise ValidationError(f"{item_id!r} is not a post or comment id")
    current = session.get(item_id)
    stored = stored_row(session, obj.name, item_id)
    if obj.name == "FeedItem":
        reason = edit_refusal(session, stored)
    else:
        reason = _comment_edit_refusal(session, stored)
    if reason:
        raise AccessDenied(reason)
    clean = sanitise(body)
    if not plain_text(clean):
        raise ValidationError("is required", object_name=obj.name, field="body")
    mentions.resolve(
        session, clean, object_name=obj.name
    )  # same limits as when posting (a clear error first)
    stamp = {
        "revision": (stored.get("revision") or 0) + 1,
        "last_edited_by": session.user.id,
        "last_edited_at": now(),
    }
    return system_view(session).update(item_id, {"body": clean}, version=current["version"], computed=stamp)


def after_text_update(ctx, rows) -> None:
    """A post or comment whose edit mentions someone new: that mention is recorded and notified
    as on a new post (same limits); those mentioned before are not notified again."""
    for row in rows:
        if row.new.get("body") != row.old.get("body"):
            mentioned = mentions.resolve(ctx.session, row.new.get("body"), object_name=ctx.object.name)
            editor = row.new.get("last_edited_by") or ctx.user.id
            _mention_added(ctx.session, ctx.object.name, row.new, mentioned, editor)


def _mention_added(session, object_name: str, item: dict, mentioned: list[str], editor: str) -> None:
    post = item if object_name == "FeedItem" else stored_row(session, "FeedItem", item["post"])
    comment_id = item["id"] if object_name == "FeedComment" else None
    table = session.schema.table("FeedMention")
    before = set(
        session.conn.execute(
            sa.select(table.c.mentioned).where(
                table.c.post == post["id"],
                table.c.is_deleted == sa.false(),
                table.c.comment == comment_id if comment_id else table.c.comment.is_(None),
            )
        ).scalars()
    )
    added = [m for m in mentioned if m not in before]
    if not added:
        return
    values = {"post": post["id"], **({"comment": comment_id} if comment_id else {})}
    notices = _mention_notices(
        session,
        [
            ({**values, "mentioned": m}, {**post, "owner_id": item["owner_id"], "body": item["body"]})
            for m in added
        ],
    )
    deliver(session, [n for _, n in notices], actor=editor)


def delete(session, item_id: str) -> None:
    """Delete a post (with its comments, likes and mentions) or a comment."""
    obj = session.registry.object_for_id(item_id) if isinstance(item_id, str) else None
    if obj is None or obj.name not in ("FeedItem", "FeedComment"):
        raise ValidationError(f"{item_id!r} is not a post or comment id")
    session.get(item_id)  # visible to the caller, or not found
    stored = stored_row(session, obj.name, item_id)
    if obj.name == "FeedItem":
        reason = delete_refusal(session, stored)
    else:
        reason = comment_delete_refusal(session, stored)
    if reason:
        raise AccessDenied(reason)
    system_view(session).delete(item_id)
    if obj.name == "FeedComment":
        post = stored_row(session, "FeedItem", stored["post"])
        if post:
            count = _count_by(session, "FeedComment", "post", [post["id"]]).get(post["id"], 0)
            system_view(session).update(post["id"], {}, computed={"comment_count": count})


def comment_delete_refusal(session, comment: dict) -> str | None:
    if comment["owner_id"] == session.user.id:
        return None
    post = stored_row(session, "FeedItem", comment["post"])
    if post and post["parent"] == session.user.id:
        return None  # comments on my profile
    if post and delete_refusal(session, {**post, "owner_id": None, "type": "Text"}) is None:
        return None
    return (
        f"{session.user.username} cannot delete comment {comment['id']}: only its author, the profile owner "
        "and those who may delete the post may"
    )
