"""Receiving uploaded bytes: a raw body or one ``multipart/form-data`` file, streamed.

Either way the bytes go chunk by chunk into the blob store (``core.files.BlobWriter``),
counted against the ``upload_max_bytes`` setting (413 as soon as it is passed, not
after the whole body arrived); nothing holds the body in memory. The first bytes
are kept to check the declared content type against what they really are.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from ..files import BlobWriter
from .problems import Problem

HEAD_BYTES = 8192
MAX_FORM_FIELDS = 10
MAX_FIELD_BYTES = 4096
FILE_PART = "file"


@dataclass
class Upload:
    """What arrived: the stored blob, its name, its checked content type, the other form fields."""

    sha256: str
    size: int
    name: str | None
    content_type: str
    fields: dict[str, str] = field(default_factory=dict)


def media_type_of(header: str | None) -> str | None:
    """``text/csv; charset=utf-8`` -> ``text/csv`` (None when absent or empty)."""
    text = (header or "").split(";")[0].strip().lower()
    return text or None


def too_large(max_bytes: int) -> Problem:
    return Problem(
        413,
        f"the upload is larger than {max_bytes} bytes, the most this server takes (setting upload_max_bytes)",
        code="too_large",
    )


# check(name, declared content type, first bytes) -> the content type to keep, or a Problem
Check = Callable[[str | None, str | None, bytes], str]


class _Receiver:
    """Counts and stores the file's bytes; its type is checked once the first bytes are in,
    before the rest is written."""

    def __init__(self, root: Path, max_bytes: int, check: Check) -> None:
        self.writer = BlobWriter(root)
        self.max_bytes, self.check = max_bytes, check
        self.name: str | None = None
        self.declared: str | None = None
        self.content_type: str | None = None
        self.head = b""

    def write(self, chunk: bytes) -> None:
        if self.writer.size + len(chunk) > self.max_bytes:
            raise too_large(self.max_bytes)
        if self.content_type is None:
            self.head += chunk[: HEAD_BYTES - len(self.head)]
            if len(self.head) >= HEAD_BYTES:
                self.content_type = self.check(self.name, self.declared, self.head)
        self.writer.write(chunk)

    def finish(self, fields: dict[str, str] | None = None) -> Upload:
        if not self.writer.size:
            raise Problem(400, "the upload is empty: send the file's bytes", code="empty_upload")
        if self.content_type is None:
            self.content_type = self.check(self.name, self.declared, self.head)
        sha, size = self.writer.finish()
        return Upload(sha, size, self.name, self.content_type, fields or {})


async def receive_upload(
    request: Request, root: Path, max_bytes: int, check: Check, name: str | None = None
) -> Upload:
    """The request body stored as a blob: the ``file`` part of a multipart form, else the raw
    body (its name from ``name`` or a ``Content-Disposition`` header). Nothing is kept of an
    upload that is refused."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes + (64 * 1024):
        raise too_large(max_bytes)  # refused before reading a byte (a form adds a little)
    media_type = media_type_of(request.headers.get("content-type"))
    receiver = _Receiver(root, max_bytes, check)
    try:
        if media_type == "multipart/form-data":
            return await _receive_form(request, receiver, name)
        receiver.name = name or _disposition_name(request)
        receiver.declared = media_type
        async for chunk in request.stream():
            receiver.write(chunk)
        return receiver.finish()
    except BaseException:
        receiver.writer.discard()
        raise


def _disposition_name(request: Request) -> str | None:
    """The file name a raw upload gives in ``Content-Disposition: attachment; filename=...``."""
    header = request.headers.get("content-disposition")
    if not header:
        return None
    _, options = parse_options_header(header)
    if b"filename*" in options:  # RFC 8187: UTF-8''percent-encoded
        encoded = options[b"filename*"].decode("latin-1")
        return unquote(encoded.split("''", 1)[-1]) or None
    name = options.get(b"filename")
    return name.decode("utf-8", "replace") if name else None


class _FormParts:
    """python-multipart callbacks: the ``file`` part into the receiver, small text fields kept."""

    def __init__(self, receiver: _Receiver) -> None:
        self.receiver = receiver
        self.fields: dict[str, str] = {}
        self.files = 0
        self._header_name = self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._part: str | None = None
        self._is_file = False
        self._data = bytearray()

    def on_part_begin(self) -> None:
        self._headers, self._data, self._part, self._is_file = {}, bytearray(), None, False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_name.strip().lower()] = self._header_value.strip()
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._part = options.get(b"name", b"").decode("utf-8", "replace")
        self._is_file = b"filename" in options or self._part == FILE_PART
        if self._is_file:
            if self._part != FILE_PART:
                raise _form_problem(f"send the file in a part named {FILE_PART!r} (got {self._part!r})")
            self.files += 1
            if self.files > 1:
                raise _form_problem(f"send one file per upload (the form has several {FILE_PART!r} parts)")
            name = options.get(b"filename")
            if name and not self.receiver.name:
                self.receiver.name = name.decode("utf-8", "replace")
            self.receiver.declared = media_type_of(self._headers.get(b"content-type", b"").decode("latin-1"))
        elif len(self.fields) >= MAX_FORM_FIELDS:
            raise _form_problem(f"a form takes at most {MAX_FORM_FIELDS} fields besides the file")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            self.receiver.write(data[start:end])
            return
        self._data += data[start:end]
        if len(self._data) > MAX_FIELD_BYTES:
            raise _form_problem(f"form field {self._part!r} is longer than {MAX_FIELD_BYTES} bytes")

    def on_part_end(self) -> None:
        if not self._is_file and self._part:
            self.fields[self._part] = self._data.decode("utf-8", "replace")

    def callbacks(self) -> dict:
        names = ("part_begin", "header_field", "header_value", "header_end", "headers_finished")
        names += ("part_data", "part_end")
        return {f"on_{n}": getattr(self, f"on_{n}") for n in names}


