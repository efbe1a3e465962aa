"""``access explain``: why a user can or cannot read, edit, delete or share a record."""

from __future__ import annotations

import sqlalchemy as sa

from ..errors import RecordNotFound
from ..records import RecordService


def explain(app, username: str, record_id: str) -> dict:
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
