"""Case notes (ClientNote): drafts seen by their author only, completed notes locked.

Who reads a note is decided by core security: the note follows its client's
access (Controlled by Parent), and a draft carries ``draft_author``, which the
object's Restriction rule turns into "this user only" -- for every query,
count, lookup and ``access explain``, not just this plugin's lists.
"""

from __future__ import annotations

from missionbase.core import ValidationError

from .objects import COMPLETE, DRAFT


def _has_modify_all(session, object_name: str) -> bool:
    if session.user.is_system:
        return True
    return "M" in session.policy.access(session).letters(object_name)


def stamp_draft_author(ctx, rows) -> None:
    """ClientNote before_insert / before_update: a draft belongs to its author (its owner) alone."""
    for row in rows:
        row.new["draft_author"] = row.new["owner_id"] if row.new.get("status") == DRAFT else None


def lock_completed_notes(ctx, rows) -> None:
    """ClientNote before_update / before_delete: a completed note changes only with Modify All."""
    if _has_modify_all(ctx.session, "ClientNote"):
        return
    for index, row in enumerate(rows):
        if row.old and row.old.get("status") == COMPLETE:
            action = "deleted" if row.new is None else "changed"
            raise ValidationError(
                f"case note {row.old['id']} is complete, so it is locked: it can be {action} only by a user "
                "with Modify All on ClientNote",
                object_name="ClientNote",
                row=index,
            )


def write_note(
    session,
    client_id: str,
    subject: str,
    *,
    content: str | None = None,
    status: str = DRAFT,
    interaction_date=None,
    minutes_spent: int | None = None,
    related: list[str] = (),
) -> dict:
    """Create a case note and its links to the records it is about, in one transaction."""
    note = session.create(
        "ClientNote",
        {
            "client": client_id,
            "subject": subject,
            "content": content,
            "status": status,
            "interaction_date": interaction_date,
            "minutes_spent": minutes_spent,
        },
    )
    if related:
        session.create_many(
            "ClientNoteRelationship", [{"client_note": note["id"], "related": r} for r in related]
        )
    return note


def complete_note(session, note_id: str) -> dict:
    return session.update(note_id, {"status": COMPLETE})


def my_notes(session, *, limit: int = 50, status: str | None = None) -> list[dict]:
    """The user's own case notes, most recently changed first."""
    where: dict = {"owner_id": session.user.id}
    if status:
        where["status"] = status
    return session.query(
        "ClientNote",
        where,
        fields=[
            "subject",
            "client",
            "client.name",
            "status",
            "interaction_date",
            "minutes_spent",
            "modified_at",
        ],
        order_by="-modified_at",
        limit=limit,
    ).records


def related_records(session, note_id: str) -> list[str]:
    return [
        r["related"]
        for r in session.query("ClientNoteRelationship", {"client_note": note_id}, fields=["related"]).records
    ]
