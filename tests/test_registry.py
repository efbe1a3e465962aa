"""Declaring and extending objects through plugins, and the startup errors a
misconfigured org gets instead of a surprise at its first write."""

from __future__ import annotations

import re
import types

import pytest

from missionbase.core import Job, ObjectType, PermissionSet, Report, hookimpl
from missionbase.core import fields as f
from missionbase.core.errors import ConfigError, UnknownName, ValidationError
from missionbase.core.ids import prefix_of

ULID = r"[0-9A-HJKMNP-TV-Z]{26}"


def plugin(name: str, requires: list[str] | None = None, **hooks) -> types.ModuleType:
    """An in-process plugin module: each keyword is a hook name and its implementation."""
    module = types.ModuleType(f"test_plugin_{name}")
    if requires is not None:
        module.requires = requires
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))
    return module


def housing_unit() -> ObjectType:
    return ObjectType(
        "HousingUnit",
        label="Housing unit",
        prefix="hsu",
        fields=[
            f.Text("name", max_length=80, required=True),
            f.Picklist("status", ["Available", "Occupied"], default="Available"),
            f.Lookup("tenant", "Contact", on_delete="clear"),
        ],
    )


def housing_plugin() -> types.ModuleType:
    def register_objects(registry):
        registry.add(housing_unit())
        registry.extend("Contact", [f.Boolean("needs_housing", default=False)])

    def register_target_types(registry):
        registry.add_target("HousingUnit")

    def register_permission_sets(registry):
        registry.add(PermissionSet("Housing: Manage", objects={"HousingUnit": "CRED"}))

    return plugin(
        "housing",
        missionbase_register_objects=register_objects,
        missionbase_register_target_types=register_target_types,
        missionbase_register_permission_sets=register_permission_sets,
    )


# -- declaring and extending ---------------------------------------------------


def test_plugin_object_is_registered_with_its_owner_and_usable(make_app):
    app = make_app(plugins=["housing"], extra_plugins={"housing": housing_plugin()})
    unit = app.registry.object("HousingUnit")
    assert unit.plugin == "housing"
    assert unit.field("tenant").plugin == "housing"
    assert app.plugin_objects("housing") == ["HousingUnit"]
    with app.session("admin") as s:
        contact = s.create("Contact", {"last_name": "Okafor", "needs_housing": True})
        created = s.create("HousingUnit", {"name": "Flat 2B", "tenant": contact["id"]})
    with app.session("admin") as s:
        assert s.get(created["id"])["status"] == "Available"
        assert s.get(contact["id"])["needs_housing"] is True


def test_extension_field_is_owned_by_the_extending_plugin(make_app):
    app = make_app(plugins=["housing"], extra_plugins={"housing": housing_plugin()})
    contact = app.registry.object("Contact")
    assert contact.plugin == "core"
    assert contact.field("last_name").plugin == "core"
    assert contact.field("needs_housing").plugin == "housing"
    described = {fld["name"]: fld for fld in contact.describe()["fields"]}
    assert described["needs_housing"]["plugin"] == "housing"
    assert described["needs_housing"]["default"] is False


def test_extension_does_not_leak_into_an_org_without_the_plugin(make_app):
    with_plugin = make_app(plugins=["housing"], extra_plugins={"housing": housing_plugin()})
    assert with_plugin.registry.object("Contact").has_field("needs_housing")
    without = make_app(init=False)
    assert not without.registry.object("Contact").has_field("needs_housing")
    assert "HousingUnit" not in without.registry.objects
    # and the same plugin can be loaded again by another app (a fresh registry each time)
    again = make_app(plugins=["housing"], extra_plugins={"housing": housing_plugin()}, init=False)
    assert again.registry.object("Contact").field("needs_housing").plugin == "housing"


