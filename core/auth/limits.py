"""Failed logins, counted per username and per client address in ``mb_login_failure``.

Every attempt first reserves a failure row (in its own short transaction, before the
password is checked); a successful login then forgives it. So concurrent guesses count
as soon as they start, the count lives in the database that every server process shares,
and over the limit the password is not even checked: the answer is 429 with Retry-After.
Usernames are counted whether or not a user has them, so the limit tells nothing about
which names exist.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math

import sqlalchemy as sa

from ..clock import utcnow
from ..ids import new_id
from .credentials import TooManyFailures
from .settings import FAILURE_WINDOW_MINUTES, FAILURES_PER_ADDRESS, FAILURES_PER_USER, read_settings

LIMIT_KEYS = [FAILURES_PER_USER, FAILURES_PER_ADDRESS, FAILURE_WINDOW_MINUTES]


def username_key(username: str) -> str:
    # One count for "Ana", "ana" and " ana ": changing case must not buy more guesses.
    return username.strip().lower()[:80]


def reserve_attempt(app, conn: sa.Connection, username: str, address: str) -> str:
    """Count one login attempt against ``username`` and ``address``; returns its row id.

    Raises TooManyFailures (nothing reserved) when either already had its fill of failures
    within the window. Call inside a transaction; it commits with it.
    """
    limits = read_settings(app, conn, LIMIT_KEYS)
    window = dt.timedelta(minutes=limits[FAILURE_WINDOW_MINUTES])
    table = app.schema.internal["login_failure"]
    name = username_key(username)
    _serialise(conn, [f"user:{name}", f"address:{address}"])
    now = utcnow()
    since = now - window
    waits = []
    for column, value, limit, whose in (
        (table.c.username, name, limits[FAILURES_PER_USER], "for this username"),
        (table.c.address, address, limits[FAILURES_PER_ADDRESS], "from your address"),
    ):
        times = conn.execute(
            sa.select(table.c.at).where(column == value, table.c.at > since).order_by(table.c.at)
        ).scalars().all()  # fmt: skip
        if len(times) >= limit:
            # Allowed again once enough of these failures are older than the window.
            free_at = times[len(times) - limit] + window
            waits.append((max(1, math.ceil((free_at - now).total_seconds())), whose))
    if waits:
        seconds, whose = max(waits)
        raise TooManyFailures(
            f"too many failed logins {whose}; try again in {_duration(seconds)}", retry_after=seconds
        )
    # What no window counts any more goes, so the table stays the size of one window.
    conn.execute(
        table.delete().where(
            table.c.at <= since, sa.or_(table.c.username == name, table.c.address == address)
        )
    )
    attempt_id = new_id("lgf")
    conn.execute(table.insert().values(id=attempt_id, at=now, username=name, address=address[:64]))
    return attempt_id


def forgive(app, conn: sa.Connection, attempt_id: str, username: str) -> None:
    """A login succeeded: its attempt and the username's earlier failures no longer count
    (the address's do: one right password must not reset what others from there guessed)."""
    table = app.schema.internal["login_failure"]
    conn.execute(table.delete().where(table.c.id == attempt_id))
    conn.execute(table.delete().where(table.c.username == username_key(username)))


def purge(app, conn: sa.Connection) -> int:
    """Delete failures older than the window; returns how many."""
    limits = read_settings(app, conn, [FAILURE_WINDOW_MINUTES])
    table = app.schema.internal["login_failure"]
    since = utcnow() - dt.timedelta(minutes=limits[FAILURE_WINDOW_MINUTES])
    return conn.execute(table.delete().where(table.c.at <= since)).rowcount or 0


def _serialise(conn: sa.Connection, keys: list[str]) -> None:
    """Make count-then-insert atomic per key across processes. SQLite transactions already
    run one at a time (BEGIN IMMEDIATE); PostgreSQL takes a transaction advisory lock per key,
    in one order, so two attempts never wait on each other crosswise."""
    if conn.dialect.name != "postgresql":
        return
    for key in sorted(keys):
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": number})


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"
