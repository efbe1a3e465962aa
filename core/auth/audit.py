"""The authentication audit trail (``mb_auth_audit``): one row per login, failed login, logout,
session or token created or ended, password set. Written in the transaction of what it
records; read only by administrators."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..clock import utcnow
from ..errors import UnknownName
from ..ids import new_id
from .credentials import require_manage_users, user_row

# The actor of what nobody signed in did (a failed login for a name no user has).
ANONYMOUS = "anonymous"

EVENTS = (
    "login",
    "login_failed",
    "logout",
    "session_revoked",
    "password_set",
    "token_created",
    "token_revoked",
)
MAX_ROWS = 1000


def record(
    conn: sa.Connection,
    schema,
    event: str,
    *,
    actor_id: str,
    user_id: str | None = None,
    token_id: str | None = None,
    session_id: str | None = None,
    address: str | None = None,
    detail: str = "",
) -> None:
    conn.execute(
        schema.internal["auth_audit"]
        .insert()
        .values(
            id=new_id("aua"),
            at=utcnow(),
            event=event,
            actor_id=actor_id,
            user_id=user_id,
            token_id=token_id,
            session_id=session_id,
            address=(address or "")[:64] or None,
            detail=detail[:255] or None,
        )
    )


def list_events(
    session,
    *,
    user: str | None = None,
    since: dt.datetime | None = None,
    event: str | None = None,
    limit: int = 100,
) -> list[dict]:
    """The newest audit rows first (manage_users only), about ``user`` (as the actor or the
    one acted on), since a moment, of one kind."""
    require_manage_users(session, "read the authentication audit")
    if event is not None and event not in EVENTS:
        raise UnknownName("audit event", event, EVENTS)
    audit = session.schema.internal["auth_audit"]
    users = session.schema.table("User")
    actor = users.alias("actor")
    subject = users.alias("subject")
    stmt = (
        sa.select(
            audit.c.id,
            audit.c.at,
            audit.c.event,
            sa.func.coalesce(actor.c.username, audit.c.actor_id).label("actor"),
            subject.c.username.label("user"),
            audit.c.user_id,
            audit.c.session_id,
            audit.c.token_id,
            audit.c.address,
            audit.c.detail,
        )
        .select_from(audit)
        .outerjoin(actor, actor.c.id == audit.c.actor_id)
        .outerjoin(subject, subject.c.id == audit.c.user_id)
        .order_by(audit.c.at.desc(), audit.c.id.desc())
        .limit(max(1, min(limit, MAX_ROWS)))
    )
    if user is not None:
        user_id = user_row(session, user)["id"]
        stmt = stmt.where(sa.or_(audit.c.user_id == user_id, audit.c.actor_id == user_id))
    if since is not None:
        stmt = stmt.where(audit.c.at >= since)
    if event is not None:
        stmt = stmt.where(audit.c.event == event)
    return [dict(row) for row in session.conn.execute(stmt).mappings()]
