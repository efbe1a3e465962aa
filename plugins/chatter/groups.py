"""Chatter groups: membership, join requests, settings and archiving.

- Public: anyone may join, post and comment. Private: anyone sees the group
  (name, description, members), only members read and write its feed;
  others ask to join and the owner or a manager decides. Unlisted: the group
  and everything in it is invisible to non-members, even with view_all_data;
  manage_unlisted_groups reveals it. (Core Restriction rules enforce this.)
- Names are unique across all kinds, so a clashing name tells its creator an
  unlisted group by that name exists (as in Salesforce).
- Managers get an edit share on the group record (kept in step by the
  system), so core security lets them change its settings like the owner.
- Making a private group public accepts every pending request.
- Broadcast-only: only the owner and managers post; members comment.
- Archived groups take comments, not new posts; their posts leave What I
  Follow and the company feed until a comment brings one back. The
  ``chatter.archive_groups`` job archives groups without a post or comment
  for ``chatter.archive_after_days``, unless auto-archiving is turned off
  for the group (owner, managers, modify_all_data / manage_unlisted_groups).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from missionbase.core import AccessDenied, Grantee, UnknownName, ValidationError, share_record, unshare_record

from .common import has_permission, manages_group, membership, now, stored_row, system_view
from .notifications import Notice, deliver, preferences
from .objects import FREQUENCIES

# -- triggers ---------------------------------------------------------------------------


def before_group_write(ctx, rows) -> None:
    for row in rows:
        row.new["members_only"] = row.new["id"] if row.new.get("visibility") == "Unlisted" else None
        archiving = row.old is not None and bool(row.new.get("is_archived")) != bool(
            row.old.get("is_archived")
        )
        switching = row.old is not None and bool(row.new.get("auto_archive_disabled")) != bool(
            row.old.get("auto_archive_disabled")
        )
        if (archiving or switching) and not ctx.user.is_system and not manages_group(ctx.session, row.old):
            doing = "archive or reactivate it" if archiving else "turn its auto-archiving on or off"
            raise AccessDenied(f"only the owner and managers of {row.old['name']!r} may {doing}")
        if archiving and row.new.get("is_archived"):
            row.new["archived_at"] = now()
        elif archiving:
            # Reactivated: the inactivity clock starts again, or the next archive run takes it back.
            row.new["last_activity_at"] = now()
            row.new["archived_at"] = None
        elif row.old is None and row.new.get("is_archived"):
            row.new["archived_at"] = now()


def after_group_insert(ctx, rows) -> None:
    session = ctx.session
    prefs = preferences(session, [r.new["owner_id"] for r in rows])
    system_view(session).create_many(
        "ChatterGroupMember",
        [
            {
                "group": r.new["id"],
                "user": r.new["owner_id"],
                "role": "Manager",
                "notification_frequency": prefs[r.new["owner_id"]]["default_group_frequency"],
            }
            for r in rows
        ],
    )


def after_group_update(ctx, rows) -> None:
    session = ctx.session
    sys = system_view(session)
    for row in rows:
        new, old = row.new, row.old
        if new["visibility"] == old["visibility"]:
            continue
        posts = session.schema.table("FeedItem")
        ids = list(
            session.conn.execute(
                sa.select(posts.c.id).where(posts.c.parent == new["id"], posts.c.is_deleted == sa.false())
            ).scalars()
        )
        if ids:  # the posts carry the group's restriction (as before_post_insert sets it)
            restriction = {
                "members_only": new["id"] if new["visibility"] == "Private" else None,
                "unlisted_members_only": new["id"] if new["visibility"] == "Unlisted" else None,
            }
            sys.update_many([{"id": i} for i in ids], computed=dict.fromkeys(ids, restriction))
        if new["visibility"] == "Public":
            pending = sys.query("ChatterJoinRequest", where={"group": new["id"], "status": "Pending"}).records
            if pending:
                sys.update_many([{"id": r["id"], "status": "Accepted"} for r in pending])


def before_member_insert(ctx, rows) -> None:
    session = ctx.session
    for index, row in enumerate(rows):
        new = row.new
        group = stored_row(session, "ChatterGroup", new["group"])
        if membership(session, new["group"], new["user"]) is not None:
            raise ValidationError(
                f"{new['user']} is already a member of {group['name']!r}",
                object_name="ChatterGroupMember",
                row=index,
                field="user",
            )
        if ctx.user.is_system:
            continue
        joining_public = (
            new["user"] == ctx.user.id and group["visibility"] == "Public" and new["role"] == "Member"
        )
        if not joining_public and not manages_group(session, group):
            if new["user"] == ctx.user.id:
                raise AccessDenied(
                    f"group {group['name']!r} is {group['visibility'].lower()}: ask to join "
                    f"('missionbase feed groups request \"{group['name']}\"')"
                )
            raise AccessDenied(f"only the owner and managers of {group['name']!r} may add members")


def before_member_update(ctx, rows) -> None:
    if ctx.user.is_system:
        return
    session = ctx.session
    for row in rows:
        new, old = row.new, row.old
        group = stored_row(session, "ChatterGroup", old["group"])
        if new["role"] != old["role"] and not manages_group(session, group):
            raise AccessDenied(f"only the owner and managers of {group['name']!r} may change roles")
        if (
            new["notification_frequency"] != old["notification_frequency"]
            and old["user"] != ctx.user.id
            and not has_permission(session, "modify_all_data")
        ):
            raise AccessDenied("only the member (or modify_all_data) may change their notification frequency")
        if new["role"] != "Manager" and old["user"] == group["owner_id"]:
            raise ValidationError(
                f"the owner of {group['name']!r} stays a manager", object_name="ChatterGroupMember"
            )


def before_member_delete(ctx, rows) -> None:
    session = ctx.session
    for row in rows:
        old = row.old
        group = stored_row(session, "ChatterGroup", old["group"])
        if group is None:
            continue  # the group itself is being deleted
        if old["user"] == group["owner_id"]:
            raise ValidationError(
                f"the owner cannot leave {group['name']!r}; give the group a new owner first",
                object_name="ChatterGroupMember",
            )
        if not ctx.user.is_system and old["user"] != ctx.user.id and not manages_group(session, group):
            raise AccessDenied(f"only the owner and managers of {group['name']!r} may remove members")


def after_member_change(ctx, rows) -> None:
    """Keep member counts and managers' edit shares in step."""
    session = ctx.session
    sys = system_view(session)
    members = session.schema.table("ChatterGroupMember")
    group_ids = sorted({(r.new or r.old)["group"] for r in rows})
    alive = [g for g in group_ids if stored_row(session, "ChatterGroup", g)]
    if alive:
        counts = dict(
            session.conn.execute(
                sa.select(members.c.group, sa.func.count())
                .where(members.c.group.in_(alive), members.c.is_deleted == sa.false())
                .group_by(members.c.group)
            ).all()
        )
        sys.update_many(
            [{"id": g} for g in alive], computed={g: {"member_count": counts.get(g, 0)} for g in alive}
        )
    for row in rows:
        current = row.new if ctx.event != "after_delete" else None
        previous = row.old
        group_id = (current or previous)["group"]
        if group_id not in alive:
            continue
        user = (current or previous)["user"]
        group = stored_row(session, "ChatterGroup", group_id)
        if user == group["owner_id"]:
            continue
        was = previous is not None and previous["role"] == "Manager"
        now_manager = current is not None and current["role"] == "Manager"
        grantee = Grantee("user", user, user)
        if now_manager and not was:
            share_record(sys, group_id, grantee, "edit")
        elif was and not now_manager:
            try:
                unshare_record(sys, group_id, grantee)
            except ValidationError:
                pass


