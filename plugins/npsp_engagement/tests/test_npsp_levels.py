"""Levels and the donation rollups they read."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from missionbase.core import ValidationError
from missionbase.plugins.npsp_engagement.levels import assign_levels

D = decimal.Decimal


def ladder(s, template_id=None, target="Contact"):
    """A ladder: Tin <100, Bronze [100,1000), Silver [1000,5000) (with a template),
    Gold [5000,90000), Platinum >=100000."""
    rows = [
        ("Tin", None, "100"),
        ("Bronze", "100", "1000"),
        ("Silver", "1000", "5000"),
        ("Gold", "5000", "90000"),
        ("Platinum", "100000", None),
    ]
    made = s.create_many(
        "Level",
        [
            {
                "name": name,
                "target": target,
                "source_field": "total_gifts",
                "level_field": "level",
                "previous_level_field": "previous_level",
                "minimum": low,
                "maximum": high,
                "engagement_plan_template": template_id if name == "Silver" else None,
            }
            for name, low, high in rows
        ],
    )
    return {lv["name"]: lv["id"] for lv in made}


def with_total(s, records: list[tuple[str | None, str | None]], object_name="Contact"):
    """Records whose total_gifts (a read-only rollup) is set directly by the system, with a starting level."""
    created = s.create_many(
        object_name,
        [
            {("last_name" if object_name == "Contact" else "name"): f"R{i}", "level": level}
            for i, (_, level) in enumerate(records)
        ],
    )
    system = s.as_system()
    system.update_many(
        [{"id": r["id"]} for r in created],
        computed={r["id"]: {"total_gifts": amount} for r, (amount, _) in zip(created, records, strict=True)},
    )
    return [r["id"] for r in created]


def test_contact_levels_upgrades_downgrades_and_one_plan(org, ep):
    with org.session("admin") as s:
        template, _ = ep.template(s, name="Silver welcome", steps=[{"subject": "Thank you"}])
        lv = ladder(s, template["id"])
        ids = with_total(
            s,
            [
                (None, lv["Tin"]),
                ("10", None),
                ("100", None),
                ("500", lv["Bronze"]),
                ("999", lv["Gold"]),
                ("1000", lv["Bronze"]),
                ("5000", None),
                ("100000", None),
            ],
        )
        before = {r["id"]: r for r in s.get_many(ids).values()}
        moves = assign_levels(s)
        after = s.get_many(ids)
        plans = s.query("EngagementPlan").records
    got = [(after[i]["level"], after[i]["previous_level"]) for i in ids]
    assert got == [
        (lv["Tin"], None),  # blank counts as 0: already Tin, untouched
        (lv["Tin"], None),
        (lv["Bronze"], None),
        (lv["Bronze"], None),  # already Bronze: untouched
        (lv["Bronze"], lv["Gold"]),  # downgrade
        (lv["Silver"], lv["Bronze"]),
        (lv["Gold"], None),
        (lv["Platinum"], None),
    ]
    assert after[ids[0]]["version"] == before[ids[0]]["version"]
    assert after[ids[3]]["version"] == before[ids[3]]["version"]
    assert len(moves) == 6
    assert [(p["target"], p["template"]) for p in plans] == [(ids[5], template["id"])]


def test_assignment_is_idempotent_and_dry_run_writes_nothing(org):
    with org.session("admin") as s:
        lv = ladder(s)
        ids = with_total(s, [("10", None), ("2000", lv["Tin"])])
        dry = assign_levels(s, dry_run=True)
        assert [(m.record_id, m.old_level, m.new_level) for m in dry] == [
            (ids[0], None, lv["Tin"]),
            (ids[1], lv["Tin"], lv["Silver"]),
        ]
        assert [r["level"] for r in s.get_many(ids).values()] == [None, lv["Tin"]]
        assert len(assign_levels(s)) == 2
        assert assign_levels(s) == []


def test_raising_a_minimum_drops_the_blank_amount_record(org):
    """testContactLevelsChange: Tin's minimum becomes 10, the blank (0) record loses Tin."""
    with org.session("admin") as s:
        lv = ladder(s)
        ids = with_total(s, [(None, None), ("50", None)])
        assign_levels(s)
        s.update(lv["Tin"], {"minimum": "10"})
        moves = assign_levels(s)
        got = s.get_many(ids)
    assert [(m.record_id, m.new_level) for m in moves] == [(ids[0], None)]
    assert (got[ids[0]]["level"], got[ids[0]]["previous_level"]) == (None, lv["Tin"])
    assert got[ids[1]]["level"] == lv["Tin"]


