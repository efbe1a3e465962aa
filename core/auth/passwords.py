"""Passwords: argon2id hashes (argon2-cffi), the length rule, and setting one.

Only the hash is stored (``mb_password``, never on the User record, so no read, export
or API answer can carry it) and no password is ever logged or put in an error message.
The cost is argon2-cffi's RFC 9106 "low memory" profile; the config key
``password_hash_profile = "cheapest_for_tests"`` exists for test suites only (a login
then costs microseconds instead of a large fraction of a second). Hashes made with other
parameters than the org's are replaced at the next successful login.
"""

from __future__ import annotations

import secrets
from functools import cache

import sqlalchemy as sa

from ..clock import utcnow
from ..errors import UnknownName, ValidationError
from . import audit
from .credentials import require_manage_users, user_row
from .sessions import end_sessions_of
from .settings import PASSWORD_FLOOR, PASSWORD_MIN_LENGTH

DEFAULT_PROFILE = "rfc9106_low_memory"
TEST_PROFILE = "cheapest_for_tests"
PROFILES = (DEFAULT_PROFILE, TEST_PROFILE)
# Longer inputs are refused before hashing: nobody types more, and hashing megabytes would
# hand a caller an easy way to keep a server busy.
PASSWORD_MAX_LENGTH = 1024
# Characters of a generated password (init's first admin): base64url, ~6 bits each.
GENERATED_LENGTH = 20


@cache
def hasher(profile: str = DEFAULT_PROFILE):
    from argon2 import PasswordHasher, profiles

    if profile not in PROFILES:
        raise UnknownName("password hash profile", profile, PROFILES)
    parameters = profiles.CHEAPEST if profile == TEST_PROFILE else profiles.RFC_9106_LOW_MEMORY
    return PasswordHasher.from_parameters(parameters)


@cache
def _decoy_hash(profile: str) -> str:
    # Verified against when there is no real hash (unknown user, no password yet), so that a
    # failed login costs the same whether or not the username exists.
    return hasher(profile).hash(secrets.token_urlsafe(16))


def profile_of(app) -> str:
    return getattr(app.settings, "password_hash_profile", DEFAULT_PROFILE)


def hash_password(app, password: str) -> str:
    return hasher(profile_of(app)).hash(password)


def generate_password() -> str:
    return secrets.token_urlsafe(GENERATED_LENGTH)[:GENERATED_LENGTH]


def check_rules(password: str, *, min_length: int, username: str | None = None) -> None:
    """Raise ValidationError naming the rule a new password breaks (never the password)."""
    if not isinstance(password, str):
        raise ValidationError("a password must be text", field="password")
    min_length = max(min_length, PASSWORD_FLOOR)
    if len(password) < min_length:
        raise ValidationError(
            f"a password needs at least {min_length} characters (this one has {len(password)})",
            field="password",
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise ValidationError(
            f"a password may have at most {PASSWORD_MAX_LENGTH} characters", field="password"
        )
    if username and password.strip().lower() == username.lower():
        raise ValidationError("a password must not be the username", field="password")


def verify(app, stored_hash: str | None, password: str) -> tuple[bool, str | None]:
    """(whether ``password`` matches ``stored_hash``, a new hash when the stored one was made with
    other parameters). Without a stored hash it still spends the time of a check, and fails."""
    from argon2.exceptions import InvalidHashError, VerificationError

    profile = profile_of(app)
    ph = hasher(profile)
    try:
        ph.verify(stored_hash or _decoy_hash(profile), password)
    except (VerificationError, InvalidHashError):
        return False, None
    if stored_hash is None:
        return False, None
    return True, (ph.hash(password) if ph.check_needs_rehash(stored_hash) else None)


def store_hash(conn: sa.Connection, schema, user_id: str, password_hash: str, changed_by: str) -> None:
    table = schema.internal["password"]
    conn.execute(table.delete().where(table.c.user_id == user_id))
    conn.execute(
        table.insert().values(user_id=user_id, hash=password_hash, changed_at=utcnow(), changed_by=changed_by)
    )


def stored_hash(conn: sa.Connection, schema, user_id: str) -> str | None:
    table = schema.internal["password"]
    return conn.execute(sa.select(table.c.hash).where(table.c.user_id == user_id)).scalar()


def set_password(session, username: str, password: str) -> dict:
    """Set ``username``'s password: one's own, or anyone's with manage_users. Every login session
    of that user ends (whoever knew the old password is signed out); API tokens stay."""
    user = user_row(session, username)
    if user["id"] != session.user.id:
        require_manage_users(session, f"set {user['username']}'s password")
    check_rules(password, min_length=session.get_setting(PASSWORD_MIN_LENGTH), username=user["username"])
    store_hash(
        session.conn, session.schema, user["id"], hash_password(session.app, password), session.user.id
    )
    ended = end_sessions_of(
        session.conn, session.schema, user["id"], actor_id=session.user.id, reason="password set"
    )
    audit.record(session.conn, session.schema, "password_set", actor_id=session.user.id, user_id=user["id"])
    return {"id": user["id"], "username": user["username"], "sessions_ended": ended}