def test_extending_an_object_declared_by_a_later_plugin_works(make_app):
    """Extensions are applied after every plugin declared, so plugin order does not matter."""
    early = plugin(
        "early",
        missionbase_register_objects=lambda registry: registry.extend("Widget", [f.Integer("size")]),
    )
    late = plugin(
        "late",
        missionbase_register_objects=lambda registry: registry.add(
            ObjectType("Widget", prefix="wdg", fields=[f.Text("name")])
        ),
    )
    app = make_app(plugins=["early", "late"], extra_plugins={"early": early, "late": late})
    widget = app.registry.object("Widget")
    assert widget.field("size").plugin == "early"
    assert widget.plugin == "late"
    with app.session("admin") as s:
        assert s.create("Widget", {"name": "w", "size": "3"})["size"] == 3


def test_picklist_values_added_by_extension(make_app):
    cancelled = plugin(
        "cancel",
        missionbase_register_objects=lambda registry: registry.extend(
            "Task", picklist_values={"status": ["Cancelled"]}
        ),
    )
    app = make_app(plugins=["cancel"], extra_plugins={"cancel": cancelled})
    status = app.registry.object("Task").field("status")
    assert status.values[-1] == "Cancelled"
    assert "Completed" in status.values  # the core values stay
    with app.session("admin") as s:
        assert s.create("Task", {"subject": "Call", "status": "Cancelled"})["status"] == "Cancelled"

    plain = make_app()  # same database, an app without the plugin: the value is not allowed there
    with plain.session("admin") as s, pytest.raises(ValidationError, match="status"):
        s.create("Task", {"subject": "Call", "status": "Cancelled"})


def test_picklist_values_for_a_field_that_is_not_a_picklist(make_app):
    bad = plugin(
        "bad",
        missionbase_register_objects=lambda registry: registry.extend(
            "Contact", picklist_values={"last_name": ["X"]}
        ),
    )
    with pytest.raises(ConfigError, match=r"'bad'.*Contact\.last_name.*not a picklist"):
        make_app(plugins=["bad"], extra_plugins={"bad": bad})


def test_extending_an_object_nobody_declares(make_app):
    bad = plugin(
        "bad",
        missionbase_register_objects=lambda registry: registry.extend("Donation", [f.Text("memo")]),
    )
    with pytest.raises(ConfigError, match=r"plugin 'bad' extends object Donation, which no enabled plugin"):
        make_app(plugins=["bad"], extra_plugins={"bad": bad})


# -- clashes name both plugins -----------------------------------------------------


def test_two_plugins_declaring_the_same_object(make_app):
    one = plugin("one", missionbase_register_objects=lambda registry: registry.add(housing_unit()))
    two = plugin("two", missionbase_register_objects=lambda registry: registry.add(housing_unit()))
    with pytest.raises(ConfigError) as info:
        make_app(plugins=["one", "two"], extra_plugins={"one": one, "two": two})
    message = str(info.value)
    assert "HousingUnit" in message
    assert "'one'" in message and "'two'" in message


def test_a_plugin_redeclaring_a_core_object(make_app):
    clash = plugin(
        "clash",
        missionbase_register_objects=lambda registry: registry.add(
            ObjectType("Contact", prefix="ctx", fields=[f.Text("name")])
        ),
    )
    with pytest.raises(ConfigError, match=r"Contact.*'core'.*'clash'"):
        make_app(plugins=["clash"], extra_plugins={"clash": clash})


def test_two_plugins_adding_the_same_field(make_app):
    one = plugin(
        "one",
        missionbase_register_objects=lambda registry: registry.extend("Contact", [f.Text("nickname")]),
    )
    two = plugin(
        "two",
        missionbase_register_objects=lambda registry: registry.extend(
            "Contact", [f.Text("nickname", max_length=20)]
        ),
    )
    with pytest.raises(ConfigError) as info:
        make_app(plugins=["one", "two"], extra_plugins={"one": one, "two": two})
    message = str(info.value)
    assert "Contact.nickname" in message
    assert "'one'" in message and "'two'" in message


def test_a_plugin_adding_a_field_core_already_has(make_app):
    clash = plugin(
        "clash",
        missionbase_register_objects=lambda registry: registry.extend("Contact", [f.Email("email")]),
    )
    with pytest.raises(ConfigError, match=r"Contact\.email.*'core'.*'clash'"):
        make_app(plugins=["clash"], extra_plugins={"clash": clash})


