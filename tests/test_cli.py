"""The command line as a user meets it: init, records, query, objects, plugins, db, users, errors."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.fixture
def org(tmp_path, monkeypatch, cli, database_url):
    """A folder holding an initialised org with core only; the CLI runs inside it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MISSIONBASE_DATABASE_URL", raising=False)
    monkeypatch.delenv("MISSIONBASE_PLUGINS", raising=False)
    monkeypatch.delenv("MISSIONBASE_USER", raising=False)
    result = cli("init", "--database-url", database_url)
    assert result.exit_code == 0, result.err
    return tmp_path


def test_init_writes_config_and_creates_admin(org, cli):
    assert (org / "missionbase.toml").is_file()
    users = cli("users", "list", "--json").json()
    assert [u["username"] for u in users] == ["admin"]


def test_init_refuses_an_existing_org(org, cli):
    result = cli("init")
    assert result.exit_code != 0
    assert "already exists" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_create_get_update_delete_undelete_round_trip(org, cli):
    created = cli(
        "records",
        "create",
        "Contact",
        "--set",
        "first_name=Ana",
        "--set",
        "last_name=Silva",
        "--set",
        "birthdate=1990-04-01",
        "--json",
    ).json()
    assert created["name"] == "Ana Silva" and created["version"] == 1
    fetched = cli("records", "get", created["id"], "--json").json()
    assert fetched["birthdate"] == "1990-04-01"
    updated = cli(
        "records", "update", created["id"], "--set", "first_name=Anna", "--version", "1", "--json"
    ).json()
    assert updated["name"] == "Anna Silva" and updated["version"] == 2
    stale = cli("records", "update", created["id"], "--set", "first_name=X", "--version", "1")
    assert stale.exit_code != 0 and "changed by someone else" in stale.err
    assert cli("records", "get", created["id"], "--json").json()["first_name"] == "Anna"
    assert cli("records", "delete", created["id"]).exit_code == 0
    missing = cli("records", "get", created["id"])
    assert missing.exit_code != 0 and "not found" in missing.err
    assert cli("records", "undelete", created["id"]).exit_code == 0
    assert cli("records", "get", created["id"], "--json").json()["name"] == "Anna Silva"


def test_query_filters_orders_pages_and_counts(org, cli):
    for i, city in enumerate(["Lyon", "Lille", "Lyon", "Nantes", "Lyon"]):
        cli("records", "create", "Contact", "--set", f"last_name=P{i}", "--set", f"mailing_city={city}")
    page1 = cli(
        "records",
        "query",
        "Contact",
        "--where",
        "mailing_city = Lyon",
        "--order-by",
        "-last_name",
        "--limit",
        "2",
        "--json",
    ).json()
    assert [r["last_name"] for r in page1["records"]] == ["P4", "P2"]
    page2 = cli(
        "records",
        "query",
        "Contact",
        "--where",
        "mailing_city = Lyon",
        "--order-by",
        "-last_name",
        "--limit",
        "2",
        "--cursor",
        page1["next_cursor"],
        "--json",
    ).json()
    assert [r["last_name"] for r in page2["records"]] == ["P0"] and page2["next_cursor"] is None
    count = cli("records", "query", "Contact", "--where", "mailing_city in Lyon,Nantes", "--count")
    assert count.out.strip() == "4"
    table = cli(
        "records",
        "query",
        "Contact",
        "--where",
        "last_name startswith P",
        "--fields",
        "last_name,mailing_city",
    )
    assert "last_name" in table.out and "Nantes" in table.out


