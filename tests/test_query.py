"""The filter / sort / page language: operators, nesting, lookup traversal,
helpful errors, keyset paging and user input that must stay data."""

from __future__ import annotations

import datetime as dt
import decimal
import types

import pytest

from missionbase.core import ObjectType, hookimpl
from missionbase.core import fields as f
from missionbase.core.errors import UnknownName, ValidationError
from missionbase.core.query import parse_where, query_all, query_pages


def item() -> ObjectType:
    return ObjectType(
        "Item",
        prefix="itm",
        name_field="label",
        fields=[
            f.Text("label", max_length=80),
            f.Integer("rank"),
            f.Decimal("price", 10, 2),
            f.Date("due"),
            f.Datetime("at"),
            f.Boolean("flag"),
            f.Picklist("color", ["Red", "Green", "Blue"]),
            f.MultiPicklist("tags", ["A", "B", "AB"]),
            f.Lookup("account", "Account", on_delete="clear"),
            f.Lookup("about", ["Account", "Contact"], on_delete="clear"),
        ],
    )


# One module for every test of this file: its hooks only declare, and the same module objects
# are what lets make_app reuse an initialised org (see missionbase.core.testing).
SHOP = types.ModuleType("test_plugin_query")


@hookimpl
def _register_objects(registry):
    registry.add(item())


SHOP.missionbase_register_objects = _register_objects


@pytest.fixture
def shop(make_app):
    return make_app(plugins=["shop"], extra_plugins={"shop": SHOP})


@pytest.fixture
def s(shop):
    with shop.session("admin") as session:
        yield session


@pytest.fixture
def items(s):
    """Five items with a spread of values (and gaps)."""
    acme = s.create("Account", {"name": "Acme Corp"})
    globex = s.create("Account", {"name": "Globex"})
    rows = [
        {
            "label": "apple",
            "rank": 1,
            "price": "1.50",
            "due": "2025-01-10",
            "color": "Red",
            "tags": ["A"],
            "flag": True,
            "account": acme["id"],
            "at": "2025-01-10T08:00:00Z",
        },
        {
            "label": "banana",
            "rank": 2,
            "price": "0.25",
            "due": "2025-02-01",
            "color": "Green",
            "tags": ["AB"],
            "flag": False,
            "account": globex["id"],
            "at": "2025-01-10T09:00:00Z",
        },
        {
            "label": "cherry",
            "rank": 3,
            "price": "12.00",
            "due": None,
            "color": "Red",
            "tags": ["A", "B"],
            "flag": True,
            "account": acme["id"],
        },
        {
            "label": "date",
            "rank": None,
            "price": None,
            "due": "2025-03-15",
            "color": None,
            "tags": [],
            "flag": False,
        },
        {
            "label": "elderberry",
            "rank": 5,
            "price": "3.10",
            "due": "2025-01-31",
            "color": "Blue",
            "tags": ["B"],
            "flag": False,
            "account": globex["id"],
        },
    ]
    made = s.create_many("Item", rows)
    return {r["label"]: r["id"] for r in made} | {"acme": acme["id"], "globex": globex["id"]}


def labels(s, where=None, **kwargs) -> list[str]:
    return [r["label"] for r in s.query("Item", where, **kwargs).records]


def sorted_labels(s, where=None) -> list[str]:
    return sorted(labels(s, where))


# -- operators ----------------------------------------------------------------------


def test_eq(s, items):
    assert labels(s, {"color": "Red"}, order_by="label") == ["apple", "cherry"]
    assert labels(s, {"color": {"eq": "Red"}}, order_by="label") == ["apple", "cherry"]
    assert labels(s, {"rank": "2"}) == ["banana"]  # coerced like input
    assert labels(s, {"flag": "yes"}, order_by="label") == ["apple", "cherry"]
    assert labels(s, {"label": "Apple"}) == []  # equality is exact


def test_ne_includes_empty_values(s, items):
    assert sorted_labels(s, {"color": {"ne": "Red"}}) == ["banana", "date", "elderberry"]
    assert sorted_labels(s, {"rank": {"ne": 1}}) == ["banana", "cherry", "date", "elderberry"]


