"""``missionbase import`` and ``missionbase export``."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import click

from .context import as_user_option, echo_json, json_option, pass_app


class Progress:
    """Rows, rate and time left of a long import or export on a terminal (stderr); silent otherwise."""

    def __init__(self, label: str, length: int | None, *, enabled: bool) -> None:
        self.started = time.monotonic()
        self.rows = 0
        self.bar = None
        if enabled and sys.stderr.isatty():
            self.bar = click.progressbar(
                length=max(1, length or 1),
                label=label,
                file=sys.stderr,
                show_eta=True,
                show_percent=True,
                item_show_func=lambda text: text,
            )
            self.bar.__enter__()
        self.done = 0

    def rate_text(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return f"{self.rows:,} rows, {self.rows / elapsed:,.0f} rows/s"

    def update(self, done: int, rows: int) -> None:
        self.rows = rows
        if self.bar is not None:
            self.bar.update(max(0, done - self.done), self.rate_text())
            self.done = done

    def close(self) -> str:
        """End the bar; returns 'in 3.2 s (31,250 rows/s)' for the summary line."""
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
        elapsed = time.monotonic() - self.started
        rate = f", {self.rows / elapsed:,.0f} rows/s" if elapsed > 0 and self.rows else ""
        return f"in {elapsed:.1f} s{rate}"


@click.command("import")
@click.argument("object_name", metavar="OBJECT")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), help="Default: from the file name.")
@click.option("--delimiter", help="CSV delimiter: ',', ';' or tab (default: sniffed from the first lines).")
@click.option(
    "--encoding",
    help="The file's encoding: utf-8 (default, with or without BOM), latin-1 (Windows/Excel, read as "
    "cp1252) or a Python codec name.",
)
@click.option(
    "--locale",
    help="Read dates, numbers and yes/no words in this locale as well as ISO (default: the org's "
    "locale, e.g. fr: 03/12/2026, 1 234,50, oui/non).",
)
@click.option("--date-format", help="Force the date format, e.g. DD/MM/YYYY or %d/%m/%Y (ISO still works).")
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="COLUMN=FIELD,...",
    help="Name the field of a column whose header is neither a field name nor a label: "
    '"Prénom=first_name,Nom=last_name"; repeatable.',
)
@click.option(
    "--map-file",
    type=click.Path(dir_okay=False),
    help='Column=field mappings from a file: JSON {"Prénom": "first_name"} or one Column=field a line.',
)
@click.option(
    "--lookup",
    "lookups",
    multiple=True,
    metavar="FIELD=TARGET_FIELD",
    help="Match a lookup column on this field of its target (e.g. account=name); by default ids, "
    "names and unique fields are matched.",
)
@click.option(
    "--batch-size", type=click.IntRange(1, 100000), help="Rows per transaction (config: import_batch_size)."
)
@click.option("--dry-run", is_flag=True, help="Check every row and report every error, writing nothing.")
@click.option(
    "--errors",
    "errors_path",
    type=click.Path(dir_okay=False),
    help="Where rejected rows go with all their errors (default FILE.errors.csv).",
)
@click.option(
    "--upsert-key",
    metavar="FIELD",
    help="Update the record whose unique FIELD (or id) matches; create the others.",
)
@click.option("--resume", is_flag=True, help="After a crash: skip the batches already committed.")
@click.option(
    "--quiet", "-q", is_flag=True, help="No progress and no summary (for scripts); errors still show."
)
@as_user_option
@json_option
@pass_app
def import_command(
    app,
    object_name,
    file,
    fmt,
    delimiter,
    encoding,
    locale,
    date_format,
    mappings,
    map_file,
    lookups,
    batch_size,
    dry_run,
    errors_path,
    upsert_key,
    resume,
    quiet,
    as_user,
    as_json,
):
    """Import OBJECT records from FILE (CSV with a header line, or JSONL).

    Each batch is one transaction: its good rows land, its bad rows go to the
    error file with their line number and every error of the row. Headers are
    field names or labels; lookups take ids or names; dates, numbers and yes/no
    are ISO or in the org's locale; date-times without an offset are your local time.
    What 'export' writes imports back with --upsert-key id.
    """
    from ..csvformat import parse_mapping
    from ..dataio import ImportOptions, file_size, import_file

    read = ImportOptions(
        encoding=encoding,
        delimiter=delimiter,
        locale=locale,
        date_format=date_format,
        mapping=parse_mapping(mappings, map_file),
        lookup_keys=list(lookups),
    )
    shown = Progress(f"Importing {object_name}", file_size(file), enabled=not (quiet or as_json))
    try:
        report = import_file(
            app,
            object_name,
            file,
            fmt=fmt,
            as_user=as_user,
            batch_size=batch_size,
            dry_run=dry_run,
            errors_path=errors_path,
            upsert_key=upsert_key,
            resume=resume,
            progress=shown.update,
            options=read,
        )
    finally:
        took = shown.close()
    if as_json:
        echo_json(report.__dict__)
    elif not quiet:
        click.echo(f"{report.summary()} ({took})")
        for line in report.errors_sample:
            click.echo(f"  {line}", err=True)
        if report.rejected > len(report.errors_sample) and report.error_file:
            click.echo(
                f"  ... and {report.rejected - len(report.errors_sample)} more in {report.error_file}",
                err=True,
            )
    if report.rejected:
        sys.exit(3)  # some rows were rejected: scripts must notice


@click.command("export")
@click.argument("object_name", metavar="OBJECT")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default="csv",
    show_default=True,
    help="File format: csv or jsonl (JSON lines).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    help="File (default: standard output).",
)
@click.option("--where", "wheres", multiple=True, help="Same conditions as 'records query --where'.")
@click.option("--fields", help="Comma-separated fields (default: every field you can read).")
@click.option("--delimiter", default=",", show_default=True, help="CSV delimiter: ',', ';' or tab.")
@click.option("--bom", is_flag=True, help="Start the CSV with a UTF-8 byte-order mark (for Excel).")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary (for scripts).")
@as_user_option
@pass_app
def export_command(app, object_name, fmt, output, wheres, fields, delimiter, bom, quiet, as_user):
    """Export the OBJECT records you can see, streamed page by page.

    Values are written as 'import' reads them back (ISO dates, UTC date-times with
    their offset, ids for lookups): 'import OBJECT FILE --upsert-key id' takes the
    file as it is.
    """
    from ..csvformat import delimiter_for
    from ..dataio import export_records
    from ..errors import ValidationError
    from ..query import parse_where

    where = [parse_where(w) for w in wheres] or None
    field_list = [p.strip() for p in fields.split(",") if p.strip()] if fields else None
    options = dict(
        fmt=fmt,
        as_user=as_user,
        where=where,
        fields=field_list,
        delimiter=delimiter_for(delimiter),
        bom=bom,
    )
    if output == "-":
        count = export_records(app, object_name, sys.stdout, **options)
        return
    total = None
    if not quiet and sys.stderr.isatty():
        with app.session(as_user) as s:
            total = s.count(object_name, where)
    shown = Progress(f"Exporting {object_name}", total, enabled=not quiet)
    rows = [0]

    def progress(page_rows: int) -> None:
        rows[0] += page_rows
        shown.update(rows[0], rows[0])

    target = Path(output)
    if not target.parent.is_dir():
        raise ValidationError(f"-o {output}: folder {target.parent} does not exist")
    # Written beside the target and renamed into place once complete: a refused or failed
    # export leaves an existing file as it was, and a reader never sees half a file.
    descriptor, part = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as out:
            count = export_records(app, object_name, out, progress=progress, **options)
        os.chmod(part, _mode_for(target))
        os.replace(part, target)
    except BaseException:
        Path(part).unlink(missing_ok=True)
        raise
    finally:
        took = shown.close()
    if not quiet:
        click.echo(f"Exported {count} {object_name} record(s) to {output} ({took}).", err=True)


def _mode_for(target: Path) -> int:
    """The permissions a plain ``open`` would give: an existing file's own, else the umask's."""
    if target.exists():
        return target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


__all__ = ["export_command", "import_command", "json_option"]
