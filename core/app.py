"""The app factory: settings -> plugins -> registry -> schema -> sessions.

``open_org()`` builds everything fresh (no global state), so each test can
open an org with exactly the plugins it tests.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa

import missionbase.core.plugins as plugins_mod

from . import config as config_mod
from . import objects as core_objects
from .db import make_engine, redact
from .errors import ConfigError, MissionbaseError, UnknownName
from .history import record_field_history
from .ids import SYSTEM_USER_ID
from .records import RecordService
from .registry import Registry
from .schema import Schema, apply_changes, build_schema, pending_changes, plugin_migration_dirs
from .security import AccessPolicy, CurrentUser
from .security.policy import SecurityPolicy
from .security.sharing import assign_permission_set, drop_shares_on_owner_change
from .validation import ObjectValidator

ADMIN_PERMISSION_SET = "System Administrator"

# Alembic's default version table: one row per head of each plugin's migration branch.
ALEMBIC_VERSION_TABLE = "alembic_version"
SYSTEM_USER = CurrentUser(id=SYSTEM_USER_ID, username="system", is_system=True)


class App:
    def __init__(
        self, settings: config_mod.Settings, extra_plugins: dict[str, ModuleType] | None = None
    ) -> None:
        self.settings = settings
        self.installed, self.plugins, self.pm = plugins_mod.load_plugins(
            settings.plugins, core_objects, extra_plugins
        )
        self.plugin_names = [p.name for p in self.plugins]
        self.registry = Registry()
        plugins_mod.declare(self.pm, self.registry, self.plugins)
        self.schema: Schema = build_schema(self.registry)
        self.access_policy: AccessPolicy = SecurityPolicy()
        # Called after every update with (session, object, new rows, old rows).
        self.write_listeners: list[Callable[..., None]] = [record_field_history, drop_shares_on_owner_change]
        self._validators: dict[str, ObjectValidator] = {}
        self._prefixes = {name: obj.prefix for name, obj in self.registry.objects.items()}
        # The explicit system context reads typed date-times in the org's zone.
        self.system_user = dataclasses.replace(SYSTEM_USER, time_zone=settings.time_zone)

    # -- database -----------------------------------------------------------
    @cached_property
    def engine(self) -> sa.Engine:
        return make_engine(self.settings.database_url)

    def connect(self) -> sa.Connection:
        try:
            return self.engine.connect()
        except sa.exc.OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise ConfigError(
                f"cannot reach database {redact(self.settings.database_url)}: {reason}"
            ) from None

    def pending_schema_changes(self) -> list:
        with self.connect() as conn:
            return pending_changes(conn, self.schema)

    def upgrade(self) -> list:
        """Apply additive changes, then the enabled plugins' migration scripts. Returns what was done."""
        with self.connect() as conn, conn.begin():
            changes = pending_changes(conn, self.schema)
            apply_changes(conn, [c for c in changes if c.additive])
            self._run_plugin_migrations(conn)
        return changes

    def _run_plugin_migrations(self, conn: sa.Connection) -> None:
        """Run the enabled plugins' Alembic scripts: one environment, a branch per plugin.

        Only enabled plugins' folders are in ``version_locations``, so the
        version table may name revisions Alembic cannot find (a plugin that
        was disabled or uninstalled, its tables and rows kept). Those rows are
        set aside for the run and put back in the same transaction; without
        that, disabling one plugin with scripts would break every other
        plugin's upgrade ("Can't locate revision").
        """
        dirs = plugin_migration_dirs([p.load() for p in self.plugins])
        if not dirs:
            return
        from alembic import command
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        cfg.set_main_option("path_separator", "space")
        cfg.set_main_option("version_locations", " ".join(str(d) for d in dirs))
        cfg.attributes["connection"] = conn
        known = {script.revision for script in ScriptDirectory.from_config(cfg).walk_revisions()}
        versions = sa.table(ALEMBIC_VERSION_TABLE, sa.column("version_num", sa.String(32)))
        set_aside: list[str] = []
        if sa.inspect(conn).has_table(ALEMBIC_VERSION_TABLE):
            current = conn.execute(sa.select(versions.c.version_num)).scalars().all()
            set_aside = [rev for rev in current if rev not in known]
            if set_aside:
                conn.execute(versions.delete().where(versions.c.version_num.in_(set_aside)))
        command.upgrade(cfg, "heads")
        if set_aside:
            conn.execute(versions.insert(), [{"version_num": rev} for rev in set_aside])

    def ensure_system_user(self) -> None:
        """The explicit system context acts as this user (created_by of jobs and imports)."""
        users = self.schema.table("User")
        with self.connect() as conn, conn.begin():
            if conn.execute(sa.select(users.c.id).where(users.c.id == SYSTEM_USER_ID)).first() is None:
                now = dt.datetime.now(dt.UTC)
                conn.execute(
                    users.insert().values(
                        id=SYSTEM_USER_ID,
                        owner_id=SYSTEM_USER_ID,
                        created_at=now,
                        created_by=SYSTEM_USER_ID,
                        modified_at=now,
                        modified_by=SYSTEM_USER_ID,
                        version=1,
                        is_deleted=False,
                        username="system",
                        name="System",
                        time_zone="UTC",
                        is_active=True,
                    )
                )

    # -- sessions -------------------------------------------------------------
    @contextlib.contextmanager
    def session(self, as_user: str | None = None, *, system: bool = False) -> Iterator[RecordService]:
        """One transaction as one user: committed when the block ends, rolled back on error.

        ``system=True`` is the explicit system context (jobs, demo data,
        imports run by an admin on behalf of the org): no access checks.
        """
        with self.connect() as conn, conn.begin():
            user = (
                self.system_user if system else self.resolve_user(conn, as_user or self.settings.default_user)
            )
            yield RecordService(self, conn, user)

    def system_session(self):
        return self.session(system=True)

    def resolve_user(self, conn: sa.Connection, name_or_id: str) -> CurrentUser:
        users = self.schema.table("User")
        column = users.c.id if name_or_id.startswith("usr_") else users.c.username
        row = conn.execute(
            sa.select(users.c.id, users.c.username, users.c.time_zone, users.c.is_active).where(
                column == name_or_id, users.c.is_deleted == sa.false()
            )
        ).first()
        if row is None or row.id == SYSTEM_USER_ID:
            names = conn.execute(
                sa.select(users.c.username).where(
                    users.c.is_deleted == sa.false(), users.c.id != SYSTEM_USER_ID
                )
            ).scalars()
            raise UnknownName("user", name_or_id, list(names))
        if not row.is_active:
            raise MissionbaseError(f"user {row.username!r} is deactivated")
        # A user without a zone of their own lives in the org's.
        return CurrentUser(
            id=row.id, username=row.username, time_zone=row.time_zone or self.settings.time_zone
        )

    def is_admin(self, session: RecordService) -> bool:
        """May this session change org settings (customize_application)?"""
        return session.user.is_system or self.access_policy.is_admin(session)

    def validator(self, object_name: str) -> ObjectValidator:
        validator = self._validators.get(object_name)
        if validator is None:
            validator = ObjectValidator(self.registry.object(object_name), self._prefixes)
            self._validators[object_name] = validator
        return validator

    # -- hooks ------------------------------------------------------------------
    def call_hook(self, name: str, **kwargs) -> list:
        return plugins_mod.call_in_order(self.pm, name, self.plugin_names, **kwargs)

    def plugin_objects(self, plugin: str) -> list[str]:
        return [o.name for o in self.registry.objects.values() if o.plugin == plugin]

    def send_email(self, to: str, subject: str, body: str) -> None:
        """Send one email (see ``send_emails``); call after commit."""
        from .mail import Email

        self.send_emails([Email(to, subject, body)])

    @property
    def email_configured(self) -> bool:
        """Whether mail can go out: an SMTP relay in the config or a plugin transport."""
        return bool(self.settings.smtp_host) or bool(self.pm.hook.missionbase_send_emails.get_hookimpls())

    def send_emails(self, emails: list) -> int:
        """Send emails through the first plugin implementing ``missionbase_send_emails`` that takes
        them, else the org's SMTP relay (core.mail); returns how many were sent."""
        from .mail import send_emails

        if not emails:
            return 0
        # firstresult: the first transport (tryfirst/trylast decide between several) that
        # returns a count has sent them; the others are not called.
        sent = self.pm.hook.missionbase_send_emails(settings=self.settings, emails=emails)
        return sent if sent is not None else send_emails(self.settings, emails)

    def dispose(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def open_org(
    config: str | Path | None = None,
    *,
    settings: config_mod.Settings | None = None,
    extra_plugins: dict[str, ModuleType] | None = None,
) -> App:
    """Open an org from its config file (or given settings)."""
    if settings is None:
        settings = config_mod.load_settings(config, require_file=True)
    return App(settings, extra_plugins=extra_plugins)


def init_org(app: App, admin_username: str = "admin", admin_name: str = "Administrator") -> str:
    """Create the schema, the system user and the first admin; returns the admin's id."""
    app.upgrade()
    app.ensure_system_user()
    with app.system_session() as s:
        existing = s.query("User", where={"username": admin_username}, limit=1).records
        if existing:
            return existing[0]["id"]
        admin = s.create("User", {"username": admin_username, "name": admin_name})
        assign_permission_set(s, admin["id"], ADMIN_PERMISSION_SET)
    return admin["id"]
