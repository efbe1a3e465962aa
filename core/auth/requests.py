"""Authenticating one request from its headers: an API token, or a session cookie with its
CSRF token on what changes data. What the API's ``current_caller`` and the web UI call."""

from __future__ import annotations

from . import sessions, tokens
from .credentials import BadCredentials, Caller

NO_CREDENTIALS = (
    "this needs an API token ('Authorization: Bearer mb_...') or a login session "
    "(POST /api/v1/auth/login sets its cookie)"
)


def authenticate(
    app,
    *,
    authorization: str | None,
    session_cookie: str | None,
    method: str,
    csrf_token: str | None = None,
) -> Caller:
    """The caller, or BadCredentials (401) / CsrfRefused (403).

    A bearer token wins over a cookie: a browser attaches cookies by itself, never an
    Authorization header, so a request carrying a token was written by its sender.

    The reads are statement by statement (autocommit), holding no transaction: the route may
    read a large body next, and the work's own transaction re-checks the credential
    (``credentials.confirm``) before it writes anything.
    """
    if not authorization and not session_cookie:
        raise BadCredentials(NO_CREDENTIALS)
    secret = tokens.parse_bearer(authorization) if authorization else None
    with app.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        if secret is not None:
            return tokens.resolve(app, conn, secret)
        return sessions.resolve(app, conn, session_cookie, method=method, csrf_token=csrf_token)
