"""``missionbase records``: one record at a time, or a query."""

from __future__ import annotations

import click

from .context import (
    as_user_option,
    echo_json,
    echo_record,
    echo_table,
    ids_option,
    json_option,
    parse_assignments,
    pass_app,
)


@click.group()
def records():
    """Create, read, update, delete and query records of any object."""


_set_option = click.option(
    "--set",
    "pairs",
    multiple=True,
    metavar="FIELD=VALUE",
    help="A field value; repeat for more. A lookup takes an id or a name (owner_id=ben, "
    "account=Acme); a date-time without an offset is your local time.",
)
_data_option = click.option(
    "--data", metavar="JSON", help='Field values as a JSON object, e.g. \'{"last_name": "Doe"}\'.'
)


@records.command("create")
@click.argument("object_name", metavar="OBJECT")
@_set_option
@_data_option
@as_user_option
@json_option
@ids_option
@pass_app
def create(app, object_name, pairs, data, as_user, as_json, show_ids):
    """Create one record: missionbase records create Contact --set last_name=Doe."""
    values = parse_assignments(pairs, data)
    with app.session(as_user) as s:
        record = s.create(object_name, values)
        tz = s.user.time_zone
    _show(record, as_json, tz)


@records.command("get")
@click.argument("record_id", metavar="ID")
@click.option("--fields", help="Comma-separated fields (lookup.field follows a lookup).")
@as_user_option
@json_option
@ids_option
@pass_app
def get(app, record_id, fields, as_user, as_json, show_ids):
    """Show one record by id."""
    with app.session(as_user) as s:
        record = s.get(record_id, fields=_split(fields))
        tz = s.user.time_zone
    _show(record, as_json, tz)


@records.command("update")
@click.argument("record_id", metavar="ID")
@_set_option
@_data_option
@click.option(
    "--version", type=int, help="The version you read; the update is refused if someone changed it since."
)
@as_user_option
@json_option
@ids_option
@pass_app
def update(app, record_id, pairs, data, version, as_user, as_json, show_ids):
    """Change fields of one record."""
    values = parse_assignments(pairs, data)
    if not values:
        raise click.UsageError("nothing to change: give --set FIELD=VALUE or --data JSON")
    with app.session(as_user) as s:
        record = s.update(record_id, values, version=version)
        tz = s.user.time_zone
    _show(record, as_json, tz)


@records.command("delete")
@click.argument("record_ids", metavar="ID...", nargs=-1, required=True)
@as_user_option
@pass_app
def delete(app, record_ids, as_user):
    """Move records to the recycle bin (children follow their lookup's on-delete rule)."""
    with app.session(as_user) as s:
        s.delete_many(list(record_ids))
    click.echo(f"Deleted {len(record_ids)} record(s); 'missionbase records undelete ID' restores them.")


@records.command("undelete")
@click.argument("record_ids", metavar="ID...", nargs=-1, required=True)
@as_user_option
@pass_app
def undelete(app, record_ids, as_user):
    """Restore deleted records with what their delete cascaded or cleared."""
    with app.session(as_user) as s:
        s.undelete_many(list(record_ids))
    click.echo(f"Restored {len(record_ids)} record(s).")


