"""Triggers of the standard objects: plain functions over trigger batches."""

from __future__ import annotations

import datetime as dt

from ..errors import ValidationError
from .standard import CLOSED_TASK_STATUSES


def contact_full_name(first_name: str | None, last_name: str | None) -> str:
    return " ".join(part for part in (first_name, last_name) if part)


def set_contact_name(ctx, rows) -> None:
    for row in rows:
        row.new["name"] = contact_full_name(row.new.get("first_name"), row.new.get("last_name"))[:121]


def stamp_task_completion(ctx, rows) -> None:
    """Completed tasks get today's completion date; reopened ones lose it."""
    today = dt.date.today()
    for row in rows:
        closed = row.new.get("status") in CLOSED_TASK_STATUSES
        row.new["is_closed"] = closed
        if closed and not row.new.get("completed_date"):
            row.new["completed_date"] = today
        elif not closed:
            row.new["completed_date"] = None


def check_event_times(ctx, rows) -> None:
    for index, row in enumerate(rows):
        start, end = row.new.get("start"), row.new.get("end")
        if start and end and end < start:
            raise ValidationError("must not be before start", object_name="Event", row=index, field="end")


def check_business_hours(ctx, rows) -> None:
    for index, row in enumerate(rows):
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"):
            start, end = row.new.get(f"{day}_start"), row.new.get(f"{day}_end")
            if bool(start) != bool(end):
                raise ValidationError(
                    f"{day} needs both a start and an end (or neither, for a day off)",
                    object_name="BusinessHours",
                    row=index,
                    field=f"{day}_end",
                )
            if start and end and end <= start:
                raise ValidationError(
                    f"{day} ends before it starts", object_name="BusinessHours", row=index, field=f"{day}_end"
                )


def forget_org_graph(ctx, rows) -> None:
    """Users, roles and memberships changed: the next access check reloads the org graph."""
    from ..security.model import forget_org_graph as forget

    forget(ctx.session.conn)


def end_credentials_of_deactivated(ctx, rows) -> None:
    """A user deactivated or deleted loses their login sessions and API tokens for good (each
    audited): reactivating them later must not bring back a token someone may have kept."""
    from ..auth.lifecycle import end_credentials_of

    session = ctx.session
    for row in rows:
        new = row.new or {}
        gone = row.new is None or new.get("is_deleted") or not new.get("is_active", True)
        if gone and (row.new is None or row.changed("is_active") or row.changed("is_deleted")):
            user_id = (row.old or row.new)["id"]
            end_credentials_of(
                session.conn, session.schema, user_id, actor_id=session.user.id, reason="deactivated"
            )


def check_role_cycle(ctx, rows) -> None:
    """A role may not end up above itself (directly or through its parents)."""
    import sqlalchemy as sa

    session = ctx.session
    roles = session.schema.table("Role")
    parents = dict(
        session.conn.execute(
            sa.select(roles.c.id, roles.c.parent).where(roles.c.is_deleted == sa.false())
        ).all()
    )
    names = dict(session.conn.execute(sa.select(roles.c.id, roles.c.name)).all())
    for row in rows:
        parents[row.new["id"]] = row.new.get("parent")
        names[row.new["id"]] = row.new.get("name")
    for index, row in enumerate(rows):
        chain = [row.new["id"]]
        current = row.new.get("parent")
        while current:
            if current == row.new["id"]:
                path = " -> ".join(str(names.get(r, r)) for r in [*chain, current])
                raise ValidationError(
                    f"would make a cycle in the role hierarchy ({path})",
                    object_name="Role",
                    row=index,
                    field="parent",
                )
            if current in chain:
                break
            chain.append(current)
            current = parents.get(current)


def purge_recycle_bin_job(app) -> str:
    from ..history import purge_recycle_bin

    with app.system_session() as session:
        count = purge_recycle_bin(session)
    return f"purged {count} record(s) deleted more than {app.settings.recycle_bin_days} days ago"


def purge_logins_job(app) -> str:
    """Delete login sessions past their expiry and failed logins older than the window: both
    are refused anyway, this only keeps the tables small."""
    from ..auth import limits, sessions

    with app.connect() as conn, conn.begin():
        ended = sessions.purge_expired(app, conn)
        failures = limits.purge(app, conn)
    return f"deleted {ended} expired login session(s) and {failures} old failed login(s)"


OUTBOUND_BATCH = 500


def send_outbound_email_job(app) -> str:
    """Send queued OutboundEmail records, a batch per transaction.

    A batch is marked Sent in the transaction that read it, once the relay
    accepted it; a relay failure rolls the batch back, so it stays queued
    for the next run. A recipient without an email address (or deactivated)
    marks the message Failed with the reason.
    """
    from ..mail import Email

    if not app.email_configured:
        with app.system_session() as session:
            queued = session.count("OutboundEmail", {"status": "Queued"})
        return f"email is not configured (smtp_host); {queued} message(s) stay queued"
    sent = failed = 0
    while True:
        with app.system_session() as session:
            # Claimed: a run started meanwhile takes other messages or none, never these.
            batch = session.query(
                "OutboundEmail",
                where={"status": "Queued"},
                order_by="created_at",
                limit=OUTBOUND_BATCH,
                claim=True,
            ).records
            if not batch:
                break
            users = session.get_many(sorted({m["recipient"] for m in batch}))
            emails, changes, computed = [], [], {}
            now = dt.datetime.now(dt.UTC)
            for message in batch:
                user = users.get(message["recipient"])
                if user is None or not user.get("email") or not user.get("is_active"):
                    changes.append({"id": message["id"], "status": "Failed"})
                    computed[message["id"]] = {
                        "error": "the recipient has no email address or is deactivated"
                    }
                    failed += 1
                    continue
                emails.append(Email(user["email"], message["subject"], message.get("body") or ""))
                changes.append({"id": message["id"], "status": "Sent"})
                computed[message["id"]] = {"sent_at": now}
                sent += 1
            app.send_emails(emails)
            session.update_many(changes, computed=computed)
    return f"sent {sent} email(s); {failed} could not be sent"