def test_ordering_operators(s, items):
    assert sorted_labels(s, {"rank": {"lt": 3}}) == ["apple", "banana"]
    assert sorted_labels(s, {"rank": {"le": 3}}) == ["apple", "banana", "cherry"]
    assert sorted_labels(s, {"rank": {"gt": 3}}) == ["elderberry"]
    assert sorted_labels(s, {"rank": {"ge": 3}}) == ["cherry", "elderberry"]
    assert sorted_labels(s, {"price": {"gt": "3"}}) == ["cherry", "elderberry"]
    assert sorted_labels(s, {"due": {"lt": "2025-02-01"}}) == ["apple", "elderberry"]
    assert sorted_labels(s, {"due": {"ge": "2025-02-01", "le": "2025-03-15"}}) == ["banana", "date"]
    assert sorted_labels(s, {"at": {"gt": "2025-01-10T08:30:00+00:00"}}) == ["banana"]
    assert sorted_labels(s, {"at": {"lt": "2025-01-10T10:30:00+02:00"}}) == ["apple"]
    assert sorted_labels(s, {"flag": {"gt": False}}) == ["apple", "cherry"]


def test_in(s, items):
    assert sorted_labels(s, {"color": {"in": ["Blue", "Green"]}}) == ["banana", "elderberry"]
    assert sorted_labels(s, {"rank": {"in": "1, 3"}}) == ["apple", "cherry"]
    assert labels(s, {"label": {"in": []}}) == []


def test_contains_and_startswith(s, items):
    assert sorted_labels(s, {"label": {"contains": "err"}}) == ["cherry", "elderberry"]
    assert sorted_labels(s, {"label": {"startswith": "b"}}) == ["banana"]
    assert sorted_labels(s, {"label": {"startswith": "an"}}) == []


def test_contains_on_a_multi_picklist_matches_whole_values(s, items):
    assert sorted_labels(s, {"tags": {"contains": "A"}}) == ["apple", "cherry"]
    assert sorted_labels(s, {"tags": {"contains": "B"}}) == ["cherry", "elderberry"]
    assert sorted_labels(s, {"tags": {"contains": "AB"}}) == ["banana"]


def test_contains_on_a_number_is_an_error(s, items):
    with pytest.raises(ValidationError, match=r"'contains' works on text fields; 'rank' is integer"):
        s.query("Item", {"rank": {"contains": "1"}})


def test_is_null(s, items):
    assert sorted_labels(s, {"due": {"is_null": True}}) == ["cherry"]
    assert sorted_labels(s, {"color": {"is_null": True}}) == ["date"]
    assert sorted_labels(s, {"account": {"is_null": True}}) == ["date"]
    assert sorted_labels(s, {"due": {"is_null": False}}) == ["apple", "banana", "date", "elderberry"]
    assert sorted_labels(s, {"rank": None}) == ["date"]


def test_system_fields_can_be_filtered(s, items):
    assert labels(s, {"id": items["banana"]}) == ["banana"]
    assert len(labels(s, {"version": 1})) == 5
    assert labels(s, {"created_at": {"lt": "2000-01-01T00:00:00"}}) == []


def test_several_conditions_are_anded(s, items):
    assert labels(s, {"color": "Red", "rank": {"gt": 1}}) == ["cherry"]
    assert labels(s, [{"color": "Red"}, {"flag": True}, {"price": {"lt": 5}}]) == ["apple"]


def test_and_or_nesting(s, items):
    where = {
        "or": [
            {"and": [{"color": "Red"}, {"rank": {"ge": 3}}]},
            {"and": [{"flag": False}, {"or": [{"rank": {"is_null": True}}, {"price": {"lt": "1"}}]}]},
        ]
    }
    assert sorted_labels(s, where) == ["banana", "cherry", "date"]
    assert sorted_labels(s, {"or": [{"label": "apple"}, {"label": "date"}], "flag": True}) == ["apple"]


def test_empty_and_or_is_an_error(s, items):
    with pytest.raises(ValidationError, match="'or' takes a non-empty list"):
        s.query("Item", {"or": []})


def test_lookup_traversal(s, items):
    assert sorted_labels(s, {"account.name": "Acme Corp"}) == ["apple", "cherry"]
    assert sorted_labels(s, {"account.name": {"startswith": "Glo"}}) == ["banana", "elderberry"]
    assert sorted_labels(s, {"or": [{"account.name": "Globex"}, {"rank": 1}]}) == [
        "apple",
        "banana",
        "elderberry",
    ]
    assert labels(s, order_by=["account.name", "label"]) == [
        "apple",
        "cherry",
        "banana",
        "elderberry",
        "date",
    ]
    page = s.query("Item", {"label": "apple"}, fields=["label", "account.name"])
    assert page.records == [{"id": items["apple"], "label": "apple", "account.name": "Acme Corp"}]


