"""A date-time typed without an offset is the acting user's local time (else the org's),
everywhere values are typed; zone names are real IANA names; people read times in their zone."""

from __future__ import annotations

import datetime as dt

import pytest

from missionbase.core import ConfigError, ValidationError, local_date, parse_user_datetime
from missionbase.core.config import settings_from_dict
from missionbase.core.testing import add_users

UTC = dt.UTC


@pytest.fixture
def paris(make_app, cli_for):
    """An org in UTC with ana in Europe/Paris and bob in New York."""
    app = make_app()
    add_users(app, {"ana": {"time_zone": "Europe/Paris"}, "bob": {"time_zone": "America/New_York"}})
    return app, cli_for(app)


def event(run, start: str, end: str | None = None, user: str = "ana"):
    return run(
        "records", "create", "Event", "--set", "subject=Visit", "--set", f"start={start}",
        "--set", f"end={end or start}", "--as", user, "--json",
    )  # fmt: skip


def test_records_create_reads_local_time_and_shows_it_back_local(paris):
    _app, run = paris
    created = event(run, "2026-12-03T09:15")
    assert created.exit_code == 0, created.err
    assert created.json()["start"] == "2026-12-03T08:15:00+00:00"  # 09:15 in Paris is 08:15 UTC
    shown = run("records", "get", created.json()["id"], "--as", "ana").out
    assert "2026-12-03 09:15 CET" in shown
    assert "2026-12-03 08:15 UTC" in run("records", "get", created.json()["id"], "--as", "admin").out
    # An explicit offset means exactly that instant, whoever types it.
    assert event(run, "2026-12-03T09:15+00:00", user="bob").json()["start"] == "2026-12-03T09:15:00+00:00"
    assert event(run, "2026-12-03T09:15Z").json()["start"] == "2026-12-03T09:15:00+00:00"


def test_records_update_reads_local_time_too(paris):
    _, run = paris
    record = event(run, "2026-07-01T10:00").json()
    assert record["start"] == "2026-07-01T08:00:00+00:00"  # summer time: +02:00
    changed = run(
        "records", "update", record["id"], "--set", "end=2026-07-01T12:30", "--as", "ana", "--json"
    ).json()
    assert changed["end"] == "2026-07-01T10:30:00+00:00"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("2026-03-29T01:30", "2026-03-29T00:30:00+00:00"),  # before the change, +01:00
        ("2026-03-29T03:30", "2026-03-29T01:30:00+00:00"),  # after it, +02:00
        ("2026-10-25T02:30", "2026-10-25T00:30:00+00:00"),  # ambiguous: the first, summer time
        ("2026-10-25T02:30+01:00", "2026-10-25T01:30:00+00:00"),  # the second, with its offset
        ("2026-10-25T03:30", "2026-10-25T02:30:00+00:00"),  # after the change, +01:00
    ],
)
def test_across_a_dst_change(paris, typed, stored):
    _, run = paris
    created = event(run, typed)
    assert created.exit_code == 0, created.err
    assert created.json()["start"] == stored


def test_a_local_time_the_clocks_skip_is_refused_naming_the_gap(paris):
    _, run = paris
    refused = event(run, "2026-03-29T02:30")
    assert refused.exit_code == 1
    assert refused.err.strip() == (
        "error: Event row 0 field 'start': 2026-03-29 02:30 does not exist in Europe/Paris: the clocks go "
        "forward 1 hour that night; did you mean 2026-03-29 03:30?"
    )


def test_filters_read_local_time(paris):
    _app, run = paris
    event(run, "2026-12-03T09:15")
    found = run("records", "query", "Event", "--where", "start >= 2026-12-03T09:00", "--as", "ana", "--json")
    assert len(found.json()["records"]) == 1
    # For bob, 09:00 in New York is after 09:15 in Paris.
    found = run("records", "query", "Event", "--where", "start >= 2026-12-03T09:00", "--as", "bob", "--json")
    assert found.json()["records"] == []
    assert (
        run(
            "records", "query", "Event", "--where", "created_at > 2000-01-01T00:00", "--as", "ana", "--count"
        ).out.strip()
        == "1"
    )


