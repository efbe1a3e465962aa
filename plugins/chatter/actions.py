"""Chatter's actions: the operations behind ``missionbase feed ...`` and
``missionbase notifications ...``, the REST API and the web pages.

What acts on one post, comment, group or join request is an action on that
record (``FeedItem.comment``, ``ChatterGroup.join``), listed with the record's
object as a client browsing it expects. Posting, following, feeds and feed
tracking are org-level (``chatter.post``): their subject may be a user, a
group or a record of any feed-enabled object, so one action takes its id.

Each handler takes the caller's session and the validated input and returns
plain data; the rules stay in posting.py, feeds.py, follows.py, groups.py,
tracking.py and notifications.py.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from missionbase.core import Action, ValidationError


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _with_notes(result) -> dict:
    """A post or comment, with a note per mention who cannot see it (not notified)."""
    return {**result.record, "notes": result.notes}


def item_action(registry, item_id: str, name: str) -> str:
    """The key of the action ``name`` on the post or comment ``item_id`` (edit and delete
    take either), or one clear error for an id of neither."""
    obj = registry.object_for_id(item_id) if isinstance(item_id, str) else None
    if obj is None or obj.name not in ("FeedItem", "FeedComment"):
        raise ValidationError(f"{item_id!r} is not a post or comment id")
    return f"{obj.name}.{name}"


def _user_id(session, name_or_id: str) -> str:
    return session.app.resolve_user(session.conn, name_or_id).id


# -- org-level: posting, feeds, following, tracking -----------------------------------------


class NewPost(_Input):
    body: str | None = Field(None, description="The text; @[Name] mentions a user or group")
    parent: str | None = Field(
        None, description="Where it goes: a user, group or feed-enabled record id (default: your profile)"
    )
    link_url: str | None = Field(None, description="Makes it a link post")
    file: str | None = Field(None, description="Makes it a file post (a File id)")
    announcement: bool = Field(False, description="A group announcement (owner and managers)")


def post(session, data: NewPost) -> dict:
    from . import posting

    kind = (
        "Announcement" if data.announcement else "Link" if data.link_url else "File" if data.file else "Text"
    )
    parent = data.parent or session.user.id
    return _with_notes(
        posting.post(session, parent, data.body, type=kind, link_url=data.link_url, file=data.file)
    )


class FeedQuery(_Input):
    record: str | None = Field(None, description="A feed-enabled record's feed (its id)")
    group: str | None = Field(None, description="A group's feed (its name or id)")
    user: str | None = Field(None, description="A user's profile feed (username or id)")
    mentions: bool = Field(False, description="Posts and comments that mention you")
    bookmarks: bool = Field(False, description="Your bookmarked posts")
    company: bool = Field(False, description="Everything you can see (no tracked changes)")
    limit: int = Field(20, description="Posts per page (1 to 200)")
    cursor: str | None = Field(None, description="The next_cursor of the previous page")


def feed(session, data: FeedQuery) -> dict:
    """One page of a feed, newest activity first: the first of record, group, user,
    mentions, bookmarks and company given, else What I Follow."""
    from . import feeds

    kw = {"limit": data.limit, "cursor": data.cursor}
    if data.record:
        page = feeds.record_feed(session, data.record, **kw)
    elif data.group:
        page = feeds.group_feed(session, data.group, **kw)
    elif data.user:
        page = feeds.profile_feed(session, _user_id(session, data.user), **kw)
    elif data.mentions:
        page = feeds.mentions_feed(session, **kw)
    elif data.bookmarks:
        page = feeds.bookmarks_feed(session, **kw)
    elif data.company:
        page = feeds.company_feed(session, **kw)
    else:
        page = feeds.what_i_follow(session, **kw)
    return {"items": page.items, "next_cursor": page.next_cursor}


class FollowTarget(_Input):
    target: str = Field(description="A user (username or id) or a feed-enabled record id")


def _target_id(session, target: str) -> str:
    # a record id has an underscore after its prefix; anything else names a user
    return target if target.startswith("usr_") or "_" in target else _user_id(session, target)


def follow(session, data: FollowTarget) -> dict:
    from .follows import follow as follow_target

    return follow_target(session, _target_id(session, data.target))


def unfollow(session, data: FollowTarget) -> dict:
    from .follows import unfollow as unfollow_target

    target = _target_id(session, data.target)
    unfollow_target(session, target)
    return {"target": target, "following": False}


class TrackedFields(_Input):
    object: str = Field(description="A feed-enabled object, e.g. Contact")
    fields: list[str] = Field(default_factory=list, description="Fields whose changes post (none: stop)")


def track_fields(session, data: TrackedFields) -> dict:
    from .tracking import set_tracked_fields

    return {"object": data.object, "fields": set_tracked_fields(session, data.object, data.fields)}


# -- on a post or comment ------------------------------------------------------------------------


class Body(_Input):
    body: str = Field(description="The text; @[Name] mentions a user or group")


def comment(session, post_id: str, data: Body) -> dict:
    from . import posting

    return _with_notes(posting.comment(session, post_id, data.body))


class LikeTarget(_Input):
    comment: str | None = Field(None, description="A comment of the post to (un)like instead of the post")


def like(session, post_id: str, data: LikeTarget) -> dict:
    from . import posting

    return posting.like(session, post_id, data.comment)


def unlike(session, post_id: str, data: LikeTarget) -> dict:
    from . import posting

    posting.unlike(session, post_id, data.comment)
    return {"post": post_id, "comment": data.comment, "liked": False}


class Share(_Input):
    body: str | None = Field(None, description="Your text above the shared post")
    parent: str | None = Field(None, description="A group or record id to share to (default: your profile)")


def share(session, post_id: str, data: Share) -> dict:
    from . import posting

    return _with_notes(posting.share(session, post_id, data.parent, data.body))


def bookmark(session, post_id: str, data: None) -> dict:
    from . import feeds

    return feeds.bookmark(session, post_id)


def mute(session, post_id: str, data: None) -> dict:
    from . import feeds

    return feeds.mute(session, post_id)


def edit(session, item_id: str, data: Body) -> dict:
    from . import posting

    return posting.edit(session, item_id, data.body)


def delete(session, item_id: str, data: None) -> dict:
    from . import posting

    posting.delete(session, item_id)
    return {"id": item_id, "deleted": True}


# -- on a group and a join request -------------------------------------------------------------


def join(session, group_id: str, data: None) -> dict:
    from . import groups

    return groups.join(session, group_id)


def leave(session, group_id: str, data: None) -> dict:
    from . import groups

    groups.leave(session, group_id)
    return {"group": group_id, "member": False}


def request_to_join(session, group_id: str, data: None) -> dict:
    from . import groups

    return groups.request_to_join(session, group_id)


def archive(session, group_id: str, data: None) -> dict:
    from . import groups

    return groups.set_archived(session, group_id, True)


def reactivate(session, group_id: str, data: None) -> dict:
    from . import groups

    return groups.set_archived(session, group_id, False)


class AutoArchive(_Input):
    enabled: bool = Field(description="Let the archive job archive the group when it goes quiet")


def auto_archive(session, group_id: str, data: AutoArchive) -> dict:
    from . import groups

    return groups.set_auto_archive(session, group_id, data.enabled)


class Frequency(_Input):
    frequency: str = Field(description="How often you hear of its posts: Every post, Daily, Weekly or Never")


def set_frequency(session, group_id: str, data: Frequency) -> dict:
    from . import groups

    return groups.set_frequency(session, group_id, data.frequency)


def members(session, group_id: str, data: None) -> list[dict]:
    from . import groups

    return groups.members(session, group_id)


def approve(session, request_id: str, data: None) -> dict:
    from . import groups

    return groups.decide(session, request_id, accept=True)


class Decline(_Input):
    message: str | None = Field(None, description="Sent to the requester")


def decline(session, request_id: str, data: Decline) -> dict:
    from . import groups

    return groups.decide(session, request_id, accept=False, message=data.message)


# -- notifications ----------------------------------------------------------------------------


class Inbox(_Input):
    unread_only: bool = Field(False, description="Only those not read yet")
    limit: int = Field(50, ge=1, le=500, description="Notifications per page")
    cursor: str | None = Field(None, description="The next_cursor of the previous page")


def inbox(session, data: Inbox) -> dict:
    from .notifications import list_notifications

    page = list_notifications(session, unread_only=data.unread_only, limit=data.limit, cursor=data.cursor)
    return {"items": page.records, "next_cursor": page.next_cursor}


class MarkRead(_Input):
    ids: list[str] = Field(default_factory=list, description="Notification ids (none: every unread one)")


def mark_read(session, data: MarkRead) -> dict:
    from .notifications import mark_read as mark

    return {"marked_read": mark(session, data.ids or None)}


def _on(object_name: str, name: str, run, description: str, **options) -> Action:
    """An action on one record of ``object_name`` that the caller must be able to read."""
    options.setdefault("permission", "read")
    return Action(name, run=run, object=object_name, on_record=True, description=description, **options)


ACTIONS = [
    Action(
        "chatter.post",
        run=post,
        input=NewPost,
        permission=None,
        description="Post to a user's profile, a group or a feed-enabled record (default: your profile).",
    ),
    Action(
        "chatter.feed",
        run=feed,
        input=FeedQuery,
        permission=None,
        writes=False,
        description="A feed, newest activity first (default: What I Follow).",
    ),
    Action(
        "chatter.follow",
        run=follow,
        input=FollowTarget,
        permission=None,
        description="Follow a person or a feed-enabled record.",
    ),
    Action(
        "chatter.unfollow",
        run=unfollow,
        input=FollowTarget,
        permission=None,
        description="Stop following a person or record.",
    ),
    Action(
        "chatter.track_fields",
        run=track_fields,
        input=TrackedFields,
        permission=None,
        description="Post changes of these fields of an object in its records' feeds (customize_application).",
    ),
    _on("FeedItem", "comment", comment, "Comment on the post.", input=Body),
    _on("FeedItem", "like", like, "Like the post, or one of its comments.", input=LikeTarget),
    _on(
        "FeedItem",
        "unlike",
        unlike,
        "Take back your like of the post or of one of its comments.",
        input=LikeTarget,
    ),
    _on("FeedItem", "share", share, "Share the post to your profile, a group or a record.", input=Share),
    _on("FeedItem", "bookmark", bookmark, "Save the post to your Bookmarks feed."),
    _on("FeedItem", "mute", mute, "Hide the post from your feeds and stop its notifications."),
    _on(
        "FeedItem",
        "edit",
        edit,
        "Edit the post's text (its author, or who may edit posts there).",
        input=Body,
    ),
    _on("FeedItem", "delete", delete, "Delete the post with its comments and likes."),
    _on("FeedComment", "edit", edit, "Edit the comment's text.", input=Body),
    _on("FeedComment", "delete", delete, "Delete the comment."),
    _on("ChatterGroup", "join", join, "Join the public group."),
    _on("ChatterGroup", "leave", leave, "Leave the group."),
    _on("ChatterGroup", "request_to_join", request_to_join, "Ask to join the private group."),
    _on(
        "ChatterGroup",
        "archive",
        archive,
        "Archive the group: comments only, no new posts.",
        permission="edit",
    ),
    _on("ChatterGroup", "reactivate", reactivate, "Reactivate the archived group.", permission="edit"),
    _on(
        "ChatterGroup",
        "auto_archive",
        auto_archive,
        "Let the archive job archive the group when it goes quiet, or never.",
        input=AutoArchive,
        permission="edit",
    ),
    _on(
        "ChatterGroup",
        "set_frequency",
        set_frequency,
        "How often you hear of the group's posts (members only).",
        input=Frequency,
    ),
    _on("ChatterGroup", "members", members, "The group's members and their roles.", writes=False),
    _on(
        "ChatterJoinRequest",
        "approve",
        approve,
        "Accept the request (group owner and managers).",
        permission="edit",
    ),
    _on(
        "ChatterJoinRequest",
        "decline",
        decline,
        "Decline the request, with a message to the requester.",
        input=Decline,
        permission="edit",
    ),
    Action(
        "inbox",
        run=inbox,
        object="ChatterNotification",
        input=Inbox,
        permission="read",
        writes=False,
        description="Your in-app notifications, newest first.",
    ),
    Action(
        "mark_read",
        run=mark_read,
        object="ChatterNotification",
        input=MarkRead,
        permission="edit",
        description="Mark some (or all) of your unread notifications read.",
    ),
]
