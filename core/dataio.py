"""Import and export of records, streamed in batches.

Import reads CSV or JSONL lazily, one batch (a transaction) at a time, so
memory stays flat however large the file. In each batch the good rows land
and the bad ones go to an error file with their line number and reason. The
checkpoint of committed batches is written in the same transaction as the
batch itself, so ``--resume`` after a crash skips exactly what was
committed: never a row twice, never a row lost.

Files come as people have them (see ``csvformat``): UTF-8 with or without a
BOM or latin-1, ``,`` ``;`` or tab, headers of field names or labels, cells
with stray spaces, dates and numbers in the org's locale (``localeformats``),
lookups by name. Every error of a rejected row is on its line of the error
file. What ``export`` writes, ``import --upsert-key id`` takes back as is.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import hashlib
import io
import itertools
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from . import fields as f
from .clock import utcnow
from .errors import MissionbaseError, UnknownName, ValidationError
from .jsonable import to_jsonable

FORMATS = ("csv", "jsonl")


class _DryRun(Exception):
    """Raised to roll a dry-run batch back."""


@dataclass
class ImportReport:
    object: str
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0
    skipped_batches: int = 0
    batches: int = 0
    dry_run: bool = False
    error_file: str | None = None
    success_file: str | None = None
    ignored_columns: list[str] = field(default_factory=list)
    errors_sample: list[str] = field(default_factory=list)

    def summary(self) -> str:
        verb = "would create" if self.dry_run else "created"
        text = f"{self.object}: {self.rows_read} rows read, {verb} {self.created}"
        text += f", {'would update' if self.dry_run else 'updated'} {self.updated}, rejected {self.rejected}"
        if self.skipped_batches:
            text += f" ({self.skipped_batches} batch(es) already imported, skipped)"
        if self.ignored_columns:
            text += f"; ignored computed/system columns: {', '.join(self.ignored_columns)}"
        if self.error_file:
            text += f"; errors in {self.error_file}"
        return text


def detect_format(path: str | Path, given: str | None) -> str:
    if given:
        return given
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in ("jsonl", "ndjson"):
        return "jsonl"
    if suffix == "csv":
        return "csv"
    raise ValidationError(f"cannot tell the format of {path}; pass --format csv or --format jsonl")


class _CountingLines:
    """Iterates a text file's lines and counts the characters consumed (for the progress bar)."""

    def __init__(self, handle, name: str = "the file") -> None:
        self.handle, self.name = handle, name
        self.consumed = 0

    def __iter__(self):
        try:
            for line in self.handle:
                self.consumed += len(line)
                yield line
        except UnicodeDecodeError as exc:
            # The decoder reads ahead in blocks, so the line is unknown; the bytes are not.
            raise ValidationError(
                f"{self.name} is not UTF-8 text (byte {exc.object[exc.start : exc.start + 1]!r}); "
                "save the file as UTF-8 (a spreadsheet's 'CSV UTF-8')"
            ) from None


@dataclass
class CsvOptions:
    """How a CSV file is read: its codec, its delimiter (None: sniffed) and the header mapping."""

    codec: str = "utf-8-sig"
    delimiter: str | None = None


def read_rows(
    path: Path, fmt: str, lines: _CountingLines, options: CsvOptions | None = None
) -> tuple[list[str] | None, Iterator[tuple[int, Any]]]:
    """(header, iterator of (line number, row or error text)); CSV cells are trimmed."""
    if fmt == "csv":
        from .csvformat import sniff_delimiter

        delimiter = options.delimiter if options else None
        source = iter(lines)
        if delimiter is None:
            first = list(islice(source, 20))
            delimiter = sniff_delimiter("".join(first))
            source = itertools.chain(first, source)
        reader = csv.reader(source, delimiter=delimiter)
        header = None
        for values in reader:
            if any(v.strip() for v in values):  # blank lines before the header are skipped
                header = values
                break
        if header is None:
            raise ValidationError(f"{path} is empty; a CSV import needs a header line")
        header = [h.strip().lstrip("\ufeff").strip() for h in header]
        width = len(header)

        def rows():
            for values in reader:
                line = reader.line_num
                row = {k: t for k, v in zip(header, values, strict=False) if (t := v.strip())}
                if not row and not any(v.strip() for v in values[width:]):
                    continue
                if len(values) != width and (len(values) < width or any(v.strip() for v in values[width:])):
                    yield line, f"has {len(values)} values but the header has {width} columns"
                    continue
                yield line, row

        return header, rows()

    def json_rows():
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                yield number, f"is not valid JSON ({exc.msg})"
                continue
            if not isinstance(row, dict):
                yield number, "must be a JSON object"
                continue
            yield number, {k: v for k, v in row.items() if v != "" and v is not None}

    return None, json_rows()


