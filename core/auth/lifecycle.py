"""What happens to a user's credentials when the user stops being able to act."""

from __future__ import annotations

from .sessions import end_sessions_of
from .tokens import revoke_tokens_of


def end_credentials_of(conn, schema, user_id: str, *, actor_id: str, reason: str) -> tuple[int, int]:
    """End every session and revoke every token of a user; returns (sessions, tokens)."""
    ended = end_sessions_of(conn, schema, user_id, actor_id=actor_id, reason=reason)
    revoked = revoke_tokens_of(conn, schema, user_id, actor_id=actor_id, reason=reason)
    return ended, revoked
