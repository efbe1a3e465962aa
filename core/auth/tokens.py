"""API tokens: ``Authorization: Bearer mb_...`` for scripts and the tools around an org.

A token is 240 random bits from ``secrets``, shown once when created. Only its
SHA-256 is stored: for a secret that long a slow hash (argon2) buys nothing (nobody
can guess it), and a fast one keeps each request's check to one indexed lookup.
A token acts as its user (same permission sets, field-level security, sharing);
its scope can only narrow that: ``read`` refuses every write, and a list of objects
refuses every other object.

Plain functions over core's ``mb_api_token`` table, used by the CLI
(``missionbase tokens``) and the API alike; none of them imports the server.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa

from ..clock import utcnow
from ..errors import AccessDenied, RecordNotFound, UnknownName, ValidationError
from ..ids import new_id
from . import audit
from .credentials import TOKEN_SCOPES, BadCredentials, Caller

TOKEN_PREFIX = "mb_"
SCOPES = TOKEN_SCOPES
DEFAULT_DAYS = 90
MAX_DAYS = 3650
# last_used_at is written at most this often per token: one UPDATE per request would make
# every read a write (and serialise readers on SQLite).
LAST_USE_RESOLUTION = dt.timedelta(minutes=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _target_user(session, username: str | None) -> tuple[str, str]:
    """(id, username) of whose tokens these are: one's own, or anyone's for an admin."""
    if username is None or username in (session.user.username, session.user.id):
        if session.user.is_system:
            raise ValidationError("tokens belong to a user; give --as USER")
        return session.user.id, session.user.username
    if not session.app.is_admin(session):
        raise AccessDenied(f"{session.user.username} may only manage their own tokens")
    user = session.app.resolve_user(session.conn, username)
    return user.id, user.username


def object_scope(registry, names) -> list[str] | None:
    """The object names a token is limited to, checked against the registry (None: every object).

    An unknown name is refused with the closest ones; the list comes back sorted, each once.
    """
    if names is None:
        return None
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",")]
    cleaned = [n.strip() for n in names if isinstance(n, str) and n.strip()]
    if not cleaned or len(cleaned) != len(list(names)):
        raise ValidationError("objects must list object names, like Contact,CaseFile", field="objects")
    for name in cleaned:
        if name not in registry.objects:
            raise UnknownName("object", name, registry.objects)
    return sorted(set(cleaned))


def create_token(
    session,
    name: str,
    *,
    scope: str = "read_write",
    days: int | None = DEFAULT_DAYS,
    for_user: str | None = None,
    objects=None,
) -> tuple[str, dict]:
    """Create a token; returns (secret, its row). The secret is never readable again."""
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ValidationError("a token needs a name of 1 to 120 characters (what uses it)")
    if scope not in SCOPES:
        raise UnknownName("token scope", scope, SCOPES)
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise ValidationError(f"a token expires after 1 to {MAX_DAYS} days (got {days})")
    objects = object_scope(session.registry, objects)
    user_id, _ = _target_user(session, for_user)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(30)  # 30 bytes = 240 bits
    now = utcnow()
    row = {
        "id": new_id("tok"),
        "user_id": user_id,
        "name": name,
        "scope": scope,
        "objects": objects,
        "secret_hash": _hash(secret),
        # Enough of the secret to tell tokens apart in a list, far too little to guess the rest.
        "hint": secret[:7] + "…",
        "created_at": now,
        "created_by": session.user.id,
        "expires_at": now + dt.timedelta(days=days) if days else None,
        "revoked_at": None,
        "last_used_at": None,
    }
    session.conn.execute(session.schema.internal["api_token"].insert().values(**row))
    limited = f", only {', '.join(objects)}" if objects else ""
    audit.record(
        session.conn, session.schema, "token_created",
        actor_id=session.user.id, user_id=user_id, token_id=row["id"], detail=f"{name} ({scope}{limited})",
    )  # fmt: skip
    return secret, _public(row)


def list_tokens(session, for_user: str | None = None, *, everyone: bool = False) -> list[dict]:
    """Tokens of one user (default: the caller), or of everyone for an admin; never secrets."""
    table = session.schema.internal["api_token"]
    stmt = sa.select(table).order_by(table.c.created_at, table.c.id)
    if everyone:
        if not session.app.is_admin(session):
            raise AccessDenied(f"{session.user.username} may only list their own tokens")
    else:
        user_id, _ = _target_user(session, for_user)
        stmt = stmt.where(table.c.user_id == user_id)
    return [_public(dict(row)) for row in session.conn.execute(stmt).mappings()]


def revoke_token(session, token_id: str) -> dict:
    """Revoke one's own token (an admin: anyone's). Revoking twice is harmless."""
    table = session.schema.internal["api_token"]
    row = session.conn.execute(sa.select(table).where(table.c.id == token_id)).mappings().first()
    mine = row is not None and row["user_id"] == session.user.id
    if row is None or not (mine or session.app.is_admin(session)):
        # Someone else's token is "not found" rather than "forbidden": ids are not confirmed.
        raise RecordNotFound(token_id, "API token")
    row = dict(row)
    if row["revoked_at"] is None:
        row["revoked_at"] = utcnow()
        session.conn.execute(
            table.update().where(table.c.id == token_id).values(revoked_at=row["revoked_at"])
        )
        audit.record(
            session.conn, session.schema, "token_revoked",
            actor_id=session.user.id, user_id=row["user_id"], token_id=token_id, detail=row["name"],
        )  # fmt: skip
    return _public(row)


def revoke_tokens_of(conn: sa.Connection, schema, user_id: str, *, actor_id: str, reason: str) -> int:
    """Revoke every live token of a user, each audited with ``reason``; returns how many."""
    table = schema.internal["api_token"]
    live = conn.execute(
        sa.select(table.c.id, table.c.name).where(table.c.user_id == user_id, table.c.revoked_at.is_(None))
    ).all()
    if live:
        conn.execute(table.update().where(table.c.id.in_([t.id for t in live])).values(revoked_at=utcnow()))
    for token in live:
        audit.record(
            conn, schema, "token_revoked",
            actor_id=actor_id, user_id=user_id, token_id=token.id, detail=f"{token.name}: {reason}",
        )  # fmt: skip
    return len(live)


def parse_bearer(authorization: str) -> str:
    """The secret of an ``Authorization: Bearer mb_...`` header, or BadCredentials."""
    kind, _, secret = authorization.strip().partition(" ")
    secret = secret.strip()
    if kind.lower() != "bearer" or not secret.startswith(TOKEN_PREFIX):
        raise BadCredentials("the Authorization header must be 'Bearer mb_...' with an API token")
    return secret


def resolve(app, conn: sa.Connection, secret: str) -> Caller:
    """The caller behind a token secret, or BadCredentials; moves ``last_used_at`` on when due.

    Meant for a connection outside any long transaction: the last-use write is its own
    statement, kept even when the request's work then fails.
    """
    table = app.schema.internal["api_token"]
    users = app.schema.table("User")
    now = utcnow()
    row = conn.execute(
        sa.select(
            table.c.id, table.c.user_id, table.c.scope, table.c.objects, table.c.expires_at,
            table.c.revoked_at, table.c.last_used_at, users.c.username, users.c.is_active, users.c.is_deleted,
        )
        .join(users, users.c.id == table.c.user_id)
        .where(table.c.secret_hash == _hash(secret))
    ).first()  # fmt: skip
    if row is None:
        raise BadCredentials("this API token is not valid")
    if row.is_deleted or not row.is_active:
        raise BadCredentials(f"user {row.username!r} is deactivated; their tokens no longer work")
    if row.revoked_at is not None:
        raise BadCredentials("this API token was revoked; create a new one")
    if row.expires_at is not None and row.expires_at <= now:
        raise BadCredentials(f"this API token expired on {row.expires_at:%Y-%m-%d}; create a new one")
    if row.last_used_at is None or now - row.last_used_at >= LAST_USE_RESOLUTION:
        conn.execute(table.update().where(table.c.id == row.id).values(last_used_at=now))
    objects = frozenset(row.objects) if row.objects is not None else None
    return Caller(user_id=row.user_id, token_id=row.id, scope=row.scope, objects=objects)


def _public(row: dict) -> dict:
    out = {k: v for k, v in row.items() if k != "secret_hash"}
    now = utcnow()
    if row["revoked_at"] is not None:
        out["status"] = "revoked"
    elif row["expires_at"] is not None and row["expires_at"] <= now:
        out["status"] = "expired"
    else:
        out["status"] = "active"
    return out