def load_rows(path: str | Path) -> list[dict]:
    """Every row of a small file that a command takes as FILE: CSV, JSON lines or a JSON array.

    The rows follow the import's rules (``read_rows``): a CSV needs a header
    line, blank lines are skipped and an empty value is left out of its row,
    as is a JSON ``""`` or ``null``; so an empty CSV cell and a missing JSON
    key mean the same. A bad row is an error naming its line. The format
    comes from the name (.csv, .jsonl or .ndjson, .json), else from the first
    character: ``[`` a JSON array, ``{`` JSON lines, anything else CSV.
    ``-`` reads standard input.
    """
    if str(path) == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise ValidationError(f"file {path} does not exist") from None
        except UnicodeDecodeError:
            from .csvformat import check_encoding

            check_encoding(Path(path), "utf-8-sig")
            raise
    fmt = _rows_format(str(path), text)
    if fmt == "json":
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"{path} is not valid JSON ({exc})") from None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValidationError(f"{path} must hold a JSON array of objects")
        return [{k: v for k, v in row.items() if v != "" and v is not None} for row in rows]
    _, numbered = read_rows(Path(str(path)), fmt, _CountingLines(io.StringIO(text)))
    rows = []
    for line, row in numbered:
        if isinstance(row, str):
            raise ValidationError(f"{path} line {line} {row}")
        rows.append(row)
    return rows


def _rows_format(name: str, text: str) -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix in ("json", "csv", "jsonl"):
        return suffix
    if suffix == "ndjson":
        return "jsonl"
    return {"[": "json", "{": "jsonl"}.get(text.lstrip()[:1], "csv")


def check_header(
    obj, columns: list[str], upsert_key: str | None, writable: set[str], written: list[str] | None = None
) -> list[str]:
    """A bad header rejects the whole file before anything is written.

    ``columns`` are the fields the header names (``written``, the header as in
    the file, for messages). Returns the columns to ignore: computed and system
    fields (an export of this object has them, and re-importing an export must work).
    """
    seen: dict[str, str] = {}
    ignored = []
    for column, as_written in zip(columns, written or columns, strict=True):
        if column in seen:
            same = f" (as {seen[column]!r})" if seen[column] != as_written else ""
            raise ValidationError(f"column {as_written!r} appears twice in the header{same}")
        seen[column] = as_written
        if column == "id":
            if upsert_key != "id":
                raise ValidationError(
                    "column 'id' is only allowed with --upsert-key id (to update those records)"
                )
            continue
        if column not in writable:
            fld = obj.field(column)
            if (fld is not None and fld.read_only) or column in f.SYSTEM_FIELD_NAMES:
                ignored.append(column)
                continue
            if fld is not None:
                raise ValidationError(f"column {column!r} is read-only for you", object_name=obj.name)
            raise ValidationError(
                str(UnknownName("column", column, sorted(writable), where=obj.name))
                + "; a column is a field name or label, or name it with --map 'Column=field'"
            )
    if upsert_key and upsert_key not in columns:
        raise ValidationError(f"--upsert-key {upsert_key!r} is not a column of the file")
    return ignored


def check_import_options(obj, fmt: str, upsert_key: str | None) -> None:
    """The options of an import, checked before a row is read."""
    if fmt not in FORMATS:
        raise ValidationError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    if upsert_key and upsert_key != "id":
        fld = obj.field(upsert_key)
        if fld is None:
            raise ValidationError(str(UnknownName("field", upsert_key, obj.field_names, where=obj.name)))
        if not fld.unique:
            raise ValidationError(f"--upsert-key {upsert_key!r} must be a unique field of {obj.name} (or id)")


