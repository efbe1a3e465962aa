"""Inputs at the edges end in one clear line and nothing written, never a traceback."""

from __future__ import annotations

import pytest


@pytest.fixture
def org(tmp_path, monkeypatch, cli, database_url):
    monkeypatch.chdir(tmp_path)
    for name in ("MISSIONBASE_DATABASE_URL", "MISSIONBASE_PLUGINS", "MISSIONBASE_USER"):
        monkeypatch.delenv(name, raising=False)
    assert cli("init", "--database-url", database_url).exit_code == 0
    return tmp_path


def _one_line_error(result, *words):
    assert result.exit_code == 1 and result.out == "", result
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    for word in words:
        assert word in result.err, result.err


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
def test_date_times_beyond_year_1_or_9999_in_utc_are_refused_everywhere(org, cli, moment):
    create = cli(
        "records",
        "create",
        "Event",
        "--set",
        "subject=x",
        "--set",
        f"start={moment}",
        "--set",
        f"end={moment}",
    )
    _one_line_error(create, "field 'start'", "out of range", "year 1 to 9999")
    _one_line_error(cli("records", "query", "Event", "--where", f"start > {moment}"), "out of range")
    assert cli("records", "query", "Event", "--count").out.strip() == "0"


def test_text_operators_on_system_fields_that_hold_no_text_are_refused(org, cli):
    _one_line_error(
        cli("records", "query", "Contact", "--where", "version contains 1"), "'version' is integer"
    )
    _one_line_error(
        cli("records", "query", "Contact", "--where", "created_at startswith 2026"),
        "'created_at' is datetime",
    )


def test_an_empty_json_filter_is_no_filter(org, cli):
    for name in ("Dupont", "Martin"):
        assert cli("records", "create", "Contact", "--set", f"last_name={name}").exit_code == 0
    for empty in ("[]", "{}", "[[]]", "[{}]"):
        assert cli("records", "query", "Contact", "--where", empty, "--count").out.strip() == "2", empty


def test_an_id_among_the_values_of_an_update_is_refused(org, cli):
    first = cli("records", "create", "Contact", "--set", "last_name=Dupont", "--json").json()
    other = cli("records", "create", "Contact", "--set", "last_name=Martin", "--json").json()
    data = f'{{"id": "{other["id"]}", "last_name": "X"}}'
    _one_line_error(cli("records", "update", first["id"], "--data", data), "field 'id'", "cannot be changed")
    after = cli("records", "get", first["id"], "--json").json()
    assert (after["last_name"], after["version"]) == ("Dupont", first["version"])