def test_imports_read_local_time(paris, tmp_path):
    _, run = paris
    source = tmp_path / "events.csv"
    source.write_text(
        "subject,start,end\nVisit,2026-12-03 09:15,2026-12-03 10:00\nGap,2026-03-29 02:30,2026-03-29 03:30\n"
    )
    result = run("import", "Event", str(source), "--as", "ana")
    assert result.exit_code == 3
    assert "line 3: field 'start': 2026-03-29 02:30 does not exist in Europe/Paris" in result.err
    rows = run("records", "query", "Event", "--as", "ana", "--json").json()["records"]
    assert [r["start"] for r in rows] == ["2026-12-03T08:15:00+00:00"]


def test_a_user_without_a_zone_lives_in_the_orgs(make_app, cli_for):
    app = make_app(time_zone="Europe/Paris")
    add_users(app, {"cam": "Cam"})
    run = cli_for(app)
    assert event(run, "2026-12-03T09:15", user="cam").json()["start"] == "2026-12-03T08:15:00+00:00"
    with app.system_session() as s:  # the system context reads typed times in the org's zone too
        made = s.create("Event", {"subject": "Job", "start": "2026-12-03T09:15", "end": "2026-12-03T09:15"})
    assert made["start"] == dt.datetime(2026, 12, 3, 8, 15, tzinfo=UTC)


def test_plugins_parse_a_users_datetime_with_the_same_rule(paris):
    app, _ = paris
    with app.session("ana") as s:
        assert parse_user_datetime(s, "2026-10-25T02:30") == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
        assert local_date(s, dt.datetime(2026, 12, 3, 23, 30, tzinfo=UTC)) == dt.date(2026, 12, 4)
        with pytest.raises(ValidationError, match=r"^--when: 'tomorrow' is not a date-time"):
            parse_user_datetime(s, "tomorrow", what="--when")
        assert parse_user_datetime(s, "") is None


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("Paris", "Europe/Paris"), ("europe/paris", "Europe/Paris"), ("New York", "America/New_York")],
)
def test_a_time_zone_must_be_a_real_iana_name(paris, typed, suggested):
    app, run = paris
    result = run("users", "create", "zed", "--name", "Zed", "--time-zone", typed)
    assert result.exit_code == 1
    assert f"is not a time zone name; did you mean '{suggested}'" in result.err
    updated = run("records", "update", app_user_id(app, "ana"), "--set", f"time_zone={typed}")
    assert updated.exit_code == 1 and suggested in updated.err
    zones = {u["username"]: u["time_zone"] for u in run("users", "list", "--json").json()}
    assert zones == {"admin": None, "ana": "Europe/Paris", "bob": "America/New_York"}
    with pytest.raises(
        ConfigError, match=f"key 'time_zone': '{typed}' is not a time zone name; did you mean '{suggested}'"
    ):
        settings_from_dict({"time_zone": typed})


def app_user_id(app, username: str) -> str:
    with app.system_session() as s:
        return s.query("User", where={"username": username}).records[0]["id"]


def test_tables_show_times_in_the_readers_zone(paris):
    _app, run = paris
    created = event(run, "2026-12-03T09:15").json()
    event(run, "2026-12-03T09:15+01:00", user="bob")
    table = run("records", "query", "Event", "--fields", "subject,start,created_at", "--as", "bob").out
    assert "2026-12-03 03:15 EST" in table and "UTC" not in table
    history = run("records", "bin", "--as", "ana")
    assert history.exit_code == 0
    run("records", "delete", created["id"], "--as", "ana")
    assert "UTC" not in run("records", "bin", "--as", "ana").out
