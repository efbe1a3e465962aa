"""``missionbase import`` and ``missionbase export``."""

from __future__ import annotations

import sys

import click

from .context import as_user_option, echo_json, json_option, pass_app


@click.command("import")
@click.argument("object_name", metavar="OBJECT")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), help="Default: from the file name.")
@click.option(
    "--batch-size", type=click.IntRange(1, 100000), help="Rows per transaction (config: import_batch_size)."
)
@click.option("--dry-run", is_flag=True, help="Check every row and report, writing nothing.")
@click.option(
    "--errors",
    "errors_path",
    type=click.Path(dir_okay=False),
    help="Where rejected rows go (default FILE.errors.csv).",
)
@click.option(
    "--upsert-key",
    metavar="FIELD",
    help="Update the record whose unique FIELD (or id) matches; create the others.",
)
@click.option("--resume", is_flag=True, help="After a crash: skip the batches already committed.")
@as_user_option
@json_option
@pass_app
def import_command(
    app, object_name, file, fmt, batch_size, dry_run, errors_path, upsert_key, resume, as_user, as_json
):
    """Import OBJECT records from FILE (CSV with a header line, or JSONL).

    Each batch is one transaction: its good rows land, its bad rows go to the
    error file with their line number and reason.
    """
    from ..dataio import file_size, import_file

    options = dict(
        fmt=fmt,
        as_user=as_user,
        batch_size=batch_size,
        dry_run=dry_run,
        errors_path=errors_path,
        upsert_key=upsert_key,
        resume=resume,
    )
    if sys.stderr.isatty() and not as_json:
        with click.progressbar(
            length=file_size(file), label=f"Importing {object_name}", file=sys.stderr
        ) as bar:
            last = [0]

            def progress(consumed):
                bar.update(max(0, consumed - last[0]))
                last[0] = consumed

            report = import_file(app, object_name, file, progress=progress, **options)
    else:
        report = import_file(app, object_name, file, **options)
    if as_json:
        echo_json(report.__dict__)
    else:
        click.echo(report.summary())
        for line in report.errors_sample:
            click.echo(f"  {line}", err=True)
    if report.rejected:
        sys.exit(3)  # some rows were rejected: scripts must notice


@click.command("export")
@click.argument("object_name", metavar="OBJECT")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    help="File (default: standard output).",
)
@click.option("--where", "wheres", multiple=True, help="Same conditions as 'records query --where'.")
@click.option("--fields", help="Comma-separated fields (default: every field you can read).")
@as_user_option
@pass_app
def export_command(app, object_name, fmt, output, wheres, fields, as_user):
    """Export the OBJECT records you can see, streamed page by page."""
    from ..dataio import export_records
    from ..query import parse_where

    where = [parse_where(w) for w in wheres] or None
    field_list = [p.strip() for p in fields.split(",") if p.strip()] if fields else None
    if output == "-":
        count = export_records(
            app, object_name, sys.stdout, fmt=fmt, as_user=as_user, where=where, fields=field_list
        )
    else:
        with open(output, "w", encoding="utf-8", newline="") as out:
            count = export_records(
                app, object_name, out, fmt=fmt, as_user=as_user, where=where, fields=field_list
            )
    if output != "-":
        click.echo(f"Exported {count} {object_name} record(s) to {output}.", err=True)


__all__ = ["export_command", "import_command", "json_option"]
