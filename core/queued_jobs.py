"""Jobs: work queued to run in the background, one row of core's ``mb_job`` table each.

A job is created ``queued`` in its creator's transaction, ``claim_job`` moves it to
``running`` (only one process wins the claim), ``finish_job`` to ``succeeded`` or
``failed`` with its result. Only its creator (and admins) can see a job: anyone else
is told it does not exist. Plain functions; the API calls them today, a worker later.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .clock import utcnow
from .errors import RecordNotFound
from .ids import new_id

STATUSES = ("queued", "running", "succeeded", "failed")
MAX_ERROR = 1000


def _table(app_or_session):
    return app_or_session.schema.internal["job"]


def create_job(session, kind: str, inputs: dict[str, Any], *, object_name: str | None = None) -> dict:
    """Queue a job to run as the session's user."""
    row = {
        "id": new_id("job"),
        "kind": kind,
        "object": object_name,
        "status": "queued",
        "created_by": session.user.id,
        "created_at": utcnow(),
        "started_at": None,
        "finished_at": None,
        "input": inputs,
        "result": None,
        "error": None,
    }
    session.conn.execute(_table(session).insert().values(**row))
    return row


def get_job(session, job_id: str) -> dict:
    """A job the caller created (an admin: any job); else not found, as for a hidden record."""
    table = _table(session)
    row = session.conn.execute(sa.select(table).where(table.c.id == job_id)).mappings().first()
    if row is None or not (row["created_by"] == session.user.id or session.app.is_admin(session)):
        raise RecordNotFound(job_id, "job")
    return dict(row)


def list_jobs(session, *, limit: int = 50) -> list[dict]:
    """The caller's own jobs, newest first."""
    table = _table(session)
    stmt = (
        sa.select(table)
        .where(table.c.created_by == session.user.id)
        .order_by(table.c.created_at.desc(), table.c.id.desc())
        .limit(limit)
    )
    return [dict(row) for row in session.conn.execute(stmt).mappings()]


def claim_job(app, job_id: str) -> dict | None:
    """Mark a queued job running; None if another process claimed it first."""
    table = _table(app)
    with app.connect() as conn, conn.begin():
        claimed = conn.execute(
            table.update()
            .where(table.c.id == job_id, table.c.status == "queued")
            .values(status="running", started_at=utcnow())
        ).rowcount
        if not claimed:
            return None
        return dict(conn.execute(sa.select(table).where(table.c.id == job_id)).mappings().one())


def finish_job(app, job_id: str, *, result: dict | None = None, error: str | None = None) -> None:
    """Record how a running job ended: failed with ``error``, else succeeded with ``result``."""
    table = _table(app)
    values = {
        "status": "failed" if error else "succeeded",
        "finished_at": utcnow(),
        "result": result,
        "error": error[:MAX_ERROR] if error else None,
    }
    with app.connect() as conn, conn.begin():
        conn.execute(table.update().where(table.c.id == job_id).values(**values))
