"""Actions in core: declared once, checked at startup, run with the caller's input and permission."""

from __future__ import annotations

import json
import re
import types

import pytest
from pydantic import BaseModel, ConfigDict, Field

from missionbase.core import Action, ConfigError, ObjectType, PermissionSet, hookimpl, run_action
from missionbase.core import fields as f
from missionbase.core.errors import AccessDenied, RecordNotFound, UnknownName, ValidationError
from missionbase.core.security.sharing import assign_permission_set


class Admission(BaseModel):
    model_config = ConfigDict(extra="forbid")
    guest: str = Field(max_length=40)
    nights: int = Field(ge=1, le=30)
    tags: list[str] = Field(default_factory=list)


def admit(session, shelter_id: str, data: Admission) -> dict:
    shelter = session.get(shelter_id, fields=["beds"])
    return session.update(
        shelter_id, {"beds": shelter["beds"] - 1, "note": f"{data.guest}:{','.join(data.tags)}"}
    )


def nightly_count(session, data) -> int:
    return session.count("Shelter")


def module(name: str, **hooks) -> types.ModuleType:
    plugin = types.ModuleType(name)
    for hook, impl in hooks.items():
        setattr(plugin, hook, hookimpl(impl))
    return plugin


def shelter_plugin(*actions: Action) -> types.ModuleType:
    def objects(registry):
        registry.add(
            ObjectType(
                "Shelter",
                prefix="shl",
                fields=[f.Text("name", required=True), f.Integer("beds"), f.Text("note")],
            )
        )

    def permission_sets(registry):
        registry.add(PermissionSet("Shelter: Read", objects={"Shelter": "R"}))
        registry.add(PermissionSet("Shelter: Edit", objects={"Shelter": "CRE"}))

    def register_actions(registry):
        for action in actions:
            registry.add(action)

    return module(
        "shelter",
        missionbase_register_objects=objects,
        missionbase_register_permission_sets=permission_sets,
        missionbase_register_actions=register_actions,
    )


ADMIT = Action("admit", run=admit, object="Shelter", on_record=True, input=Admission, permission="edit")
COUNT = Action("shelter.nightly_count", run=nightly_count, permission="view_all_data", writes=False)
SHELTER = shelter_plugin(ADMIT, COUNT)


@pytest.fixture
def org(make_app):
    app = make_app(plugins=["shelter"], extra_plugins={"shelter": SHELTER})
    with app.system_session() as s:
        for username, permset in (("ed", "Shelter: Edit"), ("rae", "Shelter: Read")):
            user = s.create("User", {"username": username, "name": username.title()})
            assign_permission_set(s, user["id"], permset)
    with app.session("ed") as s:
        app.shelter = s.create("Shelter", {"name": "Rue Haute", "beds": 12})["id"]
    return app


def test_an_action_runs_as_the_user_with_its_input_checked_by_the_model(org):
    with org.session("ed") as s:
        done = run_action(
            s, "Shelter.admit", {"guest": "Ana", "nights": "3", "tags": ["family"]}, record_id=org.shelter
        )
    assert done["beds"] == 11 and done["note"] == "Ana:family"


def test_every_bad_input_is_named_in_one_error_and_nothing_runs(org):
    with org.session("ed") as s:
        with pytest.raises(ValidationError) as raised:
            run_action(s, "Shelter.admit", {"guest": "x" * 41, "nights": 0, "pets": 2}, record_id=org.shelter)
        assert s.get(org.shelter)["beds"] == 12
    message = str(raised.value)
    assert "guest:" in message and "nights:" in message and "pets: unknown option" in message
    assert sorted(name for name, _ in raised.value.problems) == ["guest", "nights", "pets"]


def test_the_declared_permission_is_checked_before_the_handler(org):
    with org.session("rae") as s:
        with pytest.raises(AccessDenied, match="rae has no Edit permission on Shelter"):
            run_action(s, "Shelter.admit", {"guest": "Ana", "nights": 1}, record_id=org.shelter)
        with pytest.raises(AccessDenied, match="view_all_data"):
            run_action(s, "shelter.nightly_count")
    with org.session("admin") as s:
        assert run_action(s, "shelter.nightly_count") == 1


