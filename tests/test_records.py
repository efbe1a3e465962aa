"""RecordService: validation of every field kind, one transaction per call,
triggers, optimistic concurrency, delete rules and the recycle bin, settings,
and the standard objects' own behaviour."""

from __future__ import annotations

import datetime as dt
import decimal
import re
import types

import pytest
import sqlalchemy as sa

from missionbase.core import ObjectType, hookimpl
from missionbase.core import fields as f
from missionbase.core.errors import (
    DeleteBlocked,
    MissionbaseError,
    RecordNotFound,
    StaleVersion,
    UnknownName,
    ValidationError,
)
from missionbase.core.registry import Setting

MISSING_CONTACT = "con_01HZZZZZZZZZZZZZZZZZZZZZZZ"


def specimen() -> ObjectType:
    """An object with a field of every kind."""
    return ObjectType(
        "Specimen",
        prefix="spc",
        fields=[
            f.Text("name", max_length=10, required=True),
            f.LongText("notes", max_length=50),
            f.Email("email"),
            f.Phone("phone"),
            f.Url("website"),
            f.Integer("count", min_value=0, max_value=100),
            f.Integer("big"),
            f.Decimal("weight", 6, 3),
            f.Currency("price"),
            f.Percent("share"),
            f.Boolean("active"),
            f.Date("day"),
            f.Datetime("at"),
            f.Picklist("color", ["Red", "Green"], default="Red"),
            f.Picklist("mood", ["Calm"], restricted=False),
            f.MultiPicklist("tags", ["A", "B", "C"]),
            f.Lookup("contact", "Contact", on_delete="clear"),
            f.Lookup("party", ["Account", "Contact"], on_delete="clear"),
            f.Lookup("anything", "*", on_delete="clear"),
            f.AutoNumber("number", "SP-{0000}"),
            f.Text("code", max_length=20, unique=True),
            f.Text("greeting", default="hello"),
            f.Text("slot", pattern=r"\d\d:\d\d", pattern_hint="HH:MM", max_length=5),
        ],
    )


def project_objects() -> list[ObjectType]:
    """A parent with children under each on_delete rule, and a grandchild."""
    return [
        ObjectType("Project", prefix="prj", fields=[f.Text("name", required=True)]),
        ObjectType(
            "Milestone",
            prefix="mls",
            fields=[f.Text("name"), f.Lookup("project", "Project", on_delete="cascade")],
        ),
        ObjectType(
            "Step",
            prefix="stp",
            fields=[f.Text("name"), f.Lookup("milestone", "Milestone", on_delete="cascade")],
        ),
        ObjectType(
            "Memo",
            prefix="mem",
            fields=[f.Text("name"), f.Lookup("project", "Project", on_delete="clear")],
        ),
        ObjectType(
            "Invoice",
            prefix="inv",
            fields=[f.Text("name"), f.Lookup("project", "Project", on_delete="restrict")],
        ),
        ObjectType(
            "Folder",
            prefix="fdr",
            fields=[f.Text("name"), f.Lookup("parent", "Folder", on_delete="cascade")],
        ),
    ]


def make_plugin(
    triggers: list[tuple[str, str, object]] = (), objects=None, settings=None
) -> types.ModuleType:
    module = types.ModuleType("test_plugin_records")

    def missionbase_register_objects(registry):
        for obj in objects if objects is not None else [specimen(), *project_objects()]:
            registry.add(obj)
        for setting in settings or ():
            registry.add(setting)

    def missionbase_register_triggers(registry):
        for object_name, event, handler in triggers:
            registry.add_trigger(object_name, event, handler)

    module.missionbase_register_objects = hookimpl(missionbase_register_objects)
    module.missionbase_register_triggers = hookimpl(missionbase_register_triggers)
    return module


# One module for every test of this file: its hooks only declare, and the same module objects
# are what lets make_app reuse an initialised org (see missionbase.core.testing).
LAB = make_plugin()


@pytest.fixture
def lab(make_app):
    """An org with the test objects and no triggers of its own."""
    return make_app(plugins=["lab"], extra_plugins={"lab": LAB})


@pytest.fixture
def s(lab):
    with lab.session("admin") as session:
        yield session


def count(app, object_name: str, where=None) -> int:
    """Rows as seen from a new session (what was committed)."""
    with app.session("admin") as s:
        return s.count(object_name, where)


def rejected(s, values: dict, *, field: str, object_name: str = "Specimen") -> str:
    """Create one record, expect a ValidationError on ``field``; returns the message."""
    with pytest.raises(ValidationError) as info:
        s.create(object_name, values)
    error = info.value
    message = str(error)
    assert error.field == field, message
    assert error.row == 0, message
    assert "\n" not in message
    assert message.startswith(f"{object_name} row 0 field {field!r}: "), message
    return message


# -- field kinds -----------------------------------------------------------------


def test_text_over_max_length(s):
    message = rejected(s, {"name": "x" * 11}, field="name")
    assert "at most 10 characters" in message
    assert "'xxxxxxxxxxx'" in message
    assert s.create("Specimen", {"name": "x" * 10})["name"] == "x" * 10


def test_long_text_max_length(s):
    assert "at most 50" in rejected(s, {"name": "a", "notes": "n" * 51}, field="notes")


def test_text_pattern_with_its_hint(s):
    message = rejected(s, {"name": "a", "slot": "9am"}, field="slot")
    assert "HH:MM" in message and "'9am'" in message
    assert s.create("Specimen", {"name": "a", "slot": "09:30"})["slot"] == "09:30"