def test_traversal_skips_deleted_targets(s, items):
    s.delete(items["acme"])
    # the lookup was cleared by the delete; nothing joins to the deleted account
    assert labels(s, {"account.name": "Acme Corp"}) == []


def test_traversal_of_a_polymorphic_lookup_is_an_error(s, items):
    with pytest.raises(ValidationError, match="'about' points at several objects"):
        s.query("Item", {"about.name": "x"})


def test_traversal_of_a_field_that_is_not_a_lookup(s, items):
    with pytest.raises(ValidationError, match="'label' is not a lookup"):
        s.query("Item", {"label.name": "x"})


# -- errors that help -------------------------------------------------------------------


def test_unknown_field_suggests_the_closest_name(s, items):
    with pytest.raises(UnknownName, match=r"unknown field 'lable' on Item; did you mean 'label'"):
        s.query("Item", {"lable": "apple"})
    with pytest.raises(UnknownName, match=r"unknown field 'nmae' on Account; did you mean 'name'"):
        s.query("Item", {"account.nmae": "Acme"})
    with pytest.raises(UnknownName, match=r"did you mean 'rank'"):
        s.query("Item", order_by="-rnak")
    with pytest.raises(UnknownName, match=r"unknown field 'acount' on Item; did you mean 'account'"):
        s.count("Item", {"acount.name": "Acme"})


def test_unknown_operator_suggests_the_closest(s, items):
    with pytest.raises(UnknownName, match=r"unknown operator 'startwith'.*did you mean 'startswith'"):
        s.query("Item", {"label": {"startwith": "a"}})


def test_value_of_the_wrong_type(s, items):
    with pytest.raises(ValidationError) as info:
        s.query("Item", {"rank": {"gt": "high"}})
    assert info.value.field == "rank"
    assert "'high'" in str(info.value)
    with pytest.raises(ValidationError, match="'due'"):
        s.query("Item", {"due": {"lt": "soon"}})
    with pytest.raises(ValidationError, match="'Purple'"):
        s.query("Item", {"color": "Purple"})


def test_unknown_object(s):
    with pytest.raises(UnknownName, match=r"unknown object 'Itme'.*did you mean 'Item'"):
        s.query("Itme")


def test_limit_must_be_positive(s, items):
    with pytest.raises(ValidationError, match="limit must be at least 1"):
        s.query("Item", limit=0)


def test_a_cursor_from_elsewhere_is_refused(s, items):
    cursor = s.query("Item", order_by="label", limit=2).next_cursor
    assert cursor
    with pytest.raises(ValidationError, match="does not match this query's sort order"):
        s.query("Item", order_by=["rank", "label"], limit=2, cursor=cursor)
    with pytest.raises(ValidationError, match="is not one this query returned"):
        s.query("Item", order_by="label", limit=2, cursor="not-a-cursor!")


# -- ordering, paging, count ------------------------------------------------------------------


def test_order_by_ascending_and_descending_with_nulls_last(s, items):
    assert labels(s, order_by="rank") == ["apple", "banana", "cherry", "elderberry", "date"]
    assert labels(s, order_by="-rank") == ["elderberry", "cherry", "banana", "apple", "date"]
    assert labels(s, order_by="-due") == ["date", "banana", "elderberry", "apple", "cherry"]
    assert labels(s, order_by=["color", "-price"]) == ["elderberry", "banana", "cherry", "apple", "date"]
    assert labels(s, order_by="-color,label") == ["apple", "cherry", "banana", "elderberry", "date"]


def test_default_order_is_creation_order(s, items):
    assert labels(s) == ["apple", "banana", "cherry", "date", "elderberry"]


def test_limit_and_count(s, items):
    page = s.query("Item", order_by="rank", limit=2)
    assert [r["label"] for r in page.records] == ["apple", "banana"]
    assert page.next_cursor is not None
    assert len(page) == 2
    assert s.count("Item") == 5
    assert s.count("Item", {"color": "Red"}) == 2
    assert s.count("Item", {"account.name": {"startswith": "Glo"}}) == 2
    last = s.query("Item", order_by="rank", limit=5)
    assert len(last) == 5 and last.next_cursor is None


