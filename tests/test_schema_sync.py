"""``db upgrade``: additive changes are applied, anything that could lose data is not.

Plugins here are in-process modules (``extra_plugins``) so one test can play
two versions of the same plugin against one database. The last tests use
the installed third-party ``missionbase-housing`` package, whose Alembic
script narrows ``HousingUnit.notes`` the explicit, data-preserving way.
"""

from __future__ import annotations

import textwrap
import types
from importlib import metadata

import pytest
import sqlalchemy as sa

from missionbase.core import ObjectType, hookimpl
from missionbase.core import fields as f

HOUSING_REVISION = "a1c3e5f70001"  # missionbase_housing/migrations/a1c3e5f70001_narrow_notes.py


def plugin_module(module_name: str, objects=(), extends=None, file=None) -> types.ModuleType:
    """An in-process plugin declaring ``objects`` and extending others with ``extends``."""
    module = types.ModuleType(module_name)

    @hookimpl
    def missionbase_register_objects(registry):
        for obj in objects:
            registry.add(obj)
        for object_name, new_fields in (extends or {}).items():
            registry.extend(object_name, new_fields)

    module.missionbase_register_objects = missionbase_register_objects
    if file is not None:
        module.__file__ = str(file)  # its migrations/ folder sits next to it
    return module


def widget(*extra_fields, label_length=100, indexes=()) -> ObjectType:
    return ObjectType(
        "Widget",
        prefix="wdg",
        fields=[
            f.Text("name", max_length=80, required=True),
            f.Text("label", max_length=label_length),
            *extra_fields,
        ],
        indexes=indexes,
    )


def is_postgres(app) -> bool:
    return app.engine.dialect.name == "postgresql"


def kinds(changes) -> set[tuple[str, str, str]]:
    return {(c.kind, c.table, c.detail.split(" ")[0]) for c in changes}


def columns(app, table: str) -> dict[str, sa.types.TypeEngine]:
    with app.connect() as conn:
        return {c["name"]: c["type"] for c in sa.inspect(conn).get_columns(table)}


def index_names(app, table: str) -> set[str]:
    with app.connect() as conn:
        return {i["name"] for i in sa.inspect(conn).get_indexes(table)}


def raw_rows(app, sql: str) -> list[tuple]:
    with app.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql)).all()]


# -- additive changes ---------------------------------------------------------------


def test_fresh_org_has_nothing_pending(make_app):
    app = make_app(plugins=["housing"])
    assert app.pending_schema_changes() == []
    assert app.upgrade() == []  # a second upgrade does nothing


def test_new_object_and_new_fields_are_pending_then_applied_and_rows_survive(make_app):
    v1 = plugin_module("gadgets_v1", [widget()])
    app1 = make_app(plugins=["gadgets"], extra_plugins={"gadgets": v1})
    with app1.session("admin") as s:
        first = s.create("Widget", {"name": "Sprocket", "label": "A"})
        contact = s.create("Contact", {"last_name": "Nwosu"})
    app1.dispose()

    gizmo = ObjectType(
        "Gizmo", prefix="gzm", fields=[f.Text("name", max_length=80), f.Lookup("widget", "Widget")]
    )
    v2 = plugin_module(
        "gadgets_v2",
        [widget(f.Integer("size"), f.Picklist("colour", ["Red", "Blue"], indexed=True)), gizmo],
        extends={"Contact": [f.Text("shoe_size", max_length=10)]},
    )
    app2 = make_app(plugins=["gadgets"], extra_plugins={"gadgets": v2}, init=False)
    pending = app2.pending_schema_changes()
    assert kinds(pending) == {
        ("add_table", "gizmo", ""),
        ("add_index", "gizmo", "ix_gizmo_name"),
        ("add_index", "gizmo", "ix_gizmo_owner_id"),
        ("add_index", "gizmo", "ix_gizmo_widget"),
        ("add_column", "widget", "size"),
        ("add_column", "widget", "colour"),
        ("add_index", "widget", "ix_widget_colour"),
        ("add_column", "contact", "shoe_size"),
    }
    assert all(c.additive for c in pending)
    # Looking is not applying.
    assert "size" not in columns(app2, "widget")

    assert kinds(app2.upgrade()) == kinds(pending)
    assert app2.pending_schema_changes() == []
    assert {"size", "colour"} <= set(columns(app2, "widget"))
    assert "shoe_size" in columns(app2, "contact")

    with app2.session("admin") as s:
        old = s.get(first["id"])
        assert (old["name"], old["label"], old["size"], old["colour"]) == ("Sprocket", "A", None, None)
        s.update(first["id"], {"size": 3, "colour": "Blue"})
        g = s.create("Gizmo", {"name": "G1", "widget": first["id"]})
        s.update(contact["id"], {"shoe_size": "42"})
    with app2.session("admin") as s:
        assert s.get(first["id"])["colour"] == "Blue"
        assert s.get(g["id"])["widget"] == first["id"]
        assert s.get(contact["id"])["last_name"] == "Nwosu"
        assert s.count("Widget") == 1