def test_email(s):
    message = rejected(s, {"name": "a", "email": "ana.example.org"}, field="email")
    assert "not a valid email address" in message
    assert "'ana.example.org'" in message
    assert s.create("Specimen", {"name": "a", "email": " ana@example.org "})["email"] == "ana@example.org"


def test_phone(s):
    message = rejected(s, {"name": "a", "phone": "call me"}, field="phone")
    assert "not a valid phone number" in message
    assert s.create("Specimen", {"name": "a", "phone": "+44 (20) 7946-0018 ext 12"})["phone"]


def test_url(s):
    message = rejected(s, {"name": "a", "website": "ftp://example.org"}, field="website")
    assert "http(s) URL" in message
    assert rejected(s, {"name": "a", "website": "example.org"}, field="website")
    assert s.create("Specimen", {"name": "a", "website": "https://example.org/x?y=1"})["website"]


def test_integer(s):
    assert s.create("Specimen", {"name": "a", "count": "12"})["count"] == 12
    message = rejected(s, {"name": "a", "count": "12.5"}, field="count")
    assert "integer" in message and "'12.5'" in message
    assert "less than or equal to 100" in rejected(s, {"name": "a", "count": 101}, field="count")
    assert "greater than or equal to 0" in rejected(s, {"name": "a", "count": -1}, field="count")
    assert "integer" in rejected(s, {"name": "a", "count": "twelve"}, field="count")


def test_integer_beyond_64_bits_is_a_validation_error_not_a_database_error(s):
    assert s.create("Specimen", {"name": "a", "big": 2**63 - 1})["big"] == 2**63 - 1
    rejected(s, {"name": "a", "big": 2**63}, field="big")
    rejected(s, {"name": "a", "big": -(2**63) - 1}, field="big")


def test_decimal_precision_and_scale(s):
    record = s.create("Specimen", {"name": "a", "weight": "123.456"})
    assert record["weight"] == decimal.Decimal("123.456")
    assert "3 digits before the decimal point" in rejected(
        s, {"name": "a", "weight": "1234.5"}, field="weight"
    )
    assert "'123.4567'" in rejected(s, {"name": "a", "weight": "123.4567"}, field="weight")
    assert "decimal" in rejected(s, {"name": "a", "weight": "heavy"}, field="weight").lower()
    assert s.get(record["id"])["weight"] == decimal.Decimal("123.456")


def test_currency(s):
    record = s.create("Specimen", {"name": "a", "price": "1999.90"})
    assert record["price"] == decimal.Decimal("1999.90")
    assert "2 decimal places" in rejected(s, {"name": "a", "price": "19.999"}, field="price")
    assert s.get(record["id"])["price"] == decimal.Decimal("1999.90")


def test_percent(s):
    assert s.create("Specimen", {"name": "a", "share": "99.5"})["share"] == decimal.Decimal("99.5")
    rejected(s, {"name": "a", "share": "1000"}, field="share")
    rejected(s, {"name": "a", "share": "12.345"}, field="share")


@pytest.mark.parametrize(
    ("given", "stored"),
    [("yes", True), ("no", False), ("1", True), ("0", False), ("true", True), ("False", False), (True, True)],
)
def test_boolean_coercion(s, given, stored):
    record = s.create("Specimen", {"name": "a", "active": given})
    assert record["active"] is stored
    assert s.get(record["id"])["active"] is stored


def test_boolean_rejects_other_words(s):
    assert "boolean" in rejected(s, {"name": "a", "active": "maybe"}, field="active")


def test_date(s):
    record = s.create("Specimen", {"name": "a", "day": "2024-02-29"})
    assert s.get(record["id"])["day"] == dt.date(2024, 2, 29)
    assert "'2023-02-29'" in rejected(s, {"name": "a", "day": "2023-02-29"}, field="day")
    rejected(s, {"name": "a", "day": "next tuesday"}, field="day")


def test_datetime_is_stored_in_utc_and_returned_aware(lab):
    with lab.session("admin") as s:
        offset = s.create("Specimen", {"name": "a", "at": "2024-05-01T10:00:00+02:00"})
        naive = s.create("Specimen", {"name": "b", "at": dt.datetime(2024, 5, 1, 10, 0)})
        zoned = s.create(
            "Specimen",
            {"name": "c", "at": dt.datetime(2024, 1, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))},
        )
    with lab.session("admin") as s:
        got = s.get(offset["id"])["at"]
        assert got == dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.UTC)
        assert got.utcoffset() == dt.timedelta(0)
        assert s.get(naive["id"])["at"] == dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.UTC)
        assert s.get(zoned["id"])["at"] == dt.datetime(2024, 1, 2, 4, 30, tzinfo=dt.UTC)
        # system timestamps are aware too
        assert s.get(naive["id"])["created_at"].tzinfo is not None
    with lab.session("admin") as s:
        rejected(s, {"name": "a", "at": "yesterday"}, field="at")


def test_picklist_restricted(s):
    message = rejected(s, {"name": "a", "color": "Blue"}, field="color")
    assert "'Red' or 'Green'" in message and "'Blue'" in message
    assert s.create("Specimen", {"name": "a", "color": "Green"})["color"] == "Green"


def test_unrestricted_picklist_accepts_other_values(s):
    assert s.create("Specimen", {"name": "a", "mood": "Cheerful"})["mood"] == "Cheerful"


