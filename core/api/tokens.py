"""API tokens, as the routes import them: the functions live in ``core.auth.tokens`` (they
import no web framework, and the CLI and the web UI use them too)."""

from __future__ import annotations

from ..auth.credentials import BadCredentials, Caller
from ..auth.tokens import (
    DEFAULT_DAYS,
    LAST_USE_RESOLUTION,
    MAX_DAYS,
    SCOPES,
    TOKEN_PREFIX,
    create_token,
    list_tokens,
    object_scope,
    revoke_token,
)

# The name the routes annotate their caller with; a caller may come from a session cookie too.
TokenUser = Caller

__all__ = [
    "DEFAULT_DAYS",
    "LAST_USE_RESOLUTION",
    "MAX_DAYS",
    "SCOPES",
    "TOKEN_PREFIX",
    "BadCredentials",
    "Caller",
    "TokenUser",
    "create_token",
    "list_tokens",
    "object_scope",
    "revoke_token",
]
