"""Access is loaded once and reused (the org graph per transaction, read conditions per user's
access), and every change still shows at once: what users see never comes from a stale copy."""

from __future__ import annotations

import types

import pytest

from missionbase.core import hookimpl
from missionbase.core.errors import ValidationError
from missionbase.core.security.sharing import (
    assign_permission_set,
    resolve_grantee,
    set_sharing_default,
    share_record,
)


@pytest.fixture
def org(make_app):
    """Roles Manager > Worker; users mgr, ana, sam (workers), out (no role); a group Team."""
    app = make_app()
    ids = {}
    with app.system_session() as s:
        manager = s.create("Role", {"name": "Manager"})["id"]
        worker = s.create("Role", {"name": "Worker", "parent": manager})["id"]
        ids.update(manager=manager, worker=worker)
        for username, role in (("mgr", manager), ("ana", worker), ("sam", worker), ("out", None)):
            user = s.create("User", {"username": username, "name": username.title(), "role": role})
            assign_permission_set(s, user["id"], "Standard User")
            ids[username] = user["id"]
        ids["team"] = s.create("Group", {"name": "Team"})["id"]
    with app.session("ana") as s:
        ids["shared"] = s.create("Contact", {"last_name": "Shared"})["id"]
        share_record(s, ids["shared"], resolve_grantee(s, "group", "Team"), "read")
        ids["private"] = s.create("Contact", {"last_name": "Private"})["id"]
    app.ids = ids
    return app


def readable(session, user_id, ids):
    return set(session.as_user(user_id).get_many(ids))


def test_membership_and_role_changes_in_a_transaction_are_seen_by_later_checks(org):
    ids = org.ids
    wanted = [ids["shared"], ids["private"]]
    with org.system_session() as s:
        assert readable(s, ids["sam"], wanted) == set()
        assert readable(s, ids["out"], wanted) == set()
        s.create("GroupMember", {"group": ids["team"], "member": ids["sam"]})
        assert readable(s, ids["sam"], wanted) == {ids["shared"]}
        s.update(ids["out"], {"role": ids["manager"]})  # now above ana
        assert readable(s, ids["out"], wanted) == set(wanted)
        s.update(ids["out"], {"is_active": False})
        s.update(ids["mgr"], {"role": None})
        assert readable(s, ids["mgr"], wanted) == set()


def test_many_users_checked_in_one_transaction_see_what_their_own_sessions_see(org):
    ids = org.ids
    with org.system_session() as s:
        s.create("GroupMember", {"group": ids["team"], "member": ids["out"]})
    wanted = [ids["shared"], ids["private"]]
    with org.system_session() as s:
        checked = {name: readable(s, ids[name], wanted) for name in ("mgr", "ana", "sam", "out")}
    for name, seen in checked.items():
        with org.session(name) as own:
            assert seen == {r["id"] for r in own.query("Contact").records if r["id"] in wanted}, name
    assert checked == {"mgr": set(wanted), "ana": set(wanted), "sam": set(), "out": {ids["shared"]}}


def _refusing_plugin(seen: list) -> types.ModuleType:
    """A trigger that checks a user's access after a membership insert, then refuses it."""
    module = types.ModuleType("refuser")

    def refuse(ctx, rows):
        for row in rows:
            member = row.new["member"]
            seen.append(set(ctx.session.as_user(member).get_many([ctx.session.app.ids["shared"]])))
            raise ValidationError("memberships are frozen today", object_name="GroupMember")

    @hookimpl
    def missionbase_register_triggers(registry):
        registry.add_trigger("GroupMember", "after_insert", refuse)

    module.missionbase_register_triggers = missionbase_register_triggers
    return module


def test_a_rolled_back_membership_grants_nothing_afterwards(make_app):
    seen: list = []
    app = make_app(["refuser"], extra_plugins={"refuser": _refusing_plugin(seen)})
    with app.system_session() as s:
        team = s.create("Group", {"name": "Team"})["id"]
        sam = s.create("User", {"username": "sam", "name": "Sam"})["id"]
        ana = s.create("User", {"username": "ana", "name": "Ana"})["id"]
        for user in (sam, ana):
            assign_permission_set(s, user, "Standard User")
    with app.session("ana") as s:
        shared = s.create("Contact", {"last_name": "Shared"})["id"]
        share_record(s, shared, resolve_grantee(s, "group", "Team"), "read")
    app.ids = {"shared": shared}
    with app.system_session() as s:
        with pytest.raises(ValidationError, match="frozen"):
            s.create("GroupMember", {"group": team, "member": sam})
        assert seen == [{shared}]  # inside the insert, sam was a member
        assert readable(s, sam, [shared]) == set()  # rolled back: no longer


def test_sharing_defaults_and_permission_sets_change_what_the_same_user_reads(org):
    ids = org.ids
    with org.session("sam") as s:
        assert s.count("Contact") == 0
    with org.session("admin") as s:
        set_sharing_default(s, "Contact", "public_read")
        assert ids["private"] in readable(s, ids["sam"], [ids["private"]])
        set_sharing_default(s, "Contact", "private")
        assert readable(s, ids["sam"], [ids["private"]]) == set()
    with org.session("sam") as s:
        assert s.count("Contact") == 0
    with org.system_session() as s:
        assign_permission_set(s, ids["sam"], "System Administrator")
    with org.session("sam") as s:
        assert s.count("Contact") == 2


def test_what_the_policy_remembers_lives_in_the_sessions_security_state(org):
    from missionbase.core.security import SecurityState

    with org.session("ana") as s:
        assert s.security == SecurityState()
        assert s.count("Contact") == 2
        state = s.security
        assert state.user_access is not None and state.sharing_defaults is not None
        assert not {"_user_access", "_sharing_defaults", "_readable_filters"} & set(vars(s))
        assert not org.access_policy.is_admin(s)
        as_sam = s.as_user(org.ids["sam"])
        assert as_sam.security is not state and as_sam.security.user_access is None
    with org.session("admin") as s:
        assert s.count("Contact") == 2
        defaults = s.security.sharing_defaults
        set_sharing_default(s, "Contact", "public_read")  # forgets the defaults read before
        assert s.security.sharing_defaults is None
        assert s.count("Contact") == 2
        assert s.security.sharing_defaults is not defaults
        assert org.access_policy.is_admin(s)