def test_multi_picklist_as_list_or_semicolon_string(lab):
    with lab.session("admin") as s:
        from_list = s.create("Specimen", {"name": "a", "tags": ["A", "C"]})
        from_text = s.create("Specimen", {"name": "b", "tags": "B; C"})
        empty = s.create("Specimen", {"name": "c"})
        assert from_list["tags"] == ["A", "C"]
    with lab.session("admin") as s:
        assert s.get(from_list["id"])["tags"] == ["A", "C"]
        assert s.get(from_text["id"])["tags"] == ["B", "C"]
        assert s.get(empty["id"])["tags"] in (None, [])
        assert "'D'" in rejected(s, {"name": "a", "tags": "A;D"}, field="tags")
        assert "'D'" in rejected(s, {"name": "a", "tags": ["D"]}, field="tags")


def test_lookup_to_a_missing_record(s):
    message = rejected(s, {"name": "a", "contact": MISSING_CONTACT}, field="contact")
    assert f"Contact {MISSING_CONTACT} does not exist" in message


def test_lookup_to_a_deleted_record(s):
    contact = s.create("Contact", {"last_name": "Gone"})
    s.delete(contact["id"])
    assert "does not exist" in rejected(s, {"name": "a", "contact": contact["id"]}, field="contact")


def test_lookup_to_the_wrong_object_type(s):
    account = s.create("Account", {"name": "Acme"})
    message = rejected(s, {"name": "a", "contact": account["id"]}, field="contact")
    assert "must be the id of a Contact record" in message
    assert account["id"] in message


def test_lookup_value_that_is_not_an_id_nor_a_name(s):
    assert "no Contact matches 'Ana Lopez' (by id or name)" in rejected(
        s, {"name": "a", "contact": "Ana Lopez"}, field="contact"
    )


def test_polymorphic_lookup(s):
    account = s.create("Account", {"name": "Acme"})
    contact = s.create("Contact", {"last_name": "Ng"})
    task = s.create("Task", {"subject": "Call"})
    assert s.create("Specimen", {"name": "a", "party": account["id"]})["party"] == account["id"]
    assert s.create("Specimen", {"name": "b", "party": contact["id"]})["party"] == contact["id"]
    message = rejected(s, {"name": "c", "party": task["id"]}, field="party")
    assert "Account or Contact" in message


def test_any_object_lookup(s):
    task = s.create("Task", {"subject": "Call"})
    other = s.create("Specimen", {"name": "x"})
    assert s.create("Specimen", {"name": "a", "anything": task["id"]})["anything"] == task["id"]
    assert s.create("Specimen", {"name": "b", "anything": other["id"]})["anything"] == other["id"]
    assert "not a known record" in rejected(
        s, {"name": "c", "anything": "zzz_01HZZZZZZZZZZZZZZZZZZZZZZZ"}, field="anything"
    )
    assert "does not exist" in rejected(
        s, {"name": "c", "anything": "tsk_01HZZZZZZZZZZZZZZZZZZZZZZZ"}, field="anything"
    )


def test_auto_number_sequence(lab):
    with lab.session("admin") as s:
        first = s.create_many("Specimen", [{"name": "a"}, {"name": "b"}, {"name": "c"}])
        later = s.create("Specimen", {"name": "d"})
    assert [r["number"] for r in first] == ["SP-0001", "SP-0002", "SP-0003"]
    assert later["number"] == "SP-0004"
    with pytest.raises(ValidationError), lab.session("admin") as s:
        s.create_many("Specimen", [{"name": "e"}, {"name": "f", "code": "x"}, {"name": "g", "code": "x"}])
    with lab.session("admin") as s:
        # a rolled-back batch does not burn numbers
        assert s.create("Specimen", {"name": "h"})["number"] == "SP-0005"


def test_auto_number_cannot_be_written(s):
    assert "read-only" in rejected(s, {"name": "a", "number": "SP-9999"}, field="number")
    record = s.create("Specimen", {"name": "a"})
    with pytest.raises(ValidationError, match=r"field 'number': is read-only"):
        s.update(record["id"], {"number": "SP-9999"})


def test_required(s):
    assert rejected(s, {"count": 1}, field="name").endswith("is required")
    assert rejected(s, {"name": ""}, field="name").endswith("is required")
    assert rejected(s, {"name": None}, field="name").endswith("is required")


def test_required_on_update(s):
    record = s.create("Specimen", {"name": "a"})
    with pytest.raises(ValidationError, match=r"Specimen row 0 field 'name': is required"):
        s.update(record["id"], {"name": None})


def test_unique_within_a_batch(lab):
    with pytest.raises(ValidationError) as info, lab.session("admin") as s:
        s.create_many(
            "Specimen",
            [{"name": "a", "code": "C1"}, {"name": "b", "code": "C2"}, {"name": "c", "code": "C1"}],
        )
    error = info.value
    assert (error.row, error.field) == (2, "code")
    assert "'C1' is used twice in this batch (rows 0 and 2)" in str(error)
    assert count(lab, "Specimen") == 0


def test_unique_against_existing_records(s):
    existing = s.create("Specimen", {"name": "a", "code": "C1"})
    message = rejected(s, {"name": "b", "code": "C1"}, field="code")
    assert "'C1' already exists" in message and existing["id"] in message
    other = s.create("Specimen", {"name": "c", "code": "C2"})
    with pytest.raises(ValidationError, match="'C1' already exists"):
        s.update(other["id"], {"code": "C1"})
    # keeping one's own value is fine
    assert s.update(existing["id"], {"code": "C1", "name": "a2"})["name"] == "a2"


def test_unique_values_can_be_swapped_in_one_update(s):
    one = s.create("Specimen", {"name": "a", "code": "C1"})
    two = s.create("Specimen", {"name": "b", "code": "C2"})
    s.update_many([{"id": one["id"], "code": "TMP"}])
    s.update_many([{"id": two["id"], "code": "C1"}, {"id": one["id"], "code": "C2"}])
    assert s.get(one["id"])["code"] == "C2"
    assert s.get(two["id"])["code"] == "C1"


