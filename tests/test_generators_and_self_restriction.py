"""Core: named value generators (registry.add(Generator(...))) and a Restriction naming
the user directly (membership ("User", "id", "id"): "only the user in this field")."""

from __future__ import annotations

import types

import pytest

from missionbase.core import Generator, ObjectType, PermissionSet, Restriction, hookimpl
from missionbase.core import fields as f
from missionbase.core.errors import ConfigError, RecordNotFound
from missionbase.core.security.sharing import assign_permission_set


def _plugin(name: str, generator_name: str = "numbers.plain"):
    module = types.ModuleType(name)
    memo = ObjectType(
        "Memo",
        prefix="mmo",
        sharing="public_read_write",
        fields=[f.Text("name"), f.Lookup("only_for", "User", on_delete="clear")],
        restrictions=[Restriction("only_for", ("User", "id", "id"))],
    )

    def plain(session, rows):
        first = session.reserve_numbers("numbers.plain", len(rows))
        return [f"N{first + i}" for i in range(len(rows))]

    @hookimpl
    def missionbase_register_objects(registry):
        if name == "memos":
            registry.add(memo)
        registry.add(Generator(generator_name, generate=plain, description="N1, N2..."))

    @hookimpl
    def missionbase_register_permission_sets(registry):
        if name == "memos":
            registry.add(PermissionSet("Memos", objects={"Memo": "CRED", "User": "R"}))

    module.missionbase_register_objects = missionbase_register_objects
    module.missionbase_register_permission_sets = missionbase_register_permission_sets
    return module


def test_a_generator_is_registered_with_its_plugin_and_runs_in_the_callers_transaction(make_app):
    app = make_app(plugins=["memos"], extra_plugins={"memos": _plugin("memos")})
    generator = app.registry.generators["numbers.plain"]
    assert generator.plugin == "memos"
    with app.system_session() as s:
        assert generator.generate(s, [{}, {}]) == ["N1", "N2"]
    with pytest.raises(RuntimeError), app.system_session() as s:
        generator.generate(s, [{}])
        raise RuntimeError("roll back")
    with app.system_session() as s:  # the rolled-back reservation is not lost to a gap
        assert generator.generate(s, [{}]) == ["N3"]


def test_two_plugins_declaring_one_generator_name_is_an_error_naming_both(make_app):
    with pytest.raises(
        ConfigError, match=r"generator 'numbers\.plain' is declared by both plugin 'memos' and plugin 'other'"
    ):
        make_app(
            plugins=["memos", "other"], extra_plugins={"memos": _plugin("memos"), "other": _plugin("other")}
        )


def test_a_restriction_on_a_user_lookup_shows_the_record_only_to_that_user(make_app):
    app = make_app(plugins=["memos"], extra_plugins={"memos": _plugin("memos")})
    with app.system_session() as s:
        ids = {}
        for username in ("ana", "ben"):
            ids[username] = s.create("User", {"username": username, "name": username})["id"]
            assign_permission_set(s, ids[username], "Memos")
    with app.session("ana") as s:
        private = s.create("Memo", {"name": "mine", "only_for": ids["ana"]})
        public = s.create("Memo", {"name": "everyone"})
    with app.session("ben") as s:
        assert [m["name"] for m in s.query("Memo").records] == ["everyone"]
        with pytest.raises(RecordNotFound):
            s.get(private["id"])
    with app.session("admin") as s:  # even view_all_data: the rule narrows every grant
        assert {m["id"] for m in s.query("Memo").records} == {public["id"]}
    with app.session("ana") as s:
        assert {m["id"] for m in s.query("Memo").records} == {private["id"], public["id"]}


def test_visible_condition_selects_in_sql_what_query_returns(make_app):
    import sqlalchemy as sa

    from missionbase.core.errors import AccessDenied

    app = make_app()
    with app.system_session() as s:
        ids = {}
        for username, sets in (("ana", ["Standard User"]), ("ben", ["Standard User"]), ("out", [])):
            ids[username] = s.create("User", {"username": username, "name": username})["id"]
            for name in sets:
                assign_permission_set(s, ids[username], name)
    with app.session("ana") as s:
        mine = s.create("Contact", {"last_name": "Mine"})
        gone = s.create("Contact", {"last_name": "Gone"})
        s.delete(gone["id"])
    with app.session("ben") as s:
        s.create("Contact", {"last_name": "Theirs"})
    with app.session("ana") as s:
        table = s.table(s.object("Contact")).alias("c")
        found = s.conn.scalars(sa.select(table.c.id).where(s.visible_condition("Contact", table))).all()
        assert found == [mine["id"]] == [c["id"] for c in s.query("Contact").records]
    with app.session("out") as s, pytest.raises(AccessDenied):
        s.visible_condition("Contact")


def test_concurrent_first_reservations_of_a_counter_all_succeed_without_sharing_a_number(make_app):
    import threading

    app = make_app()
    barrier = threading.Barrier(4)
    got: list[int] = []
    errors: list[BaseException] = []

    def reserve() -> None:
        try:
            with app.system_session() as s:
                if s.is_postgres:  # SQLite serialises writers at BEGIN IMMEDIATE; PostgreSQL races here
                    barrier.wait(timeout=10)
                got.append(s.reserve_numbers("fresh.counter", 2))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=reserve) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(got) == [1, 3, 5, 7]
