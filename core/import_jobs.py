"""Imports as jobs: an uploaded CSV or JSON lines file imported in the background.

``queue_import`` checks the options and queues a job naming the uploaded bytes (in the
blob store, by sha256) in the caller's transaction; ``run_import_job`` claims it and runs
``import_file`` as the job's creator, exactly as ``missionbase import`` would, then keeps
the error and success files as blobs the job's result points at.
"""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path

from .config import files_dir
from .dataio import FORMATS, ImportOptions, check_import_options, import_file
from .errors import MissionbaseError, ValidationError
from .files import blob_path, write_blob
from .queued_jobs import claim_job, create_job, finish_job

log = logging.getLogger("missionbase.jobs")

KIND = "import"
COUNTS = ("rows_read", "created", "updated", "rejected", "batches")
MAX_BATCH_SIZE = 100_000


def queue_import(
    session,
    object_name: str,
    source: dict,
    *,
    fmt: str,
    dry_run: bool = False,
    upsert_key: str | None = None,
    batch_size: int | None = None,
    read: dict | None = None,
) -> dict:
    """Queue the import of ``source`` ({sha256, size, name}) into ``object_name``; its options
    are checked now, so a bad one is refused before the job exists. ``read`` holds how the
    file is read, as the CLI's options: encoding, delimiter, locale, date_format, map
    (``column=field`` entries) and lookup (``field=target_field`` entries)."""
    obj = session.object(object_name)
    check_import_options(obj, fmt, upsert_key)
    read = {k: v for k, v in (read or {}).items() if v not in (None, [], "")}
    reading_options(read, obj, session.registry)  # a bad one is refused before the job exists
    if batch_size is not None and not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValidationError(f"batch_size must be from 1 to {MAX_BATCH_SIZE} (got {batch_size})")
    session.access_view.check_object(obj, "create")
    options = {
        "format": fmt,
        "dry_run": dry_run,
        "upsert_key": upsert_key,
        "batch_size": batch_size,
        "read": read,
    }
    inputs = {"source": source, "options": options}
    scope = session.security.object_scope
    if scope is not None:  # an object-scoped token's job stays within its objects when it runs
        inputs["objects"] = sorted(scope)
    return create_job(session, KIND, inputs, object_name=obj.name)


def reading_options(read: dict, obj, registry) -> ImportOptions:
    """The ImportOptions ``read`` stands for; a bad value is one error naming the option."""
    try:
        return _reading_options(read, obj, registry)
    except ValidationError as exc:
        raise ValidationError(without_dashes(str(exc))) from None


def without_dashes(message: str) -> str:
    """Core's import messages name CLI options (``--encoding``); the API's are query parameters."""
    return re.sub(r"--(?=[a-z])", "", message)


def _reading_options(read: dict, obj, registry) -> ImportOptions:
    from .csvformat import codec_for, delimiter_for, parse_lookup_keys, parse_mapping
    from .localeformats import check_locale

    codec_for(read.get("encoding"))
    delimiter_for(read.get("delimiter"))
    if read.get("locale"):
        try:
            check_locale(read["locale"])
        except ValueError as exc:
            raise ValidationError(f"locale: {exc}") from None
    parse_lookup_keys(read.get("lookup", []), obj, registry)
    return ImportOptions(
        encoding=read.get("encoding"),
        delimiter=read.get("delimiter"),
        locale=read.get("locale"),
        date_format=read.get("date_format"),
        mapping=parse_mapping(read.get("map", [])),
        lookup_keys=list(read.get("lookup", [])),
    )


def run_import_job(app, job_id: str) -> None:
    """Run a queued import job to its end (succeeded or failed); nothing if already claimed."""
    job = claim_job(app, job_id)
    if job is None:
        return
    try:
        result = _run(app, job)
    except MissionbaseError as exc:
        # Core names the file it read: the upload's name, not where the server keeps it.
        stored = str(blob_path(files_dir(app.settings), job["input"]["source"]["sha256"]))
        name = job["input"]["source"].get("name") or "the uploaded file"
        message = str(exc).replace(stored, name).replace(Path(stored).name, name)
        finish_job(app, job_id, error=without_dashes(message))
    except Exception:
        log.exception("import job %s failed", job_id)
        finish_job(
            app, job_id, error="the import stopped on an unexpected error; the server log has the details"
        )
    else:
        finish_job(app, job_id, result=result)


def _run(app, job: dict) -> dict:
    root = files_dir(app.settings)
    source, options = job["input"]["source"], job["input"]["options"]
    fmt = options["format"]
    if fmt not in FORMATS:
        raise ValidationError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    suffix = ".csv" if fmt == "csv" else ".jsonl"
    with tempfile.TemporaryDirectory(dir=root, prefix=".job-") as work:
        errors_path, successes_path = Path(work) / f"errors{suffix}", Path(work) / f"successes{suffix}"
        report = import_file(
            app,
            job["object"],
            blob_path(root, source["sha256"]),
            fmt=fmt,
            as_user=job["created_by"],
            batch_size=options.get("batch_size"),
            dry_run=options.get("dry_run", False),
            errors_path=errors_path,
            upsert_key=options.get("upsert_key"),
            successes_path=successes_path,
            options=reading_options(
                options.get("read", {}), app.registry.object(job["object"]), app.registry
            ),
            objects=job["input"].get("objects"),
        )
        files = {}
        for name, path in (("errors", errors_path), ("successes", successes_path)):
            if path.is_file():
                with open(path, "rb") as handle:
                    sha, size = write_blob(root, handle)
                files[name] = {"sha256": sha, "size": size, "format": fmt}
    report.error_file = None  # a temporary path: the job's result names the stored file instead
    return {
        "counts": {name: getattr(report, name) for name in COUNTS},
        "dry_run": report.dry_run,
        "ignored_columns": report.ignored_columns,
        "errors_sample": report.errors_sample,
        "summary": report.summary(),
        "files": files,
    }
