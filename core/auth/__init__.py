"""Who is calling: passwords, login sessions, failed-login limits, the audit trail, callers.

Plain functions over core's internal tables (``mb_password``, ``mb_auth_session``,
``mb_login_failure``, ``mb_api_token``, ``mb_auth_audit``), importing SQLAlchemy and argon2
but no web framework: the REST API (``core.api``) and the web UI call the same ones.

Entry points for a login form and the pages behind it:

- ``log_in(app, username, password, address=..., user_agent=...)`` -> ``LoginResult``
  (``secret`` for the cookie, ``csrf_token``, ``session``, ``user``; ``result.cookie(secure=)``
  gives ``set_cookie`` its options). Raises ``BadCredentials`` (401, one message for a wrong
  password and an unknown user) or ``TooManyFailures`` (429, ``retry_after`` seconds).
- ``session_caller(app, cookie_secret, method=..., csrf_token=...)`` -> ``Caller``: a cookie
  back to its user, with the CSRF check on POST/PUT/PATCH/DELETE (``CsrfRefused``, 403).
  Then ``app.session(caller.user_id)`` is the RecordService to work in.
- ``end_session(app, caller, address=...)``: log out.
- ``authenticate(app, authorization=, session_cookie=, method=, csrf_token=)``: a request's
  caller from a bearer token or the cookie (what the API's routes depend on).
- ``COOKIE_NAME``, ``CSRF_HEADER``, ``CSRF_FIELD`` (the form field), ``cookie_options``.

Sessions, tokens, passwords and the audit have their own modules (``sessions.list_sessions``,
``tokens.create_token``, ``passwords.set_password``, ``audit.list_events``...), each taking a
RecordService so that they run as the acting user in the caller's transaction.
"""

from __future__ import annotations

from .credentials import BadCredentials, Caller, CsrfRefused, TooManyFailures
from .login import LoginResult, end_session, log_in, session_caller
from .requests import authenticate
from .sessions import COOKIE_NAME, CSRF_FIELD, CSRF_HEADER, cookie_options

__all__ = [
    "COOKIE_NAME",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "BadCredentials",
    "Caller",
    "CsrfRefused",
    "LoginResult",
    "TooManyFailures",
    "authenticate",
    "cookie_options",
    "end_session",
    "log_in",
    "session_caller",
]