def test_duplicate_prefix_names_both_objects_and_plugins(make_app):
    one = plugin("one", missionbase_register_objects=lambda registry: registry.add(housing_unit()))
    two = plugin(
        "two",
        missionbase_register_objects=lambda registry: registry.add(
            ObjectType("HouseholdVisit", prefix="hsu", fields=[f.Text("name")])
        ),
    )
    with pytest.raises(ConfigError) as info:
        make_app(plugins=["one", "two"], extra_plugins={"one": one, "two": two})
    message = str(info.value)
    assert "'hsu'" in message
    assert "HousingUnit" in message and "HouseholdVisit" in message
    assert "'one'" in message and "'two'" in message


def test_prefix_clash_with_a_core_object(make_app):
    clash = plugin(
        "clash",
        missionbase_register_objects=lambda registry: registry.add(
            ObjectType("Concert", prefix="con", fields=[f.Text("name")])
        ),
    )
    with pytest.raises(ConfigError, match=r"'con'.*Concert.*Contact"):
        make_app(plugins=["clash"], extra_plugins={"clash": clash})


def test_lookup_to_an_object_no_enabled_plugin_declares(make_app):
    orphan = plugin(
        "orphan",
        missionbase_register_objects=lambda registry: registry.add(
            ObjectType(
                "Attendance",
                prefix="att",
                name_field=None,
                fields=[f.Lookup("session", "ServiceSession", on_delete="cascade")],
            )
        ),
    )
    with pytest.raises(ConfigError) as info:
        make_app(plugins=["orphan"], extra_plugins={"orphan": orphan})
    message = str(info.value)
    assert "Attendance.session" in message
    assert "ServiceSession" in message
    assert "'orphan'" in message


def test_invalid_declarations_are_refused_when_declared():
    with pytest.raises(ValueError, match="prefix"):
        ObjectType("Thing", prefix="TH", fields=[])
    with pytest.raises(ValueError, match="PascalCase"):
        ObjectType("thing", prefix="thg", fields=[])
    with pytest.raises(ValueError, match="declared twice"):
        ObjectType("Thing", prefix="thg", fields=[f.Text("name"), f.Text("name")])
    with pytest.raises(ValueError, match="reserved"):
        f.Text("created_at")
    with pytest.raises(ValueError, match="snake_case"):
        f.Text("FirstName")
    with pytest.raises(ValueError, match="on_delete"):
        f.Lookup("parent", "Account", on_delete="nullify")
    with pytest.raises(ValueError, match="not one of its values"):
        f.Picklist("stage", ["A", "B"], default="C")
    with pytest.raises(ValueError, match="counter"):
        f.AutoNumber("number", "EP-")


def test_name_field_must_be_a_field(make_app):
    bad = plugin(
        "bad",
        missionbase_register_objects=lambda registry: registry.add(
            ObjectType("Thing", prefix="thg", fields=[f.Text("title")])
        ),
    )
    with pytest.raises(ConfigError, match=r"Thing: name field 'name'"):
        make_app(plugins=["bad"], extra_plugins={"bad": bad})


# -- plugins, requirements and hooks -----------------------------------------------


def test_plugin_requiring_a_plugin_that_is_not_enabled(make_app):
    needy = plugin("needy", requires=["housing"])
    with pytest.raises(ConfigError) as info:
        make_app(plugins=["needy"], extra_plugins={"needy": needy, "housing": housing_plugin()})
    message = str(info.value)
    assert "'needy' requires 'housing'" in message
    assert "add housing to plugins" in message


def test_builtin_casemgmt_without_pmm_says_what_to_enable(make_app):
    with pytest.raises(ConfigError, match=r"'casemgmt' requires 'pmm'.*add pmm"):
        make_app(plugins=["casemgmt"])


