"""Who is told what, once, in the way they chose.

Rules (upstream's, with our decisions where it is silent):
- never about one's own actions; never about a muted post;
- access is re-checked by core security *as the recipient* before a
  notification is written (a mention of someone who cannot read the parent
  notifies nobody), and again when a digest is sent;
- one notification per recipient per event, for the strongest reason
  (mention > direct action on my content > following / group post);
- email channel: an immediate toggle that is on sends at once; a toggle
  that is off puts the item in the user's digest (Daily unless the user
  chose otherwise; upstream does not fix it); the master switch off means
  no email at all. Group posts follow the member's group
  frequency (Every post / Daily / Weekly / Never). Group mentions:
  every member is notified in-app; email follows each member's mention
  toggle like any other mention.
- emails leave after the transaction commits (``send_pending_emails``):
  a rolled-back post never emails anyone.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from missionbase.core import MissionbaseError, chunks, skip_locked

from .common import now, system_view
from .richtext import plain_text

PRIORITY = {
    "mention": 0,
    "join_request": 0,
    "join_decision": 0,
    "post_on_my_profile": 1,
    "comment_on_my_post": 1,
    "share": 1,
    "like": 2,
    "comment_after_mine": 2,
    "group_post": 3,
}
TOGGLE = {
    "mention": "email_on_mention",
    "comment_on_my_post": "email_on_comment_on_my_post",
    "comment_after_mine": "email_on_comment_after_mine",
    "post_on_my_profile": "email_on_post_on_my_profile",
    "like": "email_on_like",
    "share": "email_on_share",
    "join_request": "email_on_join_request",
    "join_decision": "email_on_join_request",
}
DEFAULT_PREFERENCES = {
    "email_enabled": True,
    **dict.fromkeys(TOGGLE.values(), True),
    "digest_frequency": "Daily",
    "default_group_frequency": "Weekly",
    "auto_follow_records": True,
}
GROUP_FREQUENCY_CHANNEL = {"Every post": "Immediate", "Daily": "Daily", "Weekly": "Weekly", "Never": "None"}


@dataclass
class Notice:
    recipient: str
    kind: str
    message: str
    post: str | None = None
    group: str | None = None
    group_frequency: str | None = None  # for group posts: the member's frequency


def preferences(session, user_ids: list[str]) -> dict[str, dict]:
    """Each user's Chatter preferences, defaults filled in (read by the system: it sends the mail)."""
    table = session.schema.table("ChatterPreference")
    out = {uid: dict(DEFAULT_PREFERENCES) for uid in user_ids}
    for chunk in chunks(sorted(set(user_ids))):
        rows = session.conn.execute(
            sa.select(table).where(table.c.user.in_(chunk), table.c.is_deleted == sa.false())
        ).mappings()
        for row in rows:
            out[row["user"]].update({k: row[k] for k in DEFAULT_PREFERENCES})
    return out


def readable_by(
    session, user_id: str, record_ids: list[str], rows: dict[str, dict] | None = None
) -> set[str]:
    """Which of these records core security lets ``user_id`` read (nothing if deactivated).

    Asked through core's single-record decision (``record_access``, the same rule as the
    query filter: a property test keeps them in step) on the stored rows, which costs a
    few index lookups per record instead of building each user's read statements -- what
    makes notifying and digesting many users cheap (bench/chatter_digest.py: 399 users/s
    against 269 with a ``get_many`` per recipient).
    ``rows``: stored rows already loaded (a digest loads its posts once for every recipient).
    """
    if not record_ids:
        return set()
    try:
        viewer = session.as_user(user_id)
    except MissionbaseError:
        return set()
    decide = getattr(viewer.policy, "record_access", None)
    if decide is None:  # another access policy: ask it with a query
        try:
            return set(viewer.get_many(record_ids))
        except MissionbaseError:  # no Read permission on the object at all
            return set()
    stored = rows if rows is not None else {}
    missing = [i for i in record_ids if i not in stored]
    if missing:
        stored = {**stored, **stored_rows(session, missing)}
    out = set()
    for record_id in record_ids:
        row = stored.get(record_id)
        if row is not None and decide(viewer, session.registry.object_for_id(record_id), row).read:
            out.add(record_id)
    return out


