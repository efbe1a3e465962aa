"""Chatter: feeds, posts, comments, mentions, follows, groups and notifications.

This module holds only the plugin's hook implementations; declarations
live in objects.py and permissions.py, behaviour in posting.py, groups.py,
follows.py, tracking.py, feeds.py, notifications.py, digests.py and demo.py.
Feed-enabled objects are found in the registry (``ObjectType(feed=True)``),
never listed by name.
"""

from missionbase.core import Job, hookimpl

from . import objects, permissions


@hookimpl
def missionbase_register_objects(registry):
    for obj in objects.OBJECTS:
        registry.add(obj)


@hookimpl
def missionbase_register_settings(registry):
    from .settings import SETTINGS

    for setting in SETTINGS:
        registry.add(setting)


@hookimpl
def missionbase_register_permission_sets(registry):
    for permset in permissions.PERMISSION_SETS:
        registry.add(permset)


@hookimpl
def missionbase_register_triggers(registry):
    from . import follows, groups, posting, tracking

    add = registry.add_trigger
    add("FeedItem", "before_insert", posting.before_post_insert)
    add("FeedItem", "after_insert", posting.after_post_insert)
    add("FeedItem", "before_update", posting.before_post_update)
    add("FeedItem", "after_update", posting.after_text_update)
    add("FeedItem", "before_delete", posting.before_post_delete)
    add("FeedComment", "before_insert", posting.before_comment_insert)
    add("FeedComment", "after_insert", posting.after_comment_insert)
    add("FeedComment", "after_update", posting.after_text_update)
    add("FeedLike", "before_insert", posting.before_like_insert)
    add("FeedLike", "after_insert", posting.after_like_change)
    add("FeedLike", "after_delete", posting.after_like_change)
    add("Follow", "before_insert", follows.before_follow_insert)
    add("ChatterGroup", "before_insert", groups.before_group_write)
    add("ChatterGroup", "before_update", groups.before_group_write)
    add("ChatterGroup", "after_insert", groups.after_group_insert)
    add("ChatterGroup", "after_update", groups.after_group_update)
    add("ChatterGroupMember", "before_insert", groups.before_member_insert)
    add("ChatterGroupMember", "before_update", groups.before_member_update)
    add("ChatterGroupMember", "before_delete", groups.before_member_delete)
    for event in ("after_insert", "after_update", "after_delete"):
        add("ChatterGroupMember", event, groups.after_member_change)
    add("ChatterJoinRequest", "before_insert", groups.before_request_insert)
    add("ChatterJoinRequest", "after_insert", groups.after_request_insert)
    add("ChatterJoinRequest", "before_update", groups.before_request_update)
    add("ChatterJoinRequest", "after_update", groups.after_request_update)
    for obj in list(registry.objects.values()):
        if obj.feed:
            add(obj.name, "after_insert", follows.auto_follow_created)
            add(obj.name, "after_insert", tracking.record_created)
            add(obj.name, "after_update", tracking.track_changes)


@hookimpl
def missionbase_register_actions(registry):
    from . import actions

    for action in actions.ACTIONS:
        registry.add(action)


@hookimpl
def missionbase_register_jobs(registry):
    from . import digests, groups, notifications

    registry.add(
        Job(
            "chatter.digests",
            run=digests.run_digests,
            schedule="daily",
            options={"frequency": ("daily", "weekly")},
            description="Email each user one digest of what they missed (daily or weekly).",
        )
    )
    registry.add(
        Job(
            "chatter.archive_groups",
            run=groups.archive_inactive_groups,
            schedule="daily",
            description="Archive groups without a post or comment for chatter.archive_after_days.",
        )
    )
    registry.add(
        Job(
            "chatter.send_emails",
            run=notifications.send_pending_emails_job,
            schedule="every few minutes",
            description="Send the per-post emails (Every post groups, immediate toggles) not sent yet.",
        )
    )


@hookimpl
def missionbase_load_demo_data(ctx):
    from .demo import load_demo

    load_demo(ctx)


@hookimpl
def missionbase_register_commands(cli):
    from .cli import feed, notifications

    cli.add_command(feed)
    cli.add_command(notifications)