def before_request_insert(ctx, rows) -> None:
    session = ctx.session
    for index, row in enumerate(rows):
        new = row.new
        if not ctx.user.is_system:
            new["requester"] = ctx.user.id
        new["status"] = "Pending"
        group = stored_row(session, "ChatterGroup", new["group"])
        if group["visibility"] == "Public":
            raise ValidationError(
                f"group {group['name']!r} is public: join it directly",
                object_name="ChatterJoinRequest",
                row=index,
                field="group",
            )
        if membership(session, group["id"], new["requester"]):
            raise ValidationError(
                f"you are already a member of {group['name']!r}",
                object_name="ChatterJoinRequest",
                row=index,
                field="group",
            )
        requests = session.schema.table("ChatterJoinRequest")
        if session.conn.execute(
            sa.select(requests.c.id).where(
                requests.c.group == group["id"],
                requests.c.requester == new["requester"],
                requests.c.status == "Pending",
                requests.c.is_deleted == sa.false(),
            )
        ).first():
            raise ValidationError(
                f"you already asked to join {group['name']!r}; the request is pending",
                object_name="ChatterJoinRequest",
                row=index,
                field="group",
            )


def after_request_insert(ctx, rows) -> None:
    session = ctx.session
    members = session.schema.table("ChatterGroupMember")
    for row in rows:
        group = stored_row(session, "ChatterGroup", row.new["group"])
        managers = session.conn.execute(
            sa.select(members.c.user).where(
                members.c.group == group["id"],
                members.c.role == "Manager",
                members.c.is_deleted == sa.false(),
            )
        ).scalars()
        requester = stored_row(session, "User", row.new["requester"])
        deliver(
            session,
            [
                Notice(
                    m, "join_request", f"{requester['name']} asks to join {group['name']}", group=group["id"]
                )
                for m in managers
            ],
            actor=row.new["requester"],
        )


