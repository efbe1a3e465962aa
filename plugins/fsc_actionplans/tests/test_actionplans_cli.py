"""The actionplans command line, as a user meets it."""

from __future__ import annotations

import datetime as dt
import json

import pytest


@pytest.fixture
def org(tmp_path, monkeypatch, cli, database_url):
    monkeypatch.chdir(tmp_path)
    for name in ("MISSIONBASE_DATABASE_URL", "MISSIONBASE_PLUGINS", "MISSIONBASE_USER"):
        monkeypatch.delenv(name, raising=False)
    result = cli("init", "--database-url", database_url, "--plugins", "fsc_actionplans,housing")
    assert result.exit_code == 0, result.err
    return tmp_path


def _ok(result):
    assert result.exit_code == 0, result.err
    return result


def test_template_to_plan_to_report_from_the_cli(org, cli):
    _ok(
        cli(
            "actionplans",
            "templates",
            "create",
            "Unit move-in",
            "--unique-name",
            "move_in",
            "--target-type",
            "HousingUnit",
        )
    )
    _ok(cli("records", "create", "DocumentType", "--set", "name=Lease"))
    _ok(
        cli(
            "actionplans",
            "templates",
            "add-item",
            "move_in",
            "--name",
            "Inspect",
            "--required",
            "--due-offset",
            "2",
            "--priority",
            "High",
        )
    )
    _ok(
        cli(
            "actionplans",
            "templates",
            "add-item",
            "move_in",
            "--name",
            "Signed lease",
            "--kind",
            "document",
            "--required",
            "--document-type",
            "Lease",
            "--instructions",
            "Every page initialled",
        )
    )
    assert "Unit move-in v1: Published" in _ok(cli("actionplans", "templates", "publish", "move_in")).out
    unit = _ok(cli("records", "create", "HousingUnit", "--set", "name=Flat 2B", "--json")).json()
    plans = _ok(
        cli(
            "actionplans",
            "create",
            "move_in",
            "--target",
            unit["id"],
            "--start",
            "2027-05-01",
            "--skip-nonworking",
            "--json",
        )
    ).json()
    shown = _ok(cli("actionplans", "show", plans[0]["id"], "--json")).json()
    items = {i["name"]: i for i in shown["items"]}
    assert items["Inspect"]["due_date"] == "2027-05-04"  # Saturday + 2 working days
    table = _ok(cli("actionplans", "show", plans[0]["id"])).out
    assert "0/2 required items done" in table
    (org / "lease.pdf").write_bytes(b"%PDF lease")
    document = items["Signed lease"]["record"]
    assert "Pending Review" in _ok(cli("actionplans", "documents", "attach", document, "lease.pdf")).out
    assert "Accepted" in _ok(cli("actionplans", "documents", "accept", document)).out
    report = _ok(cli("actionplans", "report", "--by", "target_type", "--json")).json()
    assert report == [
        {
            "target_type": "HousingUnit",
            "plans": 1,
            "avg_percent_done": 50.0,
            "overdue_items": report[0]["overdue_items"],
            "documents_missing": 0,
        }
    ]
    listed = _ok(cli("actionplans", "templates", "list", "--json")).json()
    assert listed[0]["versions"] == "v1 Published"