def job_key(object_name: str, path: Path) -> str:
    stat = path.stat()
    raw = f"{object_name}|{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    return hashlib.sha256(raw.encode()).hexdigest()[:64]


class ErrorFile:
    """Rejected rows, one line each, opened only when there is a first error."""

    def __init__(
        self, path: Path, fmt: str, header: list[str] | None, columns: list[str] | None = None
    ) -> None:
        self.path, self.fmt, self.header = path, fmt, header
        self.columns = columns or header  # the field each header column holds
        self.handle = None
        self.writer = None
        self.count = 0

    def add(self, line: int, reason: str, row: Any) -> None:
        if self.handle is None:
            self.handle = open(self.path, "w", newline="", encoding="utf-8")  # noqa: SIM115 - closed in close()
            if self.fmt == "csv":
                self.writer = csv.writer(self.handle)
                self.writer.writerow(["line", "error", *(self.header or [])])
        self.count += 1
        if self.fmt == "csv":
            values = [row.get(c, "") for c in self.columns or []] if isinstance(row, dict) else []
            self.writer.writerow([line, reason, *values])
        else:
            self.handle.write(
                json.dumps(
                    {"line": line, "error": reason, "record": row if isinstance(row, dict) else None},
                    default=str,
                )
                + "\n"
            )

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


class SuccessFile:
    """The rows that landed: line, record id and what was done (``created``, ``updated``; in a
    dry run ``would_create``, with no id, and ``would_update``)."""

    def __init__(self, path: Path | None, fmt: str) -> None:
        self.path, self.fmt = path, fmt
        self.handle = None
        self.count = 0

    def add(self, landed: list[tuple[int, str | None, str]]) -> None:
        if self.path is None or not landed:
            return
        if self.handle is None:
            self.handle = open(self.path, "w", newline="", encoding="utf-8")  # noqa: SIM115 - closed in close()
            if self.fmt == "csv":
                csv.writer(self.handle).writerow(["line", "id", "action"])
        self.count += len(landed)
        if self.fmt == "csv":
            csv.writer(self.handle).writerows([(line, rid or "", action) for line, rid, action in landed])
        else:
            self.handle.writelines(
                json.dumps({"line": line, "id": rid, "action": action}) + "\n" for line, rid, action in landed
            )

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


@dataclass
class ImportOptions:
    """How an import reads its file (beside the object, the user and the batching)."""

    encoding: str | None = None  # None: UTF-8 with or without BOM
    delimiter: str | None = None  # None: sniffed
    locale: str | None = None  # None: the org's
    date_format: str | None = None  # DD/MM/YYYY or a strftime format; None: the locale's
    mapping: dict[str, str] = field(default_factory=dict)  # column -> field
    lookup_keys: list[str] = field(default_factory=list)  # "account=name" entries