def test_requirements_are_declared_first_whatever_the_config_order(make_app):
    calls: list[str] = []

    def recorder(name):
        def register_objects(registry):
            calls.append(name)

        return register_objects

    base = plugin("base", missionbase_register_objects=recorder("base"))
    addon = plugin("addon", requires=["base"], missionbase_register_objects=recorder("addon"))
    app = make_app(plugins=["addon", "base"], extra_plugins={"addon": addon, "base": base}, init=False)
    assert calls == ["base", "addon"]
    assert app.plugin_names == ["base", "addon"]


def test_plugins_requiring_each_other(make_app):
    one = plugin("one", requires=["two"])
    two = plugin("two", requires=["one"])
    with pytest.raises(ConfigError, match="cycle"):
        make_app(plugins=["one", "two"], extra_plugins={"one": one, "two": two})


def test_unknown_plugin_name_suggests_the_closest(make_app):
    with pytest.raises(ConfigError, match=r"unknown plugin 'pmn'.*did you mean 'pmm'"):
        make_app(plugins=["pmn"])


def test_unknown_plugin_name_lists_the_valid_ones(make_app):
    with pytest.raises(ConfigError) as info:
        make_app(plugins=["zzzzzz"], extra_plugins={"housing": housing_plugin()})
    message = str(info.value)
    assert "unknown plugin 'zzzzzz'" in message
    for name in ("casemgmt", "chatter", "fsc_actionplans", "housing", "npsp_engagement", "pmm"):
        assert name in message


def test_misspelt_hook_name_is_a_startup_error(make_app):
    typo = plugin("typo", missionbase_register_objectz=lambda registry: None)
    with pytest.raises(ConfigError) as info:
        make_app(plugins=["typo"], extra_plugins={"typo": typo})
    message = str(info.value)
    assert "'typo'" in message
    assert "missionbase_register_objectz" in message


def test_hook_with_a_wrong_argument_name_is_a_startup_error(make_app):
    wrong = plugin("wrong", missionbase_register_objects=lambda reg: None)
    with pytest.raises(ConfigError, match=r"'wrong'.*reg"):
        make_app(plugins=["wrong"], extra_plugins={"wrong": wrong})


def test_disabled_plugin_contributes_nothing(make_app):
    app = make_app(extra_plugins={"housing": housing_plugin()}, init=False)
    assert "housing" in app.installed
    assert "HousingUnit" not in app.registry.objects
    assert "Housing: Manage" not in app.registry.permission_sets


# -- target types, permission sets, triggers, jobs, reports -----------------------------


def test_target_types_registry(make_app):
    app = make_app(plugins=["housing"], extra_plugins={"housing": housing_plugin()}, init=False)
    assert app.registry.target_types == {"Account": "core", "Contact": "core", "HousingUnit": "housing"}
    assert make_app(init=False).registry.target_types == {"Account": "core", "Contact": "core"}


def test_target_type_for_an_undeclared_object(make_app):
    bad = plugin("bad", missionbase_register_target_types=lambda registry: registry.add_target("Case"))
    with pytest.raises(ConfigError, match=r"plugin 'bad' registers target type Case, which no enabled"):
        make_app(plugins=["bad"], extra_plugins={"bad": bad})


def test_target_type_registered_twice(make_app):
    again = plugin("again", missionbase_register_target_types=lambda registry: registry.add_target("Contact"))
    with pytest.raises(ConfigError, match=r"target type Contact.*'core'.*'again'"):
        make_app(plugins=["again"], extra_plugins={"again": again})


def test_permission_sets_are_registered_with_their_plugin(make_app):
    app = make_app(plugins=["housing"], extra_plugins={"housing": housing_plugin()}, init=False)
    permset = app.registry.permission_sets["Housing: Manage"]
    assert permset.plugin == "housing"
    assert permset.objects == {"HousingUnit": "CRED"}


def test_permission_set_declared_twice_names_both_plugins(make_app):
    def permsets(registry):
        registry.add(PermissionSet("Volunteers", objects={"Contact": "R"}))

    one = plugin("one", missionbase_register_permission_sets=permsets)
    two = plugin("two", missionbase_register_permission_sets=permsets)
    with pytest.raises(ConfigError, match=r"permission set 'Volunteers'.*'one'.*'two'"):
        make_app(plugins=["one", "two"], extra_plugins={"one": one, "two": two})


