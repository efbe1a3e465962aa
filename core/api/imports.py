"""Imports as jobs: ``POST /objects/{obj}/imports`` and ``GET /jobs/{id}`` with its result files.

The upload is a CSV or JSON lines file, raw (``Content-Type: text/csv`` or
``application/x-ndjson``) or as the ``file`` part of a form; the options are the CLI's
(``dry_run``, ``upsert_key``, ``batch_size``, ``format``) as query parameters. The answer
is 202 with the job. Until a worker runs queued jobs, the server runs the import itself
right after answering; the job's row in the database is what a worker will claim instead.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from ..config import files_dir
from ..dataio import FORMATS, check_import_options
from ..files import blob_path
from ..import_jobs import queue_import, reading_options, run_import_job
from ..queued_jobs import get_job, list_jobs
from ..registry import ObjectType
from .context import API_PREFIX, context_of, current_caller
from .files import content_disposition, require_write
from .http import json_response
from .problems import Problem, problem_responses
from .tokens import TokenUser
from .uploads import is_text, receive_upload

MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
FORMAT_OF_TYPE = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/x-ndjson": "jsonl",
    "application/ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/x-jsonlines": "jsonl",
}
SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
RESULT_FILES = ("errors", "successes")

JOB_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "kind": {"type": "string"},
        "object": {"type": ["string", "null"]},
        "status": {"enum": ["queued", "running", "succeeded", "failed"]},
        "created_at": {"type": "string"},
        "started_at": {"type": ["string", "null"]},
        "finished_at": {"type": ["string", "null"]},
        "options": {"type": "object"},
        "source": {"type": "object"},
        "result": {"type": ["object", "null"]},
        "error": {"type": ["object", "null"]},
        "links": {"type": "object"},
    },
}


def import_format(given: str | None, name: str | None, declared: str | None) -> str:
    """csv or jsonl: ``?format=``, else the Content-Type, else the file name's suffix."""
    fmt = given or FORMAT_OF_TYPE.get(declared or "") or SUFFIXES.get(Path(name or "").suffix.lower())
    if fmt is None:
        raise Problem(
            415,
            f"send a CSV (text/csv) or JSON lines (application/x-ndjson) file, or say which with "
            f"?format=csv|jsonl (got {declared or 'no Content-Type'})",
            code="unsupported_media_type",
        )
    return fmt


def import_check(given: str | None):
    def check(name: str | None, declared: str | None, head: bytes) -> str:
        fmt = import_format(given, name, declared)
        if not is_text(head):
            raise Problem(
                415,
                f"{name or 'the upload'}: its bytes are not text; an import takes CSV or JSON lines",
                code="content_mismatch",
            )
        return MEDIA_TYPES[fmt]

    return check


def job_view(job: dict) -> dict:
    base = f"{API_PREFIX}/jobs/{job['id']}"
    result = job["result"] or {}
    stored = result.get("files", {})
    public = {k: v for k, v in result.items() if k != "files"} if job["result"] else None
    source = job["input"].get("source", {})
    return {
        "id": job["id"],
        "kind": job["kind"],
        "object": job["object"],
        "status": job["status"],
        "created_by": job["created_by"],
        "created_at": job["created_at"],
        "started_at": job["started_at"],
        "finished_at": job["finished_at"],
        "options": job["input"].get("options", {}),
        "source": {"name": source.get("name"), "size": source.get("size")},
        "result": public,
        "error": {"message": job["error"]} if job["error"] else None,
        "links": {
            "self": base,
            **{name: (f"{base}/files/{name}" if name in stored else None) for name in RESULT_FILES},
        },
    }