def stored_rows(session, record_ids: list[str]) -> dict[str, dict]:
    """Stored, not deleted rows by id (for deciding access, never for showing)."""
    by_object: dict[str, list[str]] = {}
    for record_id in dict.fromkeys(record_ids):
        obj = session.registry.object_for_id(record_id)
        if obj is not None:
            by_object.setdefault(obj.name, []).append(record_id)
    out: dict[str, dict] = {}
    for name, ids in by_object.items():
        table = session.schema.table(name)
        for chunk in chunks(ids):
            for row in session.conn.execute(
                sa.select(table).where(table.c.id.in_(chunk), table.c.is_deleted == sa.false())
            ).mappings():
                out[row["id"]] = dict(row)
    return out


def muted(session, post_ids: list[str], user_ids: list[str]) -> set[tuple[str, str]]:
    table = session.schema.table("FeedMute")
    if not post_ids or not user_ids:
        return set()
    rows = session.conn.execute(
        sa.select(table.c.owner_id, table.c.post).where(
            table.c.post.in_(sorted(set(post_ids))),
            table.c.owner_id.in_(sorted(set(user_ids))),
            table.c.is_deleted == sa.false(),
        )
    )
    return {(owner, post) for owner, post in rows}


def deliver(session, notices: list[Notice], *, actor: str) -> list[dict]:
    """Write the notifications that survive the rules above; returns them."""
    if getattr(session, "importing", False):
        return []
    best: dict[tuple[str, str | None, str | None], Notice] = {}
    for notice in notices:
        if notice.recipient == actor:
            continue
        key = (notice.recipient, notice.post, notice.group if notice.post is None else None)
        current = best.get(key)
        if current is None or PRIORITY[notice.kind] < PRIORITY[current.kind]:
            best[key] = notice
    if not best:
        return []
    kept = list(best.values())
    silenced = muted(session, [n.post for n in kept if n.post], [n.recipient for n in kept])
    kept = [n for n in kept if (n.recipient, n.post) not in silenced]
    by_recipient: dict[str, list[Notice]] = {}
    for notice in kept:
        by_recipient.setdefault(notice.recipient, []).append(notice)
    allowed: list[Notice] = []
    for recipient, items in by_recipient.items():
        targets = [n.post or n.group for n in items if n.post or n.group]
        visible = readable_by(session, recipient, targets)
        allowed += [n for n in items if (n.post or n.group) is None or (n.post or n.group) in visible]
    prefs = preferences(session, [n.recipient for n in allowed])
    rows = []
    for notice in allowed:
        pref = prefs[notice.recipient]
        if not pref["email_enabled"]:
            channel = "None"
        elif notice.kind == "group_post":
            channel = GROUP_FREQUENCY_CHANNEL[notice.group_frequency or pref["default_group_frequency"]]
        elif pref[TOGGLE[notice.kind]]:
            channel = "Immediate"
        else:
            channel = pref["digest_frequency"] if pref["digest_frequency"] != "Never" else "None"
        rows.append(
            {
                "owner_id": notice.recipient,
                "kind": notice.kind,
                "message": notice.message[:255],
                "post": notice.post,
                "group": notice.group,
                "actor": actor,
                "show_in_app": notice.kind != "group_post",
                "email": channel,
            }
        )
    if not rows:
        return []
    return system_view(session).create_many("ChatterNotification", rows)


# -- in-app ----------------------------------------------------------------------------


