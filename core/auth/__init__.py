"""Who is calling: passwords, login sessions, failed-login limits, the audit trail, callers.

Plain functions over core's internal tables (``mb_password``, ``mb_auth_session``,
``mb_login_failure``, ``mb_auth_audit``), importing SQLAlchemy and argon2 but no web
framework: the REST API (``core.api``) and the web UI's login form call the same ones.
"""
