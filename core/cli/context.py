"""What every command shares: the lazily opened org, --as/--json options, output."""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass, field
from typing import Any

import click

from ..jsonable import to_jsonable


@dataclass
class CliState:
    config_path: str | None = None
    _app: Any = field(default=None, repr=False)

    def settings(self, *, require_file: bool = True):
        from ..config import load_settings

        return load_settings(self.config_path, require_file=require_file)

    def app(self):
        """The org, opened on first use (loads plugins, builds the registry)."""
        if self._app is None:
            from ..app import open_org

            self._app = open_org(settings=self.settings())
        return self._app


pass_state = click.make_pass_decorator(CliState)


def pass_app(func):
    """Give a command the opened org as its first argument."""

    @functools.wraps(func)
    @click.pass_context
    def wrapper(ctx, *args, **kwargs):
        state = ctx.find_object(CliState)
        return ctx.invoke(func, state.app(), *args, **kwargs)

    return wrapper


def as_user_option(func):
    return click.option(
        "--as",
        "as_user",
        envvar="MISSIONBASE_USER",
        metavar="USER",
        help="Act as this user (username or id); default: the config's default_user.",
    )(func)


def json_option(func):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of a table.")(
        func
    )


def action_command(group: click.Group, name: str, argument: str, run, done: str, *, help: str | None = None):
    """Add ``group NAME ARGUMENT [--as USER]``: ``run(session, value)`` in one transaction as
    that user, then print ``done`` (``{}`` is the argument). For the many commands that do one
    thing to one record or name; ``run`` imports what it needs when called, keeping --help fast."""

    @group.command(name, help=help)
    @click.argument(argument)
    @as_user_option
    @pass_app
    def command(app, as_user, **values):
        value = values[argument]
        with app.session(as_user) as session:
            run(session, value)
        click.echo(done.format(value))

    return command


def plugin_commands(ctx: click.Context) -> dict[str, click.Command]:
    """Commands the enabled plugins add (loads the plugins, not the database).

    A bad config or a broken plugin raises its ConfigError (one line and a
    non-zero exit from ``main``) rather than hiding every plugin command
    behind "No such command".
    """
    state = ctx.find_object(CliState) or CliState()
    settings = state.settings(require_file=False)
    import missionbase.core.plugins as plugins_mod

    from .. import objects as core_objects

    _, enabled, pm = plugins_mod.load_plugins(settings.plugins, core_objects)
    group = click.Group()
    plugins_mod.call_in_order(pm, "missionbase_register_commands", [p.name for p in enabled], cli=group)
    return dict(group.commands)


# -- output ---------------------------------------------------------------------


def json_text(data: Any) -> str:
    return json.dumps(to_jsonable(data), indent=2, ensure_ascii=False)


def echo_json(data: Any) -> None:
    click.echo(json_text(data))


def write_json(data: Any, output: str | None, done: str) -> None:
    """Write ``data`` as JSON to the file ``output`` and print ``done``; without a file, print the JSON."""
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(json_text(data) + "\n")
        click.echo(done)
    else:
        echo_json(data)


def read_json(path: str) -> Any:
    """The JSON document in the file ``path``; a missing file or bad JSON is a one-line error."""
    from ..errors import ValidationError

    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise ValidationError(f"file {path} does not exist") from None
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{path} is not valid JSON ({exc})") from None


def echo_report(app, name: str, params: dict | None, as_user: str | None, *, as_json: bool, as_csv: bool):
    """Run the report ``name`` as ``as_user`` and print its rows as JSON, CSV or a table."""
    from ..reports import run_report, write_csv

    with app.session(as_user) as s:
        rows = run_report(s, name, params)
        time_zone = s.user.time_zone
    if as_json:
        echo_json(rows)
    elif as_csv:
        write_csv(rows)
    else:
        echo_table(rows, time_zone=time_zone)


def display(value: Any, time_zone: str = "UTC") -> str:
    """A value as people read it: datetimes in the user's zone, lists joined."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        try:
            from zoneinfo import ZoneInfo

            value = value.astimezone(ZoneInfo(time_zone))
        except Exception:
            pass
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def echo_table(
    rows: list[dict], columns: list[str] | None = None, *, time_zone: str = "UTC", max_width: int = 40
) -> None:
    if not rows:
        click.echo("(no rows)")
        return
    columns = columns or list(rows[0].keys())
    cells = [[_clip(display(row.get(c), time_zone), max_width) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def echo_record(record: dict, *, time_zone: str = "UTC") -> None:
    width = max((len(k) for k in record), default=0)
    for key, value in record.items():
        click.echo(f"{key.ljust(width)}  {display(value, time_zone)}")


def _clip(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def parse_assignments(pairs: tuple[str, ...], data: str | None) -> dict:
    """``--set field=value`` pairs and/or ``--data JSON`` into one dict; '' means empty."""
    from ..errors import ValidationError

    values: dict[str, Any] = {}
    if data:
        try:
            loaded = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"--data is not valid JSON ({exc})") from None
        if not isinstance(loaded, dict):
            raise ValidationError("--data must be a JSON object of field names to values")
        values.update(loaded)
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValidationError(f"--set {pair!r} must look like field=value")
        values[name.strip()] = value if value != "" else None
    return values
