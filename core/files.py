"""File bytes on disk, File records in the database.

Bytes are stored under the org's ``files_dir``, content-addressed by their
sha256 (``ab/abcdef...``), written to a temporary name and renamed so a
reader never sees half a file. The File record carries name, type, size,
checksum and parent, and goes through the RecordService like any record,
so reading a file needs read access to its record, and to the record it is
attached to. Identical uploads share their bytes. If the record's
transaction rolls back, the bytes stay as an unreferenced blob; they are
harmless and the same upload reuses them.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from .config import files_dir
from .errors import AccessDenied, RecordNotFound, ValidationError

CHUNK = 1 << 20


def blob_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256


class BlobWriter:
    """Bytes received piece by piece (a network upload), stored as a blob when complete.

    ``write`` each chunk, then ``finish`` for (sha256, size); ``discard`` drops a partial
    upload. Memory holds one chunk, whatever the size.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        handle, self.temp_name = tempfile.mkstemp(dir=root, prefix=".upload-")
        self.out = os.fdopen(handle, "wb")
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.digest.update(chunk)
        self.size += len(chunk)
        self.out.write(chunk)

    def finish(self) -> tuple[str, int]:
        try:
            self.out.close()
            sha = self.digest.hexdigest()
            final = blob_path(self.root, sha)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.temp_name, final)
        except BaseException:
            self.discard()
            raise
        return sha, self.size

    def discard(self) -> None:
        self.out.close()
        Path(self.temp_name).unlink(missing_ok=True)


def write_blob(root: Path, source: BinaryIO) -> tuple[str, int]:
    """Copy a readable binary stream into the blob store: (sha256, size)."""
    writer = BlobWriter(root)
    try:
        while chunk := source.read(CHUNK):
            writer.write(chunk)
    except BaseException:
        writer.discard()
        raise
    return writer.finish()


def store_file(
    session,
    source: str | Path | bytes | BinaryIO,
    *,
    name: str | None = None,
    parent: str | None = None,
    content_type: str | None = None,
) -> dict:
    """Store bytes and create their File record in the session's transaction."""
    root = files_dir(session.app.settings)
    if isinstance(source, bytes):
        sha, size = write_blob(root, io.BytesIO(source))
    elif isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise ValidationError(f"file {path} does not exist")
        name = name or path.name
        with open(path, "rb") as handle:
            sha, size = write_blob(root, handle)
    else:
        sha, size = write_blob(root, source)
    return file_record(session, sha, size, name=name, parent=parent, content_type=content_type)


def file_record(
    session, sha256: str, size: int, *, name: str | None, parent: str | None, content_type: str | None
) -> dict:
    """The File record of bytes already in the blob store (``write_blob``, ``BlobWriter``)."""
    if not name:
        raise ValidationError("a stored file needs a name", object_name="File", field="name")
    if parent:
        readable_parent(session, parent)
    content_type = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return session.create(
        "File",
        {"name": name, "content_type": content_type, "parent": parent},
        computed={"size": size, "sha256": sha256},
    )


def replace_file_bytes(
    session, file_id: str, sha256: str, size: int, *, content_type: str, version: int | None = None
) -> dict:
    """New bytes for an existing File the caller may edit (its name and parent stay)."""
    readable_file(session, file_id)
    return session.update(
        file_id, {"content_type": content_type}, version=version, computed={"size": size, "sha256": sha256}
    )


def readable_parent(session, parent_id: str) -> None:
    """The record a file is attached to must be one the caller can read."""
    try:
        session.get(parent_id, fields=["id"])
    except AccessDenied:
        # No read on the parent's object: the same answer as a record sharing hides.
        raise RecordNotFound(parent_id) from None


def readable_file(session, file_id: str) -> dict:
    """A File record the caller may read, attached (if at all) to a record they may read too.

    A file attached to a hidden record is hidden with it: a case's documents are
    as private as the case, whoever uploaded them.
    """
    try:
        is_file = session.object_of(file_id).name == "File"
    except (ValidationError, RecordNotFound):
        is_file = False
    if not is_file:
        raise RecordNotFound(file_id, "File")
    record = session.get(file_id)
    if record.get("parent"):
        try:
            readable_parent(session, record["parent"])
        except RecordNotFound:
            raise RecordNotFound(file_id, "File") from None
    return record


def stored_bytes_path(session, record: dict) -> Path:
    path = blob_path(files_dir(session.app.settings), record["sha256"])
    if not path.is_file():
        raise ValidationError(
            f"the bytes of File {record['id']} are missing from {path.parent}", object_name="File"
        )
    return path


def file_bytes_path(session, file_id: str) -> Path:
    """Where a readable File's bytes are (access is checked by reading its record)."""
    return stored_bytes_path(session, readable_file(session, file_id))
