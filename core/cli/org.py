"""Org-level commands: init, demo, plugins, db, objects, users, jobs, settings."""

from __future__ import annotations

from pathlib import Path

import click

from .context import (
    CliState,
    as_user_option,
    echo_json,
    echo_record,
    echo_table,
    json_option,
    pass_app,
    pass_state,
)


# -- init / demo ---------------------------------------------------------------------
@click.command()
@click.option(
    "--plugins",
    "plugin_list",
    default="",
    help="Comma-separated names of installed plugins to enable ('missionbase plugins list' shows them).",
)
@click.option(
    "--database-url",
    default="sqlite:///missionbase.db",
    show_default=True,
    help="Where the org's data lives: a SQLite file (default) or postgresql://user@host/db.",
)
@click.option(
    "--admin", "admin_username", default="admin", show_default=True, help="Username of the first admin."
)
@click.option(
    "--admin-password-stdin",
    "password_stdin",
    is_flag=True,
    help="Read the admin's password from standard input; without it one is generated and printed once.",
)
@pass_state
def init(state: CliState, plugin_list: str, database_url: str, admin_username: str, password_stdin: bool):
    """Create missionbase.toml, the database and the first admin user (with a password)."""
    from ..app import App, init_org
    from ..config import CONFIG_FILE, load_settings, write_config
    from ..errors import ConfigError

    path = Path(state.config_path or CONFIG_FILE)
    if path.exists():
        raise ConfigError(f"{path} already exists; this folder already holds an org")
    plugins = [p.strip() for p in plugin_list.split(",") if p.strip()]
    values = {"database_url": database_url, "plugins": plugins, "default_user": admin_username}
    _check_plugins(plugins)
    password = _password_from_stdin() if password_stdin else None
    write_config(path, values)
    try:
        app = App(load_settings(path))
        init_org(app, admin_username=admin_username)
        generated = _first_password(app, admin_username, password)
    except Exception:
        path.unlink()  # nothing half-made: no config without a working org
        raise
    click.echo(f"Created {path} and the database; admin user {admin_username!r}.")
    if generated:
        click.echo(f"Password of {admin_username}: {generated}")
        click.echo(
            "It is shown only now; change it with 'missionbase users set-password "
            f"{admin_username} --password-stdin'."
        )
    click.echo("Next: 'missionbase objects list', 'missionbase records create Contact --set last_name=Doe'.")


def _password_from_stdin() -> str:
    """One line of standard input, without its line end (a password may have spaces)."""
    import sys

    from ..errors import ValidationError

    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise ValidationError("no password on standard input: give one line", field="password")
    return line


def _first_password(app, username: str, password: str | None) -> str | None:
    """Give ``username`` this password (checked against the org's rules), or a generated one,
    returned to be printed once; a user who already has a password keeps it."""
    from ..auth import passwords

    with app.system_session() as s:
        user_id = app.resolve_user(s.conn, username).id
        if passwords.stored_hash(s.conn, s.schema, user_id) is not None:
            return None
        generated = passwords.generate_password() if password is None else None
        passwords.set_password(s, username, generated or password)
    return generated


def _check_plugins(names: list[str]) -> None:
    import missionbase.core.plugins as plugins_mod

    plugins_mod.resolve_enabled(names, plugins_mod.installed_plugins())


@click.command()
@pass_state
def demo(state: CliState):
    """Create a demo org here (or add demo data to this org), then show what to try.

    In a folder without missionbase.toml, this creates one on the embedded
    database with every built-in plugin enabled.
    """
    import missionbase.core.plugins as plugins_mod

    from ..app import App, init_org
    from ..config import CONFIG_FILE, find_config, load_settings, write_config
    from .demo import load_demo, what_to_try

    if find_config(state.config_path) is None:
        path = Path(state.config_path or CONFIG_FILE)
        built_in = [
            name
            for name, info in plugins_mod.installed_plugins().items()
            if info.module_name.startswith("missionbase.")
        ]
        ordered = [
            p.name for p in plugins_mod.resolve_enabled(sorted(built_in), plugins_mod.installed_plugins())
        ]
        write_config(
            path, {"database_url": "sqlite:///missionbase.db", "plugins": ordered, "default_user": "admin"}
        )
        click.echo(f"Created {path} with plugins: {', '.join(ordered) or '(none)'}")
        state.config_path = str(path)
    app = App(load_settings(state.config_path))
    init_org(app)
    generated = _first_password(app, "admin", None)  # init_org made it, or it was there
    loaded = load_demo(app, echo=click.echo)
    click.echo("")
    click.echo(f"Demo data loaded for: {', '.join(loaded) or 'nothing new (already loaded)'}")
    click.echo("")
    for line in what_to_try(app):
        click.echo(line)
    if generated:
        click.echo("")
        click.echo(f"Log in to the API or web UI as admin with the password {generated} (shown once).")


