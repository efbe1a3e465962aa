"""A third-party plugin, installed as its own distribution, works with no change to core.

``tests/thirdparty/missionbase-housing`` is a real package with its own
pyproject.toml and a ``missionbase.plugins`` entry point; ``make test``
installs it into the venv next to missionbase (``pip install -e``). Nothing
here passes it in-process: the app finds it the way it finds any plugin.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from importlib import metadata
from pathlib import Path

import pytest
import sqlalchemy as sa

from missionbase.core import plugins as plugins_mod
from missionbase.core.errors import MissionbaseError, ValidationError

ROOT = Path(__file__).resolve().parents[1]
HOUSING_DIST = "missionbase-housing"

try:
    metadata.distribution(HOUSING_DIST)
except metadata.PackageNotFoundError:  # pragma: no cover - only when the venv is set up by hand
    # Fail loudly rather than skip: these tests are the proof that a third party needs no core change.
    raise RuntimeError(
        f"{HOUSING_DIST} is not installed: pip install -e tests/thirdparty/missionbase-housing "
        "(make test does this)"
    ) from None


@pytest.fixture
def housing_app(make_app):
    return make_app(plugins=["housing"])


def _contact(session, last_name="Okafor", **values):
    return session.create("Contact", {"first_name": "Ada", "last_name": last_name, **values})


def test_discovered_through_its_entry_point():
    installed = plugins_mod.installed_plugins()
    assert "housing" in installed
    info = installed["housing"]
    assert info.module_name == "missionbase_housing"
    assert info.distribution == HOUSING_DIST
    assert info.version == metadata.version(HOUSING_DIST) == "0.1.0"
    entry_points = metadata.distribution(HOUSING_DIST).entry_points
    assert [(ep.group, ep.name, ep.value) for ep in entry_points] == [
        (plugins_mod.ENTRY_POINT_GROUP, "housing", "missionbase_housing")
    ]
    # Discovery does not import the plugin; enabling it does.
    assert info.module is None


def test_core_does_not_know_the_plugin():
    """No import or entry point for it anywhere in missionbase's own distribution."""
    sources = [*ROOT.joinpath("core").rglob("*.py"), *ROOT.joinpath("plugins").rglob("*.py")]
    assert sources
    for path in sources:
        assert "missionbase_housing" not in path.read_text(encoding="utf-8"), path
    assert "housing" not in {ep.name for ep in metadata.distribution("missionbase").entry_points}


def test_plugin_module_holds_only_hook_implementations():
    import missionbase_housing

    hooks = sorted(
        name
        for name, value in vars(missionbase_housing).items()
        if callable(value) and not name.startswith("_") and name.startswith("missionbase_")
    )
    # The template implements every hook but the mail transport, so an author sees each one used.
    from missionbase.core import hookspecs

    every_hook = {name for name in vars(hookspecs) if name.startswith("missionbase_")}
    assert set(hooks) == every_hook - {"missionbase_send_emails"}
    public = {name for name in vars(missionbase_housing) if not name.startswith("_")}
    submodules = {path.stem for path in Path(missionbase_housing.__file__).parent.iterdir()}
    assert public - set(hooks) - submodules <= {"hookimpl", "Job", "Report"}


def test_not_enabled_means_not_loaded(make_app):
    app = make_app(plugins=[])
    assert "housing" in app.installed
    assert "HousingUnit" not in app.registry.objects
    assert not app.registry.object("Contact").has_field("needs_housing")


