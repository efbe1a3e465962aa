"""``missionbase plans ...`` and ``jobs run npsp.levels`` as a user meets them."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def folder(tmp_path, monkeypatch, cli, database_url, today):
    """An initialised org with the plugin, in the current folder."""
    monkeypatch.chdir(tmp_path)
    for name in ("MISSIONBASE_DATABASE_URL", "MISSIONBASE_PLUGINS", "MISSIONBASE_USER"):
        monkeypatch.delenv(name, raising=False)
    result = cli("init", "--database-url", database_url, "--plugins", "npsp_engagement,housing")
    assert result.exit_code == 0, result.err
    return tmp_path


def ok(result):
    assert result.exit_code == 0, result.err
    return result


def contact(cli, name="Diallo") -> str:
    return ok(cli("records", "create", "Contact", "--set", f"last_name={name}", "--json")).json()["id"]


def test_templates_create_show_export_import_round_trip(folder, cli):
    created = ok(
        cli(
            "plans",
            "templates",
            "create",
            "Onboarding",
            "--reschedule-to",
            "Friday",
            "--task",
            "Welcome call:1",
            "--task",
            "Handbook:2:Welcome call",
            "--task",
            "First shift:3:Handbook",
            "--json",
        )
    ).json()
    assert [(t["subject"], t["days_after"]) for t in created["tasks"]] == [
        ("Welcome call", 1),
        ("Handbook", 2),
        ("First shift", 3),
    ]
    shown = ok(cli("plans", "templates", "show", "Onboarding")).out
    assert "    First shift" in shown and "Friday" in shown
    ok(cli("plans", "templates", "export", "Onboarding", "-o", "onboarding.json"))
    exported = json.loads((folder / "onboarding.json").read_text())
    imported = ok(cli("plans", "templates", "import", "onboarding.json", "--name", "Copy", "--json")).json()
    again = ok(cli("plans", "templates", "export", imported["id"])).json()
    assert again["tasks"] == exported["tasks"]
    assert {**again["template"], "name": "Onboarding"} == exported["template"]


def test_clone_appends_cloned(folder, cli):
    ok(cli("plans", "templates", "create", "Thanks", "--task", "Call"))
    clone = ok(cli("plans", "templates", "clone", "Thanks", "--json")).json()
    assert clone["template"]["name"] == "Thanks - Cloned" and clone["tasks"][0]["subject"] == "Call"


def test_apply_to_many_records_then_show(folder, cli):
    ok(cli("plans", "templates", "create", "Thanks", "--task", "Call:0", "--task", "Letter:2:Call"))
    ids = [contact(cli, f"C{i}") for i in range(3)]
    plans = ok(
        cli("plans", "apply", "Thanks", "--target", ids[0], "--target", f"{ids[1]} {ids[2]}", "--json")
    ).json()
    assert [(p["target"], p["total_tasks"], p["status"]) for p in plans] == [
        (i, 2, "Not Started") for i in ids
    ]
    shown = ok(cli("plans", "show", plans[0]["name"])).out
    assert "Waiting on Dependent Task" in shown and "Letter" in shown and plans[0]["id"] in shown
    detail = ok(cli("plans", "show", plans[0]["id"], "--json")).json()
    assert [t["subject"] for t in detail["tasks"]] == ["Call", "Letter"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["plans", "apply", "Nope", "--target", "con_01J0000000000000000000000"],
            "unknown engagement plan template 'Nope'",
        ),
        (["plans", "apply", "Thanks", "--target", "role_x"], "--target: no Account or Contact"),
        (["plans", "templates", "create", "Bad", "--task", "A:x"], "days 'x' is not a whole number"),
        (["plans", "templates", "create", "Bad", "--task", "A:1:Missing"], "parent 'Missing' is not the key"),
        (["plans", "show", "EP-9999"], "EP-9999 not found"),
        (
            [
                "plans",
                "levels",
                "create",
                "--name",
                "X",
                "--target",
                "Contact",
                "--source-field",
                "total_gifts",
                "--min",
                "10",
                "--max",
                "5",
            ],
            "'maximum': must be above the minimum",
        ),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(folder, cli, args, message):
    ok(cli("plans", "templates", "create", "Thanks", "--task", "Call"))
    result = cli(*args)
    assert result.exit_code != 0
    assert message in result.err and len(result.err.strip().splitlines()) == 1, result.err
    assert len(ok(cli("records", "query", "EngagementPlanTemplate", "--json")).json()["records"]) == 1
    assert ok(cli("records", "query", "Level", "--json")).json()["records"] == []


def test_levels_create_list_assign_dry_run_and_job(folder, cli):
    ok(cli("plans", "templates", "create", "Major", "--task", "Thank-you call"))
    ok(
        cli(
            "plans",
            "levels",
            "create",
            "--name",
            "Friend",
            "--target",
            "Contact",
            "--source-field",
            "total_gifts",
            "--previous-level-field",
            "previous_level",
            "--max",
            "1000",
        )
    )
    ok(
        cli(
            "plans",
            "levels",
            "create",
            "--name",
            "Major Donor",
            "--target",
            "Contact",
            "--source-field",
            "total_gifts",
            "--min",
            "1000",
            "--template",
            "Major",
        )
    )
    listed = ok(cli("plans", "levels", "list", "--json")).json()
    assert [lv["name"] for lv in listed] == ["Friend", "Major Donor"]
    donor = contact(cli, "Leroy")
    ok(
        cli(
            "records",
            "create",
            "Donation",
            "--set",
            "amount=1500",
            "--set",
            "close_date=2025-05-01",
            "--set",
            f"contact={donor}",
        )
    )
    dry = ok(cli("plans", "levels", "assign", "--dry-run"))
    assert "would change" in dry.out and "Major Donor" in dry.out
    assert ok(cli("records", "get", donor, "--json")).json()["level"] is None
    run = ok(cli("jobs", "run", "npsp.levels"))
    assert "1 level change(s), 1 engagement plan(s) created" in run.out
    assert ok(cli("plans", "levels", "assign", "--json")).json()["moves"] == []
    tasks = ok(cli("records", "query", "Task", "--where", f"who = {donor}", "--json")).json()["records"]
    assert [t["subject"] for t in tasks] == ["Thank-you call"]


def test_apply_takes_targets_by_name_as_actionplans_create_does(folder, cli):
    ok(cli("plans", "templates", "create", "Thanks", "--task", "Call:0"))
    diallo, ng = contact(cli, "Diallo"), contact(cli, "Ng")
    plans = ok(
        cli("plans", "apply", "Thanks", "--target", "diallo", "--target", "Contact:Ng", "--json")
    ).json()
    assert [p["target"] for p in plans] == [diallo, ng]
    both = cli("records", "create", "Contact", "--set", "last_name=Ng")
    assert both.exit_code == 0
    several = cli("plans", "apply", "Thanks", "--target", "Ng")
    assert several.exit_code == 1 and "'Ng' matches 2 Contact records" in several.err and ng in several.err