def test_account_levels_apply_the_plan_to_the_account(org, ep):
    with org.session("admin") as s:
        template, _ = ep.template(s, name="Zinc", steps=[{"subject": "Call"}])
        zinc = s.create(
            "Level",
            {
                "name": "Zinc",
                "target": "Account",
                "source_field": "total_gifts",
                "level_field": "level",
                "minimum": "100",
                "maximum": "200",
                "engagement_plan_template": template["id"],
            },
        )
        ids = with_total(s, [("10", None), ("150", None)], object_name="Account")
        assign_levels(s)
        got = s.get_many(ids)
        plans = s.query("EngagementPlan").records
        task = s.query("Task").records[0]
    assert (got[ids[0]]["level"], got[ids[1]]["level"]) == (None, zinc["id"])
    assert [(p["target"], p["target_type"]) for p in plans] == [(ids[1], "Account")]
    assert task["what"] == ids[1]


def test_previous_level_is_kept_when_a_record_falls_off_the_ladder(org):
    with org.session("admin") as s:
        common = {
            "target": "Contact",
            "source_field": "total_gifts",
            "level_field": "level",
            "previous_level_field": "previous_level",
        }
        tin = s.create("Level", {"name": "Tin", "minimum": "20", "maximum": "100", **common})
        bronze = s.create("Level", {"name": "Bronze", "minimum": "100", "maximum": "1000", **common})
        falls = with_total(s, [("10", tin["id"]), ("2000", bronze["id"])])
        stays = s.create_many(
            "Contact",
            [
                {"last_name": "S0", "previous_level": tin["id"]},
                {"last_name": "S1"},
                {"last_name": "S2", "level": tin["id"], "previous_level": bronze["id"]},
            ],
        )
        s.as_system().update_many(
            [{"id": c["id"]} for c in stays],
            computed={
                stays[0]["id"]: {"total_gifts": "10"},
                stays[1]["id"]: {"total_gifts": "2000"},
                stays[2]["id"]: {"total_gifts": "50"},
            },
        )
        before = s.get_many([c["id"] for c in stays])
        assign_levels(s)
        got = s.get_many(falls + [c["id"] for c in stays])
    assert [(got[i]["level"], got[i]["previous_level"]) for i in falls] == [
        (None, tin["id"]),
        (None, bronze["id"]),
    ]
    for contact in stays:
        assert got[contact["id"]]["version"] == before[contact["id"]]["version"]


# -- validation ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("low", "high", "message"),
    [
        ("1000", "4999", r"'New' \[1000, 4999\) overlaps 'Silver'"),
        (None, "4999", "overlaps"),
        ("10", "100", "overlaps 'Tin'"),
        ("10", None, "overlaps"),
    ],
)
def test_overlapping_levels_are_rejected(org, low, high, message):
    with org.session("admin") as s:
        ladder(s)
        with pytest.raises(ValidationError, match=message):
            s.create(
                "Level",
                {
                    "name": "New",
                    "target": "Contact",
                    "source_field": "total_gifts",
                    "level_field": "level",
                    "minimum": low,
                    "maximum": high,
                },
            )


def test_overlap_in_one_batch_names_the_third_row(org):
    with org.session("admin") as s:
        common = {"target": "Contact", "source_field": "total_gifts", "level_field": "level"}
        with pytest.raises(ValidationError, match="Level row 3 field 'minimum'"):
            s.create_many(
                "Level",
                [
                    {"name": "A", "minimum": "10", "maximum": "100", **common},
                    {"name": "B", "minimum": "101", "maximum": "200", **common},
                    {"name": "C", "minimum": "50", "maximum": "75", **common},
                ],
            )
        assert s.count("Level") == 0


def test_touching_ranges_gaps_and_inactive_levels_are_allowed(org):
    with org.session("admin") as s:
        common = {"target": "Contact", "source_field": "total_gifts", "level_field": "level"}
        s.create_many(
            "Level",
            [
                {"name": "A", "minimum": "100", "maximum": "1000", **common},
                {"name": "B", "minimum": "1000", **common},
                {"name": "Old", "minimum": "0", "maximum": "5000", "active": False, **common},
                {"name": "A", "minimum": "1", "maximum": "5", "active": False, **common},
                {
                    "name": "A",
                    "minimum": "1",
                    "maximum": "5",
                    "target": "Account",
                    "source_field": "total_gifts",
                    "level_field": "level",
                },
            ],
        )
        assert s.count("Level") == 5


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"name": "Gold", "minimum": "200000"}, "'Gold' is already a level of the Contact.level ladder"),
        ({"minimum": "101", "maximum": "100"}, "'maximum': must be above the minimum"),
        ({"minimum": None, "maximum": None}, "needs a minimum, a maximum or both"),
        ({"target": "Campaign"}, "'source_field': 'total_gifts' is not a number field of Campaign"),
        ({"target": "Note"}, "'target': 'Note' is not a plan target type"),
        ({"source_field": "last_name"}, "not a number field of Contact"),
        ({"level_field": "account"}, "'account' is not a lookup from Contact to Level"),
        ({"previous_level_field": "level"}, "must differ from level_field"),
    ],
)
def test_bad_levels_are_rejected(org, values, message):
    with org.session("admin") as s:
        ladder(s)
        row = {
            "name": "New",
            "target": "Contact",
            "source_field": "total_gifts",
            "level_field": "level",
            "minimum": "200000",
            **values,
        }
        with pytest.raises(ValidationError, match=message):
            s.create("Level", row)


