"""The ``missionbase`` command line.

Only click is imported up front: each command's module loads when that
command runs, and plugins are loaded only when a plugin's command group is
asked for, so ``missionbase --help`` stays quick.
"""

from __future__ import annotations

import importlib
import sys

import click

# name -> (module, attribute, one-line help shown by --help without importing it)
CORE_COMMANDS = {
    "init": (
        "missionbase.core.cli.org",
        "init",
        "Create a config file, a database and the first admin user.",
    ),
    "demo": (
        "missionbase.core.cli.org",
        "demo",
        "Create (or fill) a demo org with every plugin's demo data.",
    ),
    "plugins": ("missionbase.core.cli.org", "plugins", "List, enable and disable plugins."),
    "db": ("missionbase.core.cli.org", "db", "Show and apply database schema changes."),
    "objects": ("missionbase.core.cli.org", "objects", "List objects and describe their fields."),
    "records": ("missionbase.core.cli.records", "records", "Create, read, update, delete and query records."),
    "import": ("missionbase.core.cli.dataio", "import_command", "Import records from a CSV or JSONL file."),
    "export": ("missionbase.core.cli.dataio", "export_command", "Export records to CSV or JSONL."),
    "users": (
        "missionbase.core.cli.org",
        "users",
        "List, create, update and deactivate users; set passwords.",
    ),
    "files": ("missionbase.core.cli.files", "files", "Store files and get them back."),
    "permsets": (
        "missionbase.core.cli.security",
        "permsets",
        "List permission sets and assign them to users.",
    ),
    "roles": ("missionbase.core.cli.security", "roles", "Show and change the role hierarchy."),
    "groups": ("missionbase.core.cli.security", "groups", "Public groups and queues and their members."),
    "sharing": ("missionbase.core.cli.security", "sharing", "Org-wide defaults and manual shares."),
    "access": ("missionbase.core.cli.security", "access", "Explain why a user can or cannot see a record."),
    "actions": (
        "missionbase.core.cli.actions",
        "actions",
        "List the plugins' actions and run one (the API and web UI run the same).",
    ),
    "jobs": ("missionbase.core.cli.org", "jobs", "List and run scheduled or batch jobs."),
    "settings": ("missionbase.core.cli.org", "settings", "Show and change org settings."),
    "reports": ("missionbase.core.cli.org", "reports", "List and run reports."),
    "serve": ("missionbase.core.cli.api", "serve", "Serve the REST API (needs missionbase[server])."),
    "tokens": ("missionbase.core.cli.api", "tokens", "Create, list and revoke API tokens."),
    "auth": ("missionbase.core.cli.auth", "auth", "The authentication audit and login sessions."),
}


class LazyGroup(click.Group):
    """Core commands import on use; plugin groups come from the register_commands hook."""

    def list_commands(self, ctx):
        return sorted(CORE_COMMANDS)

    def get_command(self, ctx, name):
        if name in CORE_COMMANDS:
            module_name, attr, _ = CORE_COMMANDS[name]
            return getattr(importlib.import_module(module_name), attr)
        from .context import plugin_commands

        return plugin_commands(ctx).get(name)

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError:
            # A plugin's group asked for where that plugin is not enabled: say which plugin
            # gives it and how to enable it, rather than "No such command".
            from .context import plugin_not_enabled

            if args and (message := plugin_not_enabled(ctx, args[0])):
                raise click.UsageError(message, ctx) from None
            raise

    def format_commands(self, ctx, formatter):
        rows = [(name, CORE_COMMANDS[name][2]) for name in sorted(CORE_COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
        with formatter.section("Plugin commands"):
            plugin_rows, note = self.plugin_rows(ctx)
            if plugin_rows:
                formatter.write_dl(plugin_rows)
            else:
                formatter.write_text(note)

    @staticmethod
    def plugin_rows(ctx) -> tuple[list[tuple[str, str]], str]:
        """The enabled plugins' command groups when run inside an org (a config file, or the
        plugins named in the environment); outside one, how to get them. Outside an org
        nothing is loaded, so ``missionbase --help`` stays quick."""
        import os

        config = ctx.params.get("config_path") or os.environ.get("MISSIONBASE_CONFIG")
        inside = bool(config) or os.path.isfile("missionbase.toml") or os.environ.get("MISSIONBASE_PLUGINS")
        if not inside:
            return [], (
                "Run inside an org's folder (made by 'missionbase demo' or 'missionbase init') to see "
                "the command groups its enabled plugins add; 'missionbase plugins list' shows them."
            )
        from ..errors import MissionbaseError
        from .context import plugin_commands

        try:
            commands = plugin_commands(ctx)
        except MissionbaseError as exc:
            return [], f"The plugins could not be loaded: {exc}"
        rows = [(name, cmd.get_short_help_str(limit=80)) for name, cmd in sorted(commands.items())]
        return rows, "No plugin of this org adds commands; 'missionbase plugins list' shows them."


@click.group(
    cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="MISSIONBASE_CONFIG",
    help="Path to missionbase.toml (default: ./missionbase.toml).",
)
@click.option(
    "--ids",
    "show_ids",
    is_flag=True,
    envvar="MISSIONBASE_IDS",
    help="Tables show record ids instead of the names of owners, authors and lookups.",
)
@click.version_option(package_name="missionbase", prog_name="missionbase")
@click.pass_context
def cli(ctx, config_path, show_ids):
    """missionbase: programs, cases, plans and collaboration for nonprofits.

    Start with 'missionbase demo' in an empty folder, or 'missionbase init'
    for a real org. Every command that reads or writes records takes
    --as USER and --json.
    """
    from .context import CliState

    ctx.obj = CliState(config_path=config_path, show_ids=show_ids)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one clear line and a non-zero exit for any error a user can fix."""
    try:
        cli.main(args=argv, prog_name="missionbase", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (click.Abort, KeyboardInterrupt):
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:
        from ..errors import MissionbaseError

        if isinstance(exc, MissionbaseError):
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        if "sqlalchemy" in sys.modules:
            from sqlalchemy.exc import DBAPIError

            if isinstance(exc, DBAPIError):
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                click.echo(f"error: database refused the operation: {reason}", err=True)
                sys.exit(1)
        raise
    sys.exit(0)


if __name__ == "__main__":  # python -m missionbase.core.cli
    main()