def test_declared_indexes_are_created(make_app):
    obj = widget(
        f.Text("code", max_length=20, unique=True),
        f.Date("due", indexed=True),
        f.Lookup("parent", "Widget", on_delete="clear"),
        indexes=[("label", "due")],
    )
    app = make_app(plugins=["gadgets"], extra_plugins={"gadgets": plugin_module("gadgets", [obj])})
    assert {
        "ix_widget_owner_id",  # every table
        "ix_widget_name",  # the name field
        "ux_widget_code",  # unique field
        "ix_widget_due",  # indexed=True
        "ix_widget_parent",  # lookups are indexed
        "ix_widget_label_due",  # ObjectType(indexes=...)
    } <= index_names(app, "widget")
    with app.connect() as conn:
        unique = {i["name"]: bool(i["unique"]) for i in sa.inspect(conn).get_indexes("widget")}
    assert unique["ux_widget_code"] is True
    assert unique["ix_widget_due"] is False


def test_index_added_to_an_existing_column_is_applied(make_app):
    app1 = make_app(plugins=["gadgets"], extra_plugins={"gadgets": plugin_module("g1", [widget()])})
    assert "ix_widget_label" not in index_names(app1, "widget")
    app1.dispose()

    later = widget(indexes=[("label",)])
    app2 = make_app(plugins=["gadgets"], extra_plugins={"gadgets": plugin_module("g2", [later])}, init=False)
    assert kinds(app2.pending_schema_changes()) == {("add_index", "widget", "ix_widget_label")}
    app2.upgrade()
    assert "ix_widget_label" in index_names(app2, "widget")


def test_narrowing_a_column_with_data_is_reported_not_applied(make_app):
    long_label = "L" * 90
    app1 = make_app(plugins=["gadgets"], extra_plugins={"gadgets": plugin_module("g1", [widget()])})
    with app1.session("admin") as s:
        w = s.create("Widget", {"name": "Sprocket", "label": long_label})
    app1.dispose()

    # The next version narrows label to 20 characters and adds a field.
    narrower = widget(f.Integer("size"), label_length=20)
    app2 = make_app(
        plugins=["gadgets"], extra_plugins={"gadgets": plugin_module("g2", [narrower])}, init=False
    )
    pending = app2.pending_schema_changes()
    narrowing = [c for c in pending if c.kind == "needs_migration"]
    if is_postgres(app2):
        assert [(c.table, c.detail.split(" ")[0]) for c in narrowing] == [("widget", "label")]
        assert not narrowing[0].additive
        assert "migration" in narrowing[0].describe()
    else:
        # SQLite does not enforce VARCHAR lengths, so there is nothing to narrow.
        assert narrowing == []

    done = app2.upgrade()
    assert ("add_column", "widget", "size") in kinds(done)  # the additive part still happens
    assert columns(app2, "widget")["label"].length == 100  # not narrowed
    assert raw_rows(app2, "SELECT label FROM widget") == [(long_label,)]  # nor truncated
    with app2.session("admin") as s:
        assert s.get(w["id"])["label"] == long_label
    # Still pending until a migration script deals with it.
    assert [c.kind for c in app2.pending_schema_changes()] == [c.kind for c in narrowing]
    if is_postgres(app2):
        # The database still enforces the old length, not the new one and not none.
        with pytest.raises(sa.exc.DBAPIError), app2.connect() as conn, conn.begin():
            conn.execute(sa.text("UPDATE widget SET label = :v"), {"v": "x" * 101})


