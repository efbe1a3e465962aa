"""Chatter settings (an admin changes them with ``missionbase settings set``)."""

from missionbase.core import Setting

SETTINGS = [
    Setting(
        "chatter.follow_limit", 500, "Most people and records one user may follow (groups do not count)."
    ),
    Setting("chatter.max_mentions", 25, "Most @mentions in one post or comment."),
    Setting("chatter.max_tracked_fields", 20, "Most tracked fields per object."),
    Setting("chatter.archive_after_days", 90, "Groups without a post or comment for this long are archived."),
    Setting(
        "chatter.allow_edits", True, "Authors may edit their posts and comments (modify_all_data always may)."
    ),
    Setting(
        "chatter.tracked_fields",
        {},
        "Feed tracking: object name -> tracked field names.",
        type=dict[str, list[str]],
    ),
]
