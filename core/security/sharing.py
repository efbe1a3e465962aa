"""Manual shares, org-wide defaults and permission set assignments.

Plain functions taking the caller's session: each checks that the caller
may do it (only the owner, users above the owner and Modify All holders may
share a record; manage_users assigns permission sets; customize_application
changes defaults), writes in the session's transaction, and raises one
clear error otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..clock import utcnow
from ..errors import AccessDenied, RecordNotFound, UnknownName, ValidationError
from ..ids import SYSTEM_USER_ID, new_id
from .model import role_and_subordinates_key, role_key
from .policy import LEVEL_LABEL, LEVELS, SHARING_SETTING_PREFIX

GRANTEE_TYPES = ("user", "group", "role", "role_and_subordinates")
SHARE_LEVELS = ("read", "edit")


def _policy(session):
    return session.app.access_policy


def _has_system(session, permission: str) -> bool:
    if session.user.is_system:
        return True
    return permission in _policy(session).access(session).system


def require_system(session, permission: str, doing: str) -> None:
    if not _has_system(session, permission):
        raise AccessDenied(f"{session.user.username} cannot {doing}: it needs the {permission} permission")


# -- org-wide defaults ----------------------------------------------------------------


def set_sharing_default(session, object_name: str, level: str) -> None:
    require_system(session, "customize_application", "change sharing defaults")
    obj = session.registry.object(object_name)
    if level not in LEVELS:
        raise UnknownName("sharing level", level, LEVELS)
    if level == "controlled_by_parent" and not obj.parent_field:
        raise ValidationError(
            f"{object_name} has no parent lookup, so it cannot be Controlled by Parent; "
            f"choose private, public_read or public_read_write"
        )
    if obj.sharing == "controlled_by_parent" and level != "controlled_by_parent":
        raise ValidationError(f"{object_name} is a detail object; its access always follows its parent")
    table = session.schema.internal["setting"]
    key = SHARING_SETTING_PREFIX + object_name
    session.conn.execute(table.delete().where(table.c.key == key))
    session.conn.execute(
        table.insert().values(key=key, value=level, modified_at=utcnow(), modified_by=session.user.id)
    )
    _policy(session).invalidate_sharing_defaults(session)


def sharing_defaults(session) -> dict[str, str]:
    policy = _policy(session)
    return {name: policy.sharing_default(session, name) for name in sorted(session.registry.objects)}


# -- manual shares ----------------------------------------------------------------------


@dataclass
class Grantee:
    type: str
    id: str
    label: str

    @property
    def key(self) -> str:
        if self.type == "role":
            return role_key(self.id)
        if self.type == "role_and_subordinates":
            return role_and_subordinates_key(self.id)
        return self.id


def resolve_grantee(session, grantee_type: str, name: str) -> Grantee:
    """A user (username or id), group (name or id) or role (name or id)."""
    if grantee_type not in GRANTEE_TYPES:
        raise UnknownName("grantee type", grantee_type, GRANTEE_TYPES)
    object_name, label_field = {
        "user": ("User", "username"),
        "group": ("Group", "name"),
        "role": ("Role", "name"),
        "role_and_subordinates": ("Role", "name"),
    }[grantee_type]
    table = session.schema.table(object_name)
    column = (
        table.c.id
        if name.startswith(session.registry.object(object_name).prefix + "_")
        else table.c[label_field]
    )
    row = session.conn.execute(
        sa.select(table.c.id, table.c[label_field]).where(column == name, table.c.is_deleted == sa.false())
    ).first()
    if row is None or row[0] == SYSTEM_USER_ID:
        names = session.conn.execute(
            sa.select(table.c[label_field]).where(
                table.c.is_deleted == sa.false(), table.c.id != SYSTEM_USER_ID
            )
        ).scalars()
        raise UnknownName(grantee_type.replace("_", " "), name, list(names))
    return Grantee(grantee_type, row[0], row[1])


def share_record(session, record_id: str, grantee: Grantee, level: str) -> dict:
    if level not in SHARE_LEVELS:
        raise UnknownName("share level", level, SHARE_LEVELS)
    obj, _row = _shareable(session, record_id)
    default = _policy(session).sharing_default(session, obj.name)
    if default == "public_read_write" or (default == "public_read" and level == "read"):
        raise ValidationError(
            f"{obj.name} is {LEVEL_LABEL[default]} for everyone, so a {level} share would give nothing; "
            + ("share with edit instead" if default == "public_read" else "no share is needed")
        )
    shares = session.schema.internal["share"]
    existing = session.conn.execute(
        sa.select(shares.c.id).where(shares.c.record_id == record_id, shares.c.grantee_key == grantee.key)
    ).scalar()
    if existing:
        session.conn.execute(shares.update().where(shares.c.id == existing).values(level=level))
        share_id = existing
    else:
        share_id = new_id("shr")
        session.conn.execute(
            shares.insert().values(
                id=share_id,
                object=obj.name,
                record_id=record_id,
                grantee_type=grantee.type,
                grantee_id=grantee.id,
                grantee_key=grantee.key,
                level=level,
                created_at=utcnow(),
                created_by=session.user.id,
            )
        )
    return {
        "id": share_id,
        "record_id": record_id,
        "grantee": f"{grantee.type} {grantee.label}",
        "level": level,
    }


def unshare_record(session, record_id: str, grantee: Grantee) -> None:
    _shareable(session, record_id)
    shares = session.schema.internal["share"]
    result = session.conn.execute(
        shares.delete().where(shares.c.record_id == record_id, shares.c.grantee_key == grantee.key)
    )
    if result.rowcount == 0:
        raise ValidationError(f"{record_id} is not shared with {grantee.type} {grantee.label}")


def record_shares(session, record_id: str) -> list[dict]:
    session.get(record_id)  # you see a record's shares only if you see the record
    shares = session.schema.internal["share"]
    rows = session.conn.execute(
        sa.select(shares).where(shares.c.record_id == record_id).order_by(shares.c.created_at)
    ).mappings()
    return [dict(r) for r in rows]


def _shareable(session, record_id: str):
    obj = session.object_of(record_id)
    table = session.schema.table(obj.name)
    row = (
        session.conn.execute(
            sa.select(table).where(table.c.id == record_id, table.c.is_deleted == sa.false())
        )
        .mappings()
        .first()
    )
    if row is None:
        raise RecordNotFound(record_id, obj.name)
    row = dict(row)
    if session.user.is_system:
        return obj, row
    policy = _policy(session)
    decision = policy.record_access(session, obj, row)
    if not decision.read:
        raise RecordNotFound(record_id, obj.name)
    if not decision.share:
        raise AccessDenied(
            f"{session.user.username} cannot share {obj.name} {record_id}: only its owner, users above the owner "
            "in the role hierarchy and users with Modify All can"
        )
    return obj, row


def drop_shares_on_owner_change(session, obj, news: list[dict], olds: list[dict]) -> None:
    """Manual shares belong to the owner who made them: a new owner starts clean."""
    changed = [
        new["id"] for new, old in zip(news, olds, strict=True) if new.get("owner_id") != old.get("owner_id")
    ]
    if changed:
        shares = session.schema.internal["share"]
        session.conn.execute(shares.delete().where(shares.c.record_id.in_(changed)))


# -- permission set assignments -------------------------------------------------------------


def assign_permission_set(session, user_id: str, permset: str) -> bool:
    """Returns False when the user already had it."""
    require_system(session, "manage_users", "assign permission sets")
    if permset not in session.registry.permission_sets:
        raise UnknownName("permission set", permset, session.registry.permission_sets)
    table = session.schema.internal["permset_assignment"]
    exists = session.conn.execute(
        sa.select(table.c.user_id).where(table.c.user_id == user_id, table.c.permset == permset)
    ).first()
    if exists:
        return False
    session.conn.execute(
        table.insert().values(
            user_id=user_id, permset=permset, assigned_at=utcnow(), assigned_by=session.user.id
        )
    )
    return True


def unassign_permission_set(session, user_id: str, permset: str) -> None:
    require_system(session, "manage_users", "unassign permission sets")
    if permset not in session.registry.permission_sets:
        raise UnknownName("permission set", permset, session.registry.permission_sets)
    table = session.schema.internal["permset_assignment"]
    result = session.conn.execute(
        table.delete().where(table.c.user_id == user_id, table.c.permset == permset)
    )
    if result.rowcount == 0:
        raise ValidationError(f"the user does not have permission set {permset!r}")


def assigned_permission_sets(session, user_id: str) -> list[str]:
    table = session.schema.internal["permset_assignment"]
    return sorted(
        session.conn.execute(sa.select(table.c.permset).where(table.c.user_id == user_id)).scalars()
    )
