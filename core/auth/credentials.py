"""Who a request acts as (``Caller``), the errors of authentication, and the re-check that
runs inside the work's own transaction.

A request is authenticated twice over: once before its route runs (``current_caller`` in
the API, the login form's handler in the web UI), with statement-level reads that hold no
lock while the route reads its body; then again, by primary key, as the first statement of
the transaction that does the work (``confirm``). A token revoked or a session ended in
between is refused there, and nothing the request would have written is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..errors import AccessDenied, MissionbaseError, UnknownName

TOKEN_SCOPES = ("read", "read_write")


class BadCredentials(MissionbaseError):
    """No, malformed, unknown, expired or revoked credentials (HTTP 401)."""


class CsrfRefused(AccessDenied):
    """A state-changing request with the session cookie but without its CSRF token (HTTP 403)."""


class TooManyFailures(MissionbaseError):
    """Too many failed logins for a username or an address (HTTP 429); no password was checked."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Caller:
    """Who a request acts as, through what, and what that credential allows.

    ``token_id`` is set for an API token, ``session_id`` for a login session (then
    ``csrf_token`` is the token its state-changing requests must send); ``objects`` (a
    token's object scope) lists the only objects the request may touch, None for all.
    """

    user_id: str
    scope: str = "read_write"
    token_id: str | None = None
    session_id: str | None = None
    objects: frozenset[str] | None = None
    csrf_token: str | None = field(default=None, repr=False)

    @property
    def can_write(self) -> bool:
        return self.scope == "read_write"


def confirm(conn: sa.Connection, schema, caller: Caller) -> None:
    """Raise BadCredentials unless the caller's token or session is still live, read in the
    transaction ``conn`` is in (the work's): revocation, logout and deactivation committed
    since the request was authenticated stop it here."""
    users = schema.table("User")
    if caller.token_id is not None:
        table = schema.internal["api_token"]
        credential, ended = table.c.id == caller.token_id, table.c.revoked_at.is_not(None)
        what = "API token was revoked"
    elif caller.session_id is not None:
        table = schema.internal["auth_session"]
        credential, ended = table.c.id == caller.session_id, sa.false()
        what = "session has ended"
    else:
        return  # a caller built in-process (tests, the system's own calls): nothing to re-check
    row = conn.execute(
        sa.select(ended.label("ended"), users.c.is_active, users.c.is_deleted, users.c.username)
        .select_from(table)
        .join(users, users.c.id == table.c.user_id)
        .where(credential)
    ).first()
    if row is None or row.ended:
        raise BadCredentials(f"this {what}; {'create a new one' if caller.token_id else 'log in again'}")
    if row.is_deleted or not row.is_active:
        raise BadCredentials(f"user {row.username!r} is deactivated; their credentials no longer work")


def user_row(session, username: str) -> dict:
    """The User row (active or not) with this username or id, or UnknownName with the closest ones."""
    from ..ids import SYSTEM_USER_ID

    users = session.schema.table("User")
    column = users.c.id if username.startswith("usr_") else users.c.username
    alive = sa.and_(users.c.is_deleted == sa.false(), users.c.id != SYSTEM_USER_ID)
    row = session.conn.execute(
        sa.select(users.c.id, users.c.username, users.c.is_active).where(column == username, alive)
    ).first()
    if row is None:
        names = session.conn.execute(sa.select(users.c.username).where(alive)).scalars()
        raise UnknownName("user", username, list(names))
    return dict(row._mapping)


def may_manage_users(session) -> bool:
    """Whether the session's user holds manage_users (the system context always does)."""
    if session.user.is_system:
        return True
    access = getattr(session.policy, "access", None)
    return access is not None and "manage_users" in access(session).system


def require_manage_users(session, doing: str) -> None:
    if not may_manage_users(session):
        raise AccessDenied(f"{session.user.username} cannot {doing}: it needs the manage_users permission")
