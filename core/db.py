"""Engine creation and the dialect quirks missionbase relies on.

SQLite: WAL (readers never block the writer), foreign keys on, a busy
timeout, and ``BEGIN IMMEDIATE`` so that a session that reads then writes
cannot be overtaken by another writer between the two (optimistic version
checks and auto-number counters depend on that). PostgreSQL: the same
guarantees come from ``SELECT ... FOR UPDATE`` on the rows a write touches.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url

from .errors import ConfigError

IN_CHUNK = 500  # ids per IN (...) list: well under SQLite's bound-parameter limit


def redact(url: str) -> str:
    """The URL with its password replaced, for error messages."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy.exc.ArgumentError
        raise ConfigError(f"database_url {redact(url)!r} is not a valid database URL ({exc})") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            return create_engine(parsed, pool_pre_ping=True)
        except ModuleNotFoundError:
            raise ConfigError(
                "PostgreSQL needs the psycopg driver: pip install 'missionbase[postgres]'"
            ) from None
    raise ConfigError(
        f"database_url {redact(url)!r}: backend {backend!r} is not supported; use sqlite or postgresql"
    )


def _sqlite_engine(parsed) -> Engine:
    database = parsed.database
    if database and database != ":memory:":
        parent = Path(database).expanduser().resolve().parent
        if not parent.is_dir():
            raise ConfigError(f"database_url: folder {parent} does not exist")
    engine = create_engine(parsed, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if database and database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # An autocommit connection (statement-level reads, such as a request's credential
        # check) takes no lock: each statement is its own transaction.
        if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def skip_locked(stmt, conn, of):
    """``stmt`` claiming the rows of ``of`` it selects for this transaction, skipping rows
    another transaction has claimed: two runs of the same job never take the same rows.

    On PostgreSQL that is ``FOR UPDATE SKIP LOCKED``; a SQLite write transaction already
    holds the database's only write lock, so a second run waits and then sees the rows
    as the first one left them.
    """
    if conn.dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True, of=of)
    return stmt


def chunks(items: list, size: int = IN_CHUNK) -> Iterator[list]:
    """``items`` in slices of ``size``, for IN (...) lists that stay under the driver's limits."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