def test_default_values(s):
    record = s.create("Specimen", {"name": "a"})
    assert record["color"] == "Red"
    assert record["greeting"] == "hello"
    assert record["active"] is False
    given = s.create("Specimen", {"name": "b", "color": "Green", "greeting": "hi", "active": True})
    assert (given["color"], given["greeting"], given["active"]) == ("Green", "hi", True)
    stored = s.get(record["id"])
    assert (stored["color"], stored["greeting"], stored["active"]) == ("Red", "hello", False)


def test_nul_character_in_text_is_a_validation_error_on_every_engine(s):
    message = rejected(s, {"name": "a\x00b"}, field="name")
    assert "NUL" in message
    rejected(s, {"name": "a", "mood": "x\x00"}, field="mood")
    record = s.create("Specimen", {"name": "a"})
    with pytest.raises(ValidationError, match=r"field 'notes'.*NUL"):
        s.update(record["id"], {"notes": "\x00"})


def test_unknown_field_suggests_the_closest(s):
    with pytest.raises(ValidationError, match=r"Specimen row 0: unknown field 'nmae'; did you mean 'name'"):
        s.create("Specimen", {"nmae": "a"})


def test_system_fields_are_read_only(s):
    for name in ("id", "created_at", "created_by", "version", "is_deleted"):
        rejected(s, {"name": "a", name: "x"}, field=name)


def test_record_has_system_fields(lab):
    with lab.session("admin") as s:
        record = s.create("Specimen", {"name": "a"})
        admin_id = s.user.id
    assert record["owner_id"] == record["created_by"] == record["modified_by"] == admin_id
    assert record["version"] == 1
    assert record["created_at"] == record["modified_at"]
    assert "is_deleted" not in record


def test_error_names_the_row_of_a_bulk_call(s):
    rows = [{"name": f"r{i}"} for i in range(10)]
    rows[6]["email"] = "nope"
    rows[8]["email"] = "nope either"
    with pytest.raises(ValidationError) as info:
        s.create_many("Specimen", rows)
    assert str(info.value).startswith(
        "Specimen row 6 field 'email': is not a valid email address (got 'nope')"
    )
    assert "1 more row(s)" in str(info.value)


# -- one call, one transaction -------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"count": "many"},  # caught by validation
        {"contact": MISSING_CONTACT},  # caught after validation, by the lookup check
        {"code": "DUP"},  # caught by the unique check against row 0
    ],
)
def test_bad_row_5_of_10_writes_nothing(lab, bad):
    rows = [{"name": f"r{i}"} for i in range(10)]
    rows[0]["code"] = "DUP"
    rows[5].update(bad)
    with pytest.raises(ValidationError) as info, lab.session("admin") as s:
        s.create_many("Specimen", rows)
    assert info.value.row == 5
    assert info.value.field == next(iter(bad))
    assert count(lab, "Specimen") == 0


def test_failed_call_leaves_nothing_even_when_the_caller_carries_on(make_app):
    """A caller may catch the error and keep using the session: the failed call left no trace."""

    def fail_after_insert(ctx, rows):
        if any(row.new["name"] == "bad" for row in rows):
            raise ValidationError("refused by a trigger", object_name="Specimen", row=1, field="name")

    app = make_app(
        plugins=["lab"], extra_plugins={"lab": make_plugin([("Specimen", "after_insert", fail_after_insert)])}
    )
    with app.session("admin") as s:
        with pytest.raises(ValidationError, match="refused by a trigger"):
            s.create_many("Specimen", [{"name": "good"}, {"name": "bad"}])
        assert s.count("Specimen") == 0
        s.create("Specimen", {"name": "later"})
    with app.session("admin") as s:
        assert [r["name"] for r in s.query("Specimen").records] == ["later"]


# -- triggers -------------------------------------------------------------------------


def test_triggers_get_the_whole_batch_with_old_and_new(make_app):
    seen: list[tuple[str, int, list]] = []

    def record(ctx, rows):
        assert ctx.object.name == "Specimen"
        seen.append(
            (
                ctx.event,
                len(rows),
                [
                    ((row.old or {}).get("name"), (row.new or {}).get("name"), row.changed("name"))
                    for row in rows
                ],
            )
        )

    events = [
        "before_insert",
        "after_insert",
        "before_update",
        "after_update",
        "before_delete",
        "after_delete",
    ]
    app = make_app(
        plugins=["lab"], extra_plugins={"lab": make_plugin([("Specimen", e, record) for e in events])}
    )
    with app.session("admin") as s:
        made = s.create_many("Specimen", [{"name": "a"}, {"name": "b"}, {"name": "c"}])
        s.update_many([{"id": made[0]["id"], "name": "A"}, {"id": made[1]["id"], "count": 1}])
        s.delete_many([r["id"] for r in made])
    assert seen == [
        ("before_insert", 3, [(None, "a", True), (None, "b", True), (None, "c", True)]),
        ("after_insert", 3, [(None, "a", True), (None, "b", True), (None, "c", True)]),
        ("before_update", 2, [("a", "A", True), ("b", "b", False)]),
        ("after_update", 2, [("a", "A", True), ("b", "b", False)]),
        ("before_delete", 3, [("A", None, True), ("b", None, True), ("c", None, True)]),
        ("after_delete", 3, [("A", None, True), ("b", None, True), ("c", None, True)]),
    ]


