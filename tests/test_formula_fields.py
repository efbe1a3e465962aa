"""Formula fields: computed when read, per viewer, never stored; filterable only with a SQL expression."""

from __future__ import annotations

import io
import json
import types

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from missionbase.core import ObjectType, PermissionSet, hookimpl
from missionbase.core import fields as f
from missionbase.core.cli.context import CliState
from missionbase.core.cli.org import objects as objects_cli
from missionbase.core.dataio import export_records
from missionbase.core.errors import ConfigError, UnknownName, ValidationError
from missionbase.core.security.sharing import assign_permission_set, set_sharing_default


def gadget() -> ObjectType:
    return ObjectType(
        "Gadget",
        prefix="gdg",
        sharing="public_read_write",
        fields=[
            f.Text("name", max_length=80, required=True),
            f.Decimal("price", 10, 2),
            f.Lookup("maker", "Account", on_delete="clear"),
            f.Formula(
                "mine",
                f.Boolean,
                compute=lambda r, s: r["owner_id"] == s.user.id,
                depends_on=["owner_id"],
                sql=lambda t, s: t.c.owner_id == s.user.id,
                help="Owned by the viewer",
            ),
            f.Formula(
                "price_label",
                "text",
                compute=lambda r, s: None if r["price"] is None else f"{r['price']} EUR",
                depends_on=["price"],
            ),
            f.Formula("maker_name", f.Text, compute=lambda r, s: r["maker.name"], depends_on=["maker.name"]),
        ],
    )


def gadget_plugin(objects=None) -> types.ModuleType:
    module = types.ModuleType("gadgets")

    def missionbase_register_objects(registry):
        for obj in objects or [gadget()]:
            registry.add(obj)

    def missionbase_register_permission_sets(registry):
        registry.add(PermissionSet("Gadgets: Use", objects={"Gadget": "CRED", "Account": "R"}))
        registry.add(
            PermissionSet(
                "Gadgets: No Labels", objects={"Gadget": "R"}, fields={"Gadget.price_label": "hidden"}
            )
        )

    module.missionbase_register_objects = hookimpl(missionbase_register_objects)
    module.missionbase_register_permission_sets = hookimpl(missionbase_register_permission_sets)
    return module


# One module for every test of this file: its hooks only declare, and the same module objects
# are what lets make_app reuse an initialised org (see missionbase.core.testing).
GADGETS = gadget_plugin()


@pytest.fixture
def gadget_app(make_app):
    app = make_app(plugins=["gadgets"], extra_plugins={"gadgets": GADGETS})
    with app.session("admin") as s:
        set_sharing_default(s, "Account", "public_read")
        for username, sets in (
            ("ana", ["Standard User", "Gadgets: Use"]),
            ("bo", ["Standard User", "Gadgets: Use"]),
            ("cy", ["Read Only", "Gadgets: No Labels"]),
        ):
            user = s.create("User", {"username": username, "name": username.title()})
            for name in sets:
                assign_permission_set(s, user["id"], name)
    return app


def _make_gadgets(app):
    with app.session("admin") as s:
        maker = s.create("Account", {"name": "Acme"})
    with app.session("ana") as s:
        a = s.create("Gadget", {"name": "A", "price": "9.50", "maker": maker["id"]})
    with app.session("bo") as s:
        b = s.create("Gadget", {"name": "B"})
    return a, b


def test_value_is_computed_per_viewer(gadget_app):
    a, b = _make_gadgets(gadget_app)
    assert a["mine"] is True and a["price_label"] == "9.50 EUR" and a["maker_name"] == "Acme"
    assert b["mine"] is True and b["price_label"] is None and b["maker_name"] is None
    with gadget_app.session("ana") as s:
        assert {r["name"]: r["mine"] for r in s.query("Gadget")} == {"A": True, "B": False}
        assert s.get(b["id"])["mine"] is False
        # asked for alone, the formula still gets what it reads; its dependencies are not shown
        only = s.get(a["id"], fields=["mine", "maker_name"])
        assert only == {"id": a["id"], "mine": True, "maker_name": "Acme"}
        updated = s.update(a["id"], {"price": "12.25"})
        assert updated["price_label"] == "12.25 EUR" and updated["maker_name"] == "Acme"
    with gadget_app.session("bo") as s:
        assert {r["name"]: r["mine"] for r in s.query("Gadget")} == {"A": False, "B": True}


def test_formula_is_not_stored_and_db_upgrade_adds_no_column(gadget_app):
    with gadget_app.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("gadget")}
    assert {"name", "price", "maker"} <= columns
    assert not {"mine", "price_label", "maker_name"} & columns
    assert "mine" not in gadget_app.schema.table("Gadget").c
    assert gadget_app.pending_schema_changes() == []
    with gadget_app.session("ana") as s, pytest.raises(ValidationError, match=r"field 'mine': is read-only"):
        s.create("Gadget", {"name": "X", "mine": True})