# -- plugins -----------------------------------------------------------------------------
@click.group()
def plugins():
    """List, enable and disable plugins."""


@plugins.command("list")
@json_option
@pass_state
def plugins_list(state: CliState, as_json: bool):
    """Installed plugins: enabled or not, version, requirements, objects contributed."""
    import missionbase.core.plugins as plugins_mod

    from ..app import App

    settings = state.settings(require_file=False)
    installed = plugins_mod.installed_plugins()
    app = App(settings)
    rows = []
    for name, info in sorted(installed.items()):
        info.load()
        rows.append(
            {
                "name": name,
                "enabled": name in app.plugin_names,
                "version": info.version,
                "distribution": info.distribution,
                "requires": info.requires,
                "objects": app.plugin_objects(name) if name in app.plugin_names else [],
                "extends": sorted(
                    {
                        obj.name
                        for obj in app.registry.objects.values()
                        for fld in obj.fields
                        if fld.plugin == name and obj.plugin != name
                    }
                ),
            }
        )
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows, ["name", "enabled", "version", "requires", "objects", "extends"], max_width=60)


@plugins.command("enable")
@click.argument("name")
@pass_state
def plugins_enable(state: CliState, name: str):
    """Enable a plugin in the config and create its tables."""
    from ..app import App
    from ..config import update_config

    settings = state.settings()
    if name in settings.plugins:
        click.echo(f"{name} is already enabled.")
        return
    wanted = [*settings.plugins, name]
    _check_plugins(wanted)
    app = App(settings.model_copy(update={"plugins": wanted}))
    app.upgrade()
    update_config(_config_file(settings), "plugins", wanted)
    click.echo(f"Enabled {name}; its tables are ready.")


@plugins.command("disable")
@click.argument("name")
@pass_state
def plugins_disable(state: CliState, name: str):
    """Disable a plugin. Its tables and records stay; enabling it again finds them."""
    import missionbase.core.plugins as plugins_mod

    from ..config import update_config
    from ..errors import ConfigError, UnknownName

    settings = state.settings()
    if name not in settings.plugins:
        raise ConfigError(str(UnknownName("enabled plugin", name, settings.plugins)))
    remaining = [p for p in settings.plugins if p != name]
    for info in plugins_mod.resolve_enabled(settings.plugins, plugins_mod.installed_plugins()):
        if name in info.requires and info.name in remaining:
            raise ConfigError(f"plugin {info.name!r} requires {name!r}; disable {info.name} first")
    update_config(_config_file(settings), "plugins", remaining)
    click.echo(f"Disabled {name}; its tables and records are kept.")


def _config_file(settings) -> Path:
    from ..errors import ConfigError

    if settings.config_path is None:
        raise ConfigError("no missionbase.toml to edit (plugins come from MISSIONBASE_PLUGINS?)")
    return settings.config_path


# -- db ----------------------------------------------------------------------------------
@click.group()
def db():
    """Show and apply database schema changes."""


@db.command("status")
@json_option
@pass_app
def db_status(app, as_json: bool):
    """Changes 'db upgrade' would make, and those that need a migration script."""
    changes = app.pending_schema_changes()
    if as_json:
        echo_json([{"kind": c.kind, "table": c.table, "detail": c.detail} for c in changes])
        return
    if not changes:
        click.echo("The database matches the enabled plugins.")
    for change in changes:
        click.echo(change.describe())


