"""Files: bytes under files_dir (never in a table), records through the RecordService."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from missionbase.core.errors import ValidationError
from missionbase.core.files import file_bytes_path, store_file


def test_store_and_read_back_bytes(app, session, tmp_path):
    contact = session.create("Contact", {"last_name": "Doe"})
    record = store_file(session, b"%PDF-1.4 consent form", name="consent.pdf", parent=contact["id"])
    assert (
        record["size"] == 21 and record["content_type"] == "application/pdf" and len(record["sha256"]) == 64
    )
    path = file_bytes_path(session, record["id"])
    assert path.read_bytes() == b"%PDF-1.4 consent form"
    assert str(path).startswith(str(tmp_path / "files"))


def test_bytes_never_stored_in_a_table(app, session):
    record = store_file(session, b"secret-bytes-123", name="a.txt")
    table = app.schema.table("File")
    row = session.conn.execute(sa.select(table).where(table.c.id == record["id"])).mappings().one()
    assert all(b"secret-bytes-123" not in str(value).encode() for value in row.values())


def test_identical_uploads_share_bytes(session):
    first = store_file(session, b"same", name="a.txt")
    second = store_file(session, b"same", name="b.txt")
    assert first["sha256"] == second["sha256"] and first["id"] != second["id"]
    assert file_bytes_path(session, first["id"]) == file_bytes_path(session, second["id"])


def test_size_and_checksum_cannot_be_set_by_users(session):
    with pytest.raises(ValidationError, match="'size': is read-only"):
        session.create("File", {"name": "x", "size": 5})


def test_files_cli_round_trip(cli, tmp_path, monkeypatch, database_url):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MISSIONBASE_DATABASE_URL", raising=False)
    assert cli("init", "--database-url", database_url).exit_code == 0
    (tmp_path / "photo.png").write_bytes(b"\x89PNG fake")
    added = cli("files", "add", "photo.png", "--json")
    assert added.exit_code == 0 and added.json()["content_type"] == "image/png"
    got = cli("files", "get", added.json()["id"], "-o", "copy.png")
    assert got.exit_code == 0 and (tmp_path / "copy.png").read_bytes() == b"\x89PNG fake"
    missing = cli("files", "add", "nope.png")
    assert missing.exit_code != 0 and "nope.png" in missing.err