def test_trigger_context_carries_the_session_and_user(make_app):
    users = []

    def who(ctx, rows):
        users.append(ctx.user.username)

    app = make_app(plugins=["lab"], extra_plugins={"lab": make_plugin([("Specimen", "after_insert", who)])})
    with app.session("admin") as s:
        s.create("Specimen", {"name": "a"})
    with app.system_session() as s:
        s.create("Specimen", {"name": "b"})
    assert users == ["admin", "system"]


def test_before_trigger_can_change_values(make_app):
    def shout(ctx, rows):
        for row in rows:
            row.new["name"] = row.new["name"].upper()
            row.new["greeting"] = f"hello {row.new['name']}"

    app = make_app(
        plugins=["lab"],
        extra_plugins={
            "lab": make_plugin([("Specimen", "before_insert", shout), ("Specimen", "before_update", shout)])
        },
    )
    with app.session("admin") as s:
        record = s.create("Specimen", {"name": "ana"})
        assert record["name"] == "ANA"
        updated = s.update(record["id"], {"name": "bo"})
        assert updated["name"] == "BO"
    with app.session("admin") as s:
        stored = s.get(record["id"])
        assert (stored["name"], stored["greeting"]) == ("BO", "hello BO")


def test_after_trigger_writes_in_the_same_transaction(make_app):
    def log_contact(ctx, rows):
        ctx.session.create_many("Task", [{"subject": f"Welcome {row.new['name']}"} for row in rows])

    def fail(ctx, rows):
        raise ValidationError("no tasks today", object_name="Task", row=0, field="subject")

    ok = make_app(
        plugins=["lab"], extra_plugins={"lab": make_plugin([("Specimen", "after_insert", log_contact)])}
    )
    with ok.session("admin") as s:
        s.create_many("Specimen", [{"name": "a"}, {"name": "b"}])
    assert count(ok, "Task") == 2

    failing = make_app(
        plugins=["lab"],
        extra_plugins={
            "lab": make_plugin([("Specimen", "after_insert", log_contact), ("Task", "after_insert", fail)])
        },
    )
    with pytest.raises(ValidationError, match="no tasks today"), failing.session("admin") as s:
        s.create("Specimen", {"name": "c"})
    assert count(failing, "Specimen") == 2  # the two from before, nothing new
    assert count(failing, "Task") == 2


def test_trigger_error_rolls_back_the_whole_operation(make_app):
    def refuse_updates(ctx, rows):
        for index, row in enumerate(rows):
            if row.new["count"] == 13:
                raise ValidationError("unlucky", object_name="Specimen", row=index, field="count")

    app = make_app(
        plugins=["lab"], extra_plugins={"lab": make_plugin([("Specimen", "after_update", refuse_updates)])}
    )
    with app.session("admin") as s:
        one = s.create("Specimen", {"name": "a", "count": 1})
        two = s.create("Specimen", {"name": "b", "count": 2})
    with pytest.raises(ValidationError, match=r"row 1 field 'count': unlucky"), app.session("admin") as s:
        s.update_many([{"id": one["id"], "count": 5}, {"id": two["id"], "count": 13}])
    with app.session("admin") as s:
        assert s.get(one["id"])["count"] == 1
        assert s.get(one["id"])["version"] == 1
        assert s.get(two["id"])["count"] == 2


def test_trigger_recursion_is_bounded_with_a_clear_error(make_app):
    def bump(ctx, rows):
        ctx.session.update_many([{"id": row.new["id"], "count": (row.new["count"] or 0) + 1} for row in rows])

    app = make_app(plugins=["lab"], extra_plugins={"lab": make_plugin([("Specimen", "after_update", bump)])})
    with app.session("admin") as s:
        record = s.create("Specimen", {"name": "a", "count": 0})
    with pytest.raises(MissionbaseError) as info, app.session("admin") as s:
        s.update(record["id"], {"count": 1})
    message = str(info.value)
    assert "recursed more than" in message
    assert "Specimen.after_update -> Specimen.after_update" in message
    with app.session("admin") as s:
        stored = s.get(record["id"])
        assert (stored["count"], stored["version"]) == (0, 1)


# -- update -----------------------------------------------------------------------------


def test_update_bumps_version_and_modified(lab):
    with lab.session("admin") as s:
        record = s.create("Specimen", {"name": "a", "count": 1})
    with lab.session("admin") as s:
        updated = s.update(record["id"], {"count": 2}, version=1)
    assert updated["version"] == 2
    assert updated["modified_at"] >= record["modified_at"]
    assert updated["created_at"] == record["created_at"]
    assert updated["name"] == "a"  # untouched fields stay


def test_update_with_a_stale_version_is_rejected_and_nothing_written(lab):
    with lab.session("admin") as s:
        one = s.create("Specimen", {"name": "a", "count": 1})
        two = s.create("Specimen", {"name": "b", "count": 1})
    with lab.session("admin") as s:
        s.update(two["id"], {"count": 2}, version=1)  # someone else's edit
    with pytest.raises(StaleVersion) as info, lab.session("admin") as s:
        s.update_many(
            [{"id": one["id"], "version": 1, "count": 10}, {"id": two["id"], "version": 1, "count": 10}]
        )
    message = str(info.value)
    assert two["id"] in message
    assert "version 1" in message and "now 2" in message
    with lab.session("admin") as s:
        assert s.get(one["id"])["count"] == 1
        assert s.get(two["id"])["count"] == 2