@db.command("upgrade")
@pass_app
def db_upgrade(app):
    """Apply additive changes (tables, columns, indexes) and plugin migration scripts."""
    changes = app.upgrade()
    app.ensure_system_user()
    applied = [c for c in changes if c.additive]
    for change in applied:
        click.echo(f"applied {change.describe()}")
    blocked = [c for c in changes if not c.additive]
    for change in blocked:
        click.echo(f"not applied {change.describe()}", err=True)
    if not changes:
        click.echo("Nothing to do: the database matches the enabled plugins.")


# -- objects -------------------------------------------------------------------------------
@click.group()
def objects():
    """List objects and describe their fields."""


@objects.command("list")
@json_option
@pass_app
def objects_list(app, as_json: bool):
    """Every object the enabled plugins declare."""
    rows = [
        {
            "name": o.name,
            "label": o.label,
            "prefix": o.prefix,
            "plugin": o.plugin,
            "fields": len(o.fields),
            "sharing": o.sharing,
            "target": o.name in app.registry.target_types,
        }
        for o in sorted(app.registry.objects.values(), key=lambda o: o.name)
    ]
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows)


@objects.command("describe")
@click.argument("name")
@json_option
@pass_app
def objects_describe(app, name: str, as_json: bool):
    """An object's fields, kinds, rules and the plugin that owns each field."""
    obj = app.registry.object(name)
    info = obj.describe()
    info["target_type"] = obj.name in app.registry.target_types
    if as_json:
        echo_json(info)
        return
    click.echo(
        f"{obj.name} ({obj.label}) prefix {obj.prefix}_, table {obj.table_name}, declared by {obj.plugin}"
    )
    click.echo(
        f"sharing: {obj.sharing}; name field: {obj.name_field or '-'}; plan target: {'yes' if info['target_type'] else 'no'}"
    )
    if obj.description:
        click.echo(obj.description)
    click.echo("")
    rows = []
    for fld in obj.fields:
        flags = [w for w in ("required", "unique", "read_only") if getattr(fld, w)]
        extra = ""
        if fld.kind == "formula":
            extra = f"computed when read from {', '.join(fld.depends_on) or 'the viewer'}; " + (
                "filterable" if fld.filterable else "not filterable or sortable"
            )
        elif getattr(fld, "values", None):
            extra = "values: " + ", ".join(fld.values)
        elif getattr(fld, "targets", None):
            extra = f"on delete: {fld.on_delete}"
        if fld.default is not None:
            extra = (extra + f"; default {fld.default}").lstrip("; ")
        rows.append(
            {
                "field": fld.name,
                "kind": fld.summary(),
                "flags": " ".join(flags),
                "plugin": fld.plugin,
                "details": extra,
            }
        )
    # The details column is last and never clipped: a picklist's values are all shown.
    echo_table(rows, max_width=10_000)


# -- users -----------------------------------------------------------------------------------
@click.group()
def users():
    """List, create, update and deactivate users; set passwords."""


@users.command("list")
@click.option("--all", "include_inactive", is_flag=True, help="Include deactivated users.")
@as_user_option
@json_option
@pass_app
def users_list(app, include_inactive: bool, as_user, as_json: bool):
    """The org's users and whether they are active."""
    from ..ids import SYSTEM_USER_ID

    with app.session(as_user) as s:
        where = {"id": {"ne": SYSTEM_USER_ID}}
        if not include_inactive:
            where["is_active"] = True
        rows = s.query(
            "User",
            where=where,
            order_by="username",
            fields=["username", "name", "email", "time_zone", "is_active", "role.name"],
        ).records
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows, ["username", "name", "email", "time_zone", "is_active", "role.name"])


