"""Daily and weekly digest emails (``jobs run chatter.digests --frequency daily|weekly``).

One email per user per period listing what they missed: their unread
notifications routed to that digest (a toggle they turned off, or a group
at that frequency). Nothing is sent to a user with nothing new. A period
(``Daily 2026-11-25``, ``Weekly 2026-W48``) is sent at most once: its run
is recorded with a high-water mark in the same transaction that marks the
notifications emailed, and the emails go out before that commits (a relay
failure rolls everything back for the next run to retry). Access is
re-checked by core security as each recipient before listing a post
(its single-record decision on posts loaded once for all recipients: for
the few posts a digest lists per user, cheaper than building each user's
read statement).
One set-based pass: a single query gathers every pending item, grouped by
user in memory; one SMTP connection; one bulk update marks them emailed.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from missionbase.core import Email

from .common import now
from .notifications import _emails_of, readable_by, stored_rows


def period_key(frequency: str, at: dt.datetime) -> str:
    if frequency == "Daily":
        return f"Daily {at.date().isoformat()}"
    year, week, _ = at.isocalendar()
    return f"Weekly {year}-W{week:02d}"


def run_digests(app, frequency: str = "daily", *, at: dt.datetime | None = None) -> str:
    frequency = frequency.capitalize()
    at = at or now()
    period = period_key(frequency, at)
    with app.system_session() as s:
        if s.query("ChatterDigestRun", where={"period": period}, limit=1).records:
            return f"{period}: already sent"
        table = s.schema.table("ChatterNotification")
        rows = s.conn.execute(
            sa.select(table.c.id, table.c.owner_id, table.c.message, table.c.post, table.c.is_read)
            .where(
                table.c.email == frequency,
                table.c.emailed_at.is_(None),
                table.c.created_at <= at,
                table.c.is_deleted == sa.false(),
            )
            .order_by(table.c.owner_id, table.c.created_at, table.c.id)
        ).all()
        by_user: dict[str, list] = {}
        for row in rows:
            if not row.is_read:
                by_user.setdefault(row.owner_id, []).append(row)
        addresses = _emails_of(s, list(by_user))
        posts = stored_rows(s, sorted({r.post for r in rows if r.post}))  # loaded once for every recipient
        emails = []
        for user_id, items in by_user.items():
            address, name = addresses.get(user_id, (None, ""))
            if not address:
                continue
            visible = readable_by(s, user_id, sorted({i.post for i in items if i.post}), posts)
            lines = [f"- {i.message}" for i in items if i.post is None or i.post in visible]
            if not lines:
                continue
            body = f"Hello {name},\n\nWhat you missed on Chatter ({period}):\n\n" + "\n".join(lines) + "\n"
            emails.append(Email(address, f"[Chatter] {frequency} digest: {len(lines)} update(s)", body))
        # The period is claimed (its unique row) and the notifications marked before the relay
        # is called, all in this transaction: a second run started meanwhile waits on the claim
        # and then fails instead of sending again; a relay failure rolls everything back, so
        # the next run sends the period whole.
        s.create(
            "ChatterDigestRun",
            {"frequency": frequency, "period": period, "high_water": at, "emails_sent": len(emails)},
        )
        ids = [r.id for r in rows]
        if ids:
            s.update_many([{"id": i} for i in ids], computed={key: {"emailed_at": at} for key in ids})
        if emails:
            app.send_emails(emails)
    return f"{period}: {len(emails)} digest email(s) sent"