# -- donations and rollups ----------------------------------------------------------------------------
def test_won_donations_roll_up_to_contact_and_account(org):
    with org.session("admin") as s:
        account = s.create("Account", {"name": "Martin Household"})
        ana, bo = s.create_many(
            "Contact", [{"last_name": "Martin", "account": account["id"]}, {"last_name": "Bo"}]
        )
        gifts = s.create_many(
            "Donation",
            [
                {
                    "amount": "100",
                    "close_date": dt.date(2025, 1, 1),
                    "contact": ana["id"],
                    "account": account["id"],
                },
                {
                    "amount": "250.50",
                    "close_date": dt.date(2025, 3, 1),
                    "contact": ana["id"],
                    "account": account["id"],
                },
                {
                    "amount": "999",
                    "close_date": dt.date(2025, 4, 1),
                    "contact": ana["id"],
                    "stage": "Closed Lost",
                },
            ],
        )
        got = s.get(ana["id"])
        assert (
            got["total_gifts"],
            got["number_of_gifts"],
            got["last_gift_date"],
            got["last_gift_amount"],
        ) == (D("350.50"), 2, dt.date(2025, 3, 1), D("250.50"))
        assert s.get(account["id"])["total_gifts"] == D("350.50")
        assert gifts[0]["name"] == "Donation 100 2025-01-01"
        s.update(gifts[1]["id"], {"contact": bo["id"]})
        assert (s.get(ana["id"])["total_gifts"], s.get(bo["id"])["total_gifts"]) == (D("100"), D("250.50"))
        s.delete(gifts[0]["id"])
        got = s.get(ana["id"])
        assert (got["total_gifts"], got["number_of_gifts"], got["last_gift_date"]) == (D("0"), 0, None)
        s.undelete(gifts[0]["id"])
        assert s.get(ana["id"])["number_of_gifts"] == 1


def test_gifts_move_a_donor_up_the_ladder(org, ep):
    with org.session("admin") as s:
        template, _ = ep.template(s, name="Silver welcome", steps=[{"subject": "Thank you"}])
        lv = ladder(s, template["id"])
        donor = s.create("Contact", {"last_name": "Leroy"})
        s.create("Donation", {"amount": "1200", "close_date": dt.date(2025, 5, 1), "contact": donor["id"]})
        assign_levels(s)
        assert s.get(donor["id"])["level"] == lv["Silver"]
        assert s.count("Task", {"who": donor["id"], "subject": "Thank you"}) == 1


def test_the_sql_narrowing_never_misses_a_move(org):
    """Every record, read whole and matched in Python, moves exactly as the job moved it."""
    import random

    from missionbase.plugins.npsp_engagement.levels import plan_moves, sort_key

    rng = random.Random(7)
    with org.session("admin") as s:
        lv = ladder(s)
        s.create(
            "Level",
            {
                "name": "Gap",
                "target": "Contact",
                "source_field": "total_gifts",
                "level_field": "level",
                "minimum": "95000",
                "maximum": "99000",
            },
        )
        choices = [
            None,
            "0",
            "5",
            "99.99",
            "100",
            "999",
            "1000",
            "4999.99",
            "5000",
            "90000",
            "95000",
            "99500",
            "100000",
            "250000",
        ]
        levels = [None, *lv.values()]
        with_total(s, [(rng.choice(choices), rng.choice(levels)) for _ in range(120)])
        records = s.query("Contact", fields=["total_gifts", "level", "previous_level"]).records
        all_levels = {x["id"]: x for x in s.query("Level").records}
        ladders = {("Contact", "level"): sorted(all_levels.values(), key=sort_key)}
        _, expected = plan_moves(records, ladders, all_levels)
        moves = assign_levels(s, dry_run=True)
    assert len(expected) > 30
    key = lambda m: (m.record_id, m.new_level)  # noqa: E731
    assert sorted(map(key, moves)) == sorted(map(key, expected))