def test_update_of_a_read_only_field(lab):
    with lab.session("admin") as s:
        contact = s.create("Contact", {"first_name": "Ana", "last_name": "Lopez"})
        with pytest.raises(ValidationError, match=r"Contact row 0 field 'name': is read-only"):
            s.update(contact["id"], {"name": "Someone Else"})
        with pytest.raises(ValidationError, match=r"field 'created_by': is read-only"):
            s.update(contact["id"], {"created_by": s.user.id})
    with lab.session("admin") as s:
        assert s.get(contact["id"])["name"] == "Ana Lopez"


def test_update_of_a_missing_record(s):
    with pytest.raises(RecordNotFound, match=MISSING_CONTACT):
        s.update(MISSING_CONTACT, {"last_name": "X"})
    with pytest.raises(ValidationError, match="not a record id"):
        s.update("42", {"last_name": "X"})


def test_update_validates_like_create(s):
    record = s.create("Specimen", {"name": "a"})
    with pytest.raises(ValidationError, match=r"Specimen row 0 field 'email': is not a valid email"):
        s.update(record["id"], {"email": "nope"})
    with pytest.raises(ValidationError, match=r"field 'contact'.*does not exist"):
        s.update(record["id"], {"contact": MISSING_CONTACT})


def test_update_many_names_the_row_of_the_bad_change(s):
    made = s.create_many("Specimen", [{"name": "a"}, {"name": "b"}, {"name": "c"}])
    with pytest.raises(ValidationError) as info:
        s.update_many(
            [
                {"id": made[0]["id"], "count": 1},
                {"id": made[1]["id"], "count": 2},
                {"id": made[2]["id"], "count": "x"},
            ]
        )
    assert (info.value.row, info.value.field) == (2, "count")


def test_two_changes_to_one_record_in_one_call_are_refused(lab):
    with lab.session("admin") as s:
        record = s.create("Specimen", {"name": "a", "count": 1})
    with pytest.raises(ValidationError) as info, lab.session("admin") as s:
        s.update_many([{"id": record["id"], "name": "b"}, {"id": record["id"], "count": 2}])
    assert info.value.row == 1
    assert "changed twice" in str(info.value) and record["id"] in str(info.value)
    with lab.session("admin") as s:
        stored = s.get(record["id"])
        assert (stored["name"], stored["count"], stored["version"]) == ("a", 1, 1)


def test_owner_can_be_set_to_a_user_or_queue_only(s):
    queue = s.create("Queue", {"name": "Intake"})
    task = s.create("Task", {"subject": "Triage", "owner_id": queue["id"]})
    assert task["owner_id"] == queue["id"]
    account = s.create("Account", {"name": "Acme"})
    with pytest.raises(ValidationError, match=r"field 'owner_id'"):
        s.update(task["id"], {"owner_id": account["id"]})


# -- delete and undelete -------------------------------------------------------------------


@pytest.fixture
def project(lab):
    with lab.session("admin") as s:
        project = s.create("Project", {"name": "Roof"})
        milestones = s.create_many(
            "Milestone", [{"name": "m1", "project": project["id"]}, {"name": "m2", "project": project["id"]}]
        )
        step = s.create("Step", {"name": "s1", "milestone": milestones[0]["id"]})
        memo = s.create("Memo", {"name": "memo", "project": project["id"]})
    return {"project": project, "milestones": milestones, "step": step, "memo": memo}


def test_delete_restrict_blocks_and_writes_nothing(lab, project):
    with lab.session("admin") as s:
        invoice = s.create("Invoice", {"name": "#1", "project": project["project"]["id"]})
    with pytest.raises(DeleteBlocked) as info, lab.session("admin") as s:
        s.delete(project["project"]["id"])
    message = str(info.value)
    assert project["project"]["id"] in message
    assert "Invoice" in message and "'project'" in message and invoice["id"] in message
    assert count(lab, "Project") == 1
    assert count(lab, "Milestone") == 2
    assert count(lab, "Memo", {"project": {"is_null": False}}) == 1


def test_blocked_delete_leaves_nothing_even_when_the_caller_carries_on(lab, project):
    with lab.session("admin") as s:
        s.create("Invoice", {"name": "#1", "project": project["project"]["id"]})
    with lab.session("admin") as s:
        with pytest.raises(DeleteBlocked):
            s.delete(project["project"]["id"])
        assert s.count("Milestone") == 2
        assert s.get(project["memo"]["id"])["project"] == project["project"]["id"]
    assert count(lab, "Milestone") == 2
    assert count(lab, "Step") == 1


def test_delete_cascades_and_clears(lab, project):
    with lab.session("admin") as s:
        s.delete(project["project"]["id"])
    with lab.session("admin") as s:
        for record_id in [
            project["project"]["id"],
            project["step"]["id"],
            *[m["id"] for m in project["milestones"]],
        ]:
            with pytest.raises(RecordNotFound):
                s.get(record_id)
        memo = s.get(project["memo"]["id"])
        assert memo["project"] is None
        assert memo["version"] == 2
        assert s.count("Milestone") == 0


def test_undelete_restores_cascaded_children_and_cleared_lookups(lab, project):
    with lab.session("admin") as s:
        s.delete(project["project"]["id"])
    with lab.session("admin") as s:
        restored = s.undelete(project["project"]["id"])
        assert restored["name"] == "Roof"
    with lab.session("admin") as s:
        assert s.count("Milestone", {"project": project["project"]["id"]}) == 2
        assert s.get(project["step"]["id"])["milestone"] == project["milestones"][0]["id"]
        assert s.get(project["memo"]["id"])["project"] == project["project"]["id"]