def test_widening_a_column_is_applied(make_app):
    app1 = make_app(plugins=["gadgets"], extra_plugins={"gadgets": plugin_module("g1", [widget()])})
    with app1.session("admin") as s:
        w = s.create("Widget", {"name": "Sprocket", "label": "short"})
    app1.dispose()

    wider = widget(label_length=400)
    app2 = make_app(plugins=["gadgets"], extra_plugins={"gadgets": plugin_module("g2", [wider])}, init=False)
    if is_postgres(app2):
        assert kinds(app2.pending_schema_changes()) == {("widen_column", "widget", "label")}
    app2.upgrade()
    assert app2.pending_schema_changes() == []
    with app2.session("admin") as s:
        s.update(w["id"], {"label": "w" * 400})
    with app2.session("admin") as s:
        assert s.get(w["id"])["label"] == "w" * 400
    if is_postgres(app2):
        assert columns(app2, "widget")["label"].length == 400


# -- a plugin's own Alembic migration script ---------------------------------------


def housing_0_0_9() -> types.ModuleType:
    """missionbase-housing as it was before 0.1.0: notes up to 500 characters, no rent, status not indexed."""
    unit = ObjectType(
        "HousingUnit",
        label="Housing unit",
        prefix="hsu",
        sharing="private",
        fields=[
            f.Text("name", max_length=80, required=True),
            f.Picklist("status", ["Available", "Occupied", "Maintenance"], default="Available"),
            f.Lookup("tenant", "Contact", on_delete="clear"),
            f.Date("move_in_date"),
            f.Text("notes", max_length=500),
        ],
    )
    return plugin_module(
        "missionbase_housing_0_0_9", [unit], extends={"Contact": [f.Boolean("needs_housing", default=False)]}
    )


def versions(app) -> set[str]:
    with app.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return set()
        return set(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())


def test_housing_migration_narrows_notes_through_upgrade(make_app):
    assert metadata.version("missionbase-housing") == "0.1.0"
    long_note = "".join(f"{i:04d}|" for i in range(90))  # 450 characters, every prefix distinct
    old = make_app(plugins=["housing"], extra_plugins={"housing": housing_0_0_9()})
    assert columns(old, "housing_unit")["notes"].length == 500
    with old.session("admin") as s:
        tenant = s.create("Contact", {"last_name": "Mensah", "needs_housing": True})
        long_unit = s.create("HousingUnit", {"name": "Flat 1", "tenant": tenant["id"], "notes": long_note})
        short_unit = s.create("HousingUnit", {"name": "Flat 2", "notes": "x" * 200})
        bare_unit = s.create("HousingUnit", {"name": "Flat 3"})
    assert versions(old) == set()  # no script ran: 0.0.9 had none
    old.dispose()

    # Now the installed package (0.1.0): notes declared 200, a script to get there.
    new = make_app(plugins=["housing"], init=False)
    assert new.installed["housing"].distribution == "missionbase-housing"
    pending = kinds(new.pending_schema_changes())
    assert ("add_column", "housing_unit", "monthly_rent") in pending
    assert ("add_index", "housing_unit", "ix_housing_unit_status") in pending
    if is_postgres(new):
        assert ("needs_migration", "housing_unit", "notes") in pending
    assert raw_rows(new, f"SELECT notes FROM housing_unit WHERE id = '{long_unit['id']}'") == [(long_note,)]

    new.upgrade()

    assert versions(new) == {HOUSING_REVISION}
    assert columns(new, "housing_unit")["notes"].length == 200  # SQLite too: batch mode rebuilt the table
    assert new.pending_schema_changes() == []
    # Batch mode on SQLite copies the table: its indexes must come along.
    assert {
        "ix_housing_unit_owner_id",
        "ix_housing_unit_name",
        "ix_housing_unit_tenant",
        "ix_housing_unit_status",
    } <= index_names(new, "housing_unit")
    with new.session("admin") as s:
        got = s.get(long_unit["id"])
        assert got["notes"] == long_note[:200]
        assert (got["name"], got["tenant"], got["status"]) == ("Flat 1", tenant["id"], "Available")
        assert s.get(short_unit["id"])["notes"] == "x" * 200
        assert s.get(bare_unit["id"])["notes"] is None
        assert s.get(tenant["id"])["needs_housing"] is True
        assert s.count("HousingUnit") == 3
        s.update(long_unit["id"], {"monthly_rent": "600.00"})

    # Running it again is a no-op: the revision is recorded.
    assert new.upgrade() == []
    assert versions(new) == {HOUSING_REVISION}
    with new.session("admin") as s:
        assert s.get(long_unit["id"])["notes"] == long_note[:200]