@users.command("create")
@click.argument("username")
@click.option("--name", required=True, help="Full name.")
@click.option("--email", help="The user's email address (for notifications and digests).")
@click.option("--time-zone", help="IANA name, e.g. Europe/Paris (default: the org's time zone).")
@click.option("--role", help="Role name.")
@click.option(
    "--permset",
    "permsets",
    multiple=True,
    default=["Standard User"],
    show_default=True,
    help="Permission set to assign; repeat for more.",
)
@as_user_option
@json_option
@pass_app
def users_create(app, username, name, email, time_zone, role, permsets, as_user, as_json):
    """Create a user who can then act with --as USERNAME."""
    from ..errors import UnknownName
    from ..security.sharing import assign_permission_set, require_system

    with app.session(as_user) as s:
        require_system(s, "manage_users", "create users")
        values = {"username": username, "name": name, "email": email, "time_zone": time_zone}
        if role:
            found = s.query("Role", where={"name": role}, limit=1).records
            if not found:
                raise UnknownName("role", role, [r["name"] for r in s.query("Role").records])
            values["role"] = found[0]["id"]
        user = s.create("User", values)
        for permset in permsets:
            assign_permission_set(s, user["id"], permset)
    if as_json:
        echo_json({**user, "permission_sets": list(permsets)})
    else:
        click.echo(
            f"Created user {username} ({user['id']}) with {', '.join(permsets) or 'no permission sets'}."
        )


@users.command("update")
@click.argument("username")
@click.option("--name", help="Full name.")
@click.option("--email", help="Email address (for notifications and digests).")
@click.option("--time-zone", help="IANA name, e.g. Europe/Paris; '' for the org's time zone.")
@click.option("--role", help="Role name; '' for none.")
@click.option("--manager", help="The user's manager (username); '' for none.")
@click.option("--active/--inactive", "is_active", default=None, help="Let the user act again, or stop them.")
@as_user_option
@json_option
@pass_app
def users_update(app, username, name, email, time_zone, role, manager, is_active, as_user, as_json):
    """Change a user's name, email, time zone, role, manager or whether they are active."""
    from ..errors import ValidationError
    from ..security.sharing import require_system

    given = {"name": name, "email": email, "time_zone": time_zone, "role": role, "manager": manager}
    values = {k: (v or None) for k, v in given.items() if v is not None}
    if is_active is not None:
        values["is_active"] = is_active
    if not values:
        raise ValidationError(
            "nothing to change: give --name, --email, --time-zone, --role, --manager or --active/--inactive"
        )
    with app.session(as_user) as s:
        require_system(s, "manage_users", "update users")
        user = app.resolve_user(s.conn, username)
        updated = s.update(user.id, values)
    if as_json:
        echo_json(updated)
    else:
        click.echo(f"Updated {username}: " + ", ".join(sorted(values)) + ".")


@users.command("deactivate")
@click.argument("username")
@as_user_option
@pass_app
def users_deactivate(app, username, as_user):
    """Stop a user from acting; their records keep them as owner."""
    with app.session(as_user) as s:
        user = app.resolve_user(s.conn, username)
        s.update(user.id, {"is_active": False})
    click.echo(f"Deactivated {username}.")


@users.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line).")
@as_user_option
@pass_app
def users_set_password(app, username, password_stdin, as_user):
    """Set USERNAME's password: your own, or anyone's with manage_users.

    Without --password-stdin a password is generated and printed once. The user's login
    sessions end (whoever knew the old password is signed out); API tokens keep working.
    """
    from ..auth.passwords import generate_password, set_password

    password = _password_from_stdin() if password_stdin else generate_password()
    with app.session(as_user) as s:
        result = set_password(s, username, password)
    if not password_stdin:
        click.echo(password)
    ended = result["sessions_ended"]
    click.echo(
        f"Set the password of {result['username']}"
        + (f"; ended {ended} login session{'s' if ended != 1 else ''}" if ended else "")
        + ("; copy it now, it is not shown again." if not password_stdin else "."),
        err=not password_stdin,
    )


# -- jobs --------------------------------------------------------------------------------
@click.group()
def jobs():
    """List and run scheduled or batch jobs."""


@jobs.command("list")
@json_option
@pass_app
def jobs_list(app, as_json):
    """The jobs core and the plugins declare, with their schedules."""
    rows = [
        {"name": j.name, "plugin": j.plugin, "schedule": j.schedule or "", "description": j.description}
        for j in app.registry.jobs.values()
    ]
    echo_json(rows) if as_json else echo_table(
        rows, ["name", "plugin", "schedule", "description"], max_width=70
    )


