"""Document checklist items: receive a file, then a reviewer accepts or rejects it.

New -> Pending Review (a file is attached) -> Accepted or Rejected;
Rejected -> Pending Review again when a new file is attached. Accepting
completes the linked plan item and freezes the document: nothing about it
changes afterwards.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from missionbase.core import ValidationError, require_system, store_file

from .permissions import REVIEW_DOCUMENTS
from .plans import item_state_for_document, items_for, set_item_states
from .transaction import one_operation


def _document(session, document_id: str) -> dict:
    document = session.get(document_id)
    if not document_id.startswith("dci_"):
        raise ValidationError(
            f"{document_id} is not a DocumentChecklistItem", object_name="DocumentChecklistItem"
        )
    return document


def _set_status(session, document: dict, changes: dict) -> dict:
    updated = session.update(document["id"], {}, computed=changes)
    system = session.as_system()
    items = items_for(system, "document", [document["id"]])
    set_item_states(
        system,
        {
            i["id"]: item_state_for_document(changes["status"])
            for i in items
            if i["state"] not in ("Canceled", "Deleted")
        },
    )
    return updated


def _may_review(session) -> bool:
    """Reviewers hold the review permission; administrators (modify_all_data) may too."""
    if session.user.is_system:
        return True
    granted = session.policy.access(session).system
    return REVIEW_DOCUMENTS in granted or "modify_all_data" in granted


@one_operation
def attach(session, document_id: str, source: str | Path | bytes, *, name: str | None = None) -> dict:
    """Store a file for the document (as the caller) and move it to Pending Review."""
    document = _document(session, document_id)
    if document["status"] == "Accepted":
        raise ValidationError(
            f"document {document['name']!r} ({document_id}) is Accepted and frozen; it takes no new file",
            object_name="DocumentChecklistItem",
        )
    stored = source if isinstance(source, str) and source.startswith("fil_") else None
    if stored is not None:
        file_record = session.get(stored)
    else:
        file_record = store_file(session, source, name=name, parent=document_id)
    return _set_status(
        session,
        document,
        {
            "status": "Pending Review",
            "received_file": file_record["id"],
            "reviewed_by": None,
            "reviewed_at": None,
            "review_comment": None,
        },
    )


@one_operation
def review(session, document_id: str, *, accept: bool, comment: str | None = None) -> dict:
    """Accept or reject a Pending Review document (the reviewer must be able to edit it)."""
    if not _may_review(session):
        require_system(session, REVIEW_DOCUMENTS, "review documents")  # raises the one-line refusal
    document = _document(session, document_id)
    if document["status"] != "Pending Review":
        raise ValidationError(
            f"document {document['name']!r} ({document_id}) is {document['status']}; only a Pending Review "
            "document (one with a received file) can be accepted or rejected",
            object_name="DocumentChecklistItem",
            field="status",
        )
    if not accept and not (comment or "").strip():
        raise ValidationError(
            "a rejection needs a reason the client can act on (--reason)",
            object_name="DocumentChecklistItem",
            field="review_comment",
        )
    changes = {
        "status": "Accepted" if accept else "Rejected",
        "reviewed_by": session.user.id,
        "reviewed_at": dt.datetime.now(dt.UTC),
        "review_comment": comment,
    }
    if accept:
        changes["is_frozen"] = True
    return _set_status(session, document, changes)


def check_document_update(ctx, rows) -> None:
    """An accepted document is frozen."""
    for index, row in enumerate(rows):
        if row.old.get("is_frozen"):
            raise ValidationError(
                f"document {row.old['name']!r} was accepted and is frozen; it cannot change",
                object_name="DocumentChecklistItem",
                row=index,
            )


def check_document_delete(ctx, rows) -> None:
    for index, row in enumerate(rows):
        if row.old.get("is_frozen"):
            raise ValidationError(
                f"document {row.old['name']!r} was accepted and is frozen; it cannot be deleted",
                object_name="DocumentChecklistItem",
                row=index,
            )