def before_request_update(ctx, rows) -> None:
    session = ctx.session
    for row in rows:
        old, new = row.old, row.new
        if old["status"] != "Pending":
            raise ValidationError(
                f"request {old['id']} was already {old['status'].lower()}; it cannot change",
                object_name="ChatterJoinRequest",
            )
        if new["requester"] != old["requester"] or new["group"] != old["group"]:
            raise ValidationError(
                "only the status and response of a request can change", object_name="ChatterJoinRequest"
            )
        group = stored_row(session, "ChatterGroup", old["group"])
        if not ctx.user.is_system and not manages_group(session, group):
            raise AccessDenied(f"only the owner and managers of {group['name']!r} decide join requests")


def after_request_update(ctx, rows) -> None:
    session = ctx.session
    sys = system_view(session)
    accepted = [r.new for r in rows if r.new["status"] == "Accepted"]
    if accepted:
        prefs = preferences(session, [r["requester"] for r in accepted])
        sys.create_many(
            "ChatterGroupMember",
            [
                {
                    "group": r["group"],
                    "user": r["requester"],
                    "notification_frequency": prefs[r["requester"]]["default_group_frequency"],
                }
                for r in accepted
                if membership(session, r["group"], r["requester"]) is None
            ],
        )
    for row in rows:
        group = stored_row(session, "ChatterGroup", row.new["group"])
        message = f"your request to join {group['name']} was {row.new['status'].lower()}"
        if row.new.get("response_message") and row.new["status"] == "Declined":
            message += f": {row.new['response_message']}"
        deliver(
            session,
            [Notice(row.new["requester"], "join_decision", message, group=group["id"])],
            actor=ctx.user.id,
        )


# -- functions ----------------------------------------------------------------------------


def find_group(session, name_or_id: str) -> dict:
    """A group the caller can see, by name or id (unlisted groups stay unknown to outsiders)."""
    column = "id" if name_or_id.startswith("cgr_") else "name"
    found = session.query("ChatterGroup", where={column: name_or_id}, limit=1).records
    if not found:
        visible = [g["name"] for g in session.query("ChatterGroup", fields=["name"], limit=200).records]
        raise UnknownName("group", name_or_id, visible)
    return found[0]


def create_group(
    session,
    name: str,
    *,
    visibility: str = "Public",
    broadcast: bool = False,
    description: str | None = None,
    information: str | None = None,
) -> dict:
    return session.create(
        "ChatterGroup",
        {
            "name": name,
            "visibility": visibility,
            "is_broadcast": broadcast,
            "description": description,
            "information": information,
        },
    )