@records.command("query")
@click.argument("object_name", metavar="OBJECT")
@click.option(
    "--where",
    "wheres",
    multiple=True,
    metavar="CONDITION",
    help="'field = value' (= != < <= > >=), 'field =~ value', 'field in a,b', 'field contains x', "
    "'field startswith x', 'field is [not] null', or a JSON filter ({} or [] is no filter); repeat to AND. Text: = is exact "
    "(case matters), =~ contains startswith ignore case. A lookup or owner_id takes an id or a name "
    "(owner_id = ben). A date-time without an offset is your local time.",
)
@click.option("--fields", help="Comma-separated fields to show (lookup.field follows a lookup).")
@click.option("--order-by", help="Comma-separated fields, '-' for descending, e.g. -created_at.")
@click.option(
    "--limit",
    type=click.IntRange(1, 10000),
    default=50,
    show_default=True,
    help="Most rows to show (1 to 10000).",
)
@click.option("--cursor", help="Continue after the page that printed this cursor.")
@click.option("--count", "count_only", is_flag=True, help="Only print how many records match.")
@as_user_option
@json_option
@ids_option
@pass_app
def query(app, object_name, wheres, fields, order_by, limit, cursor, count_only, as_user, as_json, show_ids):
    """Find records: missionbase records query Contact --where 'mailing_city = Lyon' --order-by last_name."""
    from ..query import parse_where

    where = [parse_where(w) for w in wheres] or None
    with app.session(as_user) as s:
        if count_only:
            total = s.count(object_name, where)
            echo_json({"count": total}) if as_json else click.echo(str(total))
            return
        page = s.query(
            object_name, where, fields=_split(fields), order_by=order_by, limit=limit, cursor=cursor
        )
        obj = s.object(object_name)
        tz = s.user.time_zone
    if as_json:
        echo_json({"records": page.records, "next_cursor": page.next_cursor})
        return
    columns = list(dict.fromkeys(["id", *(_split(fields) or _default_columns(obj))]))  # id once, first
    echo_table(page.records, columns, time_zone=tz)
    if page.next_cursor:
        click.echo(f"\nMore: add --cursor {page.next_cursor}", err=True)


def _default_columns(obj) -> list[str]:
    names = [obj.name_field] if obj.name_field else []
    names += [f.name for f in obj.fields if f.name not in names and f.kind not in ("long_text",)][
        : 6 - len(names)
    ]
    return names


def _split(text: str | None) -> list[str] | None:
    return [p.strip() for p in text.split(",") if p.strip()] if text else None


def _show(record: dict, as_json: bool, tz: str) -> None:
    if as_json:
        echo_json(record)
    else:
        echo_record(record, time_zone=tz)


@records.command("history")
@click.argument("record_id", metavar="ID")
@as_user_option
@json_option
@ids_option
@pass_app
def history(app, record_id, as_user, as_json, show_ids):
    """Changes to the record's tracked fields (fields you cannot see are left out)."""
    from ..history import field_history

    with app.session(as_user) as s:
        rows = field_history(s, record_id)
        tz = s.user.time_zone
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows, ["changed_at", "field", "old_value", "new_value", "changed_by"], time_zone=tz)


@records.command("bin")
@click.option("--everyone", is_flag=True, help="Everyone's deletions (administrators).")
@as_user_option
@json_option
@pass_app
def recycle_bin_command(app, everyone, as_user, as_json):
    """What you deleted and can still restore, and until when."""
    from ..history import recycle_bin

    with app.session(as_user) as s:
        rows = recycle_bin(s, everyone=everyone)
        tz = s.user.time_zone
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows, ["record_id", "object", "name", "deleted_at", "purge_after"], time_zone=tz)


@records.command("purge")
@click.option(
    "--older-than-days",
    type=click.IntRange(0),
    help="Default: the config's recycle_bin_days. 0 empties the bin.",
)
@as_user_option
@pass_app
def purge(app, older_than_days, as_user):
    """Delete for good what has been in the recycle bin long enough (needs modify_all_data)."""
    from ..history import purge_recycle_bin

    with app.session(as_user) as s:
        count = purge_recycle_bin(s, older_than_days)
    click.echo(f"Purged {count} record(s).")


@records.command("search")
@click.argument("text")
@click.option("--object", "objects", multiple=True, help="Only these objects; repeat for more.")
@click.option("--limit", type=click.IntRange(1, 200), default=10, show_default=True, help="Per object.")
@as_user_option
@json_option
@pass_app
def search_command(app, text, objects, limit, as_user, as_json):
    """Find records by name, email or phone, among those you can read."""
    from ..search import search

    with app.session(as_user) as s:
        rows = search(s, text, objects=list(objects) or None, limit=limit)
    echo_json(rows) if as_json else echo_table(rows, ["object", "id", "name", "matched", "value"])