def test_describe_shows_a_formula(gadget_app):
    described = {fld["name"]: fld for fld in gadget_app.registry.object("Gadget").describe()["fields"]}
    assert described["mine"] == {
        "name": "mine",
        "kind": "formula",
        "label": "Mine",
        "read_only": True,
        "help": "Owned by the viewer",
        "result": "boolean",
        "depends_on": ["owner_id"],
        "filterable": True,
        "plugin": "gadgets",
    }
    assert described["price_label"]["filterable"] is False and described["price_label"]["result"] == "text"
    runner = CliRunner()
    as_json = runner.invoke(objects_cli, ["describe", "Gadget", "--json"], obj=CliState(_app=gadget_app))
    assert as_json.exit_code == 0, as_json.output
    assert {fld["name"]: fld for fld in json.loads(as_json.output)["fields"]}["mine"]["kind"] == "formula"
    table = runner.invoke(objects_cli, ["describe", "Gadget"], obj=CliState(_app=gadget_app))
    line = next(line for line in table.output.splitlines() if line.startswith("mine"))
    assert "formula(boolean)" in line and "computed when read" in line and "filterable" in line


def test_filter_and_sort_with_a_sql_expression(gadget_app):
    _make_gadgets(gadget_app)
    with gadget_app.session("ana") as s:
        assert [r["name"] for r in s.query("Gadget", where={"mine": True})] == ["A"]
        assert [r["name"] for r in s.query("Gadget", where={"mine": "false"})] == ["B"]
        assert s.count("Gadget", where={"mine": {"ne": True}}) == 1
        assert [r["name"] for r in s.query("Gadget", order_by="-mine")] == ["A", "B"]
        page = s.query("Gadget", order_by="mine", limit=1)
        assert [r["name"] for r in page] == ["B"]
        assert [r["name"] for r in s.query("Gadget", order_by="mine", limit=1, cursor=page.next_cursor)] == [
            "A"
        ]
    with gadget_app.session("bo") as s:
        assert [r["name"] for r in s.query("Gadget", where={"mine": True})] == ["B"]


def test_filter_or_sort_without_sql_is_an_error_naming_the_field(gadget_app):
    _make_gadgets(gadget_app)
    with gadget_app.session("ana") as s:
        with pytest.raises(
            ValidationError, match=r"'price_label' is a formula field.*cannot be used to filter"
        ):
            s.query("Gadget", where={"price_label": "9.50 EUR"})
        with pytest.raises(ValidationError, match=r"'maker_name' is a formula field"):
            s.query("Gadget", order_by="maker_name")


def test_hidden_by_field_level_security_like_any_field(gadget_app):
    a, _ = _make_gadgets(gadget_app)
    with gadget_app.session("cy") as s:
        record = s.get(a["id"])
        assert "price_label" not in record and record["mine"] is False and record["price"] is not None
        with pytest.raises(UnknownName):
            s.get(a["id"], fields=["price_label"])
        with pytest.raises(UnknownName):
            s.query("Gadget", where={"price_label": {"is_null": True}})


def test_export_includes_formula_values(gadget_app):
    _make_gadgets(gadget_app)
    out = io.StringIO()
    assert export_records(gadget_app, "Gadget", out, fmt="jsonl", as_user="ana") == 2
    rows = {r["name"]: r for r in map(json.loads, out.getvalue().splitlines())}
    assert (
        rows["A"]["mine"] is True
        and rows["A"]["price_label"] == "9.50 EUR"
        and rows["A"]["maker_name"] == "Acme"
    )
    assert rows["B"]["mine"] is False
    csv_out = io.StringIO()
    export_records(gadget_app, "Gadget", csv_out, fmt="csv", as_user="cy")
    header = csv_out.getvalue().splitlines()[0].split(",")
    assert "mine" in header and "price_label" not in header


def test_formula_declarations_are_checked(make_app):
    with pytest.raises(ValueError, match="cannot be required"):
        f.Formula("x", f.Boolean, compute=lambda r, s: True, required=True)
    with pytest.raises(ValueError, match="needs compute"):
        f.Formula("x", f.Boolean)
    bad = ObjectType(
        "Gizmo",
        prefix="gzm",
        fields=[
            f.Text("name"),
            f.Formula("twice", f.Integer, compute=lambda r, s: 2, depends_on=["nothing"]),
        ],
    )
    with pytest.raises(ConfigError, match=r"formula Gizmo.twice .* depends on 'nothing'"):
        make_app(plugins=["gadgets"], extra_plugins={"gadgets": gadget_plugin([gadget(), bad])}, init=False)
