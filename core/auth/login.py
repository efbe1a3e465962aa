"""Logging in with a username and a password: the rate limit, the check, the new session.

Three steps, so that no transaction is open while argon2 works (a large fraction of a
second by design; on SQLite an open transaction would hold up every other writer):
reserve the attempt and read the hash; check the password; then record the outcome
(forgive the attempt and start a session, or keep it as a failure), audited either way.
The answer to a wrong password, an unknown username, a deactivated user and a user
without a password is one and the same, and each costs one argon2 check.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..ids import SYSTEM_USER_ID
from . import audit, limits, passwords, sessions
from .credentials import BadCredentials, Caller
from .settings import SESSION_MAX_HOURS, read_settings

WRONG = "wrong username or password"


@dataclass(frozen=True)
class LoginResult:
    secret: str  # the cookie's value: shown to this response only
    csrf_token: str
    session: dict  # the session row, without its hash
    user: dict  # id, username, name
    max_age: int  # seconds the cookie may live: the session's absolute limit

    def cookie(self, *, secure: bool) -> dict:
        """``response.set_cookie(value=result.secret, **result.cookie(secure=...))``."""
        return sessions.cookie_options(secure=secure, max_age=self.max_age)


def log_in(app, username: str, password: str, *, address: str, user_agent: str = "") -> LoginResult:
    """Start a session for ``username`` if ``password`` is theirs.

    Raises TooManyFailures (429; the password is not checked) or BadCredentials (401, one
    message for every kind of failure).
    """
    username = (username or "").strip() if isinstance(username, str) else ""
    if not username or not isinstance(password, str) or not password:
        raise BadCredentials("give a username and a password")
    if len(password) > passwords.PASSWORD_MAX_LENGTH:
        # No password is that long: refused unhashed, the answer depending on its length only.
        raise BadCredentials(WRONG)
    address = (address or "unknown")[:64]
    schema = app.schema
    users = schema.table("User")
    with app.connect() as conn, conn.begin():
        attempt = limits.reserve_attempt(app, conn, username, address)
        user = conn.execute(
            sa.select(
                users.c.id, users.c.username, users.c.name, users.c.is_active, users.c.is_deleted
            ).where(
                users.c.username == username, users.c.id != SYSTEM_USER_ID, users.c.is_deleted == sa.false()
            )
        ).first()
        stored = passwords.stored_hash(conn, schema, user.id) if user is not None else None
    usable = user is not None and user.is_active
    matched, new_hash = passwords.verify(app, stored if usable else None, password)
    with app.connect() as conn, conn.begin():
        if not matched:
            audit.record(
                conn, schema, "login_failed",
                actor_id=user.id if user is not None else audit.ANONYMOUS,
                user_id=user.id if user is not None else None,
                address=address,
                detail=_why(user, stored, username),
            )  # fmt: skip
        else:
            limits.forgive(app, conn, attempt, username)
            if new_hash is not None:  # made with other argon2 parameters than the org's now
                passwords.store_hash(conn, schema, user.id, new_hash, changed_by=user.id)
            secret, row = sessions.start_session(
                conn, schema, user.id, address=address, user_agent=user_agent
            )
            audit.record(
                conn,
                schema,
                "login",
                actor_id=user.id,
                user_id=user.id,
                session_id=row["id"],
                address=address,
            )
    if not matched:
        raise BadCredentials(WRONG)
    with app.connect() as conn:
        public = sessions.describe(app, conn, row["id"])
        hours = read_settings(app, conn, [SESSION_MAX_HOURS])[SESSION_MAX_HOURS]
    return LoginResult(
        secret=secret,
        csrf_token=sessions.csrf_token_for(secret),
        session=public,
        user={"id": user.id, "username": user.username, "name": user.name},
        max_age=hours * 3600,
    )


def session_caller(app, secret: str, *, method: str, csrf_token: str | None = None) -> Caller:
    """Who the session cookie ``secret`` stands for, or BadCredentials (401: ended, expired,
    deactivated) / CsrfRefused (403: a POST, PUT, PATCH or DELETE without the session's CSRF
    token). Moves the session's idle clock on."""
    if not secret:
        raise BadCredentials("your session has ended (logged out, revoked or expired); log in again")
    with app.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        return sessions.resolve(app, conn, secret, method=method, csrf_token=csrf_token)


def end_session(app, caller: Caller, *, address: str | None = None) -> None:
    """Log out: the login session ``caller`` came with ends now (audited). A caller of
    ``session_caller`` with the request's method has had its CSRF token checked already."""
    if caller.session_id is None:
        raise BadCredentials("logging out ends a login session; this request did not come with one")
    with app.session(caller.user_id) as session:
        sessions.end_own_session(session, caller.session_id, address=address)


def _why(user, stored: str | None, username: str) -> str:
    """What the audit says about a failure (the answer to the caller never does)."""
    if user is None:
        return f"unknown username {username[:80]!r}"
    if not user.is_active:
        return "user is deactivated"
    if stored is None:
        return "user has no password"
    return "wrong password"