def test_create_and_query_housing_units(housing_app):
    with housing_app.session("admin") as s:
        ada = _contact(s, needs_housing=True)
        flat = s.create(
            "HousingUnit",
            {
                "name": "Flat 2B",
                "tenant": ada["id"],
                "move_in_date": "2026-03-01",
                "monthly_rent": "725.50",
                "notes": "Ground floor, step-free access.",
            },
        )
        s.create("HousingUnit", {"name": "Room 7"})
        s.create("HousingUnit", {"name": "Bed 3", "status": "Maintenance"})

    assert flat["id"].startswith("hsu_")
    assert flat["status"] == "Available"  # the declared default
    assert flat["tenant"] == ada["id"]

    with housing_app.session("admin") as s:
        got = s.get(flat["id"])
        assert got["move_in_date"] == dt.date(2026, 3, 1)
        assert decimal.Decimal(str(got["monthly_rent"])) == decimal.Decimal("725.50")
        available = s.query("HousingUnit", where={"status": "Available"}, order_by="name")
        assert [r["name"] for r in available.records] == ["Flat 2B", "Room 7"]
        tenanted = s.query("HousingUnit", where={"tenant": ada["id"]}).records
        assert [r["id"] for r in tenanted] == [flat["id"]]
        assert s.count("HousingUnit") == 3
        contact = s.get(ada["id"])
        assert contact["needs_housing"] is True

    with housing_app.session("admin") as s:
        s.update(flat["id"], {"status": "Occupied"})
        assert s.get(flat["id"])["status"] == "Occupied"


def test_declared_rules_are_enforced(housing_app):
    with housing_app.session("admin") as s:
        ada = _contact(s)
    bad_values = [
        {},  # name is required
        {"name": "x" * 81},  # longer than max_length 80
        {"name": "Flat 9", "status": "Demolished"},  # not a picklist value
        {"name": "Flat 9", "notes": "n" * 201},  # notes is 200 since 0.1.0
        {"name": "Flat 9", "tenant": "acc_01JD0000000000000000000000"},  # wrong object type
    ]
    for values in bad_values:
        with pytest.raises(ValidationError), housing_app.session("admin") as s:
            s.create("HousingUnit", values)
    with housing_app.session("admin") as s:
        assert s.count("HousingUnit") == 0
        # on_delete="clear": deleting the tenant empties the lookup.
        unit = s.create("HousingUnit", {"name": "Flat 9", "tenant": ada["id"]})
        s.delete(ada["id"])
        assert s.get(unit["id"])["tenant"] is None


def test_contact_extended_with_needs_housing(housing_app):
    contact = housing_app.registry.object("Contact")
    field = contact.field("needs_housing")
    assert field is not None
    assert field.kind == "boolean"
    assert field.plugin == "housing"
    assert contact.plugin == "core"  # extended, not redefined
    with housing_app.session("admin") as s:
        assert _contact(s)["needs_housing"] is False  # default


def test_registered_as_plan_target_type(housing_app):
    assert housing_app.registry.target_types["HousingUnit"] == "housing"
    # Core's own targets are still there.
    assert housing_app.registry.target_types["Contact"] == "core"


def test_permission_set_is_registered(housing_app):
    permset = housing_app.registry.permission_sets["Housing: Manage"]
    assert permset.plugin == "housing"
    assert permset.objects == {"HousingUnit": "CRED", "Contact": "R"}


def test_describe_shows_the_plugin_owning_the_object_and_fields(housing_app):
    """What ``missionbase objects describe HousingUnit --json`` prints."""
    described = json.loads(json.dumps(housing_app.registry.object("HousingUnit").describe()))
    assert described["name"] == "HousingUnit"
    assert described["prefix"] == "hsu"
    assert described["plugin"] == "housing"
    assert described["sharing"] == "private"
    fields = {fld["name"]: fld for fld in described["fields"]}
    assert list(fields) == ["name", "status", "tenant", "move_in_date", "monthly_rent", "notes"]
    assert {fld["plugin"] for fld in fields.values()} == {"housing"}
    assert fields["name"]["kind"] == "text"
    assert fields["name"]["max_length"] == 80
    assert fields["name"]["required"] is True
    assert fields["status"]["values"] == ["Available", "Occupied", "Maintenance"]
    assert fields["status"]["default"] == "Available"
    assert fields["tenant"]["targets"] == ["Contact"]
    assert fields["tenant"]["on_delete"] == "clear"
    assert fields["move_in_date"]["kind"] == "date"
    assert fields["monthly_rent"]["kind"] == "currency"
    assert fields["notes"]["max_length"] == 200

    contact_fields = {
        fld["name"]: fld["plugin"] for fld in housing_app.registry.object("Contact").describe()["fields"]
    }
    assert contact_fields["needs_housing"] == "housing"
    assert contact_fields["last_name"] == "core"
    assert housing_app.plugin_objects("housing") == ["HousingUnit"]