def join(session, group_name: str) -> dict:
    group = find_group(session, group_name)
    frequency = preferences(session, [session.user.id])[session.user.id]["default_group_frequency"]
    return session.create(
        "ChatterGroupMember",
        {"group": group["id"], "user": session.user.id, "notification_frequency": frequency},
    )


def leave(session, group_name: str) -> None:
    group = find_group(session, group_name)
    mine = session.query("ChatterGroupMember", where={"group": group["id"], "user": session.user.id}).records
    if not mine:
        raise ValidationError(f"you are not a member of {group['name']!r}")
    system_view(session).delete(mine[0]["id"])  # leaving is always your own call (owner excepted)


def request_to_join(session, group_name: str) -> dict:
    group = find_group(session, group_name)
    return session.create("ChatterJoinRequest", {"group": group["id"], "requester": session.user.id})


def decide(session, request_id: str, *, accept: bool, message: str | None = None) -> dict:
    request = session.get(request_id)
    return session.update(
        request_id,
        {"status": "Accepted" if accept else "Declined", "response_message": message},
        version=request["version"],
    )


def set_archived(session, group_name: str, archived: bool = True) -> dict:
    group = find_group(session, group_name)
    return session.update(group["id"], {"is_archived": archived}, version=group["version"])


def set_auto_archive(session, group_name: str, enabled: bool) -> dict:
    """Turn the inactivity archiving of one group on or off (owner, managers, modify_all_data;
    manage_unlisted_groups for an unlisted group)."""
    group = find_group(session, group_name)
    return session.update(group["id"], {"auto_archive_disabled": not enabled}, version=group["version"])


def members(session, group_name: str) -> list[dict]:
    group = find_group(session, group_name)
    rows = session.query(
        "ChatterGroupMember",
        where={"group": group["id"]},
        fields=["id", "user", "user.name", "user.username", "role", "notification_frequency"],
        order_by=["role", "user.name"],
    ).records
    return rows


def archive_inactive_groups(app, *, at: dt.datetime | None = None) -> str:
    """Job: archive groups without a post or comment (or reactivation) for chatter.archive_after_days days,
    except those whose owner or managers turned auto-archiving off.

    Archived groups keep their members, posts and comments: members may still
    comment, join and leave; new posts are refused until an owner or manager
    reactivates the group (``feed groups archive NAME --undo``). Its posts
    leave What I Follow and the company feed until someone comments on one
    (the group's own feed keeps them all).
    """
    with app.system_session() as s:
        days = s.get_setting("chatter.archive_after_days")
        cutoff = (at or now()) - dt.timedelta(days=days)
        table = s.schema.table("ChatterGroup")
        last = sa.func.coalesce(table.c.last_activity_at, table.c.created_at)
        ids = list(
            s.conn.execute(
                sa.select(table.c.id).where(
                    table.c.is_archived == sa.false(),
                    table.c.is_deleted == sa.false(),
                    last < cutoff,
                    sa.or_(
                        table.c.auto_archive_disabled.is_(None), table.c.auto_archive_disabled == sa.false()
                    ),
                )
            ).scalars()
        )
        if ids:
            s.update_many([{"id": i, "is_archived": True} for i in ids])
    return f"archived {len(ids)} group(s) without activity for {days} days"


def set_frequency(session, group_name: str, frequency: str) -> dict:
    """Change your own notification frequency for a group (only the member may).

    Membership rows follow the group's edit access in core, which members lack;
    the rule here is the member's own, so the system applies it.
    """
    group = find_group(session, group_name)
    mine = session.query("ChatterGroupMember", where={"group": group["id"], "user": session.user.id}).records
    if not mine:
        raise ValidationError(f"you are not a member of {group['name']!r}")
    chosen = {f.lower(): f for f in FREQUENCIES}.get(str(frequency).strip().lower())
    if chosen is None:
        raise ValidationError(
            f"{frequency!r} is not a notification frequency; choose one of {', '.join(FREQUENCIES)}",
            object_name="ChatterGroupMember",
            field="notification_frequency",
        )
    return system_view(session).update(mine[0]["id"], {"notification_frequency": chosen})