def test_permission_set_for_an_undeclared_object(make_app):
    bad = plugin(
        "bad",
        missionbase_register_permission_sets=lambda registry: registry.add(
            PermissionSet("Case: View", objects={"Case": "R"})
        ),
    )
    with pytest.raises(ConfigError, match=r"'Case: View'.*'bad'.*Case, which no enabled"):
        make_app(plugins=["bad"], extra_plugins={"bad": bad})


def test_permission_set_letters_are_checked():
    with pytest.raises(ValueError, match=r"unknown letters X"):
        PermissionSet("Odd", objects={"Contact": "RX"})
    with pytest.raises(ValueError, match=r"'write' is not hidden, read or edit"):
        PermissionSet("Odd", fields={"Contact.email": "write"})


def test_triggers_are_registered_per_object_and_event(make_app):
    def handler(ctx, rows):
        return None

    mod = plugin(
        "trig",
        missionbase_register_triggers=lambda registry: registry.add_trigger(
            "Account", "after_insert", handler
        ),
    )
    app = make_app(plugins=["trig"], extra_plugins={"trig": mod}, init=False)
    [trigger] = app.registry.triggers_for("Account", "after_insert")
    assert trigger.handler is handler
    assert trigger.plugin == "trig"
    assert app.registry.triggers_for("Account", "before_insert") == []


def test_trigger_with_an_unknown_event(make_app):
    bad = plugin(
        "bad",
        missionbase_register_triggers=lambda registry: registry.add_trigger(
            "Account", "before_save", lambda ctx, rows: None
        ),
    )
    with pytest.raises(ConfigError, match=r"'bad'.*'before_save'.*before_insert"):
        make_app(plugins=["bad"], extra_plugins={"bad": bad})


def test_trigger_on_an_undeclared_object(make_app):
    bad = plugin(
        "bad",
        missionbase_register_triggers=lambda registry: registry.add_trigger(
            "Donation", "before_insert", lambda ctx, rows: None
        ),
    )
    with pytest.raises(ConfigError, match=r"'bad'.*Donation, which no enabled"):
        make_app(plugins=["bad"], extra_plugins={"bad": bad})


def test_jobs_and_reports_are_registered_with_their_plugin(make_app):
    def run_job(org):
        return "done"

    def run_report(session, **params):
        return [{"n": session.count("Contact")}]

    mod = plugin(
        "ops",
        missionbase_register_jobs=lambda registry: registry.add(Job("ops.nightly", run=run_job)),
        missionbase_register_reports=lambda registry: registry.add(Report("ops.contacts", run=run_report)),
    )
    app = make_app(plugins=["ops"], extra_plugins={"ops": mod})
    job = app.registry.jobs["ops.nightly"]
    assert job.plugin == "ops"
    assert job.run(app) == "done"
    report = app.registry.reports["ops.contacts"]
    assert report.plugin == "ops"
    with app.session("admin") as s:
        s.create("Contact", {"last_name": "Ng"})
        assert report.run(s) == [{"n": 1}]


def test_job_and_report_declared_twice_name_both_plugins(make_app):
    def jobs(registry):
        registry.add(Job("shared.job", run=lambda org: None))

    def reports(registry):
        registry.add(Report("shared.report", run=lambda session: []))

    # Two plugins that claim the same namespace: the clash still names both.
    one = plugin("one", missionbase_register_jobs=jobs)
    two = plugin("two", missionbase_register_jobs=jobs)
    one.namespace = two.namespace = "shared"
    with pytest.raises(ConfigError, match=r"job 'shared.job'.*'one'.*'two'"):
        make_app(plugins=["one", "two"], extra_plugins={"one": one, "two": two})
    one = plugin("one", missionbase_register_reports=reports)
    two = plugin("two", missionbase_register_reports=reports)
    one.namespace = two.namespace = "shared"
    with pytest.raises(ConfigError, match=r"report 'shared.report'.*'one'.*'two'"):
        make_app(plugins=["one", "two"], extra_plugins={"one": one, "two": two})