def list_notifications(session, *, unread_only: bool = False, limit: int = 50, cursor: str | None = None):
    """The caller's in-app notifications, newest first. One about a post they can no longer read
    (access lost since) is left out: its text quotes the post."""
    from missionbase.core import Page

    where: dict = {"owner_id": session.user.id, "show_in_app": True}
    if unread_only:
        where["is_read"] = False
    shown: list[dict] = []
    while True:
        page = session.query(
            "ChatterNotification",
            where=where,
            order_by=["-created_at"],
            limit=limit - len(shown),
            cursor=cursor,
        )
        posts = sorted({n["post"] for n in page.records if n.get("post")})
        readable = set(session.get_many(posts)) if posts else set()
        shown += [n for n in page.records if not n.get("post") or n["post"] in readable]
        cursor = page.next_cursor
        if len(shown) >= limit or cursor is None:
            return Page(shown, cursor)


def mark_read(session, notification_ids: list[str] | None = None) -> int:
    """Mark some (or all) of the caller's unread notifications read; returns how many."""
    where: dict = {"owner_id": session.user.id, "is_read": False, "show_in_app": True}
    if notification_ids:
        where["id"] = {"in": notification_ids}
        found = {
            r["id"]
            for r in session.query(
                "ChatterNotification", where={"id": {"in": notification_ids}}, fields=["id"]
            ).records
        }
        missing = [i for i in notification_ids if i not in found]
        if missing:
            from missionbase.core import RecordNotFound

            raise RecordNotFound(missing[0], "ChatterNotification")
    ids = [r["id"] for r in session.query("ChatterNotification", where=where, fields=["id"]).records]
    if ids:
        session.update_many([{"id": i, "is_read": True} for i in ids])
    return len(ids)


# -- email -------------------------------------------------------------------------------


def _emails_of(session, user_ids: list[str]) -> dict[str, tuple[str | None, str]]:
    users = session.schema.table("User")
    out = {}
    for chunk in chunks(sorted(set(user_ids))):
        for uid, email, name in session.conn.execute(
            sa.select(users.c.id, users.c.email, users.c.name).where(
                users.c.id.in_(chunk), users.c.is_active == sa.true()
            )
        ):
            out[uid] = (email, name)
    return out


def send_pending_emails_job(app) -> str:
    """Job: the per-post emails of every committed change, whatever wrote it (the CLI sends its
    own at once; the API, imports and other plugins' writes wait for this job)."""
    if not app.email_configured:
        return "email is not configured (smtp_host); per-post emails stay pending"
    return f"sent {send_pending_emails(app)} email(s)"


def send_pending_emails(app) -> int:
    """Send the immediate emails written by committed transactions; returns how many were sent.

    Marked sent in the same transaction that reads them, after the SMTP
    relay accepted them; a relay failure leaves them pending for the next call.
    """
    from missionbase.core import Email

    if not app.email_configured:
        return 0
    with app.system_session() as s:
        table = s.schema.table("ChatterNotification")
        posts = s.schema.table("FeedItem")
        pending = (
            sa.select(table.c.id, table.c.owner_id, table.c.message, table.c.post, posts.c.body)
            .select_from(table.outerjoin(posts, posts.c.id == table.c.post))
            .where(
                table.c.email == "Immediate", table.c.emailed_at.is_(None), table.c.is_deleted == sa.false()
            )
            .order_by(table.c.created_at, table.c.id)
        )
        # Claimed: a run started meanwhile emails other notifications or none, never these.
        rows = s.conn.execute(skip_locked(pending, s.conn, of=table)).all()
        if not rows:
            return 0
        addresses = _emails_of(s, [r.owner_id for r in rows])
        emails, sent_ids = [], []
        for row in rows:
            if row.post and row.post not in readable_by(s, row.owner_id, [row.post]):
                sent_ids.append(row.id)  # access lost since: never email it
                continue
            email, _name = addresses.get(row.owner_id, (None, ""))
            sent_ids.append(row.id)
            if email:
                body = row.message + ("\n\n" + plain_text(row.body) if row.body else "")
                emails.append(Email(email, f"[Chatter] {row.message}"[:200], body))
        app.send_emails(emails)
        stamp = now()
        s.update_many(
            [{"id": i} for i in sent_ids], computed={key: {"emailed_at": stamp} for key in sent_ids}
        )
    return len(emails)
