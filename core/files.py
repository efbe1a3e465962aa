"""File bytes on disk, File records in the database.

Bytes are stored under the org's ``files_dir``, content-addressed by their
sha256 (``ab/abcdef...``), written to a temporary name and renamed so a
reader never sees half a file. The File record carries name, type, size,
checksum and parent, and goes through the RecordService like any record,
so reading a file needs read access to its record. Identical uploads share
their bytes. If the record's transaction rolls back, the bytes stay as an
unreferenced blob; they are harmless and the same upload reuses them.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from .config import files_dir
from .errors import ValidationError

CHUNK = 1 << 20


def blob_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256


def _write_blob(root: Path, source: BinaryIO) -> tuple[str, int]:
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, temp_name = tempfile.mkstemp(dir=root, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        sha = digest.hexdigest()
        final = blob_path(root, sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp_name, final)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return sha, size


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
        import io

        sha, size = _write_blob(root, io.BytesIO(source))
    elif isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise ValidationError(f"file {path} does not exist")
        name = name or path.name
        with open(path, "rb") as handle:
            sha, size = _write_blob(root, handle)
    else:
        sha, size = _write_blob(root, source)
    if not name:
        raise ValidationError("a stored file needs a name", object_name="File", field="name")
    content_type = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return session.create(
        "File",
        {"name": name, "content_type": content_type, "parent": parent},
        computed={"size": size, "sha256": sha},
    )


def file_bytes_path(session, file_id: str) -> Path:
    """Where a readable File's bytes are (access is checked by reading its record)."""
    record = session.get(file_id)
    path = blob_path(files_dir(session.app.settings), record["sha256"])
    if not path.is_file():
        raise ValidationError(
            f"the bytes of File {file_id} are missing from {path.parent}", object_name="File"
        )
    return path
