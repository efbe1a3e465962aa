"""File bytes over HTTP: upload a new File, download or replace a File's bytes.

``POST /files`` takes what upload clients send: a ``multipart/form-data`` form with the
bytes in a part named ``file`` (``curl -F file=@consent.pdf``, ``requests.post(url,
files={"file": ...})``, a browser's ``FormData``) and optional ``name`` and ``parent``
fields, or the raw bytes as the body with their ``Content-Type`` and ``?name=``. Both
are streamed to disk and checked (size limit, content type). Reading the bytes needs
read access to the File record and to the record it is attached to, as on the CLI.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse, Response

from ..config import files_dir
from ..errors import AccessDenied, RecordNotFound
from ..files import file_record, readable_file, replace_file_bytes, stored_bytes_path
from .context import API_PREFIX, context_of, current_caller
from .http import etag_of, none_match, version_from_if_match
from .problems import problem_responses
from .records import json_content, record_response
from .tokens import TokenUser
from .uploads import Upload, file_type_check, receive_upload

CONTENT = f"{API_PREFIX}/objects/File/records/{{record_id}}/content"

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "A form with the bytes in a part named `file` (optional fields `name`, `parent`), "
        "or the raw bytes with their Content-Type (then `?name=`).",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "name": {"type": "string", "description": "Default: the part's filename."},
                        "parent": {"type": "string", "description": "The record the file belongs to."},
                    },
                },
            },
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def require_write(caller: TokenUser) -> None:
    """A read-only token is refused before any byte is read."""
    if not caller.can_write:
        raise AccessDenied("this API token is read-only; create a read_write token to change records")


def content_disposition(kind: str, name: str) -> str:
    """``attachment; filename="..."`` per RFC 6266: an ASCII fallback, the exact name in ``filename*``.

    The fallback drops what some user agents misread (quotes, backslashes, percent signs,
    anything not printable ASCII); control characters never reach the header.
    """
    clean = "".join(ch if ch.isprintable() else "_" for ch in name) or "file"
    fallback = "".join(ch if " " <= ch <= "~" and ch not in '"\\%' else "_" for ch in clean)
    header = f'{kind}; filename="{fallback}"'
    if fallback != clean:
        header += f"; filename*=UTF-8''{quote(clean, safe='')}"
    return header


def _uploaded_name(upload: Upload, given: str | None) -> str | None:
    return upload.fields.get("name") or given or upload.name


def create_uploaded(session, upload: Upload, name: str | None, parent: str | None) -> dict:
    parent = upload.fields.get("parent") or parent
    return file_record(
        session,
        upload.sha256,
        upload.size,
        name=_uploaded_name(upload, name),
        parent=parent or None,
        content_type=upload.content_type,
    )


def replace_uploaded(session, record_id: str, upload: Upload, version: int | None) -> dict:
    return replace_file_bytes(
        session, record_id, upload.sha256, upload.size, content_type=upload.content_type, version=version
    )


def file_for_download(session, record_id: str) -> tuple[dict, str]:
    record = readable_file(session, record_id)
    return record, str(stored_bytes_path(session, record))


def add_routes(api: FastAPI) -> None:
    ref = "#/components/schemas/File"

    async def receive(request: Request, name: str | None):
        settings = context_of(request).org.settings
        return await receive_upload(
            request,
            files_dir(settings),
            settings.upload_max_bytes,
            file_type_check(settings.upload_content_types),
            name=name,
        )

    @api.post(
        f"{API_PREFIX}/files",
        tags=["File"],
        operation_id="upload_File",
        summary="Upload a file: a multipart form with a `file` part, or the raw bytes",
        status_code=201,
        openapi_extra=UPLOAD_BODY,
        responses={
            201: json_content(ref, "The new File record"),
            **problem_responses(400, 401, 403, 404, 413, 415, 422),
        },
    )
    async def upload(
        request: Request,
        name: str | None = Query(None, description="The file's name (a form's `name` field wins)."),
        parent: str | None = Query(None, description="The record the file belongs to."),
        caller: TokenUser = Depends(current_caller),
    ):
        require_write(caller)
        received = await receive(request, name)
        record = await context_of(request).run(caller, create_uploaded, received, name, parent, write=True)
        location = f"{API_PREFIX}/objects/File/records/{record['id']}"
        return record_response(
            record, 201, {"Location": location, "Link": f'<{location}/content>; rel="enclosure"'}
        )

    @api.put(
        CONTENT,
        tags=["File"],
        operation_id="replace_File_content",
        summary="Replace a file's bytes (If-Match: the record's ETag, optional)",
        openapi_extra=UPLOAD_BODY,
        responses={
            200: json_content(ref, "The changed File record"),
            **problem_responses(400, 401, 403, 404, 412, 413, 415, 422),
        },
    )
    async def replace(request: Request, record_id: str, caller: TokenUser = Depends(current_caller)):
        require_write(caller)
        version = version_from_if_match(request.headers.get("if-match"))
        ctx = context_of(request)
        # The record first: a hidden file is 404 before its new bytes are read.
        await ctx.run(caller, readable_file, record_id)
        received = await receive(request, None)
        record = await ctx.run(caller, replace_uploaded, record_id, received, version, write=True)
        return record_response(record)

    @api.get(
        CONTENT,
        tags=["File"],
        operation_id="download_File",
        summary="A file's bytes, streamed",
        response_class=Response,
        responses={
            200: {
                "description": "The bytes, with the file's Content-Type",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            },
            304: {"description": "Not modified"},
            **problem_responses(401, 403, 404),
        },
    )
    async def download(
        request: Request,
        record_id: str,
        disposition: str = Query(
            "attachment",
            pattern="^(attachment|inline)$",
            description="`inline` to show it in a browser, `attachment` (default) to save it.",
        ),
        caller: TokenUser = Depends(current_caller),
    ):
        try:
            record, path = await context_of(request).run(caller, file_for_download, record_id)
        except RecordNotFound:
            raise RecordNotFound(record_id, "File") from None
        etag = etag_of(record["sha256"])
        headers = {
            "ETag": etag,
            # The bytes are the caller's to see: no shared cache; the sandbox and nosniff keep
            # a browser from running an uploaded file as part of this site.
            "Cache-Control": "private, no-cache",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
        }
        if none_match(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        headers["Content-Disposition"] = content_disposition(disposition, record["name"])
        return FileResponse(path, media_type=record["content_type"], headers=headers)
