"""Case notes: drafts only for their author, completed notes locked, sensitive content, my notes."""

from __future__ import annotations

import pytest

from missionbase.core import SYSTEM_USER, Grantee, RecordNotFound, ValidationError, share_record
from missionbase.core.security.explain import explain
from missionbase.plugins.casemgmt.notes import complete_note, my_notes, related_records, write_note

from .conftest import make_client


@pytest.fixture
def carol(cm_app, users):
    with cm_app.session("ana") as s:
        client = make_client(s, "Carol", "Smith")
        # sam works with carol too; viewer may read her record.
        share_record(s, client["id"], Grantee("user", users["sam"], "sam"), "edit")
        share_record(s, client["id"], Grantee("user", users["viewer"], "viewer"), "read")
    return client


def test_a_draft_is_visible_only_to_its_author(cm_app, carol):
    with cm_app.session("ana") as s:
        draft = write_note(s, carol["id"], "First call", content="<p>Worried about rent</p>")
        assert draft["status"] == "Draft"
    for username in ("sam", "sup", "viewer", "admin"):  # a colleague, the supervisor (View All), an admin
        with cm_app.session(username) as s:
            assert s.query("ClientNote").records == [], username
            assert s.count("ClientNote") == 0
            with pytest.raises(RecordNotFound):
                s.get(draft["id"])
    assert any(
        "restricted by draft_author" in r
        for r in explain(cm_app, "sup", draft["id"], asked_by=SYSTEM_USER)["reasons"]
    )
    with cm_app.session("ana") as s:
        assert [n["id"] for n in s.query("ClientNote").records] == [draft["id"]]
        complete_note(s, draft["id"])
    for username in ("sam", "sup", "viewer"):
        with cm_app.session(username) as s:
            assert [n["id"] for n in s.query("ClientNote").records] == [draft["id"]], username


def test_note_content_is_sensitive(cm_app, carol):
    with cm_app.session("ana") as s:
        note = write_note(s, carol["id"], "Visit", content="<p>Health details</p>", status="Complete")
    with cm_app.session("sam") as s:
        assert s.get(note["id"])["content"] == "<p>Health details</p>"
    with cm_app.session("viewer") as s:
        seen = s.get(note["id"])
        assert "content" not in seen and seen["subject"] == "Visit"


def test_a_completed_note_is_locked_except_for_modify_all(cm_app, carol):
    with cm_app.session("ana") as s:
        note = write_note(s, carol["id"], "Visit", status="Complete", minutes_spent=30)
        with pytest.raises(ValidationError) as error:
            s.update(note["id"], {"minutes_spent": 45})
        assert str(error.value) == (
            f"ClientNote row 0: case note {note['id']} is complete, so it is locked: "
            "it can be changed only by a user with Modify All on ClientNote"
        )
        with pytest.raises(ValidationError, match="can be deleted only by a user with Modify All"):
            s.delete(note["id"])
        assert s.get(note["id"])["minutes_spent"] == 30
    with cm_app.session("sup") as s:  # the supervisor set has Modify All on case notes
        assert s.update(note["id"], {"minutes_spent": 45})["minutes_spent"] == 45
    with cm_app.session("ana") as s:
        draft = write_note(s, carol["id"], "Draft")
        assert s.update(draft["id"], {"subject": "Draft, edited"})["subject"] == "Draft, edited"
        s.delete(draft["id"])


def test_my_notes_and_related_records(cm_app, carol, program):
    with cm_app.session("ana") as s:
        engagement = s.create(
            "ProgramEngagement", {"program": program["program"], "contact": carol["id"], "stage": "Active"}
        )
        first = write_note(s, carol["id"], "One", related=[engagement["id"]])
        write_note(s, carol["id"], "Two", status="Complete")
        assert related_records(s, first["id"]) == [engagement["id"]]
        assert [n["subject"] for n in my_notes(s)] == ["Two", "One"]
        assert [n["subject"] for n in my_notes(s, status="Draft")] == ["One"]
        assert my_notes(s)[0]["client.name"] == "Carol Smith"
    with cm_app.session("sam") as s:
        write_note(s, carol["id"], "Sam's", status="Complete")
        assert [n["subject"] for n in my_notes(s)] == ["Sam's"]


def test_notes_from_the_cli(cm_app, carol, cli, in_org):
    result = cli(
        "casemgmt",
        "notes",
        "write",
        carol["id"],
        "--subject",
        "Phone call",
        "--minutes",
        "15",
        "--date",
        "2026-03-02",
        "--as",
        "ana",
        "--json",
    )
    assert result.exit_code == 0, result.err
    note = result.json()
    assert note["status"] == "Draft" and note["minutes_spent"] == 15
    mine = cli("casemgmt", "notes", "mine", "--as", "ana")
    assert "Phone call" in mine.out and "Carol Smith" in mine.out
    assert "(no rows)" in cli("casemgmt", "notes", "mine", "--as", "sam").out
    assert (
        cli("casemgmt", "notes", "complete", note["id"], "--as", "ana").out.strip()
        == f"{note['id']} Complete"
    )
    bad = cli("casemgmt", "notes", "write", carol["id"], "--subject", "x", "--minutes", "-5", "--as", "ana")
    assert bad.exit_code != 0 and len(bad.err.strip().splitlines()) == 1 and "minutes_spent" in bad.err
    bad_date = cli(
        "casemgmt", "notes", "write", carol["id"], "--subject", "x", "--date", "2026-13-01", "--as", "ana"
    )
    assert bad_date.err.strip() == "error: --date '2026-13-01' is not a date like 2026-01-31"
    with cm_app.session("ana") as s:
        assert s.count("ClientNote") == 1  # nothing half-written
