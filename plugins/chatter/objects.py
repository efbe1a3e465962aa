"""Declarations of the Chatter plugin: feed items, comments, likes, mentions,
follows, groups, bookmarks, mutes, notifications and preferences.

Visibility is core security's: a feed item is Controlled by Parent (readable
exactly when its parent user, group or record is), a private group's posts
carry a ``members_only`` restriction (core's Restriction rule, which even
sharing cannot widen) and an unlisted group restricts its own record, so its
posts, members and requests disappear with it.
"""

from missionbase.core import ObjectType, Restriction
from missionbase.core import fields as f

from .richtext import ALLOWED_TAGS

POST_TYPES = ["Text", "Link", "File", "TrackedChange", "RecordCreated", "Announcement"]
GROUP_VISIBILITY = ["Public", "Private", "Unlisted"]
MEMBER_ROLES = ["Member", "Manager"]
FREQUENCIES = ["Every post", "Daily", "Weekly", "Never"]
DIGEST_FREQUENCIES = ["Daily", "Weekly", "Never"]
REQUEST_STATUSES = ["Pending", "Accepted", "Declined"]
NOTIFICATION_KINDS = [
    "mention",
    "comment_on_my_post",
    "comment_after_mine",
    "post_on_my_profile",
    "like",
    "share",
    "group_post",
    "join_request",
    "join_decision",
]
EMAIL_CHANNELS = ["None", "Immediate", "Daily", "Weekly"]
BODY_MAX = 10000
MEMBERSHIP = ("ChatterGroupMember", "group", "user")


def _edit_stamp() -> list[f.Field]:
    return [
        f.Integer("revision", read_only=True, default=0, help="How many times the text was edited"),
        f.Lookup("last_edited_by", "User", read_only=True, on_delete="clear"),
        f.Datetime("last_edited_at", read_only=True),
    ]


CHATTER_GROUP = ObjectType(
    "ChatterGroup",
    label="Chatter group",
    prefix="cgr",
    sharing="public_read",
    description="People who talk about a topic. Public, Private (members read the feed) or Unlisted (invisible to non-members).",
    fields=[
        f.Text("name", max_length=40, required=True, unique=True, help="Unique across every kind of group"),
        f.Picklist("visibility", GROUP_VISIBILITY, default="Public", required=True),
        f.Boolean("is_broadcast", help="Only the owner and managers post; members comment"),
        f.Boolean("is_archived", help="No new posts; comments still allowed"),
        f.Boolean("auto_archive_disabled", help="Never archived for inactivity"),
        # When it was archived: its posts stay out of feeds until a comment (after this) wakes one.
        f.Datetime("archived_at", read_only=True),
        f.Text("description", max_length=255),
        f.LongText("information", max_length=4000),
        f.Datetime("last_activity_at", read_only=True, indexed=True),
        f.Integer("member_count", read_only=True, default=0),
        # The group's own id while Unlisted: the restriction below then hides it from non-members.
        f.Text("members_only", max_length=40, read_only=True),
    ],
    restrictions=[Restriction("members_only", MEMBERSHIP, exempt="manage_unlisted_groups")],
)

CHATTER_GROUP_MEMBER = ObjectType(
    "ChatterGroupMember",
    label="Chatter group member",
    prefix="cgm",
    sharing="controlled_by_parent",
    parent_field="group",
    name_field=None,
    fields=[
        f.Lookup("group", "ChatterGroup", required=True, on_delete="cascade"),
        f.Lookup("user", "User", required=True, on_delete="cascade"),
        f.Picklist("role", MEMBER_ROLES, default="Member", required=True),
        f.Picklist("notification_frequency", FREQUENCIES, default="Weekly", required=True),
    ],
    indexes=[("user", "is_deleted", "group")],  # a user's live groups from the index alone
)

CHATTER_JOIN_REQUEST = ObjectType(
    "ChatterJoinRequest",
    label="Chatter join request",
    prefix="cjr",
    sharing="controlled_by_parent",
    parent_field="group",
    name_field=None,
    fields=[
        f.Lookup("group", "ChatterGroup", required=True, on_delete="cascade"),
        f.Lookup("requester", "User", required=True, on_delete="cascade"),
        f.Picklist("status", REQUEST_STATUSES, default="Pending", required=True),
        f.Text("response_message", max_length=255),
    ],
)

