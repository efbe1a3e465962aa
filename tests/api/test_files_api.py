"""File bytes over the API: streamed upload and download, size and type checks, the record's security."""

from __future__ import annotations

import os

from missionbase.core.security.sharing import resolve_grantee, share_record, unshare_record

FILES = "/api/v1/files"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 64
PDF = b"%PDF-1.7\n" + os.urandom(20000)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 100


def content_url(file_id: str) -> str:
    return f"/api/v1/objects/File/records/{file_id}/content"


def test_multipart_upload_and_streamed_download_round_trip_binary_bytes(served):
    ana = served.client("ana")
    case = ana.post(served.url("CaseFile"), json={"name": "Dossier"}).json()
    created = ana.post(FILES, files={"file": ("scan.png", PNG, "image/png")}, data={"parent": case["id"]})
    assert created.status_code == 201, created.text
    record = created.json()
    assert record["name"] == "scan.png" and record["size"] == len(PNG) and record["parent"] == case["id"]
    assert record["content_type"] == "image/png"
    assert created.headers["location"] == f"/api/v1/objects/File/records/{record['id']}"
    got = ana.get(content_url(record["id"]))
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png"
    assert got.headers["content-length"] == str(len(PNG))
    assert got.headers["content-disposition"] == 'attachment; filename="scan.png"'
    assert got.headers["etag"] == f'"{record["sha256"]}"'
    assert got.headers["x-content-type-options"] == "nosniff"
    again = ana.get(content_url(record["id"]), headers={"If-None-Match": got.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_raw_upload_names_the_file_and_non_ascii_names_are_escaped_per_rfc_6266(served):
    ana = served.client("ana")
    created = ana.post(
        FILES, params={"name": 'Consentement "signé" 100%.pdf'}, content=PDF,
        headers={"Content-Type": "application/pdf"},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    got = ana.get(content_url(created.json()["id"]), params={"disposition": "inline"})
    assert got.content == PDF and got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == (
        'inline; filename="Consentement _sign__ 100_.pdf"; '
        "filename*=UTF-8''Consentement%20%22sign%C3%A9%22%20100%25.pdf"
    )


def test_replacing_the_bytes_keeps_the_record_and_checks_its_version(served):
    ana = served.client("ana")
    record = ana.post(FILES, files={"file": ("a.pdf", PDF, "application/pdf")}).json()
    stale = ana.put(
        content_url(record["id"]), content=PNG, headers={"Content-Type": "image/png", "If-Match": '"9"'}
    )
    served.problem(stale, 412, "changed by someone else")
    changed = ana.put(content_url(record["id"]), content=PNG, headers={"Content-Type": "image/png"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["size"] == len(PNG) and changed.json()["content_type"] == "image/png"
    assert ana.get(content_url(record["id"])).content == PNG


def test_an_upload_over_the_size_limit_is_413_and_leaves_no_record(served):
    served.app.settings.upload_max_bytes = 10_000
    ana = served.client("ana")
    body = served.problem(ana.post(FILES, files={"file": ("big.pdf", PDF, "application/pdf")}), 413, "10000")
    assert "upload_max_bytes" in body["detail"]
    served.problem(
        ana.post(FILES, params={"name": "big.pdf"}, content=PDF, headers={"Content-Type": "application/pdf"}),
        413,
    )
    assert ana.get(served.url("File")).json()["records"] == []


def test_a_type_off_the_allow_list_or_bytes_of_another_kind_are_415_naming_what_is_allowed(served):
    ana = served.client("ana")
    html = ana.post(FILES, files={"file": ("page.html", b"<html><script>x</script>", "text/html")})
    body = served.problem(html, 415, "text/html is not accepted", "application/pdf", "image/png")
    assert body["type"].endswith("unsupported_media_type")
    disguised = ana.post(FILES, files={"file": ("cat.png", EXE, "image/png")})
    served.problem(disguised, 415, "cat.png", "executable", "not image/png")
    wrong_label = ana.post(FILES, files={"file": ("scan.pdf", PNG, "application/pdf")})
    served.problem(wrong_label, 415, "image/png", "not application/pdf")
    assert ana.get(served.url("File")).json()["records"] == []
    # No declared type: the name's, else what the bytes are.
    guessed = ana.post(FILES, files={"file": ("notes.txt", b"plain words", "application/octet-stream")})
    assert guessed.status_code == 201 and guessed.json()["content_type"] == "text/plain"


def test_a_file_attached_to_a_record_the_caller_cannot_read_is_404(served):
    ana, ben = served.client("ana"), served.client("ben")
    case = ana.post(served.url("CaseFile"), json={"name": "Ana's case"}).json()
    with served.app.session("ana") as s:
        share_record(s, case["id"], resolve_grantee(s, "user", "ben"), "read")
    record = ben.post(FILES, files={"file": ("ben.pdf", PDF, "application/pdf")}, data={"parent": case["id"]})
    assert record.status_code == 201, record.text
    file_id = record.json()["id"]
    assert ben.get(content_url(file_id)).content == PDF
    with served.app.session("ana") as s:
        unshare_record(s, case["id"], resolve_grantee(s, "user", "ben"))
    hidden = served.problem(ben.get(content_url(file_id)), 404, file_id)
    assert case["id"] not in hidden["detail"]
    served.problem(
        ben.put(content_url(file_id), content=PDF, headers={"Content-Type": "application/pdf"}), 404
    )
    # Attaching to a record one cannot read is refused as if it did not exist.
    served.problem(ben.post(FILES, files={"file": ("x.pdf", PDF)}, data={"parent": case["id"]}), 404)
    # Another user's private file: 404 too.
    mine = ana.post(FILES, files={"file": ("ana.pdf", PDF, "application/pdf")}).json()
    served.problem(ben.get(content_url(mine["id"])), 404, mine["id"])
    served.problem(ana.get(content_url("con_01JD0000000000000000000000")), 404)


def test_a_read_only_token_cannot_upload_and_the_form_must_carry_a_file(served):
    reader = served.client("ana", scope="read")
    served.problem(reader.post(FILES, files={"file": ("a.pdf", PDF, "application/pdf")}), 403, "read-only")
    ana = served.client("ana")
    served.problem(ana.post(FILES, files={"other": ("a.pdf", PDF, "application/pdf")}), 422, "'file'")
    served.problem(ana.post(FILES, files={"name": (None, "x")}), 422, "no 'file' part")
    served.problem(ana.post(FILES, params={"name": "a.pdf"}, content=b""), 400, "empty")
    openapi = ana.get("/api/v1/openapi.json").json()
    body = openapi["paths"]["/api/v1/files"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in body and "application/octet-stream" in body