def test_lookup_traversal_from_the_cli(org, cli):
    account = cli("records", "create", "Account", "--set", "name=Acme Shelter", "--json").json()
    cli("records", "create", "Contact", "--set", "last_name=Doe", "--set", f"account={account['id']}")
    rows = cli(
        "records",
        "query",
        "Contact",
        "--where",
        "account.name contains shelter",
        "--fields",
        "name,account.name",
        "--json",
    ).json()["records"]
    assert rows[0]["account.name"] == "Acme Shelter"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["records", "query", "Contat"], "did you mean 'Contact'"),
        (["records", "query", "Contact", "--where", "emial = x"], "did you mean 'email'"),
        (["records", "create", "Contact", "--set", "first_name=A"], "'last_name': is required"),
        (
            ["records", "create", "Contact", "--set", "last_name=A", "--set", "email=not-an-email"],
            "not a valid email",
        ),
        (["records", "create", "Contact", "--set", "last_name=" + "x" * 81], "at most 80 characters"),
        (["records", "create", "Task", "--set", "subject=x", "--set", "status=Done"], "'Completed'"),
        (
            [
                "records",
                "create",
                "Contact",
                "--set",
                "last_name=A",
                "--set",
                "account=acc_01JD0000000000000000000000",
            ],
            "does not exist",
        ),
        (
            ["records", "create", "Contact", "--set", "last_name=A", "--set", "birthdate=31/12/1990"],
            "birthdate",
        ),
        (
            ["records", "create", "Contact", "--set", "last_name=A", "--set", "nickname=Al"],
            "unknown field 'nickname'",
        ),
        (["records", "create", "Contact", "--set", "last_name=A", "--set", "name=X"], "'name': is read-only"),
        (["records", "query", "Contact", "--where", "last_name ~ x"], "unknown operator '~'"),
        (["records", "get", "not-an-id"], "is not a record id"),
        (["records", "query", "Contact", "--as", "nobody"], "unknown user 'nobody'"),
        (["objects", "describe", "Contactt"], "did you mean 'Contact'"),
    ],
)
def test_bad_input_gets_one_clear_line_and_a_nonzero_exit(org, cli, args, expected):
    result = cli(*args)
    assert result.exit_code != 0
    assert expected in result.err
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert "Traceback" not in result.err
    # ...and nothing was written.
    assert cli("records", "query", "Contact", "--count").out.strip() == "0"


def test_objects_list_and_describe_show_owning_plugin(org, cli):
    objects = {o["name"]: o for o in cli("objects", "list", "--json").json()}
    assert {
        "User",
        "Role",
        "Group",
        "Queue",
        "Account",
        "Contact",
        "Task",
        "Event",
        "Note",
        "File",
        "BusinessHours",
        "Holiday",
    } <= set(objects)
    assert objects["Contact"]["plugin"] == "core" and objects["Contact"]["target"] is True
    described = cli("objects", "describe", "Task", "--json").json()
    fields = {f["name"]: f for f in described["fields"]}
    assert fields["status"]["values"][0] == "Not Started" and fields["status"]["default"] == "Not Started"
    assert fields["what"]["targets"] == ["*"]
    assert all(f["plugin"] == "core" for f in described["fields"])
    text = cli("objects", "describe", "Contact").out
    assert "last_name" in text and "required" in text


def test_plugins_list_enable_disable(org, cli):
    listed = {p["name"]: p for p in cli("plugins", "list", "--json").json()}
    assert {"pmm", "casemgmt", "npsp_engagement", "fsc_actionplans", "chatter"} <= set(listed)
    assert listed["casemgmt"]["requires"] == ["pmm"] and listed["pmm"]["enabled"] is False
    refused = cli("plugins", "enable", "casemgmt")
    assert refused.exit_code != 0 and "requires 'pmm'" in refused.err
    assert "casemgmt" not in (org / "missionbase.toml").read_text()
    assert cli("plugins", "enable", "pmm").exit_code == 0
    assert cli("plugins", "enable", "casemgmt").exit_code == 0
    listed = {p["name"]: p for p in cli("plugins", "list", "--json").json()}
    assert listed["pmm"]["enabled"] and listed["casemgmt"]["enabled"]
    blocked = cli("plugins", "disable", "pmm")
    assert blocked.exit_code != 0 and "casemgmt" in blocked.err
    assert cli("plugins", "disable", "casemgmt").exit_code == 0
    unknown = cli("plugins", "enable", "pmmm")
    assert unknown.exit_code != 0 and "did you mean 'pmm'" in unknown.err


def test_db_status_and_upgrade(org, cli):
    assert "matches" in cli("db", "status").out
    assert "Nothing to do" in cli("db", "upgrade").out


def test_config_errors_are_one_line(org, cli):
    config = org / "missionbase.toml"
    original = config.read_text()
    config.write_text(original + "\ndatabse_url = 'x'\n")
    result = cli("objects", "list")
    assert result.exit_code != 0 and "did you mean 'database_url'" in result.err
    config.write_text(original + "\nplugins = [\n")
    result = cli("objects", "list")
    assert result.exit_code != 0 and "not valid TOML" in result.err
    config.write_text(original.replace("plugins = []", 'plugins = ["casemgmt"]'))
    result = cli("objects", "list")
    assert result.exit_code != 0 and "requires 'pmm'" in result.err
    config.write_text(original)