def test_export_import_and_new_version_from_the_cli(org, cli):
    _ok(
        cli(
            "actionplans",
            "templates",
            "create",
            "Intake",
            "--unique-name",
            "intake",
            "--target-type",
            "Contact",
        )
    )
    _ok(cli("actionplans", "templates", "add-item", "intake", "--name", "Call", "--owner", "user:admin"))
    _ok(cli("actionplans", "templates", "publish", "intake"))
    _ok(cli("actionplans", "templates", "export", "intake", "-o", "intake.json"))
    data = json.loads((org / "intake.json").read_text())
    assert data["items"][0]["values"] == {"owner": "user:admin"}
    data["template"]["unique_name"] = "intake_copy"
    (org / "copy.json").write_text(json.dumps(data))
    assert "imported as Intake v1 (Draft)" in _ok(cli("actionplans", "templates", "import", "copy.json")).out
    assert "Intake v2 (Draft)" in _ok(cli("actionplans", "templates", "new-version", "intake")).out
    second = cli("actionplans", "templates", "new-version", "intake")
    assert second.exit_code != 0 and "already has a Draft (v2)" in second.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["templates", "create", "X", "--unique-name", "x", "--target-type", "Task"],
            "'Task' is not a target type",
        ),
        (["templates", "add-item", "nope", "--name", "A"], "unknown action plan template 'nope'"),
        (
            ["templates", "add-item", "t", "--name", "A", "--due-offset", "1001"],
            "due offset 1001 is outside 0..1000",
        ),
        (
            ["create", "t", "--target", "acc_01J0000000000000000000000A"],
            "template t has no Published version",
        ),
        (["holidays", "load", "--country", "XX", "--year", "2027"], "country 'XX' is not known"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(org, cli, args, message):
    _ok(cli("actionplans", "templates", "create", "T", "--unique-name", "t", "--target-type", "Account"))
    result = cli("actionplans", *args)
    assert result.exit_code != 0
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_holidays_load_for_a_country_and_year(org, cli):
    created = _ok(
        cli("actionplans", "holidays", "load", "--country", "FR", "--year", "2027", "--json")
    ).json()
    dates = {h["date"]: h["name"] for h in created}
    assert "2027-07-14" in dates and "2027-03-29" in dates  # Bastille Day, Easter Monday
    again = _ok(cli("actionplans", "holidays", "load", "--country", "FR", "--year", "2027", "--json")).json()
    assert again == []  # already there
    holidays = _ok(cli("records", "query", "Holiday", "--count")).out.strip()
    assert holidays == str(len(created)) and all(not h["is_recurring"] for h in created)
    assert dt.date.fromisoformat(created[0]["date"]).year == 2027


def test_plans_in_batches_are_all_checked_before_the_first_batch_is_written(org, cli):
    _ok(
        cli(
            "actionplans",
            "templates",
            "create",
            "Visit",
            "--unique-name",
            "visit",
            "--target-type",
            "Account",
        )
    )
    _ok(cli("actionplans", "templates", "add-item", "visit", "--name", "Call", "--required"))
    _ok(cli("actionplans", "templates", "publish", "visit"))
    accounts = [
        _ok(cli("records", "create", "Account", "--set", f"name={name}", "--json")).json()["id"]
        for name in ("Acme", "Globex", "Initech")
    ]
    unit = _ok(cli("records", "create", "HousingUnit", "--set", "name=Flat 2B", "--json")).json()["id"]
    bad = cli(
        "actionplans", "create", "visit", *[f"--target={t}" for t in [*accounts, unit]], "--batch-size", "2"
    )
    assert bad.exit_code != 0 and f"target {unit} is a HousingUnit" in bad.err
    assert _ok(cli("records", "query", "ActionPlan", "--count")).out.strip() == "0"  # no batch was written
    created = cli("actionplans", "create", "visit", *[f"--target={t}" for t in accounts], "--batch-size", "2")
    assert _ok(created).out.strip().endswith("created 3 plan(s) from Visit v1")
    assert _ok(cli("records", "query", "ActionPlan", "--count")).out.strip() == "3"


def test_create_takes_targets_by_name_as_plans_apply_does(org, cli):
    _ok(
        cli(
            "actionplans",
            "templates",
            "create",
            "Check",
            "--unique-name",
            "check",
            "--target-type",
            "HousingUnit",
        )
    )
    _ok(cli("actionplans", "templates", "add-item", "check", "--name", "Inspect"))
    _ok(cli("actionplans", "templates", "publish", "check"))
    flat = _ok(cli("records", "create", "HousingUnit", "--set", "name=Flat 2B", "--json")).json()
    loft = _ok(cli("records", "create", "HousingUnit", "--set", "name=Loft", "--json")).json()
    plans = _ok(
        cli("actionplans", "create", "check", "--target", "flat 2b, HousingUnit:Loft", "--json")
    ).json()
    assert [p["target"] for p in plans] == [flat["id"], loft["id"]]
    unknown = cli("actionplans", "create", "check", "--target", "Flat 9Z")
    assert unknown.exit_code == 1 and "--target: no " in unknown.err and "matches 'Flat 9Z'" in unknown.err