def test_migration_on_a_fresh_org_is_recorded(make_app):
    app = make_app(plugins=["housing"])
    assert versions(app) == {HOUSING_REVISION}
    assert columns(app, "housing_unit")["notes"].length == 200


GADGET_SCRIPT = '''
"""Give every widget without a label the label "unlabelled"."""
import sqlalchemy as sa
from alembic import op

revision = "c0ffee000001"
down_revision = None
branch_labels = ("gadgets",)
depends_on = None


def upgrade():
    widget = sa.table("widget", sa.column("label", sa.String(100)))
    op.execute(widget.update().where(widget.c.label.is_(None)).values(label="unlabelled"))


def downgrade():
    pass
'''


def test_disabled_plugins_revisions_do_not_block_other_plugins_scripts(make_app, tmp_path):
    """Only enabled plugins' folders are searched; the version table keeps the others' rows."""
    package = tmp_path / "gadgets"
    (package / "migrations").mkdir(parents=True)
    (package / "migrations" / "c0ffee000001_label_widgets.py").write_text(textwrap.dedent(GADGET_SCRIPT))

    with_housing = make_app(plugins=["housing"])
    with with_housing.session("admin") as s:
        unit = s.create("HousingUnit", {"name": "Flat 1", "notes": "kept"})
    assert versions(with_housing) == {HOUSING_REVISION}
    with_housing.dispose()

    # housing off; gadgets 1.0 (no scripts yet) on.
    gadgets_1_0 = plugin_module("gadgets_1_0", [widget()])
    first = make_app(plugins=["gadgets"], extra_plugins={"gadgets": gadgets_1_0})
    with first.session("admin") as s:
        w = s.create("Widget", {"name": "Sprocket"})
    assert versions(first) == {HOUSING_REVISION}
    first.dispose()

    # gadgets 1.1 ships a script; housing still off, its revision unknown to this run.
    gadgets_1_1 = plugin_module("gadgets_1_1", [widget()], file=package / "__init__.py")
    second = make_app(plugins=["gadgets"], extra_plugins={"gadgets": gadgets_1_1}, init=False)
    second.upgrade()
    assert versions(second) == {HOUSING_REVISION, "c0ffee000001"}
    with second.session("admin") as s:
        assert s.get(w["id"])["label"] == "unlabelled"
        w2 = s.create("Widget", {"name": "Cog"})
    assert second.upgrade() == []  # again: both revisions known as applied
    second.dispose()

    both = make_app(plugins=["housing", "gadgets"], extra_plugins={"gadgets": gadgets_1_1})
    assert versions(both) == {HOUSING_REVISION, "c0ffee000001"}
    with both.session("admin") as s:
        assert s.get(unit["id"])["notes"] == "kept"
        assert s.get(w2["id"])["label"] is None  # created after the script ran: left alone