def test_undelete_of_a_cascaded_child_names_the_parent_to_undelete(lab, project):
    with lab.session("admin") as s:
        s.delete(project["project"]["id"])
    with pytest.raises(ValidationError) as info, lab.session("admin") as s:
        s.undelete(project["step"]["id"])
    message = str(info.value)
    assert project["step"]["id"] in message
    assert f"undelete {project['project']['id']} instead" in message


def test_undelete_of_a_record_that_is_not_deleted(lab, project):
    with pytest.raises(ValidationError, match="is not deleted"), lab.session("admin") as s:
        s.undelete(project["memo"]["id"])
    with pytest.raises(RecordNotFound), lab.session("admin") as s:
        s.undelete("mem_01HZZZZZZZZZZZZZZZZZZZZZZZ")


def test_undelete_keeps_a_lookup_changed_since_the_delete(lab, project):
    with lab.session("admin") as s:
        other = s.create("Project", {"name": "Walls"})
        s.delete(project["project"]["id"])
        s.update(project["memo"]["id"], {"project": other["id"]})
    with lab.session("admin") as s:
        s.undelete(project["project"]["id"])
        assert s.get(project["memo"]["id"])["project"] == other["id"]


def test_undelete_triggers_after_undelete_with_the_restored_batch(make_app):
    seen = []

    def undeleted(ctx, rows):
        seen.append((ctx.object.name, sorted(row.new["name"] for row in rows)))

    app = make_app(
        plugins=["lab"],
        extra_plugins={
            "lab": make_plugin(
                [("Project", "after_undelete", undeleted), ("Milestone", "after_undelete", undeleted)]
            )
        },
    )
    with app.session("admin") as s:
        parent = s.create("Project", {"name": "P"})
        s.create_many(
            "Milestone", [{"name": "a", "project": parent["id"]}, {"name": "b", "project": parent["id"]}]
        )
        s.delete(parent["id"])
        s.undelete(parent["id"])
    assert sorted(seen) == [("Milestone", ["a", "b"]), ("Project", ["P"])]


def test_deleting_records_together_with_their_children(lab, project):
    """A selection holding a parent and some of its children is deleted, whatever its order."""
    with lab.session("admin") as s:
        s.create("Invoice", {"name": "#1", "project": project["project"]["id"]})
        invoice = s.query("Invoice").records[0]
        s.delete_many([project["project"]["id"], project["step"]["id"], invoice["id"], project["memo"]["id"]])
    with lab.session("admin") as s:
        for name in ("Project", "Milestone", "Step", "Memo", "Invoice"):
            assert s.count(name) == 0, name
    with lab.session("admin") as s:
        s.undelete(project["project"]["id"])
    with lab.session("admin") as s:
        # one delete, one undelete: everything it took comes back, lookups intact
        assert s.get(project["step"]["id"])["milestone"] == project["milestones"][0]["id"]
        assert s.get(project["memo"]["id"])["project"] == project["project"]["id"]
        assert s.count("Invoice", {"project": project["project"]["id"]}) == 1


def test_deleting_a_tree_with_a_grandchild_listed_too(lab):
    with lab.session("admin") as s:
        root = s.create("Folder", {"name": "root"})
        child = s.create("Folder", {"name": "child", "parent": root["id"]})
        leaf = s.create("Folder", {"name": "leaf", "parent": child["id"]})
        s.delete_many([root["id"], leaf["id"]])
        assert s.count("Folder") == 0
        s.undelete(root["id"])
        assert s.get(leaf["id"])["parent"] == child["id"]
        assert s.count("Folder") == 3


def test_cascade_through_a_cycle_ends(lab):
    with lab.session("admin") as s:
        one = s.create("Folder", {"name": "one"})
        two = s.create("Folder", {"name": "two", "parent": one["id"]})
        s.update(one["id"], {"parent": two["id"]})
        s.delete(one["id"])
        assert s.count("Folder") == 0


def test_standard_objects_delete_rules(session):
    account = session.create("Account", {"name": "Acme"})
    contact = session.create("Contact", {"last_name": "Ng", "account": account["id"]})
    note = session.create("Note", {"title": "Met", "parent": account["id"]})
    task = session.create("Task", {"subject": "Call", "what": account["id"], "who": contact["id"]})
    session.delete(account["id"])
    assert session.get(contact["id"])["account"] is None
    assert session.get(task["id"])["what"] is None
    with pytest.raises(RecordNotFound):
        session.get(note["id"])
    session.undelete(account["id"])
    assert session.get(contact["id"])["account"] == account["id"]
    assert session.get(task["id"])["what"] == account["id"]
    assert session.get(note["id"])["parent"] == account["id"]


def test_deleted_records_are_out_of_queries_and_counts(session):
    made = session.create_many("Account", [{"name": "a"}, {"name": "b"}])
    session.delete(made[0]["id"])
    assert [r["name"] for r in session.query("Account").records] == ["b"]
    assert session.count("Account") == 1
    assert session.get_many([r["id"] for r in made]).keys() == {made[1]["id"]}


# -- settings ------------------------------------------------------------------------------


def test_org_settings_get_and_set(make_app):
    settings = [
        Setting("lab.digest_hour", default=7, description="Hour the digest goes out"),
        Setting("lab.rollups", default={"enabled": False}),
    ]
    app = make_app(plugins=["lab"], extra_plugins={"lab": make_plugin(settings=settings)})
    assert app.registry.settings["lab.digest_hour"].plugin == "lab"
    with app.session("admin") as s:
        assert s.get_setting("lab.digest_hour") == 7  # the declared default
        assert s.get_setting("lab.rollups") == {"enabled": False}
        s.set_setting("lab.rollups", {"enabled": True, "objects": ["Contact"]})
        s.set_setting("lab.digest_hour", "9")
    with app.session("admin") as s:
        assert s.get_setting("lab.rollups") == {"enabled": True, "objects": ["Contact"]}
        assert s.get_setting("lab.digest_hour") == 9
        s.set_setting("lab.digest_hour", 10)
    with app.system_session() as s:
        assert s.get_setting("lab.digest_hour") == 10


