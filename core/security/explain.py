"""``access explain``: why a user can or cannot read, edit, delete or share a record."""

from __future__ import annotations

import sqlalchemy as sa

from ..errors import AccessDenied, RecordNotFound
from ..records import RecordService

# Who may ask about someone else's access: those who administer users or see all data.
EXPLAINERS = ("manage_users", "view_all_data", "modify_all_data")


def explain(app, username: str, record_id: str, *, asked_by=None) -> dict:
    """Why ``username`` can or cannot act on a record.

    Asked by the user themself (``asked_by`` None or the same user), a record they cannot
    read is "not found", exactly like an id that does not exist: the reasons would tell
    who owns it and how it is shared. Only an administrator who can read the record may
    ask about another user's access to it (``asked_by`` a username, or ``SYSTEM_USER`` for
    code in the explicit system context).
    """
    with app.connect() as conn, conn.begin():
        user = app.resolve_user(conn, username)
        session = RecordService(app, conn, user)
        obj = session.object_of(record_id)
        table = app.schema.table(obj.name)
        row = conn.execute(sa.select(table).where(table.c.id == record_id)).mappings().first()
        if row is None:
            raise RecordNotFound(record_id, obj.name)
        row = dict(row)
        policy = app.access_policy
        access = policy.access(session)
        decision = policy.record_access(session, obj, row)
        asker = app.resolve_user(conn, asked_by) if isinstance(asked_by, str) else (asked_by or user)
        if asker.id == user.id:
            if not decision.read or row["is_deleted"]:
                raise RecordNotFound(record_id, obj.name)
        else:
            _check_explainer(app, conn, asker, obj, row)
        reasons = list(decision.reasons)
        if row["is_deleted"]:
            reasons.insert(0, "the record is in the recycle bin")
        hidden = [f.name for f in obj.fields if policy.field_access(session, obj.name, f.name) == "hidden"]
        return {
            "user": user.username,
            "object": obj.name,
            "record_id": record_id,
            "name": row.get(obj.name_field) if obj.name_field and decision.read else None,
            "read": decision.read and not row["is_deleted"],
            "edit": decision.edit and not row["is_deleted"],
            "delete": decision.delete and not row["is_deleted"],
            "share": decision.share and not row["is_deleted"],
            "object_permissions": "".join(sorted(access.letters(obj.name), key="CREDVM".index)),
            "permission_sets": [p.name for p in access.permission_sets],
            "sharing_default": policy.sharing_default(session, obj.name),
            "role_path": access.role_path,
            "reasons": reasons,
            "hidden_fields": hidden,
        }


def _check_explainer(app, conn, asker, obj, row: dict) -> None:
    session = RecordService(app, conn, asker)
    if not asker.is_system and not policy_decision(app, session, obj, row):
        raise RecordNotFound(row["id"], obj.name)
    if not asker.is_system and not any(session.has_system_permission(p) for p in EXPLAINERS):
        raise AccessDenied(
            f"{asker.username} may not explain other users' access: it needs one of {', '.join(EXPLAINERS)}"
        )


def policy_decision(app, session, obj, row: dict) -> bool:
    return app.access_policy.record_access(session, obj, row).read
