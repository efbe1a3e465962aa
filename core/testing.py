"""Pytest fixtures for missionbase and its plugins: an org on a fresh database.

Loaded by the repository's root ``conftest.py``; a third-party plugin's
tests can use them too with ``pytest_plugins = ["missionbase.core.testing"]``.

``MISSIONBASE_TEST_DATABASE_URL`` selects PostgreSQL (a server URL); each
test then gets its own schema, dropped afterwards. Without it each test
gets its own SQLite file.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType

import pytest
import sqlalchemy as sa

from missionbase.core.app import App, init_org
from missionbase.core.cli import main as cli_main
from missionbase.core.config import settings_from_dict, write_config

TEST_DATABASE_ENV = "MISSIONBASE_TEST_DATABASE_URL"


def pytest_report_header(config):
    url = os.environ.get(TEST_DATABASE_ENV)
    return f"missionbase database: {'PostgreSQL ' + url if url else 'SQLite (one file per test)'}"


@pytest.fixture
def database_url(tmp_path) -> Iterator[str]:
    """A URL to an empty database that is dropped after the test."""
    server = os.environ.get(TEST_DATABASE_ENV)
    if not server:
        yield f"sqlite:///{tmp_path / 'org.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in server else "?"
    yield f"{server}{separator}options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


@pytest.fixture
def make_app(database_url, tmp_path) -> Iterator[Callable[..., App]]:
    """Build an initialised org with the given plugins (all share the test's database)."""
    apps: list[App] = []

    def build(
        plugins: list[str] | None = None,
        extra_plugins: dict[str, ModuleType] | None = None,
        init: bool = True,
        **settings,
    ) -> App:
        values = {
            "database_url": database_url,
            "plugins": list(plugins or []),
            "files_dir": str(tmp_path / "files"),
            **settings,
        }
        app = App(settings_from_dict(values), extra_plugins=extra_plugins)
        if init:
            init_org(app)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.dispose()


@pytest.fixture
def app(make_app) -> App:
    """An org with core only, an admin user named 'admin'."""
    return make_app()


@pytest.fixture
def session(app):
    """A RecordService as the admin, committed at the end of the test."""
    with app.session("admin") as s:
        yield s


# -- the command line, run in-process through the real entry point -----------------


@dataclass
class Result:
    exit_code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


def run_cli(capsys, *args: str) -> Result:
    capsys.readouterr()
    try:
        cli_main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


@pytest.fixture
def cli(capsys) -> Callable[..., Result]:
    """``cli("records", "query", "Contact")``: exit code, stdout and stderr as a user sees them."""
    return lambda *args: run_cli(capsys, *args)


def add_users(
    app: App, people: dict[str, str | dict], permission_sets: tuple[str, ...] = ("Standard User",)
) -> dict[str, str]:
    """Create users in one system session; returns username -> id.

    Each username maps to its full name (the user gets ``username@example.org``
    and ``permission_sets``), or to its User field values as given, with
    ``name`` defaulting to the capitalised username and a ``permission_sets``
    entry replacing the shared ones::

        add_users(app, {"sam": "Sam Caseworker"})
        add_users(app, {"ana": {"time_zone": "Europe/Paris", "permission_sets": ["PMM: Deliver"]}})
    """
    from missionbase.core import assign_permission_set

    ids = {}
    with app.system_session() as s:
        for username, given in people.items():
            if isinstance(given, str):
                values = {"name": given, "email": f"{username}@example.org"}
            else:
                values = {"name": username.title(), **given}
            sets = values.pop("permission_sets", permission_sets)
            user = s.create("User", {"username": username, **values})
            for permset in sets:
                assign_permission_set(s, user["id"], permset)
            ids[username] = user["id"]
    return ids


def permission_sets_plugin(name: str, *permission_sets) -> ModuleType:
    """A plugin module that only declares these permission sets, for ``make_app(extra_plugins=...)``."""
    from missionbase.core import hookimpl

    module = ModuleType(name)

    @hookimpl
    def missionbase_register_permission_sets(registry):
        for permset in permission_sets:
            registry.add(permset)

    module.missionbase_register_permission_sets = missionbase_register_permission_sets
    return module


@pytest.fixture
def cli_for(cli, tmp_path, monkeypatch) -> Callable[..., Callable[..., Result]]:
    """``run = cli_for(app)``: the CLI as that org's users run it -- a missionbase.toml with the
    app's database, plugins, files and mail relay in a working directory of its own, and no
    environment override -- then ``run("feed", "show", "--mine", "--as", "ana")``."""

    def configure(app: App) -> Callable[..., Result]:
        monkeypatch.chdir(tmp_path)
        for var in (
            "MISSIONBASE_CONFIG",
            "MISSIONBASE_DATABASE_URL",
            "MISSIONBASE_PLUGINS",
            "MISSIONBASE_USER",
        ):
            monkeypatch.delenv(var, raising=False)
        kept = ("database_url", "plugins", "files_dir", "smtp_host", "smtp_port", "mail_from")
        values = {k: v for k, v in app.settings.model_dump(include=set(kept)).items() if v is not None}
        write_config(tmp_path / "missionbase.toml", {**values, "default_user": "admin"})
        return cli

    return configure


# -- plugin conformance ------------------------------------------------------------------


class PluginConformance:
    """Checks every plugin must pass; a plugin's tests subclass it and set ``plugins``.

    ::

        class TestHousingConformance(PluginConformance):
            plugins = ["housing"]

    ``plugins`` lists the plugin and the plugins it requires. What the
    registry already refuses at startup (clashing names or prefixes, unknown
    hooks, trigger events, job/report/setting names outside the plugin's
    namespace) is not re-checked here; these are the mistakes that would
    only show later: an object nobody but admins can read, a trigger or
    permission set reaching into a plugin it does not require, demo data
    that duplicates itself, schema drift after ``db upgrade``, a command
    group hiding another one.
    """

    plugins: list[str] = []

    @pytest.fixture
    def conformance_app(self, make_app) -> App:
        return make_app(plugins=self.plugins)

    def reachable_objects(self, app: App) -> set[str]:
        """Objects declared by core, the plugins under test and what they require."""
        return {name for name, obj in app.registry.objects.items() if obj.plugin in {"core", *self.plugins}}

    def test_plugin_loads_with_its_requirements(self, conformance_app):
        for name in self.plugins:
            assert name in conformance_app.plugin_names
            info = conformance_app.installed[name]
            assert all(req in conformance_app.plugin_names for req in info.requires)

    def test_every_object_is_readable_through_some_permission_set(self, conformance_app):
        from missionbase.core.security.model import set_letters

        registry = conformance_app.registry
        narrow_sets = [p for p in registry.permission_sets.values() if "*" not in p.objects and not p.system]
        for obj in registry.objects.values():
            if obj.plugin not in self.plugins:
                continue
            granting = [p.name for p in narrow_sets if "R" in set_letters(p, obj.name)]
            assert granting, f"{obj.name}: no permission set (besides the administrator's) grants Read"

    def test_triggers_name_only_objects_the_plugin_can_reach(self, conformance_app):
        reachable = self.reachable_objects(conformance_app)
        for trigger in conformance_app.registry.triggers:
            if trigger.plugin in self.plugins:
                assert trigger.object in reachable, (
                    f"plugin {trigger.plugin!r} has a {trigger.event} trigger on {trigger.object}, "
                    "declared by a plugin it does not require"
                )

    def test_permission_sets_name_only_reachable_objects_and_fields(self, conformance_app):
        registry = conformance_app.registry
        reachable = self.reachable_objects(conformance_app)
        for permset in registry.permission_sets.values():
            if permset.plugin not in self.plugins:
                continue
            for name in permset.objects:
                assert name == "*" or name in reachable, f"{permset.name!r} names object {name}"
            for key in permset.fields:
                object_name, _, field_name = key.partition(".")
                assert object_name in reachable, (
                    f"{permset.name!r} names field {key} of an unreachable object"
                )
                assert registry.object(object_name).has_field(field_name), (
                    f"{permset.name!r} names field {key}, which {object_name} does not have"
                )

    def test_demo_data_loads_twice_without_duplicates(self, conformance_app):
        from missionbase.core.cli.demo import load_demo

        app = conformance_app

        def counts() -> dict[str, int]:
            with app.system_session() as s:
                return {name: s.count(name) for name in app.registry.objects}

        load_demo(app, echo=lambda line: None)
        first = counts()
        load_demo(app, echo=lambda line: None)
        assert counts() == first

    def test_schema_matches_registry_after_upgrade(self, conformance_app):
        assert conformance_app.pending_schema_changes() == []

    def test_command_groups_do_not_clash(self, conformance_app):
        import click

        from missionbase.core.cli import CORE_COMMANDS
        from missionbase.core.plugins import call_in_order

        owners: dict[str, str] = {name: "core" for name in CORE_COMMANDS}
        for name in conformance_app.plugin_names:
            group = click.Group()
            call_in_order(conformance_app.pm, "missionbase_register_commands", [name], cli=group)
            for command in group.commands:
                if name in self.plugins:
                    assert command not in owners, (
                        f"plugin {name!r} adds command {command!r}, already {owners[command]!r}'s"
                    )
                owners[command] = name


# -- a real SMTP server for tests of outgoing email ---------------------------------------


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list  # email.message.EmailMessage, in arrival order

    def settings(self) -> dict:
        """Org settings that send through this server (for ``make_app(**server.settings())``)."""
        return {"smtp_host": self.host, "smtp_port": self.port, "mail_from": "org@example.org"}


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A local aiosmtpd server collecting the messages it receives (started per test)."""
    import email
    import email.policy
    import socket

    from aiosmtpd.controller import Controller

    messages: list = []

    class Collect:
        async def handle_DATA(self, server, session, envelope):
            messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, messages)
    finally:
        controller.stop()
