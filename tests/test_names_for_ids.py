"""Where an id is expected people may type a name; where ids would be printed people read names.
Names resolve only among the records the user can read."""

from __future__ import annotations

import pytest

from missionbase.core.testing import add_users


@pytest.fixture
def office(make_app, cli_for):
    """ana and ben (Standard Users); accounts are private: each sees their own and the admin's."""
    app = make_app()
    ids = add_users(app, {"ana": "Ana Silva", "ben": "Ben Moreau"})
    with app.session("admin") as s:
        acme = s.create("Account", {"name": "Acme", "owner_id": ids["ana"]})
    with app.session("ben") as s:
        secret = s.create("Account", {"name": "Secret Shelter"})
    return app, cli_for(app), {**ids, "acme": acme["id"], "secret": secret["id"]}


def create(run, *pairs: str, user: str = "ana"):
    sets = [arg for pair in pairs for arg in ("--set", pair)]
    return run("records", "create", "Contact", *sets, "--as", user, "--json")


def test_set_takes_a_name_or_a_username_for_lookups(office):
    _, run, ids = office
    made = create(run, "last_name=Ng", "account=Acme", "owner_id=ben")
    assert made.exit_code == 0, made.err
    assert (made.json()["account"], made.json()["owner_id"]) == (ids["acme"], ids["ben"])
    # Names ignore case and spaces around them; a user is also found by name or email.
    again = create(run, "last_name=Ng", "account= acme ", "owner_id=Ben Moreau").json()
    assert (again["account"], again["owner_id"]) == (ids["acme"], ids["ben"])
    assert create(run, "last_name=Ng", "owner_id=ben@example.org").json()["owner_id"] == ids["ben"]


def test_no_match_and_several_matches_are_errors_never_guesses(office):
    app, run, ids = office
    missing = create(run, "last_name=Ng", "account=Acne")
    assert missing.exit_code == 1
    assert "field 'account': no Account matches 'Acne' (by id or name); did you mean 'Acme'?" in missing.err
    with app.session("admin") as s:
        other = s.create("Account", {"name": "ACME", "owner_id": ids["ana"]})
    several = create(run, "last_name=Ng", "account=acme")
    assert several.exit_code == 1
    assert "'acme' matches 2 Account records" in several.err
    assert ids["acme"] in several.err and other["id"] in several.err and "give the id" in several.err


def test_a_record_the_user_cannot_see_is_never_matched_nor_revealed(office):
    _, run, _ = office
    hidden = create(run, "last_name=Ng", "account=Secret Shelter")
    unknown = create(run, "last_name=Ng", "account=Nothing Here")
    assert hidden.exit_code == unknown.exit_code == 1
    assert hidden.err.replace("Secret Shelter", "X") == unknown.err.replace("Nothing Here", "X")
    assert create(run, "last_name=Ng", "account=Secret Shelter", user="ben").exit_code == 0


def test_filters_take_names_for_lookups_and_users(office):
    _, run, _ids = office
    create(run, "last_name=Ng", "account=Acme")
    create(run, "last_name=Ok")
    found = run("records", "query", "Contact", "--where", "owner_id = ana", "--as", "ana", "--json")
    assert [r["last_name"] for r in found.json()["records"]] == ["Ng", "Ok"]
    by_account = run("records", "query", "Contact", "--where", "account = Acme", "--as", "ana", "--json")
    assert [r["last_name"] for r in by_account.json()["records"]] == ["Ng"]
    listed = run("records", "query", "Contact", "--where", "owner_id in ana,ben", "--as", "ana", "--count")
    assert listed.out.strip() == "2"
    unknown = run("records", "query", "Contact", "--where", "owner_id = nobody", "--as", "ana")
    assert unknown.exit_code == 1
    assert "'owner_id': no User or Queue matches 'nobody'" in unknown.err


def test_tables_show_names_ids_stay_in_json_and_with_ids(office):
    _app, run, ids = office
    contact = create(run, "last_name=Ng", "account=Acme").json()
    table = run(
        "records", "query", "Contact", "--fields", "last_name,account,owner_id,created_by", "--as", "ana"
    )
    assert "Acme" in table.out and "Ana Silva" in table.out
    assert ids["acme"] not in table.out and ids["ana"] not in table.out
    assert contact["id"] in table.out  # the id column stays: it is what one types next
    with_ids = run("records", "query", "Contact", "--fields", "account,owner_id", "--ids", "--as", "ana").out
    assert ids["acme"] in with_ids and ids["ana"] in with_ids
    assert ids["acme"] in run("--ids", "records", "get", contact["id"], "--as", "ana").out
    assert run("records", "get", contact["id"], "--as", "ana", "--json").json()["account"] == ids["acme"]
    shown = run("records", "get", contact["id"], "--as", "ana").out
    assert "Acme" in shown and "Ana Silva" in shown


def test_a_record_the_reader_cannot_see_shows_as_hidden(office):
    app, run, ids = office
    with app.session("ben") as s:
        task = s.create("Task", {"subject": "Visit", "what": ids["secret"], "owner_id": ids["ana"]})
    shown = run("records", "get", task["id"], "--as", "ana").out
    assert "(hidden)" in shown and "Secret Shelter" not in shown and ids["secret"] not in shown
    assert "Secret Shelter" in run("records", "get", task["id"], "--as", "admin").out


def test_polymorphic_lookups_take_object_and_name(office):
    _, run, ids = office
    made = run(
        "records",
        "create",
        "Task",
        "--set",
        "subject=Call",
        "--set",
        "what=Account:Acme",
        "--as",
        "ana",
        "--json",
    )
    assert made.exit_code == 0, made.err
    assert made.json()["what"] == ids["acme"]
    bare = run("records", "create", "Task", "--set", "subject=Call", "--set", "what=Acme", "--as", "ana")
    assert bare.exit_code == 1 and "name one as Object:name (e.g. Account:Acme)" in bare.err


def test_imports_take_a_column_of_names(office, tmp_path):
    app, run, ids = office
    source = tmp_path / "people.csv"
    source.write_text("last_name,account,owner_id\nNg,Acme,ben\nOk,Nope,ana\n")
    result = run("import", "Contact", str(source), "--as", "ana")
    assert result.exit_code == 3
    assert "line 3: field 'account': no Account matches 'Nope'" in result.err
    with app.session("admin") as s:
        rows = s.query("Contact", fields=["account", "owner_id"]).records
    assert [(r["account"], r["owner_id"]) for r in rows] == [(ids["acme"], ids["ben"])]