def test_disabling_keeps_table_and_rows_and_reenabling_finds_them(make_app):
    enabled = make_app(plugins=["housing"])
    with enabled.session("admin") as s:
        ada = _contact(s, needs_housing=True)
        flat = s.create("HousingUnit", {"name": "Flat 2B", "tenant": ada["id"], "notes": "keep me"})
    enabled.dispose()

    # Same database, plugin no longer enabled: init_org runs `db upgrade` again.
    disabled = make_app(plugins=[])
    assert "HousingUnit" not in disabled.registry.objects
    assert not [c for c in disabled.pending_schema_changes() if c.table == "housing_unit"]
    with disabled.connect() as conn:
        inspector = sa.inspect(conn)
        assert inspector.has_table("housing_unit")
        assert "needs_housing" in {c["name"] for c in inspector.get_columns("contact")}
        rows = conn.execute(sa.text("SELECT id, name, tenant, notes FROM housing_unit")).all()
        assert [tuple(r) for r in rows] == [(flat["id"], "Flat 2B", ada["id"], "keep me")]
    with disabled.session("admin") as s:
        # Core objects work without the plugin's extension field...
        assert "needs_housing" not in s.get(ada["id"])
        s.update(ada["id"], {"first_name": "Adaeze"})
        bola = _contact(s, "Bello")
        with pytest.raises(MissionbaseError, match="HousingUnit"):
            s.query("HousingUnit")
    disabled.dispose()

    reenabled = make_app(plugins=["housing"])
    assert reenabled.pending_schema_changes() == []
    with reenabled.session("admin") as s:
        again = s.get(flat["id"])
        assert (again["name"], again["tenant"], again["notes"], again["status"]) == (
            "Flat 2B",
            ada["id"],
            "keep me",
            "Available",
        )
        assert s.get(ada["id"])["needs_housing"] is True
        assert s.get(ada["id"])["first_name"] == "Adaeze"
        # A contact created while the plugin was off has no value yet.
        assert not s.get(bola["id"])["needs_housing"]
        s.update(bola["id"], {"needs_housing": True})
        assert s.count("HousingUnit") == 1


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run the real ``missionbase`` command in-process: (exit code, stdout, stderr)."""
    from missionbase.core.cli import main

    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_from_the_command_line(tmp_path, monkeypatch, capsys, database_url):
    """init with the plugin, describe its object, disable and re-enable it: as a user would."""
    monkeypatch.chdir(tmp_path)
    for name in ("MISSIONBASE_DATABASE_URL", "MISSIONBASE_PLUGINS", "MISSIONBASE_USER"):
        monkeypatch.delenv(name, raising=False)

    def cli(*args: str) -> str:
        code, out, err = _cli(capsys, *args)
        assert code == 0, err
        return out

    cli("init", "--database-url", database_url, "--plugins", "housing")
    listed = {p["name"]: p for p in json.loads(cli("plugins", "list", "--json"))}
    assert listed["housing"]["enabled"] is True
    assert listed["housing"]["version"] == "0.1.0"
    assert listed["housing"]["objects"] == ["HousingUnit"]

    described = json.loads(cli("objects", "describe", "HousingUnit", "--json"))
    assert described["plugin"] == "housing"
    assert {fld["plugin"] for fld in described["fields"]} == {"housing"}
    assert "matches" in cli("db", "status")

    created = json.loads(cli("records", "create", "HousingUnit", "--set", "name=Flat 2B", "--json"))
    assert created["id"].startswith("hsu_")
    cli("plugins", "disable", "housing")
    cli("db", "upgrade")
    cli("plugins", "enable", "housing")
    assert "matches" in cli("db", "status")
    got = json.loads(cli("records", "get", created["id"], "--json"))
    assert (got["name"], got["status"]) == ("Flat 2B", "Available")
