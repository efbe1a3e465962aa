"""``@[Name]`` tokens in a post or comment, resolved to users and groups on write.

A token names a user (by name or username) or a group (by name) the author
can see. A mention has one of three outcomes: *Disallowed* rejects
the post (a private or unlisted group the author is not a member of);
*Inaccessible* keeps the post but the mentionee, who cannot read the
parent, is neither notified nor shown it (a mention never grants access);
*Ok* notifies and puts the post in the mentionee's feed.
"""

from __future__ import annotations

import re

from missionbase.core import ValidationError

from .common import membership

MENTION = re.compile(r"@\[([^\[\]\n]{1,121})\]")


def mention_names(body: str | None) -> list[str]:
    """The distinct names mentioned, in order of first appearance."""
    return list(dict.fromkeys(m.strip() for m in MENTION.findall(body or "")))


def resolve(session, body: str | None, *, object_name: str) -> list[str]:
    """Ids of the users and groups ``body`` mentions; one clear error for a bad token."""
    names = mention_names(body)
    limit = session.get_setting("chatter.max_mentions")
    if len(names) > limit:
        raise ValidationError(
            f"has {len(names)} @mentions; at most {limit} are allowed", object_name=object_name, field="body"
        )
    if not names:
        return []
    users = session.query(
        "User",
        where={"or": [{"name": {"in": names}}, {"username": {"in": names}}]},
        fields=["id", "name", "username"],
    ).records
    groups = session.query(
        "ChatterGroup", where={"name": {"in": names}}, fields=["id", "name", "visibility"]
    ).records
    ids = []
    for name in names:
        by_username = [u for u in users if u["username"] == name]
        by_name = [u for u in users if u["name"] == name]
        group = [g for g in groups if g["name"] == name]
        if by_username:
            ids.append(by_username[0]["id"])
        elif len(by_name) == 1:
            ids.append(by_name[0]["id"])
        elif len(by_name) > 1:
            usernames = ", ".join(sorted(u["username"] for u in by_name))
            raise ValidationError(
                f"@[{name}] matches several users ({usernames}); mention one by username",
                object_name=object_name,
                field="body",
            )
        elif group:
            g = group[0]
            if (
                g["visibility"] != "Public"
                and membership(session, g["id"], session.user.id) is None
                and not session.user.is_system
            ):
                raise ValidationError(
                    f"@[{name}] is a {g['visibility'].lower()} group you are not a member of; you cannot mention it",
                    object_name=object_name,
                    field="body",
                )
            ids.append(g["id"])
        else:
            raise ValidationError(
                f"@[{name}] is not a user or group you can see", object_name=object_name, field="body"
            )
    return ids