FEED_ITEM = ObjectType(
    "FeedItem",
    label="Feed item",
    prefix="fdi",
    owner_is_creator=True,  # its author / subscriber: nobody posts, likes or follows for someone else
    sharing="controlled_by_parent",
    parent_field="parent",
    name_field=None,
    description="A post on a user's profile, a group or a feed-enabled record.",
    fields=[
        f.Lookup("parent", "*", required=True, on_delete="cascade"),
        f.Picklist("type", POST_TYPES, default="Text", required=True),
        f.RichText(
            "body",
            max_length=BODY_MAX,
            tags=ALLOWED_TAGS,
            help="A small safe rich-text subset, sanitised on write",
        ),
        f.Url("link_url"),
        f.Lookup("file", "File", on_delete="clear"),
        f.Lookup("shared_from", "FeedItem", on_delete="clear"),
        f.Datetime("last_activity_at", read_only=True),
        f.Integer("comment_count", read_only=True, default=0),
        f.Integer("like_count", read_only=True, default=0),
        # The group's id for a private group's post: only its members (or view_all_data) read it.
        f.Text("members_only", max_length=40, read_only=True),
        # The group's id for an unlisted group's post: view_all_data does not reveal it.
        f.Text("unlisted_members_only", max_length=40, read_only=True),
        *_edit_stamp(),
    ],
    restrictions=[
        Restriction("members_only", MEMBERSHIP, exempt="view_all_data"),
        Restriction("unlisted_members_only", MEMBERSHIP, exempt="manage_unlisted_groups"),
    ],
    # (parent, recency): one feed's page; (recency, parent): What I Follow walks the newest posts
    # and tests each one's parent from the index alone; (author, recency): a profile's posts.
    indexes=[
        ("parent", "last_activity_at", "id"),
        ("last_activity_at", "id", "parent"),
        ("owner_id", "last_activity_at", "id"),
    ],
)

FEED_COMMENT = ObjectType(
    "FeedComment",
    label="Feed comment",
    prefix="fdc",
    owner_is_creator=True,  # its author / subscriber: nobody posts, likes or follows for someone else
    sharing="controlled_by_parent",
    parent_field="post",
    name_field=None,
    fields=[
        f.Lookup("post", "FeedItem", required=True, on_delete="cascade"),
        f.RichText("body", max_length=BODY_MAX, tags=ALLOWED_TAGS, required=True),
        f.Integer("like_count", read_only=True, default=0),
        *_edit_stamp(),
    ],
    indexes=[("post", "created_at")],
)

FEED_LIKE = ObjectType(
    "FeedLike",
    label="Feed like",
    prefix="fdl",
    owner_is_creator=True,  # its author / subscriber: nobody posts, likes or follows for someone else
    sharing="controlled_by_parent",
    parent_field="post",
    name_field=None,
    fields=[
        f.Lookup("post", "FeedItem", required=True, on_delete="cascade"),
        f.Lookup("comment", "FeedComment", on_delete="cascade", help="Empty: the like is on the post"),
    ],
    indexes=[("post", "created_by")],
)

FEED_MENTION = ObjectType(
    "FeedMention",
    label="Feed mention",
    prefix="fdm",
    sharing="controlled_by_parent",
    parent_field="post",
    name_field=None,
    fields=[
        f.Lookup("post", "FeedItem", required=True, on_delete="cascade"),
        f.Lookup("comment", "FeedComment", on_delete="cascade"),
        f.Lookup("mentioned", ["User", "ChatterGroup"], required=True, on_delete="cascade"),
        f.Boolean("is_accessible", read_only=True, help="The mentioned user can read the post's parent"),
    ],
    indexes=[("mentioned", "post")],
)

FEED_TRACKED_CHANGE = ObjectType(
    "FeedTrackedChange",
    label="Feed tracked change",
    prefix="ftc",
    sharing="controlled_by_parent",
    parent_field="post",
    name_field=None,
    fields=[
        f.Lookup("post", "FeedItem", required=True, on_delete="cascade"),
        f.Text("field", max_length=63, required=True),
        f.LongText("old_value", max_length=BODY_MAX),
        f.LongText("new_value", max_length=BODY_MAX),
    ],
)

