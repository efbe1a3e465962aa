"""Permission sets of the Chatter plugin."""

from missionbase.core import PermissionSet

USER = PermissionSet(
    "Chatter: User",
    objects={
        "FeedItem": "CRED",
        "FeedComment": "CRED",
        "FeedLike": "CRED",
        "FeedMention": "CR",
        "FeedTrackedChange": "CR",
        "Follow": "CRED",
        "ChatterGroup": "CRED",
        "ChatterGroupMember": "CRED",
        "ChatterJoinRequest": "CRE",
        "FeedBookmark": "CRED",
        "FeedMute": "CRED",
        "ChatterNotification": "CRE",
        "ChatterPreference": "CRE",
        "ChatterDigestRun": "R",  # rows are the system's (private): nobody else sees them
        "User": "R",
    },
    description="Post, comment, like, follow, join groups and read notifications.",
)
MODERATOR = PermissionSet(
    "Chatter: Moderator",
    system=["moderate_chatter"],
    description="Delete any post or comment the moderator can see.",
)
UNLISTED = PermissionSet(
    "Chatter: Manage Unlisted Groups",
    system=["manage_unlisted_groups"],
    description="See, archive and manage unlisted groups without being a member.",
)
OWNED_RECORDS_EDITOR = PermissionSet(
    "Chatter: Edit Posts on Records I Own",
    system=["edit_posts_on_owned_records"],
    description="Edit other people's posts on records you own.",
)
PERMISSION_SETS = [USER, MODERATOR, UNLISTED, OWNED_RECORDS_EDITOR]
