"""``missionbase feed ...`` and ``missionbase notifications ...``.

Chatter groups live under ``feed groups`` because ``missionbase groups`` is
core's public groups and queues (sharing).
"""

from __future__ import annotations

import click

from missionbase.core import (
    action_command,
    as_user_option,
    echo_json,
    echo_table,
    json_option,
    pass_app,
    run_action,
)

FEED_COLUMNS = ["id", "type", "parent", "owner_id", "body", "comment_count", "like_count", "last_activity_at"]


def _group_id(session, name: str) -> str:
    from .groups import find_group

    return find_group(session, name)["id"]


def _on_group(name: str):
    """``run(session, group name)`` for ``action_command``: the group action ``name``."""
    return lambda s, group: run_action(s, f"ChatterGroup.{name}", record_id=_group_id(s, group))


def _on_post(name: str):
    """``run(session, post id)`` for ``action_command``: the post action ``name``."""
    return lambda s, post_id: run_action(s, f"FeedItem.{name}", record_id=_post_id(s, post_id))


def _post_id(session, post_id: str) -> str:
    """The id, or one clear error when it is not a post's (rather than "not found")."""
    from .posting import check_post_id

    return check_post_id(session, post_id)


def _flush(app) -> None:
    from .notifications import send_pending_emails

    send_pending_emails(app)


def _out_with_notes(result, as_json):
    notes = result.pop("notes", [])
    _out(result, as_json, notes)


def _out(record, as_json, notes=()):
    if as_json:
        echo_json({**record, "notes": list(notes)} if notes else record)
    else:
        click.echo(record["id"])
        for note in notes:
            click.echo(f"note: {note}")


def _target(session, record, group, user, mine):
    from missionbase.core import ValidationError

    from .groups import find_group

    chosen = [x for x in (record, group, user) if x] + (["mine"] if mine else [])
    if len(chosen) != 1:
        raise ValidationError("choose exactly one of --record ID, --group NAME, --user NAME or --mine")
    if record:
        return record
    if group:
        return find_group(session, group)["id"]
    if user:
        return session.app.resolve_user(session.conn, user).id
    return session.user.id


def _where(func):
    for option in reversed(
        [
            click.option("--record", help="A feed-enabled record's id."),
            click.option("--group", help="A Chatter group's name."),
            click.option("--user", help="A user's username (their profile)."),
            click.option("--mine", is_flag=True, help="Your own profile (post) / What I Follow (show)."),
        ]
    ):
        func = option(func)
    return func


@click.group()
def feed():
    """Chatter: post, comment, like, share, follow, groups and feed tracking."""


@feed.command("post")
@click.argument("body", required=False)
@_where
@click.option("--link", "link_url", help="Make it a link post.")
@click.option("--file", "file_id", help="Make it a file post (a File id).")
@click.option("--announcement", is_flag=True, help="A group announcement (owner and managers).")
@as_user_option
@json_option
@pass_app
def post_command(app, body, record, group, user, mine, link_url, file_id, announcement, as_user, as_json):
    """Post BODY (``@[Name]`` mentions a user or group)."""
    values = {"body": body, "link_url": link_url, "file": file_id, "announcement": announcement}
    with app.session(as_user) as s:
        values["parent"] = _target(s, record, group, user, mine or not (record or group or user))
        result = run_action(s, "chatter.post", values)
    _flush(app)
    _out_with_notes(result, as_json)


@feed.command("comment")
@click.argument("post_id")
@click.argument("body")
@as_user_option
@json_option
@pass_app
def comment_command(app, post_id, body, as_user, as_json):
    with app.session(as_user) as s:
        result = run_action(s, "FeedItem.comment", {"body": body}, record_id=_post_id(s, post_id))
    _flush(app)
    _out_with_notes(result, as_json)


@feed.command("like")
@click.argument("post_id")
@click.option("--comment", "comment_id", help="Like this comment of the post instead.")
@click.option("--undo", is_flag=True, help="Unlike.")
@as_user_option
@pass_app
def like_command(app, post_id, comment_id, undo, as_user):
    values = {"comment": comment_id} if comment_id else {}
    with app.session(as_user) as s:
        run_action(s, "FeedItem.unlike" if undo else "FeedItem.like", values, record_id=_post_id(s, post_id))
    _flush(app)
    click.echo("unliked" if undo else "liked")


@feed.command("share")
@click.argument("post_id")
@click.argument("body", required=False)
@click.option("--record", help="Share to this record's feed.")
@click.option("--group", help="Share to this group.")
@as_user_option
@json_option
@pass_app
def share_command(app, post_id, body, record, group, as_user, as_json):
    """Share a post to your profile (default), a group or a record."""
    with app.session(as_user) as s:
        values = {"body": body, "parent": _target(s, record, group, None, not (record or group))}
        result = run_action(s, "FeedItem.share", values, record_id=_post_id(s, post_id))
    _flush(app)
    _out_with_notes(result, as_json)