def walk(s, object_name, order_by, limit, where=None) -> list[dict]:
    out, cursor = [], None
    pages = 0
    while True:
        page = s.query(object_name, where, order_by=order_by, limit=limit, cursor=cursor)
        assert len(page.records) <= limit
        out += page.records
        pages += 1
        assert pages < 1000, "paging does not end"
        cursor = page.next_cursor
        if cursor is None:
            return out


@pytest.fixture
def many(s):
    """250 items whose sort keys repeat and are often empty."""
    colors = ["Red", "Green", "Blue", None]
    rows = []
    for i in range(250):
        rows.append(
            {
                "label": f"item {i % 13:02d}" if i % 9 else None,
                "rank": None if i % 5 == 0 else i % 7,
                "price": None if i % 4 == 0 else f"{(i * 37) % 11}.{i % 3}0",
                "due": None if i % 6 == 0 else (dt.date(2025, 1, 1) + dt.timedelta(days=i % 10)).isoformat(),
                "at": None if i % 8 == 0 else f"2025-01-01T0{i % 3}:00:00Z",
                "flag": i % 2 == 0,
                "color": colors[i % 4],
                "tags": ["A", "B"][: i % 3],
            }
        )
    return [r["id"] for r in s.create_many("Item", rows)]


@pytest.mark.parametrize(
    "order_by",
    [
        None,
        "rank",
        "-rank",
        ["rank", "-label"],
        ["-price", "due"],
        ["color", "-rank", "label"],
        "-due",
        ["at", "-flag"],
        "-tags",
        "created_at",
        "-id",
    ],
)
def test_keyset_paging_visits_every_row_exactly_once(s, many, order_by):
    full = [r["id"] for r in s.query("Item", order_by=order_by).records]
    assert sorted(full) == sorted(many)
    paged = [r["id"] for r in walk(s, "Item", order_by, 17)]
    assert len(paged) == 250
    assert len(set(paged)) == 250
    assert paged == full  # the same order as one unpaged query


def test_keyset_paging_with_a_filter_and_traversal(s, many):
    acme = s.create("Account", {"name": "Acme"})
    other = s.create("Account", {"name": "Other"})
    s.update_many(
        [
            {"id": record_id, "account": (acme if i % 3 else other)["id"]}
            for i, record_id in enumerate(many)
            if i % 4
        ]
    )
    where = {"or": [{"rank": {"ge": 3}}, {"rank": {"is_null": True}}]}
    order_by = ["account.name", "-rank", "label"]
    full = [r["id"] for r in s.query("Item", where, order_by=order_by).records]
    paged = [r["id"] for r in walk(s, "Item", order_by, 17, where)]
    assert paged == full
    assert len(set(paged)) == len(paged) == s.count("Item", where)