def test_org_settings_unknown_key_and_wrong_type(make_app):
    settings = [Setting("lab.digest_hour", default=7)]
    app = make_app(plugins=["lab"], extra_plugins={"lab": make_plugin(settings=settings)})
    with app.session("admin") as s:
        with pytest.raises(
            UnknownName, match=r"unknown setting 'lab.digest_houre'.*did you mean 'lab.digest_hour'"
        ):
            s.get_setting("lab.digest_houre")
        with pytest.raises(UnknownName, match=r"lab\.digest_hour"):
            s.set_setting("lab.digest_houre", 3)
        with pytest.raises(ValidationError, match=r"lab.digest_hour.*'noon'"):
            s.set_setting("lab.digest_hour", "noon")
        assert s.get_setting("lab.digest_hour") == 7


# -- standard objects ---------------------------------------------------------------------------


def test_contact_name_is_computed_from_first_and_last(session):
    contact = session.create("Contact", {"first_name": "Ana", "last_name": "Lopez"})
    assert contact["name"] == "Ana Lopez"
    only_last = session.create("Contact", {"last_name": "Okafor"})
    assert only_last["name"] == "Okafor"
    assert session.update(contact["id"], {"last_name": "Lopez-Garcia"})["name"] == "Ana Lopez-Garcia"
    assert session.update(contact["id"], {"first_name": None})["name"] == "Lopez-Garcia"
    assert session.get(contact["id"])["name"] == "Lopez-Garcia"


def test_contact_needs_a_last_name(session):
    with pytest.raises(ValidationError, match=r"Contact row 0 field 'last_name': is required"):
        session.create("Contact", {"first_name": "Ana"})


def test_role_hierarchy_cannot_loop(session):
    top = session.create("Role", {"name": "Director"})
    middle = session.create("Role", {"name": "Manager", "parent": top["id"]})
    bottom = session.create("Role", {"name": "Caseworker", "parent": middle["id"]})
    with pytest.raises(ValidationError) as info:
        session.update(top["id"], {"parent": bottom["id"]})
    assert info.value.field == "parent"
    assert "cycle" in str(info.value) and "Director" in str(info.value)
    with pytest.raises(ValidationError, match="cycle"):
        session.update(top["id"], {"parent": top["id"]})
    assert session.get(top["id"])["parent"] is None


def test_deleting_a_role_with_sub_roles_is_blocked(session):
    top = session.create("Role", {"name": "Director"})
    session.create("Role", {"name": "Manager", "parent": top["id"]})
    with pytest.raises(DeleteBlocked, match=r"Role.*'parent'"):
        session.delete(top["id"])
    assert session.get(top["id"])["name"] == "Director"


def test_task_completion_is_stamped_and_cleared(session):
    before = dt.date.today()
    task = session.create("Task", {"subject": "Call back"})
    assert (task["status"], task["priority"]) == ("Not Started", "Normal")
    assert task["is_closed"] is False
    assert task["completed_date"] is None
    done = session.update(task["id"], {"status": "Completed"})
    after = dt.date.today()
    assert done["is_closed"] is True
    assert before <= done["completed_date"] <= after
    reopened = session.update(task["id"], {"status": "In Progress"})
    assert reopened["is_closed"] is False
    assert reopened["completed_date"] is None
    created_done = session.create("Task", {"subject": "Done already", "status": "Completed"})
    assert created_done["is_closed"] is True and created_done["completed_date"] is not None


def test_task_completion_fields_are_read_only(session):
    task = session.create("Task", {"subject": "Call"})
    with pytest.raises(ValidationError, match="'is_closed': is read-only"):
        session.update(task["id"], {"is_closed": True})


def test_event_end_before_start_is_rejected(app):
    with pytest.raises(ValidationError) as info, app.session("admin") as s:
        s.create_many(
            "Event",
            [
                {"subject": "ok", "start": "2025-03-01T09:00:00Z", "end": "2025-03-01T10:00:00Z"},
                {"subject": "bad", "start": "2025-03-01T09:00:00Z", "end": "2025-03-01T08:00:00Z"},
            ],
        )
    assert re.match(r"Event row 1 field 'end': must not be before start", str(info.value))
    assert count(app, "Event") == 0
    with app.session("admin") as s:
        event = s.create(
            "Event", {"subject": "ok", "start": "2025-03-01T09:00:00Z", "end": "2025-03-01T10:00:00Z"}
        )
        with pytest.raises(ValidationError, match="'end': must not be before start"):
            s.update(event["id"], {"end": "2025-03-01T08:59:00Z"})


def test_bulk_create_is_set_based(lab):
    """One INSERT statement for a batch, not one per row."""
    inserts = []

    def count_inserts(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO SPECIMEN"):
            inserts.append(executemany)

    engine = lab.engine
    sa.event.listen(engine, "before_cursor_execute", count_inserts)
    try:
        with lab.session("admin") as s:
            s.create_many("Specimen", [{"name": f"r{i}"} for i in range(50)])
    finally:
        sa.event.remove(engine, "before_cursor_execute", count_inserts)
    assert 1 <= len(inserts) <= 2
    assert count(lab, "Specimen") == 50
