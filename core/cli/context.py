"""What every command shares: the lazily opened org, --as/--json options, output."""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import json
from dataclasses import dataclass, field
from typing import Any

import click

from ..ids import ID_PATTERN
from ..jsonable import to_jsonable


@dataclass
class CliState:
    config_path: str | None = None
    show_ids: bool = False  # ``missionbase --ids``: tables show record ids, not names
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


@dataclass
class OutputReader:
    """Who reads what a command prints: tables show datetimes in their zone and records by the
    names they can see (a record they cannot see shows as ``(hidden)``), unless ids are asked for."""

    app: Any
    as_user: str | None
    show_ids: bool = False
    _zone: str | None = None

    def session(self):
        return self.app.session(self.as_user)

    def zone(self) -> str:
        if self._zone is None:
            try:
                with self.session() as s:
                    self._zone = s.user.time_zone
            except Exception:  # no such user or no database: print as stored
                self._zone = "UTC"
        return self._zone

    def names(self, ids: set[str]) -> dict[str, str]:
        if not ids:
            return {}
        try:
            with self.session() as s:
                self._zone = s.user.time_zone
                return s.lookup_names.names(ids)
        except Exception:  # output must not fail because names could not be read: ids then
            return {}


_READER: contextvars.ContextVar[OutputReader | None] = contextvars.ContextVar("reader", default=None)


def pass_app(func):
    """Give a command the opened org as its first argument (and remember who reads its output)."""

    @functools.wraps(func)
    @click.pass_context
    def wrapper(ctx, *args, **kwargs):
        state = ctx.find_object(CliState)
        app = state.app()
        reader = OutputReader(
            app, kwargs.get("as_user"), show_ids=state.show_ids or bool(kwargs.get("show_ids"))
        )
        token = _READER.set(reader)
        try:
            return ctx.invoke(func, app, *args, **kwargs)
        finally:
            _READER.reset(token)

    return wrapper


def targets_option(func):
    """``--target RECORD`` (repeatable): the records a command works on, by id or name; the
    command resolves them with ``resolve_records(session, targets)``."""
    return click.option(
        "--target",
        "targets",
        multiple=True,
        required=True,
        metavar="RECORD",
        help="A target record: its id or its name (Object:name if several objects have it, e.g. "
        "Account:Acme); repeat, or separate with commas.",
    )(func)


def ids_option(func):
    """``--ids``: show record ids instead of names in the table."""
    return click.option(
        "--ids", "show_ids", is_flag=True, help="Show record ids instead of names (--json always has ids)."
    )(func)


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


def display(value: Any, time_zone: str | None = None) -> str:
    """A value as people read it: datetimes in the reader's zone (or ``time_zone``), lists joined."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        from ..localtime import zone

        if time_zone is None:
            reader = _READER.get()
            time_zone = reader.zone() if reader is not None else "UTC"
        return value.astimezone(zone(time_zone)).strftime("%Y-%m-%d %H:%M %Z").strip()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def is_id_column(column: str) -> bool:
    """Columns that show ids even in tables: ``id`` and ``..._id`` (what one types next), but
    not ``owner_id``, which people read as the owner's name."""
    name = column.rpartition(".")[2]
    return name == "id" or (name.endswith("_id") and name != "owner_id")


def named(rows: list[dict], columns: list[str], ids: bool | None = None) -> list[dict]:
    """``rows`` with the record ids of name columns replaced by the names the reader sees."""
    reader = _READER.get()
    if reader is None or (reader.show_ids if ids is None else ids):
        return rows
    shown = [c for c in columns if not is_id_column(c)]
    wanted = {
        v
        for row in rows
        for c in shown
        for v in (row.get(c) if isinstance(row.get(c), list) else [row.get(c)])
        if isinstance(v, str) and ID_PATTERN.match(v)
    }
    names = reader.names(wanted)
    if not names:
        return rows
    out = []
    for row in rows:
        copy = dict(row)
        for c in shown:
            value = copy.get(c)
            if isinstance(value, str) and value in names:
                copy[c] = names[value]
            elif isinstance(value, list):
                copy[c] = [names.get(v, v) if isinstance(v, str) else v for v in value]
        out.append(copy)
    return out


def echo_table(
    rows: list[dict],
    columns: list[str] | None = None,
    *,
    time_zone: str | None = None,
    max_width: int = 40,
    ids: bool | None = None,
) -> None:
    """Rows as a table: datetimes in the reader's zone, records by name (``ids=True``: by id)."""
    if not rows:
        click.echo("(no rows)")
        return
    columns = columns or list(rows[0].keys())
    rows = named(rows, columns, ids)
    cells = [[_clip(display(row.get(c), time_zone), max_width) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def echo_record(record: dict, *, time_zone: str | None = None, ids: bool | None = None) -> None:
    """One record, a field a line, as ``echo_table`` shows values."""
    record = named([record], list(record), ids)[0]
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
