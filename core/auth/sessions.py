"""Server-side login sessions: what a browser's ``mb_session`` cookie stands for.

The cookie carries 256 random bits; ``mb_auth_session`` keeps only their SHA-256, so a
copy of the database opens no session. A session ends at logout, when revoked, when its
user is deactivated or gets a new password, after ``core.session_idle_minutes`` without a
request, and ``core.session_max_hours`` after the login however active it is.

CSRF: a request that changes data and authenticates with the cookie must also send the
session's CSRF token in ``X-CSRF-Token`` (a synchronizer token: an HMAC of the session
secret, which a page of another site can neither read from the HttpOnly cookie nor guess).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets

import sqlalchemy as sa

from ..clock import utcnow
from ..errors import RecordNotFound, ValidationError
from ..ids import new_id
from . import audit
from .credentials import (
    BadCredentials,
    Caller,
    CsrfRefused,
    may_manage_users,
    require_manage_users,
    user_row,
)
from .settings import SESSION_IDLE_MINUTES, SESSION_MAX_HOURS, read_settings

COOKIE_NAME = "mb_session"
CSRF_HEADER = "X-CSRF-Token"
# The same token as a form field, for an HTML form posted by the web UI.
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
SECRET_BYTES = 32  # 256 bits
# last_seen_at is written at most this often: one UPDATE per request would make every read
# a write. Idle expiry is therefore exact to this resolution.
TOUCH_RESOLUTION = dt.timedelta(minutes=1)
EXPIRY_KEYS = [SESSION_IDLE_MINUTES, SESSION_MAX_HOURS]


def cookie_options(*, secure: bool, max_age: int | None = None) -> dict:
    """Keyword arguments for Starlette's ``response.set_cookie`` (and ``delete_cookie``): the
    session cookie is out of reach of scripts (HttpOnly), not sent by other sites' forms or
    fetches (SameSite=Lax), and sent over HTTPS only when the request came over HTTPS."""
    options = {"key": COOKIE_NAME, "httponly": True, "samesite": "lax", "secure": secure, "path": "/"}
    if max_age is not None:
        options["max_age"] = max_age
    return options


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_token_for(secret: str) -> str:
    """The session's CSRF token: derived from its secret, so nothing more is stored."""
    digest = hmac.new(secret.encode(), b"missionbase csrf token", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def check_csrf(secret: str, given: str | None) -> None:
    """Raise CsrfRefused unless ``given`` is the session's CSRF token (compared in constant time)."""
    if not given:
        raise CsrfRefused(
            f"this request changes data and uses the session cookie, so it needs the {CSRF_HEADER} "
            f"header (or a {CSRF_FIELD} form field) with the csrf_token the login returned"
        )
    if not hmac.compare_digest(given.encode(), csrf_token_for(secret).encode()):
        raise CsrfRefused(
            f"the {CSRF_HEADER} header does not match this session; GET /api/v1/me gives its csrf_token"
        )


def start_session(
    conn: sa.Connection, schema, user_id: str, *, address: str = "", user_agent: str = ""
) -> tuple[str, dict]:
    """Create a session for ``user_id``; returns (the cookie's secret, the session row)."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    now = utcnow()
    row = {
        "id": new_id("ses"),
        "user_id": user_id,
        "secret_hash": secret_hash(secret),
        "created_at": now,
        "last_seen_at": now,
        "address": (address or "")[:64] or None,
        "user_agent": (user_agent or "")[:255] or None,
    }
    conn.execute(schema.internal["auth_session"].insert().values(**row))
    return secret, row


def resolve(
    app, conn: sa.Connection, secret: str, *, method: str = "GET", csrf_token: str | None = None
) -> Caller:
    """The caller behind a session cookie, or BadCredentials (ended, expired) / CsrfRefused.

    Meant for a connection outside any long transaction (statement-level reads): an expired
    session is deleted, and ``last_seen_at`` moved on, each in its own statement.
    """
    table = app.schema.internal["auth_session"]
    users = app.schema.table("User")
    row = conn.execute(
        sa.select(
            table.c.id, table.c.user_id, table.c.created_at, table.c.last_seen_at,
            users.c.username, users.c.is_active, users.c.is_deleted,
        )
        .join(users, users.c.id == table.c.user_id)
        .where(table.c.secret_hash == secret_hash(secret))
    ).first()  # fmt: skip
    if row is None:
        raise BadCredentials("your session has ended (logged out, revoked or expired); log in again")
    limits = read_settings(app, conn, EXPIRY_KEYS)
    now = utcnow()
    idle, longest = _idle(limits), _longest(limits)
    ended = None
    if now - row.last_seen_at > idle:
        ended = (
            f"your session ended after {limits[SESSION_IDLE_MINUTES]} minutes without activity; log in again"
        )
    elif now - row.created_at > longest:
        ended = f"your session reached its {limits[SESSION_MAX_HOURS]}-hour limit; log in again"
    if ended:
        conn.execute(table.delete().where(table.c.id == row.id))
        raise BadCredentials(ended)
    if row.is_deleted or not row.is_active:
        raise BadCredentials(f"user {row.username!r} is deactivated; their sessions no longer work")
    if method.upper() not in SAFE_METHODS:
        check_csrf(secret, csrf_token)
    if now - row.last_seen_at >= TOUCH_RESOLUTION:
        conn.execute(table.update().where(table.c.id == row.id).values(last_seen_at=now))
    return Caller(user_id=row.user_id, session_id=row.id, csrf_token=csrf_token_for(secret))


def describe(app, conn: sa.Connection, session_id: str) -> dict:
    """The public view of one session (never its secret hash), with when it will end."""
    table = app.schema.internal["auth_session"]
    row = conn.execute(sa.select(table).where(table.c.id == session_id)).mappings().first()
    if row is None:
        raise RecordNotFound(session_id, "login session")
    return _public(dict(row), read_settings(app, conn, EXPIRY_KEYS))


def end_own_session(session, session_id: str, *, address: str | None = None) -> None:
    """Log out: the caller's own session ``session_id`` ends now."""
    table = session.schema.internal["auth_session"]
    gone = session.conn.execute(
        table.delete().where(table.c.id == session_id, table.c.user_id == session.user.id)
    ).rowcount
    if gone:
        audit.record(
            session.conn, session.schema, "logout",
            actor_id=session.user.id, user_id=session.user.id, session_id=session_id, address=address,
        )  # fmt: skip


def list_sessions(
    session, for_user: str | None = None, *, everyone: bool = False, current: str | None = None
) -> list[dict]:
    """Live sessions of the caller (default), of another user or of everyone (manage_users)."""
    table = session.schema.internal["auth_session"]
    users = session.schema.table("User")
    stmt = (
        sa.select(table, users.c.username)
        .join(users, users.c.id == table.c.user_id)
        .order_by(table.c.created_at, table.c.id)
    )
    if everyone:
        require_manage_users(session, "list everyone's sessions")
    else:
        stmt = stmt.where(table.c.user_id == _target_user_id(session, for_user))
    limits = {key: session.get_setting(key) for key in EXPIRY_KEYS}
    now = utcnow()
    rows = [_public(dict(row), limits, current) for row in session.conn.execute(stmt).mappings()]
    return [row for row in rows if row["expires_at"] > now]


def revoke_session(session, session_id: str, *, address: str | None = None) -> dict:
    """End one session: one's own, or anyone's with manage_users. Others' ids are 'not found'."""
    table = session.schema.internal["auth_session"]
    row = session.conn.execute(sa.select(table).where(table.c.id == session_id)).mappings().first()
    if row is None or not (row["user_id"] == session.user.id or may_manage_users(session)):
        raise RecordNotFound(session_id, "login session")
    session.conn.execute(table.delete().where(table.c.id == session_id))
    audit.record(
        session.conn, session.schema, "session_revoked",
        actor_id=session.user.id, user_id=row["user_id"], session_id=session_id, address=address,
    )  # fmt: skip
    return _public(dict(row), {key: session.get_setting(key) for key in EXPIRY_KEYS})


def revoke_sessions_of(session, username: str) -> int:
    """End every session of ``username`` (oneself, or anyone with manage_users); returns how many."""
    user_id = _target_user_id(session, username)
    return end_sessions_of(session.conn, session.schema, user_id, actor_id=session.user.id, reason="revoked")


def end_sessions_of(conn: sa.Connection, schema, user_id: str, *, actor_id: str, reason: str) -> int:
    """End every session of a user, each audited with ``reason``; returns how many ended."""
    table = schema.internal["auth_session"]
    ids = conn.execute(sa.select(table.c.id).where(table.c.user_id == user_id)).scalars().all()
    if ids:
        conn.execute(table.delete().where(table.c.user_id == user_id))
    for session_id in ids:
        audit.record(
            conn,
            schema,
            "session_revoked",
            actor_id=actor_id,
            user_id=user_id,
            session_id=session_id,
            detail=reason,
        )
    return len(ids)


def purge_expired(app, conn: sa.Connection) -> int:
    """Delete sessions past their idle or absolute expiry; returns how many."""
    table = app.schema.internal["auth_session"]
    limits = read_settings(app, conn, EXPIRY_KEYS)
    now = utcnow()
    expired = sa.or_(table.c.last_seen_at < now - _idle(limits), table.c.created_at < now - _longest(limits))
    return conn.execute(table.delete().where(expired)).rowcount or 0


def _idle(limits: dict) -> dt.timedelta:
    return dt.timedelta(minutes=limits[SESSION_IDLE_MINUTES])


def _longest(limits: dict) -> dt.timedelta:
    return dt.timedelta(hours=limits[SESSION_MAX_HOURS])


def _public(row: dict, limits: dict, current: str | None = None) -> dict:
    out = {k: v for k, v in row.items() if k != "secret_hash"}
    idle_end = row["last_seen_at"] + _idle(limits)
    out["expires_at"] = min(idle_end, row["created_at"] + _longest(limits))
    out["current"] = current is not None and row["id"] == current
    return out


def _target_user_id(session, username: str | None) -> str:
    """Whose sessions: one's own (no name, or one's own), or anyone's with manage_users."""
    if username is None or username in (session.user.username, session.user.id):
        if session.user.is_system:
            raise ValidationError("sessions belong to a user; give --as USER or --user USER")
        return session.user.id
    require_manage_users(session, "manage other users' sessions")
    return user_row(session, username)["id"]