@feed.command("edit")
@click.argument("item_id")
@click.argument("body")
@as_user_option
@json_option
@pass_app
def edit_command(app, item_id, body, as_user, as_json):
    """Edit a post's or comment's text."""
    from .actions import item_action

    with app.session(as_user) as s:
        record = run_action(s, item_action(s.registry, item_id, "edit"), {"body": body}, record_id=item_id)
    _out(record, as_json)


@feed.command("delete")
@click.argument("item_id")
@as_user_option
@pass_app
def delete_command(app, item_id, as_user):
    """Delete a post (with its comments and likes) or a comment."""
    from .actions import item_action

    with app.session(as_user) as s:
        run_action(s, item_action(s.registry, item_id, "delete"), record_id=item_id)
    click.echo(f"deleted {item_id}")


@feed.command("show")
@_where
@click.option("--mentions", is_flag=True, help="Posts and comments that mention you.")
@click.option("--bookmarks", is_flag=True, help="Your bookmarked posts.")
@click.option("--company", is_flag=True, help="Everything you can see (no tracked changes).")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--cursor", help="The next_cursor of the previous page.")
@as_user_option
@json_option
@pass_app
def show_command(
    app, record, group, user, mine, mentions, bookmarks, company, limit, cursor, as_user, as_json
):
    """A feed, newest activity first (default: What I Follow)."""
    chosen = {"record": record, "group": group, "user": user, "cursor": cursor}
    values = {k: v for k, v in chosen.items() if v} | {"limit": limit}
    values |= {
        k: True for k, v in {"mentions": mentions, "bookmarks": bookmarks, "company": company}.items() if v
    }
    with app.session(as_user) as s:
        page = run_action(s, "chatter.feed", values)
        zone = s.user.time_zone
    if as_json:
        echo_json(page)
        return
    echo_table(page["items"], FEED_COLUMNS, time_zone=zone)
    if page["next_cursor"]:
        click.echo(f"more: --cursor {page['next_cursor']}")


@feed.command("follow")
@click.argument("target_id")
@as_user_option
@pass_app
def follow_command(app, target_id, as_user):
    """Follow a person (usr_... or a username) or a feed-enabled record."""
    with app.session(as_user) as s:
        followed = run_action(s, "chatter.follow", {"target": target_id})
    click.echo(f"following {followed['target']}")


action_command(
    feed,
    "unfollow",
    "target_id",
    lambda s, target: run_action(s, "chatter.unfollow", {"target": target}),
    "no longer following {}",
    help="Stop following a person or record.",
)


@feed.command("following")
@as_user_option
@json_option
@pass_app
def following_command(app, as_user, as_json):
    from . import follows

    with app.session(as_user) as s:
        rows = follows.following(s, limit=500).records
    echo_json(rows) if as_json else echo_table(rows, ["target", "created_at"])


action_command(
    feed,
    "bookmark",
    "post_id",
    _on_post("bookmark"),
    "bookmarked {}",
    help="Save a post to your Bookmarks feed.",
)


action_command(
    feed,
    "mute",
    "post_id",
    _on_post("mute"),
    "muted {}",
    help="Hide a post from your feeds and stop its notifications.",
)


@feed.command("track")
@click.argument("object_name")
@click.argument("fields", nargs=-1)
@as_user_option
@pass_app
def track_command(app, object_name, fields, as_user):
    """Track changes of FIELDS of OBJECT in its feed (no FIELDS: stop tracking it)."""
    with app.session(as_user) as s:
        tracked = run_action(s, "chatter.track_fields", {"object": object_name, "fields": list(fields)})[
            "fields"
        ]
    click.echo(f"{object_name}: tracking {', '.join(tracked) or 'nothing'}")


# -- groups ------------------------------------------------------------------------------


@feed.group("groups")
def groups_group():
    """Chatter groups: create, join, ask to join, approve, frequency, archive, members."""


@groups_group.command("create")
@click.argument("name")
@click.option("--visibility", type=click.Choice(["Public", "Private", "Unlisted"]), default="Public")
@click.option("--broadcast", is_flag=True, help="Only the owner and managers post.")
@click.option("--description")
@as_user_option
@json_option
@pass_app
def group_create(app, name, visibility, broadcast, description, as_user, as_json):
    from . import groups

    with app.session(as_user) as s:
        record = groups.create_group(
            s, name, visibility=visibility, broadcast=broadcast, description=description
        )
    _out(record, as_json)