FOLLOW = ObjectType(
    "Follow",
    prefix="fol",
    owner_is_creator=True,  # its author / subscriber: nobody posts, likes or follows for someone else
    sharing="private",
    name_field=None,
    description="A subscription of a user (its owner) to a person or a feed-enabled record.",
    fields=[
        f.Lookup("target", "*", required=True, on_delete="cascade"),
    ],
    indexes=[("owner_id", "is_deleted", "target")],  # what a user follows, from the index alone
)

FEED_BOOKMARK = ObjectType(
    "FeedBookmark",
    label="Feed bookmark",
    prefix="fbk",
    owner_is_creator=True,  # its author / subscriber: nobody posts, likes or follows for someone else
    sharing="private",
    name_field=None,
    fields=[f.Lookup("post", "FeedItem", required=True, on_delete="cascade")],
    indexes=[("owner_id", "post")],
)

FEED_MUTE = ObjectType(
    "FeedMute",
    label="Feed mute",
    prefix="fmu",
    owner_is_creator=True,  # its author / subscriber: nobody posts, likes or follows for someone else
    sharing="private",
    name_field=None,
    fields=[f.Lookup("post", "FeedItem", required=True, on_delete="cascade")],
    indexes=[("owner_id", "post")],
)

CHATTER_NOTIFICATION = ObjectType(
    "ChatterNotification",
    label="Chatter notification",
    prefix="ntf",
    sharing="private",
    name_field=None,
    description="Something a user (its owner) should know; read in-app, emailed at once or in a digest.",
    fields=[
        f.Picklist("kind", NOTIFICATION_KINDS, required=True),
        f.Text("message", max_length=255, required=True),
        f.Lookup("post", "FeedItem", on_delete="cascade"),
        f.Lookup("group", "ChatterGroup", on_delete="cascade"),
        f.Lookup("actor", "User", on_delete="clear"),
        f.Boolean("show_in_app", default=True),
        f.Boolean("is_read"),
        f.Picklist("email", EMAIL_CHANNELS, default="None", required=True),
        f.Datetime("emailed_at", read_only=True),
    ],
    indexes=[("owner_id", "is_read", "created_at"), ("email", "emailed_at")],
)

CHATTER_PREFERENCE = ObjectType(
    "ChatterPreference",
    label="Chatter preference",
    prefix="cpr",
    sharing="private",
    name_field=None,
    description="One user's (its owner's) notification settings; missing means the defaults.",
    fields=[
        f.Lookup("user", "User", required=True, unique=True, on_delete="cascade"),
        f.Boolean("email_enabled", default=True, help="Master switch for every Chatter email"),
        f.Boolean("email_on_mention", default=True),
        f.Boolean("email_on_comment_on_my_post", default=True),
        f.Boolean("email_on_comment_after_mine", default=True),
        f.Boolean("email_on_post_on_my_profile", default=True),
        f.Boolean("email_on_like", default=True),
        f.Boolean("email_on_share", default=True),
        f.Boolean("email_on_join_request", default=True),
        f.Picklist("digest_frequency", DIGEST_FREQUENCIES, default="Daily", required=True),
        f.Picklist("default_group_frequency", FREQUENCIES, default="Weekly", required=True),
        f.Boolean("auto_follow_records", default=True, help="Follow records you create (not imports)"),
    ],
)

CHATTER_DIGEST_RUN = ObjectType(
    "ChatterDigestRun",
    label="Chatter digest run",
    prefix="cdr",
    sharing="private",
    name_field="period",
    description="One digest period sent: its high-water mark makes the job idempotent.",
    fields=[
        f.Picklist("frequency", ["Daily", "Weekly"], required=True),
        f.Text(
            "period",
            max_length=20,
            required=True,
            unique=True,
            help="e.g. Daily 2026-11-25 or Weekly 2026-W48",
        ),
        f.Datetime("high_water", required=True),
        f.Integer("emails_sent", default=0),
    ],
)

OBJECTS = [
    CHATTER_GROUP,
    CHATTER_GROUP_MEMBER,
    CHATTER_JOIN_REQUEST,
    FEED_ITEM,
    FEED_COMMENT,
    FEED_LIKE,
    FEED_MENTION,
    FEED_TRACKED_CHANGE,
    FOLLOW,
    FEED_BOOKMARK,
    FEED_MUTE,
    CHATTER_NOTIFICATION,
    CHATTER_PREFERENCE,
    CHATTER_DIGEST_RUN,
]