def add_object_routes(api: FastAPI, obj: ObjectType) -> None:
    @api.post(
        f"{API_PREFIX}/objects/{obj.name}/imports",
        tags=[obj.name],
        operation_id=f"import_{obj.name}",
        summary=f"Import {obj.plural.lower()} from a CSV or JSON lines file, as a job",
        status_code=202,
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "The file: raw, or the `file` part of a multipart form.",
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "application/x-ndjson": {"schema": {"type": "string"}},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {"file": {"type": "string", "format": "binary"}},
                        }
                    },
                },
            }
        },
        responses={
            202: {
                "description": "The job; follow its Location",
                "content": {"application/json": {"schema": JOB_SCHEMA}},
            },
            **problem_responses(400, 401, 403, 413, 415, 422),
        },
    )
    async def start_import(
        request: Request,
        format: str | None = Query(None, pattern="^(csv|jsonl)$", description="Default: from the upload."),
        dry_run: bool = Query(False, description="Check every row and report, writing nothing."),
        upsert_key: str | None = Query(
            None, description="Update the record whose unique field (or id) matches; create the others."
        ),
        batch_size: int | None = Query(None, ge=1, le=100_000, description="Rows per transaction."),
        encoding: str | None = Query(None, description="The file's encoding (default UTF-8, e.g. latin-1)."),
        delimiter: str | None = Query(None, description="CSV delimiter: ',', ';' or tab (default: sniffed)."),
        locale: str | None = Query(None, description="Locale of dates and numbers (default: the org's)."),
        date_format: str | None = Query(None, description="Date format, e.g. DD/MM/YYYY."),
        map: list[str] = Query([], description="column=field: the field a header stands for (repeatable)."),
        lookup: list[str] = Query([], description="field=target_field: what a lookup column matches on."),
        caller: TokenUser = Depends(current_caller),
    ):
        require_write(caller)
        read = {
            "encoding": encoding,
            "delimiter": delimiter,
            "locale": locale,
            "date_format": date_format,
            "map": map,
            "lookup": lookup,
        }
        check_import_options(obj, format or FORMATS[0], upsert_key)  # before a byte is read
        reading_options(read, obj, context_of(request).org.registry)
        ctx = context_of(request)
        settings = ctx.org.settings
        upload = await receive_upload(
            request, files_dir(settings), settings.upload_max_bytes, import_check(format)
        )
        source = {"sha256": upload.sha256, "size": upload.size, "name": upload.name}
        fmt = "csv" if upload.content_type == MEDIA_TYPES["csv"] else "jsonl"
        options = {
            "fmt": fmt,
            "dry_run": dry_run,
            "upsert_key": upsert_key,
            "batch_size": batch_size,
            "read": read,
        }
        job = await ctx.run(caller, partial(queue_import, **options), obj.name, source, write=True)
        response = json_response(job_view(job), 202, headers={"Location": f"{API_PREFIX}/jobs/{job['id']}"})
        # Run after the answer is sent, in a worker thread (core is synchronous).
        response.background = BackgroundTask(run_import_job, ctx.org, job["id"])
        return response


def add_routes(api: FastAPI) -> None:
    @api.get(
        f"{API_PREFIX}/jobs",
        tags=["Jobs"],
        operation_id="list_jobs",
        summary="Your jobs, newest first",
        responses=problem_responses(401),
    )
    async def jobs(
        request: Request, limit: int = Query(50, ge=1, le=200), caller: TokenUser = Depends(current_caller)
    ):
        rows = await context_of(request).run(caller, lambda s: list_jobs(s, limit=limit))
        return json_response({"jobs": [job_view(row) for row in rows]})

    @api.get(
        f"{API_PREFIX}/jobs/{{job_id}}",
        tags=["Jobs"],
        operation_id="get_job",
        summary="A job's status, counts and result files (yours, or any for an admin)",
        responses={
            200: {"description": "The job", "content": {"application/json": {"schema": JOB_SCHEMA}}},
            **problem_responses(401, 404),
        },
    )
    async def job(request: Request, job_id: str, caller: TokenUser = Depends(current_caller)):
        row = await context_of(request).run(caller, get_job, job_id)
        return json_response(job_view(row))

    @api.get(
        f"{API_PREFIX}/jobs/{{job_id}}/files/{{name}}",
        tags=["Jobs"],
        operation_id="get_job_file",
        summary="A result file of a job: the rejected rows (errors) or the rows that landed (successes)",
        responses={
            200: {
                "description": "The file, streamed",
                "content": {media: {"schema": {"type": "string"}} for media in MEDIA_TYPES.values()},
            },
            **problem_responses(401, 404),
        },
    )
    async def job_file(
        request: Request,
        job_id: str,
        name: str,
        caller: TokenUser = Depends(current_caller),
    ):
        ctx = context_of(request)
        row = await ctx.run(caller, get_job, job_id)
        kept = (row["result"] or {}).get("files") or {}
        stored = kept.get(name)
        if name not in RESULT_FILES or stored is None:
            there = ", ".join(sorted(kept)) or "none"
            raise Problem(404, f"job {job_id} has no {name!r} file (it has: {there})", code="not_found")
        fmt = stored["format"]
        filename = f"{row['object']}-import-{job_id}-{name}.{'csv' if fmt == 'csv' else 'jsonl'}"
        return FileResponse(
            blob_path(files_dir(ctx.org.settings), stored["sha256"]),
            media_type=MEDIA_TYPES[fmt],
            headers={
                "Content-Disposition": content_disposition("attachment", filename),
                "ETag": f'"{stored["sha256"]}"',
                "Cache-Control": "private, no-cache",
            },
        )