def _form_problem(detail: str) -> Problem:
    return Problem(422, detail, code="invalid_form")


async def _receive_form(request: Request, receiver: _Receiver, name: str | None) -> Upload:
    _, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not boundary:
        raise Problem(400, "the multipart/form-data body has no boundary", code="malformed_form")
    receiver.name = name
    parts = _FormParts(receiver)
    parser = MultipartParser(boundary, parts.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except Problem:
        raise
    except Exception as exc:  # python-multipart's parse errors
        raise Problem(
            400, f"the multipart/form-data body is malformed ({exc})", code="malformed_form"
        ) from None
    if not parts.files:
        raise _form_problem(f"the form has no {FILE_PART!r} part with the file's bytes")
    return receiver.finish(parts.fields)


# -- content types ------------------------------------------------------------------------

ZIP_KIND = ("application/zip", "application/vnd.openxmlformats-", "application/vnd.oasis.opendocument.")
OLE_KIND = ("application/msword", "application/vnd.ms-", "application/x-visio", "application/x-ole")
TEXT_KIND = ("text/", "application/json", "application/x-ndjson", "application/xml", "application/rtf")


def _kind(content_type: str) -> str:
    """Types whose bytes look alike: an .xlsx is a zip, an .xls an OLE file, a .csv text."""
    for name, prefixes in (("zip", ZIP_KIND), ("ole", OLE_KIND), ("text", TEXT_KIND)):
        if content_type.startswith(prefixes):
            return name
    top = content_type.split("/")[0]
    return top if top in ("image", "audio", "video") else content_type


def allowed_type(content_type: str, allowed: list[str]) -> bool:
    return any(
        content_type == pattern or (pattern.endswith("*") and content_type.startswith(pattern[:-1]))
        for pattern in allowed
    )


def _sniffed(head: bytes) -> list[tuple[str, str]]:
    """(content type, description) of what the first bytes are, best matches first."""
    import puremagic  # only where an upload is checked

    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return []
    if not matches:
        return []
    best = max(m.confidence for m in matches)
    typed = [(m.mime_type, m.name) for m in matches if m.mime_type]
    top = [(m.mime_type, m.name) for m in matches if m.mime_type and m.confidence == best]
    # A signature some matches name without a type (an executable): describe it by a typed one.
    return top or typed[:1] or [("application/octet-stream", matches[0].name)]


def file_type_check(allowed: list[str]) -> Check:
    """The check of a File upload: its type on the allow-list, its bytes of that kind."""
    return lambda name, declared, head: checked_content_type(declared, name, head, allowed)


def checked_content_type(declared: str | None, name: str | None, head: bytes, allowed: list[str]) -> str:
    """The content type to store, or a 415 naming what is allowed.

    The declared type (else the name's, else what the bytes are) must be on the allow-list,
    and the bytes must be of that kind: a PNG sent as a PDF, or a program sent as a
    picture, is refused.
    """
    sniffed = _sniffed(head)
    content_type = declared if declared and declared != "application/octet-stream" else None
    content_type = content_type or (mimetypes.guess_type(name)[0] if name else None)
    if content_type is None and sniffed and allowed_type(sniffed[0][0], allowed):
        content_type = sniffed[0][0]
    content_type = content_type or "application/octet-stream"
    listed = ", ".join(allowed)
    what = name or "the upload"
    if not allowed_type(content_type, allowed):
        raise Problem(
            415,
            f"{what}: content type {content_type} is not accepted here; allowed: {listed}",
            code="unsupported_media_type",
        )
    if sniffed and not any(_kind(found) == _kind(content_type) for found, _ in sniffed):
        found, description = sniffed[0]
        raise Problem(
            415,
            f"{what}: its bytes are {description} ({found}), not {content_type}; allowed: {listed}",
            code="content_mismatch",
        )
    return content_type


def is_text(head: bytes) -> bool:
    """Whether the first bytes are text (what a CSV or JSON lines import must be)."""
    sniffed = _sniffed(head)
    return not sniffed or any(_kind(found) == "text" for found, _ in sniffed)