def test_registry_add_refuses_other_things(make_app):
    bad = plugin("bad", missionbase_register_objects=lambda registry: registry.add("Contact"))
    with pytest.raises(
        TypeError, match="ObjectType, PermissionSet, Job, Report, Setting, Generator or Action"
    ):
        make_app(plugins=["bad"], extra_plugins={"bad": bad})


def test_unknown_object_name_suggests_the_closest(app):
    with pytest.raises(UnknownName, match=r"unknown object 'Contacts'.*did you mean 'Contact'"):
        app.registry.object("Contacts")


# -- record ids ------------------------------------------------------------------


def test_ids_are_prefix_and_ulid_and_map_back_to_their_object(make_app):
    app = make_app(plugins=["housing"], extra_plugins={"housing": housing_plugin()})
    with app.session("admin") as s:
        account = s.create("Account", {"name": "Acme"})
        contacts = s.create_many("Contact", [{"last_name": f"C{i}"} for i in range(5)])
        unit = s.create("HousingUnit", {"name": "Flat"})
    assert re.fullmatch(rf"acc_{ULID}", account["id"])
    assert re.fullmatch(rf"hsu_{ULID}", unit["id"])
    for contact in contacts:
        assert re.fullmatch(rf"con_{ULID}", contact["id"])
        assert app.registry.object_for_id(contact["id"]).name == "Contact"
    assert app.registry.object_for_id(account["id"]).name == "Account"
    assert app.registry.object_for_id(unit["id"]).name == "HousingUnit"
    assert prefix_of(unit["id"]) == "hsu"
    # ids of one batch sort in insertion order, and are all different
    ids = [c["id"] for c in contacts]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_object_for_id_of_something_that_is_not_an_id(app):
    assert app.registry.object_for_id("xyz_01J00000000000000000000000") is None
    assert app.registry.object_for_id("not an id") is None
    assert app.registry.object_for_id("con_123") is None


def test_ids_created_later_sort_after(session):
    first = session.create("Account", {"name": "First"})["id"]
    second = session.create("Account", {"name": "Second"})["id"]
    # the ULID part (after the prefix) orders by creation time
    assert first[4:] < second[4:]


# -- demo data and commands ----------------------------------------------------------


def test_demo_data_hook_runs_once_per_plugin_in_order_with_a_shared_context(make_app):
    from missionbase.core.cli.demo import load_demo

    seen = []

    def load_demo_data(ctx):
        seen.append((sorted(ctx.users), len(ctx.records.get("contacts", []))))
        unit = ctx.session.create("HousingUnit", {"name": "Demo flat", "tenant": ctx.records["contacts"][0]})
        ctx.records["housing_units"] = [unit["id"]]

    housing = housing_plugin()
    housing.missionbase_load_demo_data = hookimpl(load_demo_data)
    app = make_app(plugins=["housing"], extra_plugins={"housing": housing})
    messages: list[str] = []
    assert load_demo(app, echo=messages.append) == ["core", "housing"]
    [(users, contacts)] = seen
    assert "admin" in users and len(users) > 1  # core's demo users came first
    assert contacts > 0
    with app.session("admin") as s:
        [unit] = s.query("HousingUnit").records
        assert unit["tenant"] is not None
    # loading again adds nothing
    assert load_demo(app, echo=messages.append) == []
    assert len(seen) == 1
    with app.session("admin") as s:
        assert s.count("HousingUnit") == 1


def test_commands_hook_adds_a_plugin_command_group(make_app):
    import click

    from missionbase.core.cli.demo import what_to_try

    @click.group("housing")
    def housing_group():
        """Housing units."""

    def register_commands(cli):
        cli.add_command(housing_group)

    housing = housing_plugin()
    housing.missionbase_register_commands = hookimpl(register_commands)
    app = make_app(plugins=["housing"], extra_plugins={"housing": housing}, init=False)
    group = click.Group()
    app.call_hook("missionbase_register_commands", cli=group)
    assert group.commands == {"housing": housing_group}
    assert "  missionbase housing --help" in what_to_try(app)