@groups_group.command("list")
@as_user_option
@json_option
@pass_app
def group_list(app, as_user, as_json):
    with app.session(as_user) as s:
        rows = s.query("ChatterGroup", order_by=["name"], limit=500).records
    echo_json(rows) if as_json else echo_table(
        rows, ["name", "visibility", "is_broadcast", "is_archived", "auto_archive_disabled", "member_count"]
    )


action_command(
    groups_group,
    "join",
    "name",
    _on_group("join"),
    "joined {}",
    help="Join a public group.",
)


action_command(groups_group, "leave", "name", _on_group("leave"), "left {}", help="Leave a group.")


@groups_group.command("request")
@click.argument("name")
@as_user_option
@json_option
@pass_app
def group_request(app, name, as_user, as_json):
    """Ask to join a private group."""
    with app.session(as_user) as s:
        record = run_action(s, "ChatterGroup.request_to_join", record_id=_group_id(s, name))
    _flush(app)
    _out(record, as_json)


@groups_group.command("approve")
@click.argument("request_id")
@click.option("--decline", is_flag=True)
@click.option("--message", help="Sent to the requester with a decline.")
@as_user_option
@pass_app
def group_approve(app, request_id, decline, message, as_user):
    with app.session(as_user) as s:
        if decline:
            record = run_action(s, "ChatterJoinRequest.decline", {"message": message}, record_id=request_id)
        else:
            record = run_action(s, "ChatterJoinRequest.approve", record_id=request_id)
    _flush(app)
    click.echo(f"{request_id}: {record['status']}")


@groups_group.command("archive")
@click.argument("name")
@click.option("--undo", is_flag=True, help="Reactivate.")
@as_user_option
@pass_app
def group_archive(app, name, undo, as_user):
    """Archive a group (comments only, no new posts) or, with --undo, reactivate it.

    ``missionbase jobs run chatter.archive_groups`` archives groups without a post
    or comment for chatter.archive_after_days (default 90) days.
    """
    with app.session(as_user) as s:
        run_action(
            s, "ChatterGroup.reactivate" if undo else "ChatterGroup.archive", record_id=_group_id(s, name)
        )
    click.echo(f"{name}: {'active' if undo else 'archived'}")


@groups_group.command("auto-archive")
@click.argument("name")
@click.argument("state", type=click.Choice(["on", "off"]))
@as_user_option
@pass_app
def group_auto_archive(app, name, state, as_user):
    """Let the archive job archive this group when it goes quiet (on, the default) or never (off)."""
    with app.session(as_user) as s:
        run_action(s, "ChatterGroup.auto_archive", {"enabled": state == "on"}, record_id=_group_id(s, name))
    click.echo(f"{name}: auto-archiving {state}")


@groups_group.command("frequency")
@click.argument("name")
@click.argument("frequency", metavar="'Every post'|Daily|Weekly|Never")
@as_user_option
@pass_app
def group_frequency(app, name, frequency, as_user):
    """How often you hear about NAME's posts: "Every post" (an email each), Daily, Weekly or Never."""
    with app.session(as_user) as s:
        record = run_action(
            s, "ChatterGroup.set_frequency", {"frequency": frequency}, record_id=_group_id(s, name)
        )
    click.echo(f"{name}: {record['notification_frequency']}")


@groups_group.command("members")
@click.argument("name")
@as_user_option
@json_option
@pass_app
def group_members(app, name, as_user, as_json):
    with app.session(as_user) as s:
        rows = run_action(s, "ChatterGroup.members", record_id=_group_id(s, name))
    echo_json(rows) if as_json else echo_table(
        rows, ["user.username", "user.name", "role", "notification_frequency"]
    )


# -- notifications -------------------------------------------------------------------------


@click.group("notifications")
def notifications():
    """Your in-app Chatter notifications."""


@notifications.command("list")
@click.option("--unread", is_flag=True)
@as_user_option
@json_option
@pass_app
def notifications_list(app, unread, as_user, as_json):
    with app.session(as_user) as s:
        rows = run_action(s, "ChatterNotification.inbox", {"unread_only": unread})["items"]
    echo_json(rows) if as_json else echo_table(
        rows, ["id", "kind", "message", "is_read", "created_at"], max_width=70
    )


@notifications.command("read")
@click.argument("ids", nargs=-1)
@as_user_option
@pass_app
def notifications_read(app, ids, as_user):
    """Mark these (default: all) notifications read."""
    with app.session(as_user) as s:
        count = run_action(s, "ChatterNotification.mark_read", {"ids": list(ids)})["marked_read"]
    click.echo(f"{count} marked read")
