"""Pytest fixtures for missionbase and its plugins: an org on a fresh database.

Loaded by the repository's root ``conftest.py``; a third-party plugin's
tests can use them too with ``pytest_plugins = ["missionbase.core.testing"]``.

``MISSIONBASE_TEST_DATABASE_URL`` selects PostgreSQL (a server URL); each
test then gets its own database (a copy of a cached initialised org) or
schema (an empty database), dropped afterwards. Without it each test gets
its own SQLite file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
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


class _Databases:
    """Creates and drops the tests' databases, and keeps initialised orgs to copy from.

    One per pytest process (each xdist worker has its own), so the cached
    orgs and every database name carry the process id: workers never share,
    lock or drop each other's databases.

    ``init_org`` is most of the cost of an org-building test, and most tests
    build one of a dozen plugin sets. The first test of a set initialises a
    pristine org off to the side; every later one gets a copy of it (a SQLite
    backup, a PostgreSQL ``CREATE DATABASE ... TEMPLATE``), which is what
    ``init_org`` would have left, minus the time.
    """

    def __init__(self, server: str | None, root) -> None:
        self.server = server
        self.root = root
        self.tag = f"{os.getpid()}"
        self.admin = sa.create_engine(server, isolation_level="AUTOCOMMIT") if server else None
        self.orgs: dict[tuple, _CachedOrg | None] = {}
        self.seen: dict[tuple, object] = {}
        self._file_copy = ""
        if self.admin is not None:
            with self.admin.connect() as conn:
                version = int(conn.exec_driver_sql("SHOW server_version_num").scalar())
            # WAL_LOG (15's default) writes the whole copy to the WAL: several times slower for
            # these small databases than copying the files (the only strategy before 15).
            self._file_copy = " STRATEGY FILE_COPY" if version >= 150000 else ""

    def _database_url(self, name: str) -> str:
        url = sa.engine.make_url(self.server).set(database=name)
        return url.render_as_string(hide_password=False)

    # -- the org cache ----------------------------------------------------------------
    def cached_org(self, values: dict, extra_plugins: dict[str, ModuleType] | None) -> _CachedOrg | None:
        """The pristine initialised org for these settings and plugins, built on first use.

        None when it could not be built: the test then runs ``init_org`` itself,
        so it sees the failure exactly as it would have without the cache.
        """
        # The plugin list keeps its order: it decides the order of hooks, so of what init writes.
        key = tuple(
            sorted((k, json.dumps(v, default=str)) for k, v in values.items() if k not in _PER_TEST_SETTINGS)
        )
        if extra_plugins:
            # In-process plugins are the test's own code: only the very same module objects,
            # with the very same hook functions, are the same plugins.
            hooks = {
                name: tuple(
                    (attr, getattr(module, attr))
                    for attr in sorted(vars(module))
                    if attr.startswith("missionbase_")
                )
                for name, module in extra_plugins.items()
            }
            key += tuple(
                (name, id(module), tuple((attr, id(fn)) for attr, fn in hooks[name]))
                for name, module in sorted(extra_plugins.items())
            )
            if key not in self.orgs and key not in self.seen:
                # Most tests build their in-process plugin afresh (a new module, never seen
                # again): an org is cached only once a second test brings the same one.
                # Kept alive so that no new object can take their ids.
                self.seen[key] = (extra_plugins, hooks)
                return None
        if key not in self.orgs:
            self.orgs[key] = self._build_org(len(self.orgs), values, extra_plugins)
        return self.orgs[key]

    def _build_org(self, number: int, values: dict, extra_plugins) -> _CachedOrg | None:
        folder = self.root / f"org-{number}"
        folder.mkdir()
        if self.admin is None:
            url = f"sqlite:///{folder / 'org.db'}"
        else:
            name = f"mb_cache_{self.tag}_{number}"
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            url = self._database_url(name)
        org = _CachedOrg(url, folder / "files")
        app = None
        try:
            settings = settings_from_dict({**values, "database_url": url, "files_dir": str(org.files_dir)})
            app = App(settings, extra_plugins=extra_plugins)
            init_org(app)
        except Exception:
            if app is not None:
                app.dispose()
            self._drop(url)
            return None
        # A template database may have no connection open.
        app.dispose()
        return org

    # -- per test -------------------------------------------------------------------------
    def empty(self, tmp_path) -> str:
        """A new empty database: a SQLite file, or a PostgreSQL schema of its own."""
        if self.admin is None:
            return f"sqlite:///{tmp_path / 'org.db'}"
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        separator = "&" if "?" in self.server else "?"
        return f"{self.server}{separator}options=-csearch_path%3D{schema}"

    def copy(self, org: _CachedOrg, tmp_path, files_dir) -> str:
        """A new database holding a copy of the cached org, its files copied to ``files_dir``."""
        if org.files_dir.exists():
            shutil.copytree(org.files_dir, files_dir, dirs_exist_ok=True)
        if self.admin is None:
            target = tmp_path / "org.db"
            source = sqlite3.connect(org.url.removeprefix("sqlite:///"))
            dest = sqlite3.connect(target)
            try:
                # The backup API copies a consistent snapshot, WAL pages included.
                source.backup(dest)
            finally:
                dest.close()
                source.close()
            return f"sqlite:///{target}"
        name = f"mb_t_{self.tag}_{uuid.uuid4().hex[:12]}"
        template = sa.engine.make_url(org.url).database
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{self._file_copy}')
        return self._database_url(name)

    def drop(self, url: str) -> None:
        if self.admin is not None:
            self._drop(url)

    def _drop(self, url: str) -> None:
        if self.admin is None:
            return
        with self.admin.connect() as conn:
            if "search_path" in url:
                schema = url.rsplit("%3D", 1)[1]
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            else:
                # FORCE: a connection a test left open (a CLI run's engine) must not keep it alive.
                name = sa.engine.make_url(url).database
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        for org in self.orgs.values():
            if org is not None:
                self._drop(org.url)
        if self.admin is not None:
            self.admin.dispose()


@dataclass
class _CachedOrg:
    url: str
    files_dir: Path


@pytest.fixture(scope="session")
def _databases(tmp_path_factory) -> Iterator[_Databases]:
    databases = _Databases(os.environ.get(TEST_DATABASE_ENV), tmp_path_factory.mktemp("orgs"))
    yield databases
    databases.close()


class _TestDatabase:
    """The test's database, created when first needed: empty, or a copy of a cached org."""

    def __init__(self, databases: _Databases, tmp_path) -> None:
        self.databases = databases
        self.tmp_path = tmp_path
        self.url: str | None = None

    def empty(self) -> str:
        if self.url is None:
            self.url = self.databases.empty(self.tmp_path)
        return self.url

    def copy_of(self, org: _CachedOrg, files_dir) -> str:
        assert self.url is None, "only a database nobody has used yet can be replaced by a copy"
        self.url = self.databases.copy(org, self.tmp_path, files_dir)
        return self.url