def import_file(
    app,
    object_name: str,
    path: str | Path,
    *,
    fmt: str | None = None,
    as_user: str | None = None,
    batch_size: int | None = None,
    dry_run: bool = False,
    errors_path: str | Path | None = None,
    upsert_key: str | None = None,
    resume: bool = False,
    progress: Callable[[int, int], None] | None = None,
    successes_path: str | Path | None = None,
    options: ImportOptions | None = None,
    objects: Iterable[str] | None = None,
) -> ImportReport:
    """Import a CSV or JSONL file batch by batch; rejected rows go to ``errors_path`` and, when
    ``successes_path`` is given, the rows that landed go there with their record ids;
    ``progress(characters read, rows read)`` is called after each batch. ``objects`` limits
    what the import may touch (names resolved, lookups followed) as an API token's scope does."""
    from .csvformat import check_encoding, codec_for, delimiter_for, header_names, parse_lookup_keys
    from .localeformats import check_locale, formats_for

    options = options or ImportOptions()
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"file {path} does not exist")
    obj = app.registry.object(object_name)
    fmt = detect_format(path, fmt)
    check_import_options(obj, fmt, upsert_key)
    batch_size = batch_size or app.settings.import_batch_size
    codec = codec_for(options.encoding)
    csv_options = CsvOptions(codec=codec, delimiter=delimiter_for(options.delimiter))
    locale = options.locale or app.settings.locale
    try:
        check_locale(locale)
    except ValueError as exc:
        raise ValidationError(f"--locale: {exc}") from None
    formats = formats_for(locale, options.date_format)
    lookup_keys = parse_lookup_keys(options.lookup_keys, obj, app.registry)
    check_encoding(path, codec)  # a bad byte is one error before anything is written
    report = ImportReport(object=obj.name, dry_run=dry_run)
    key = job_key(obj.name, path)
    progress_table = app.schema.internal["import_progress"]
    done_batches = 0
    if resume and not dry_run:
        with app.connect() as conn:
            row = (
                conn.execute(sa.select(progress_table).where(progress_table.c.job_key == key))
                .mappings()
                .first()
            )
        done_batches = row["batches_done"] if row else 0

    errors_path = (
        Path(errors_path)
        if errors_path
        else path.with_name(path.name + ".errors" + (".csv" if fmt == "csv" else ".jsonl"))
    )
    with open(path, encoding=codec if fmt == "csv" else "utf-8-sig", newline="") as handle:
        lines = _CountingLines(handle, str(path))
        header, rows = read_rows(path, fmt, lines, csv_options)
        scope = frozenset(objects) if objects is not None else None
        with app.session(as_user) as s:  # the header check needs the caller's field access
            if scope is not None:
                s.limit_to_objects(scope)
            writable = set(s.writable_fields(obj, "create"))
        ignored: set[str] = set()
        columns = None
        if header is not None:
            columns = header_names(obj, header, options.mapping, extra=f.SYSTEM_FIELD_NAMES)
            ignored = set(check_header(obj, columns, upsert_key, writable, header))
            report.ignored_columns = sorted(ignored)
            if columns != header:
                rows = _renamed(rows, dict(zip(header, columns, strict=True)))
        elif options.mapping:
            rows = _renamed(rows, options.mapping)
        error_file = ErrorFile(errors_path, fmt, header, columns)
        success_file = SuccessFile(Path(successes_path) if successes_path else None, fmt)
        context = ImportContext(formats, lookup_keys, scope)
        try:
            batch_number = 0
            while True:
                batch = list(islice(rows, batch_size))
                if not batch:
                    break
                report.rows_read += len(batch)
                report.batches += 1
                if batch_number < done_batches:
                    report.skipped_batches += 1
                else:
                    if header is None:  # JSONL: an export's computed and system keys, as CSV columns are
                        batch = _without_computed(obj, batch, writable, upsert_key, report)
                    elif ignored:
                        batch = [
                            (
                                line,
                                {k: v for k, v in row.items() if k not in ignored}
                                if isinstance(row, dict)
                                else row,
                            )
                            for line, row in batch
                        ]
                    _import_batch(
                        app,
                        obj,
                        batch,
                        batch_number,
                        key,
                        path,
                        as_user,
                        upsert_key,
                        writable,
                        dry_run,
                        report,
                        (error_file, success_file),
                        context,
                    )
                batch_number += 1
                if progress:
                    progress(lines.consumed, report.rows_read)
        finally:
            error_file.close()
            success_file.close()
    if error_file.count:
        report.error_file = str(errors_path)
    if success_file.count:
        report.success_file = str(successes_path)
    return report


@dataclass
class ImportContext:
    """What each batch's session reads the rows with: the locale's formats and --lookup keys,
    and the only objects it may touch (an object-scoped API token's; None: any)."""

    formats: Any
    lookup_keys: dict[str, str]
    objects: frozenset[str] | None = None

    def apply(self, session) -> None:
        session.input_rules.formats = self.formats
        session.input_rules.lookup_keys = dict(self.lookup_keys)
        if self.objects is not None:
            session.limit_to_objects(self.objects)


def _renamed(rows: Iterator[tuple[int, Any]], names: dict[str, str]) -> Iterator[tuple[int, Any]]:
    for line, row in rows:
        yield line, ({names.get(k, k): v for k, v in row.items()} if isinstance(row, dict) else row)