def test_a_record_action_on_a_record_the_user_cannot_see_is_not_found(org):
    with org.system_session() as s:
        nobody = s.create("User", {"username": "zoe", "name": "Zoe"})
        assign_permission_set(s, nobody["id"], "Shelter: Edit")
    with org.session("zoe") as s:  # Shelter is private: ed's shelter is not zoe's
        with pytest.raises(RecordNotFound):
            run_action(s, "Shelter.admit", {"guest": "Ana", "nights": 1}, record_id=org.shelter)
        with pytest.raises(RecordNotFound):  # an id of another object: the same answer
            run_action(s, "Shelter.admit", {"guest": "Ana", "nights": 1}, record_id=s.user.id)


def test_unknown_actions_name_the_closest(org):
    with org.session("ed") as s, pytest.raises(UnknownName, match=re.escape("did you mean 'Shelter.admit'")):
        run_action(s, "Shelter.admitt", {}, record_id=org.shelter)


def test_bad_declarations_fail_at_startup_naming_the_plugin(make_app):
    with pytest.raises(ConfigError, match=re.escape("must be named 'namespace.action_name'")):
        Action("nightly", run=nightly_count)
    with pytest.raises(ConfigError, match="lowercase letters"):
        Action("Admit", run=admit, object="Shelter")
    other = Action("other.count", run=nightly_count, permission=None)
    cases = [
        (shelter_plugin(Action("admit", run=admit, object="Shelterr")), "which no enabled plugin declares"),
        (shelter_plugin(Action("admit", run=admit, object="Shelter", permission="own")), "is not one of"),
        (shelter_plugin(Action("shelter.n", run=nightly_count, permission="edit")), "no object to check"),
        (shelter_plugin(other), "must start with 'shelter.'"),
    ]
    for plugin, message in cases:
        with pytest.raises(ConfigError, match=message):
            make_app(plugins=["shelter"], extra_plugins={"shelter": plugin}, init=False)


def test_two_plugins_declaring_one_action_are_named_both(make_app):
    twin = module(
        "twin",
        missionbase_register_actions=lambda registry: registry.add(
            Action("admit", run=admit, object="Shelter", on_record=True, input=Admission)
        ),
    )
    twin.requires = ["shelter"]
    with pytest.raises(ConfigError, match="'shelter' and plugin 'twin'"):
        make_app(plugins=["shelter", "twin"], extra_plugins={"shelter": SHELTER, "twin": twin}, init=False)


def test_the_cli_lists_and_runs_any_action_with_no_plugin_code(make_app, cli_for):
    # The CLI loads plugins from their entry points: the installed housing example's action.
    org = make_app(plugins=["housing"])
    with org.system_session() as s:
        user = s.create("User", {"username": "hal", "name": "Hal"})
        assign_permission_set(s, user["id"], "Housing: Manage")
        assign_permission_set(s, user["id"], "Standard User")
        other = s.create("User", {"username": "sam", "name": "Sam"})
        assign_permission_set(s, other["id"], "Housing: Manage")
    with org.session("hal") as s:
        unit = s.create("HousingUnit", {"name": "Flat 3B"})["id"]
        tenant = s.create("Contact", {"last_name": "Okafor"})["id"]
    cli = cli_for(org)
    listed = cli("actions", "list", "--all", "--json")
    assert listed.exit_code == 0, listed.err
    assert [a["key"] for a in json.loads(listed.out)] == ["HousingUnit.place"]
    table = cli("actions", "list", "HousingUnit")
    assert "HousingUnit.place" in table.out and "contact" in table.out
    bad = cli("actions", "run", "HousingUnit.place", unit, "--set", "tenant=x", "--as", "hal")
    assert bad.exit_code != 0 and "Traceback" not in bad.err
    assert "contact: Field required" in bad.err and "tenant: unknown option; allowed: contact" in bad.err
    # sam manages housing too, but hal's unit is private to hal
    hidden = cli("actions", "run", "HousingUnit.place", unit, "--set", f"contact={tenant}", "--as", "sam")
    assert hidden.exit_code != 0 and f"{unit} not found" in hidden.err
    done = cli(
        "actions", "run", "HousingUnit.place", unit, "--set", f"contact={tenant}", "--as", "hal", "--json"
    )
    assert done.exit_code == 0, done.err
    assert json.loads(done.out)["status"] == "Occupied"
    unknown = cli("actions", "run", "HousingUnit.plaec", unit, "--as", "hal")
    assert unknown.exit_code != 0 and "did you mean 'HousingUnit.place'" in unknown.err


def test_list_options_given_as_text_are_split_at_commas():
    from missionbase.core.cli.actions import _typed

    assert _typed(ADMIT, {"tags": "family, pets", "guest": "a,b"}) == {
        "tags": ["family", "pets"],
        "guest": "a,b",
    }