@pytest.fixture
def _test_database(_databases, tmp_path) -> Iterator[_TestDatabase]:
    database = _TestDatabase(_databases, tmp_path)
    yield database
    if database.url is not None:
        _databases.drop(database.url)


@pytest.fixture
def database_url(_test_database) -> str:
    """A URL to an empty database that is dropped after the test."""
    return _test_database.empty()


# Settings that only say where this org lives: the same cached org serves every test.
_PER_TEST_SETTINGS = ("database_url", "files_dir")


@pytest.fixture
def make_app(_test_database, _databases, tmp_path) -> Iterator[Callable[..., App]]:
    """Build an initialised org with the given plugins (all share the test's database).

    The first initialised org of a test is a copy of a cached one: same
    tables, system user and admin as ``init_org`` makes. With in-process
    ``extra_plugins`` that needs the same module objects as an earlier test
    (a module defined once, not per test). Later calls in the same test,
    ``init=False`` and a database the test already touched all go the
    uncached way.
    """
    apps: list[App] = []

    def build(
        plugins: list[str] | None = None,
        extra_plugins: dict[str, ModuleType] | None = None,
        init: bool = True,
        **settings,
    ) -> App:
        values = {
            "plugins": list(plugins or []),
            "files_dir": str(tmp_path / "files"),
            # A real argon2 hash costs a large part of a second, by design; tests log in often.
            "password_hash_profile": "cheapest_for_tests",
            **settings,
        }
        org = None
        if init and "database_url" not in values and _test_database.url is None:
            org = _databases.cached_org(values, extra_plugins)
        if "database_url" in values:
            url = values["database_url"]
        elif org is not None:
            url = _test_database.copy_of(org, Path(values["files_dir"]))
        else:
            url = _test_database.empty()
        app = App(settings_from_dict({**values, "database_url": url}), extra_plugins=extra_plugins)
        apps.append(app)
        if init and org is None:
            init_org(app)
        return app

    yield build
    for app in apps:
        app.dispose()


@pytest.fixture
def app(make_app) -> App:
    """An org with core only, an admin user named 'admin'."""
    return make_app()


class MovableClock:
    """Core's clock (``core.clock.utcnow``) moved forward without sleeping: what lets a test
    see a login session go idle, a token expire or a failed-login window pass."""

    def shift(self, **delta: float) -> None:
        """``clock.shift(minutes=61)``; the units of ``datetime.timedelta``."""
        from . import clock

        clock.shift(dt.timedelta(**delta))


@pytest.fixture
def clock() -> Iterator[MovableClock]:
    """``clock.shift(days=91)``: core's clock moves for the rest of the test, then is put back."""
    from . import clock as core_clock

    yield MovableClock()
    core_clock.reset()


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
        kept = (
            "database_url",
            "plugins",
            "files_dir",
            "time_zone",
            "locale",
            "smtp_host",
            "smtp_port",
            "mail_from",
            "password_hash_profile",
        )
        values = {k: v for k, v in app.settings.model_dump(include=set(kept)).items() if v is not None}
        write_config(tmp_path / "missionbase.toml", {**values, "default_user": "admin"})
        return cli

    return configure


# -- plugin conformance ------------------------------------------------------------------


class PluginConformance:
    """Checks every plugin must pass; a plugin's tests subclass it and set ``plugins``.

    ::

        class TestHousingConformance(PluginConformance):
            plugins = ["shelter"]

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