def test_a_broken_plugin_config_is_one_line_for_plugin_commands_too(org, cli, monkeypatch):
    """Asking for a plugin's command group loads the plugins as the app does: a bad config is its
    own one-line error, not "No such command"."""
    config = org / "missionbase.toml"
    config.write_text(config.read_text().replace("plugins = []", 'plugins = ["casemgmt"]'))
    result = cli("casemgmt", "clients", "--help")
    assert result.exit_code != 0
    assert result.err.strip() == ("error: plugin 'casemgmt' requires 'pmm': add pmm to plugins in the config")
    monkeypatch.setenv("MISSIONBASE_PLUGINS", "pmm,nope")
    result = cli("pmm", "--help")
    assert result.exit_code != 0 and len(result.err.strip().splitlines()) == 1
    assert "unknown plugin 'nope'" in result.err and "No such command" not in result.err
    monkeypatch.setenv("MISSIONBASE_PLUGINS", "pmm")
    assert cli("pmm", "--help").exit_code == 0
    assert "No such command 'casemgmt'" in cli("casemgmt", "--help").err


def test_unreachable_database_is_one_line(tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MISSIONBASE_DATABASE_URL", "postgresql://nobody:secret@127.0.0.1:1/none")
    result = cli("records", "query", "Contact")
    assert result.exit_code != 0
    assert "cannot reach database" in result.err and "secret" not in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_env_overrides_plugins(org, cli, monkeypatch):
    monkeypatch.setenv("MISSIONBASE_PLUGINS", "nope")
    result = cli("objects", "list")
    assert result.exit_code != 0 and "unknown plugin 'nope'" in result.err


def test_users_create_and_act_as_them(org, cli):
    assert cli("users", "create", "ana", "--name", "Ana Silva", "--time-zone", "Europe/Paris").exit_code == 0
    created = cli("records", "create", "Task", "--set", "subject=Call", "--as", "ana", "--json").json()
    ana = next(u for u in cli("users", "list", "--json").json() if u["username"] == "ana")
    assert created["owner_id"] == created["created_by"]
    assert cli("users", "deactivate", "ana").exit_code == 0
    refused = cli("records", "query", "Task", "--as", "ana")
    assert refused.exit_code != 0 and "deactivated" in refused.err
    assert ana["time_zone"] == "Europe/Paris"


def test_help_does_not_import_sqlalchemy_or_plugins():
    code = (
        "import sys\n"
        "from missionbase.core.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "bad = [m for m in sys.modules if m.startswith(('sqlalchemy', 'missionbase.plugins', 'pydantic', 'alembic'))]\n"
        "print('IMPORTED', bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "IMPORTED []" in out
    assert "records" in out and "import" in out


def test_action_command_runs_one_thing_as_the_user_in_one_transaction(app):
    """core.cli.context.action_command: ``GROUP NAME ARG --as USER`` runs as that user, prints
    what it did; a refusal is the usual one-line error and nothing is written."""
    import click
    from click.testing import CliRunner

    from missionbase.core.cli.context import CliState, action_command
    from missionbase.core.security.sharing import assign_permission_set

    with app.system_session() as s:
        ana = s.create("User", {"username": "ana", "name": "Ana"})
        assign_permission_set(s, ana["id"], "Read Only")
        contact = s.create("Contact", {"last_name": "Lee"})

    @click.group()
    def tools():
        pass

    def rename(session, record_id):
        session.update(record_id, {"last_name": "Renamed"})

    action_command(tools, "rename", "record_id", rename, "renamed {}", help="Rename a contact.")
    state = CliState()
    state._app = app
    runner = CliRunner()
    done = runner.invoke(tools, ["rename", contact["id"], "--as", "admin"], obj=state)
    assert done.exit_code == 0 and done.output.strip() == f"renamed {contact['id']}"
    refused = runner.invoke(tools, ["rename", contact["id"], "--as", "ana"], obj=state)
    assert refused.exit_code != 0
    with app.system_session() as s:
        assert s.get(contact["id"])["version"] == 2  # ana's attempt wrote nothing
    assert "Rename a contact." in runner.invoke(tools, ["rename", "--help"], obj=state).output