def test_query_all_reads_every_page_in_query_order(s, many):
    where = {"rank": {"ne": 3}}
    full = s.query("Item", where, order_by=["label", "-rank"], fields=["label"]).records
    pages = list(query_pages(s, "Item", where, order_by=["label", "-rank"], fields=["label"], page_size=40))
    assert [len(p) for p in pages] == [40] * (len(full) // 40) + [len(full) % 40]
    assert query_all(s, "Item", where, order_by=["label", "-rank"], fields=["label"], page_size=40) == full
    assert list(query_pages(s, "Item", {"label": "no such label"})) == [[]]


def test_paging_survives_rows_added_behind_the_cursor(s, many):
    first = s.query("Item", order_by="rank", limit=50)
    s.create_many("Item", [{"label": "new", "rank": -1}, {"label": "new", "rank": -2}])
    rest = walk(s, "Item", "rank", 50)
    seen = [r["id"] for r in first.records]
    cursor, later = first.next_cursor, []
    while cursor:
        page = s.query("Item", order_by="rank", limit=50, cursor=cursor)
        later += [r["id"] for r in page.records]
        cursor = page.next_cursor
    # rows that sort before the cursor are not repeated or shifted into later pages
    assert not set(seen) & set(later)
    assert len(seen) + len(later) == 250
    assert len(rest) == 252


# -- user input is data, never SQL ----------------------------------------------------------------


@pytest.fixture
def tricky(s):
    names = [
        "O'Brien",
        'say "hi"',
        "100% sure",
        "1000 sure",
        "a_b",
        "axb",
        "back\\slash",
        "back slash",
        "'; DROP TABLE item; --",
        "Robert'); DELETE FROM account; --",
    ]
    made = s.create_many("Item", [{"label": n} for n in names])
    s.create("Account", {"name": "still here"})
    return {r["label"]: r["id"] for r in made}


def test_quotes_are_matched_literally(s, tricky):
    assert labels(s, {"label": "O'Brien"}) == ["O'Brien"]
    assert labels(s, {"label": 'say "hi"'}) == ['say "hi"']
    assert sorted_labels(s, {"label": {"contains": "'"}}) == [
        "'; DROP TABLE item; --",
        "O'Brien",
        "Robert'); DELETE FROM account; --",
    ]


def test_like_wildcards_are_matched_literally(s, tricky):
    assert labels(s, {"label": {"contains": "%"}}) == ["100% sure"]
    assert labels(s, {"label": {"contains": "0% s"}}) == ["100% sure"]
    assert labels(s, {"label": {"contains": "_"}}) == ["a_b"]
    assert labels(s, {"label": {"startswith": "a_"}}) == ["a_b"]
    assert labels(s, {"label": {"contains": "\\"}}) == ["back\\slash"]
    assert labels(s, {"label": {"startswith": "back\\"}}) == ["back\\slash"]
    assert labels(s, {"label": {"contains": "%%"}}) == []


def test_sql_in_values_stays_a_value(s, tricky):
    assert labels(s, {"label": "'; DROP TABLE item; --"}) == ["'; DROP TABLE item; --"]
    assert labels(s, {"label": {"in": ["Robert'); DELETE FROM account; --", "x"]}}) == [
        "Robert'); DELETE FROM account; --"
    ]
    assert labels(s, {"label": {"startswith": "' OR '1'='1"}}) == []
    assert s.count("Item") == 10
    assert s.count("Account", {"name": "still here"}) == 1


def test_nul_in_a_filter_value_is_a_clear_error(s, tricky):
    with pytest.raises(ValidationError, match="NUL"):
        s.query("Item", {"label": "a\x00"})
    with pytest.raises(ValidationError, match="NUL"):
        s.query("Item", {"label": {"contains": "\x00"}})


def test_sql_in_names_is_an_unknown_field(s, tricky):
    with pytest.raises(UnknownName):
        s.query("Item", {"label = label OR 1": "x"})
    with pytest.raises(UnknownName):
        s.query("Item", order_by="label; DROP TABLE item")
    assert s.count("Item") == 10


def test_cursor_values_are_data_too(s, tricky):
    order_by = ["label"]
    paged = [r["label"] for r in walk(s, "Item", order_by, 3)]
    assert paged == labels(s, order_by=order_by)
    assert len(paged) == 10


# -- the CLI's --where mini-language -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status = Active", {"status": {"eq": "Active"}}),
        ("amount >= 10", {"amount": {"ge": "10"}}),
        ("amount != 3", {"amount": {"ne": "3"}}),
        ("name startswith Ac", {"name": {"startswith": "Ac"}}),
        ("name contains 50% off", {"name": {"contains": "50% off"}}),
        ("email is null", {"email": {"is_null": True}}),
        ("email is not null", {"email": {"is_null": False}}),
        ("stage in Applied, Enrolled", {"stage": {"in": ["Applied", "Enrolled"]}}),
        ("name = 'O''Brien'", {"name": {"eq": "O''Brien"}}),
        ('{"or": [{"a": 1}]}', {"or": [{"a": 1}]}),
    ],
)
def test_parse_where(text, expected):
    assert parse_where(text) == expected


def test_parse_where_that_is_not_understood():
    with pytest.raises(ValidationError, match="unknown operator 'about'; use one of = != <"):
        parse_where("amount about 10")
    with pytest.raises(ValidationError, match="is not understood"):
        parse_where("= 10")


def test_parsed_where_runs(s, items):
    where = parse_where("price >= 3")
    assert sorted_labels(s, where) == ["cherry", "elderberry"]
    assert s.query("Item", where, order_by="price").records[0]["price"] == decimal.Decimal("3.10")