def _without_computed(obj, batch, writable, upsert_key, report) -> list:
    """JSONL rows without the read-only and system keys an export writes (``id`` kept for upserts)."""
    out = []
    for line, row in batch:
        if isinstance(row, dict) and not writable.issuperset(row):
            kept = {}
            for k, v in row.items():
                fld = obj.field(k)
                computed = (fld is not None and fld.read_only) or (k in f.SYSTEM_FIELD_NAMES and k != "id")
                if computed and k not in writable:
                    if k not in report.ignored_columns:
                        report.ignored_columns.append(k)
                    continue
                kept[k] = v
            row = kept
        out.append((line, row))
    return out


def _import_batch(
    app, obj, batch, batch_number, key, path, as_user, upsert_key, writable, dry_run, report, outputs, context
):
    error_file, success_file = outputs
    good: list[tuple[int, dict]] = []
    for line, row in batch:
        if isinstance(row, str):
            _reject(report, error_file, line, row, None)
            continue
        if fmt_extra := sorted(
            k for k in row if k not in writable and not (k == "id" and upsert_key == "id")
        ):
            _reject(report, error_file, line, f"unknown or read-only field {fmt_extra[0]!r}", row)
            continue
        good.append((line, row))
    landed: list[tuple[int, str | None, str]] = []
    try:
        with app.session(as_user) as s:
            context.apply(s)
            creates, updates = _split_upserts(s, obj, good, upsert_key)
            created = s.create_many_collecting(obj.name, [row for _, row in creates]) if creates else None
            updated_errors = _update_collecting(s, updates) if updates else {}
            if created:
                for index, reason in created.errors.items():
                    line, row = creates[index]
                    _reject(report, error_file, line, reason, row)
                report.created += len(created.records)
                kept = [creates[i][0] for i in range(len(creates)) if i not in created.errors]
                for line, record in zip(kept, created.records, strict=True):
                    landed.append((line, None if dry_run else record["id"], "created"))
            for index, reason in updated_errors.items():
                line, row = updates[index]
                _reject(report, error_file, line, reason, {k: v for k, v in row.items() if k != "id"})
            report.updated += len(updates) - len(updated_errors)
            landed += [
                (line, row["id"], "updated")
                for i, (line, row) in enumerate(updates)
                if i not in updated_errors
            ]
            if dry_run:
                raise _DryRun
            _save_progress(s, key, obj.name, path, batch_number + 1, report.rows_read)
    except _DryRun:
        landed = [(line, rid, "would_" + action.removesuffix("d")) for line, rid, action in landed]
    # Written once the batch is committed (or, in a dry run, checked): a batch that fails
    # to commit lists nothing.
    success_file.add(sorted(landed))


def _reject(report, error_file, line, reason, row) -> None:
    report.rejected += 1
    text = f"line {line}: {reason}"
    if len(report.errors_sample) < 5:
        report.errors_sample.append(text)
    error_file.add(line, reason, row)


def _split_upserts(s, obj, rows: list[tuple[int, dict]], upsert_key: str | None):
    if not upsert_key:
        return rows, []
    values = [row[upsert_key] for _, row in rows if row.get(upsert_key) is not None]
    existing: dict[Any, str] = {}
    validator = s.app.validator(obj.name)
    typed = [
        v if upsert_key == "id" else validator.validate_value(upsert_key, v, s.input_rules) for v in values
    ]
    for start in range(0, len(typed), 500):
        chunk = typed[start : start + 500]
        for record in s.query(obj.name, where={upsert_key: {"in": chunk}}, fields=[upsert_key]).records:
            existing[str(record[upsert_key])] = record["id"]
    creates, updates = [], []
    for line, row in rows:
        match = existing.get(str(row.get(upsert_key))) if row.get(upsert_key) is not None else None
        if match is None and upsert_key == "id":
            updates.append((line, {**row}))  # an unknown id is reported by the update as not found
        elif match is None:
            creates.append((line, row))
        else:
            updates.append((line, {**row, "id": match}))
    return creates, updates