@jobs.command("run", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("name")
@pass_app
def jobs_run(app, name):
    """Run a job now (what a scheduler would call); a job's own options follow its name."""
    from ..errors import UnknownName, ValidationError

    job = app.registry.jobs.get(name)
    if job is None:
        raise UnknownName("job", name, app.registry.jobs)
    options = {key: values[0] for key, values in job.options.items()}
    extra = list(click.get_current_context().args)
    while extra:
        flag = extra.pop(0)
        key = flag[2:].replace("-", "_") if flag.startswith("--") else None
        if key not in job.options:
            raise UnknownName(
                "option", flag, [f"--{k.replace('_', '-')}" for k in job.options], where=f"job {name}"
            )
        if not extra or extra[0] not in job.options[key]:
            raise ValidationError(f"job {name}: {flag} takes one of {', '.join(job.options[key])}")
        options[key] = extra.pop(0)
    result = job.run(app, **options)
    click.echo(f"{name}: {result if result is not None else 'done'}")


# -- settings ----------------------------------------------------------------------------
@click.group()
def settings():
    """Show and change org settings (feature switches of the plugins)."""


@settings.command("list")
@as_user_option
@json_option
@pass_app
def settings_list(app, as_user, as_json):
    """Every setting the enabled plugins declare, with its current value.

    Values print as 'settings set' takes them: text as is, anything else as JSON.
    """
    from ..records.settings import setting_text

    with app.session(as_user) as s:
        rows = [
            {
                "key": key,
                "value": s.get_setting(key),
                "default": decl.default,
                "plugin": decl.plugin,
                "description": decl.description,
            }
            for key, decl in sorted(app.registry.settings.items())
        ]
    if as_json:
        echo_json(rows)
    else:
        shown = [
            {**r, "value": setting_text(r["value"]), "default": setting_text(r["default"])} for r in rows
        ]
        echo_table(shown, ["key", "value", "default", "plugin", "description"], max_width=60)


@settings.command("get")
@click.argument("key")
@as_user_option
@pass_app
def settings_get(app, key, as_user):
    """Print one setting's value as 'settings set' takes it."""
    from ..records.settings import setting_text

    with app.session(as_user) as s:
        click.echo(setting_text(s.get_setting(key)))


@settings.command("set")
@click.argument("key")
@click.argument("value")
@as_user_option
@pass_app
def settings_set(app, key, value, as_user):
    """Change a setting: VALUE as 'settings list' prints it.

    Text as is (no quotes needed); numbers, true/false, lists and mappings as JSON
    (5, true, '["Present", "Late"]', '{"enabled": true}'); a list also as 'Present, Late'.
    """
    from ..errors import UnknownName
    from ..records.settings import setting_from_text, setting_text

    declared = app.registry.settings.get(key)
    if declared is None:
        raise UnknownName("setting", key, app.registry.settings)
    with app.session(as_user) as s:
        stored = s.set_setting(key, setting_from_text(declared.type, value))
    click.echo(f"{key} = {setting_text(stored)}")


__all__ = ["db", "demo", "echo_record", "init", "jobs", "objects", "plugins", "settings", "users"]


# -- reports ---------------------------------------------------------------------------------
@click.group()
def reports():
    """List and run the reports the enabled plugins declare (they see only what you see)."""


@reports.command("list")
@json_option
@pass_app
def reports_list(app, as_json):
    """The reports the plugins declare, with their descriptions."""
    rows = [
        {"name": r.name, "plugin": r.plugin, "description": r.description}
        for r in app.registry.reports.values()
    ]
    echo_json(rows) if as_json else echo_table(rows, ["name", "plugin", "description"], max_width=80)


@reports.command("run")
@click.argument("name")
@click.option(
    "--param", "params", multiple=True, metavar="KEY=VALUE", help="A report parameter; repeat for more."
)
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of a table.")
@as_user_option
@json_option
@pass_app
def reports_run(app, name, params, as_csv, as_user, as_json):
    """Run a report as --as USER."""
    from .context import echo_report, parse_assignments

    echo_report(app, name, parse_assignments(params, None), as_user, as_json=as_json, as_csv=as_csv)
