"""Feed tracking: changes to tracked fields become one post per save.

An admin enables tracking per object and field (``feed track OBJECT
FIELD...``; at most ``chatter.max_tracked_fields`` per object, default 20:
upstream's cap is not documented, so it is a setting).
Any feed-enabled object qualifies -- found in the registry by its
``feed=True`` flag, so other plugins' objects are tracked without this
plugin knowing them. One save of N records writes N TrackedChange posts,
each with a FeedTrackedChange row per changed field, authored by the editor.

A row is shown only when the viewer's field-level security shows that
field; a post whose rows are all hidden disappears for that viewer.

On a tracked object, a record someone creates also gets a RecordCreated
post ("created this Program"), authored by its creator, as Salesforce's
create-record event. Not for imports and system writes (jobs, demo data):
a million imported rows should not become a million posts.
"""

from __future__ import annotations

import datetime as dt
import decimal

from missionbase.core import AccessDenied, UnknownName, ValidationError

from .common import has_permission, system_view

SETTING = "chatter.tracked_fields"


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list):
        return ";".join(map(str, value))
    return str(value)


def set_tracked_fields(session, object_name: str, fields: list[str]) -> list[str]:
    """Replace an object's tracked fields (an empty list stops tracking it)."""
    if not (session.user.is_system or has_permission(session, "customize_application")):
        raise AccessDenied(
            f"{session.user.username} cannot change feed tracking: it needs customize_application"
        )
    obj = session.registry.object(object_name)
    if not obj.feed:
        feeds = sorted(o.name for o in session.registry.objects.values() if o.feed)
        raise ValidationError(f"{object_name} has no feed; feed-enabled objects: {', '.join(feeds)}")
    for name in fields:
        if not obj.has_field(name):
            raise UnknownName("field", name, obj.field_names, where=object_name)
    fields = list(dict.fromkeys(fields))
    limit = session.get_setting("chatter.max_tracked_fields")
    if len(fields) > limit:
        raise ValidationError(f"{object_name}: {len(fields)} tracked fields; at most {limit} are allowed")
    tracked = dict(session.get_setting(SETTING))
    if fields:
        tracked[object_name] = fields
    else:
        tracked.pop(object_name, None)
    session.set_setting(SETTING, tracked)
    return fields


def track_changes(ctx, rows) -> None:
    """After-update on every feed-enabled object."""
    session = ctx.session
    tracked = session.get_setting(SETTING).get(ctx.object.name)
    if not tracked:
        return
    posts, changes = [], []
    for row in rows:
        changed = [name for name in tracked if row.new.get(name) != row.old.get(name)]
        if changed:
            posts.append({"parent": row.new["id"], "type": "TrackedChange", "owner_id": ctx.user.id})
            changes.append([(name, _text(row.old.get(name)), _text(row.new.get(name))) for name in changed])
    if not posts:
        return
    system = system_view(session)  # the system records what the editor changed
    created = system.create_many("FeedItem", posts)
    system.create_many(
        "FeedTrackedChange",
        [
            {"post": post["id"], "field": name, "old_value": old, "new_value": new}
            for post, rows_ in zip(created, changes, strict=True)
            for name, old, new in rows_
        ],
    )


def record_created(ctx, rows) -> None:
    """After-insert on every feed-enabled object: one RecordCreated post per record created by
    a person on a tracked object."""
    if ctx.importing or ctx.user.is_system or not rows:
        return
    if not ctx.session.get_setting(SETTING).get(ctx.object.name):
        return
    label = ctx.object.label.lower()
    system_view(ctx.session).create_many(
        "FeedItem",
        [
            {
                "parent": row.new["id"],
                "type": "RecordCreated",
                "body": f"created this {label}",
                "owner_id": ctx.user.id,
            }
            for row in rows
        ],
    )