def _update_collecting(s, updates: list[tuple[int, dict]]) -> dict[int, str]:
    """Apply updates, setting aside the rows that fail (by index) and retrying the rest."""
    errors: dict[int, str] = {}
    pending = list(range(len(updates)))
    while pending:
        savepoint = s.conn.begin_nested()
        try:
            s.update_many([updates[i][1] for i in pending])
            savepoint.commit()
            return errors
        except ValidationError as exc:
            savepoint.rollback()
            if exc.row is None:
                raise
            bad = pending.pop(exc.row)
            errors[bad] = f"field {exc.field!r}: {exc.reason}" if exc.field else exc.reason
        except MissionbaseError as exc:
            savepoint.rollback()
            record_id = getattr(exc, "record_id", None)
            ids = [updates[i][1].get("id") for i in pending]
            if record_id not in ids:
                raise
            bad = pending.pop(ids.index(record_id))
            errors[bad] = str(exc)
    return errors


def _save_progress(s, key: str, object_name: str, path: Path, batches_done: int, rows_done: int) -> None:
    table = s.schema.internal["import_progress"]
    s.conn.execute(table.delete().where(table.c.job_key == key))
    s.conn.execute(
        table.insert().values(
            job_key=key,
            object=object_name,
            source=str(path.resolve())[:1000],
            batches_done=batches_done,
            rows_done=rows_done,
            updated_at=utcnow(),
        )
    )


# -- export -----------------------------------------------------------------------------


def export_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list):
        return ";".join(value)
    return value


def export_records(
    app,
    object_name: str,
    out,
    *,
    fmt: str = "csv",
    as_user: str | None = None,
    where: Any = None,
    fields: list[str] | None = None,
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
    delimiter: str = ",",
    bom: bool = False,
) -> int:
    """Write every visible record to ``out`` page by page (keyset on id); returns the count.

    ``bom`` starts a CSV with a UTF-8 byte-order mark, which tells Excel the file is UTF-8.
    """
    written = 0
    chunks = export_chunks(
        app,
        object_name,
        fmt=fmt,
        as_user=as_user,
        where=where,
        fields=fields,
        batch_size=batch_size,
        delimiter=delimiter,
        bom=bom,
    )
    for text, count in chunks:
        out.write(text)
        written += count
        if progress:
            progress(count)
    return written


def export_chunks(
    app,
    object_name: str,
    *,
    fmt: str = "csv",
    as_user: str | None = None,
    where: Any = None,
    fields: list[str] | None = None,
    batch_size: int = 1000,
    delimiter: str = ",",
    bom: bool = False,
    objects: Iterable[str] | None = None,
) -> Iterator[tuple[str, int]]:
    """The export's text one page at a time, as (text, records in it); the header comes with
    the first page, so a bad field or filter fails before any text is produced. ``objects``
    limits what it may read (an API token's object scope).

    Each page is read in a transaction of its own, the keyset cursor (on id) carrying on
    where the last one ended: a slow reader of a large export (a download over the
    network) never holds a transaction open, and memory stays at one page.
    """
    if fmt not in FORMATS:
        raise ValidationError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    columns: list[str] = []
    cursor = None
    first = True
    while True:
        with app.session(as_user) as s:
            if objects is not None:
                s.limit_to_objects(objects)
            if first:
                obj = s.object(object_name)
                readable = [fld.name for fld in obj.fields if s.field_access(obj, fld.name) != "hidden"]
                columns = ["id", *(fields or readable)]
            page = s.query(object_name, where, fields=columns, order_by="id", limit=batch_size, cursor=cursor)
        buffer = io.StringIO()
        if fmt == "csv":
            writer = csv.writer(buffer, delimiter=delimiter)
            if first:
                if bom:
                    buffer.write("\ufeff")
                writer.writerow(columns)
            writer.writerows([export_value(record.get(c)) for c in columns] for record in page.records)
        else:
            for record in page.records:
                row = {c: to_jsonable(record.get(c)) for c in columns}
                buffer.write(json.dumps(row, ensure_ascii=False) + "\n")
        first = False
        yield buffer.getvalue(), len(page.records)
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def file_size(path: str | Path) -> int | None:
    """The file's size in bytes (None when there is no such file: the import says so)."""
    return os.path.getsize(path) if os.path.isfile(path) else None
