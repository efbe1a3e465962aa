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

    It checks that the plugin loads with its requirements, that every object
    it declares has a unique prefix and can be read through some permission
    set (else nobody but admins could ever see it), that its hooks are all
    known hookspecs, and that after ``db upgrade`` the database matches the
    registry exactly.
    """

    plugins: list[str] = []

    @pytest.fixture
    def conformance_app(self, make_app) -> App:
        return make_app(plugins=self.plugins)

    def test_plugin_loads_with_its_requirements(self, conformance_app):
        for name in self.plugins:
            assert name in conformance_app.plugin_names
            info = conformance_app.installed[name]
            assert all(req in conformance_app.plugin_names for req in info.requires)

    def test_object_prefixes_are_unique(self, conformance_app):
        prefixes = [obj.prefix for obj in conformance_app.registry.objects.values()]
        assert len(prefixes) == len(set(prefixes))

    def test_every_object_is_readable_through_some_permission_set(self, conformance_app):
        from missionbase.core.security.model import set_letters

        registry = conformance_app.registry
        narrow_sets = [p for p in registry.permission_sets.values() if "*" not in p.objects and not p.system]
        for obj in registry.objects.values():
            if obj.plugin not in self.plugins:
                continue
            granting = [p.name for p in narrow_sets if "R" in set_letters(p, obj.name)]
            assert granting, f"{obj.name}: no permission set (besides the administrator's) grants Read"

    def test_schema_matches_registry_after_upgrade(self, conformance_app):
        assert conformance_app.pending_schema_changes() == []

    def test_hook_names_are_known(self, conformance_app):
        # check_pending() at startup would have raised; this re-asserts it for the record.
        conformance_app.pm.check_pending()


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
