"""Imports as jobs (POST /objects/{obj}/imports, GET /jobs/{id}) and streamed exports."""

from __future__ import annotations

import csv
import io
import json

import pytest
from starlette.testclient import TestClient

from missionbase.core.api.app import create_api
from missionbase.core.api.tokens import create_token
from missionbase.core.security.sharing import resolve_grantee, set_sharing_default, share_record
from missionbase.core.testing import add_users

GOOD_AND_BAD = (
    "name,status,code,budget\n"
    "Alpha,Open,A-1,10.50\n"
    "Beta,Lost,B-1,\n"  # not a status
    ",Open,C-1,\n"  # no name
    "Delta,Waiting,D-1,99\n"
)


def start_import(client, served, body: str | bytes, content_type="text/csv", **params):
    return client.post(
        "/api/v1/objects/CaseFile/imports",
        params=params,
        content=body,
        headers={"Content-Type": content_type},
    )


def rows_of(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.text)))


def test_an_import_job_lands_good_rows_and_gives_the_error_and_success_files(served):
    ana = served.client("ana")
    started = start_import(ana, served, GOOD_AND_BAD)
    assert started.status_code == 202, started.text
    job = started.json()
    assert started.headers["location"] == f"/api/v1/jobs/{job['id']}"
    assert job["kind"] == "import" and job["object"] == "CaseFile" and job["status"] == "queued"
    done = ana.get(f"/api/v1/jobs/{job['id']}").json()
    assert done["status"] == "succeeded" and done["error"] is None
    assert done["result"]["counts"] == {
        "rows_read": 4,
        "created": 2,
        "updated": 0,
        "rejected": 2,
        "batches": 1,
    }
    errors = ana.get(done["links"]["errors"])
    assert errors.status_code == 200 and errors.headers["content-type"].startswith("text/csv")
    rejected = rows_of(errors)
    assert [(r["line"], r["name"]) for r in rejected] == [("3", "Beta"), ("4", "")]
    assert "status" in rejected[0]["error"] and "Lost" in rejected[0]["error"]
    assert "name" in rejected[1]["error"]
    landed = rows_of(ana.get(done["links"]["successes"]))
    names = {r["id"]: r["name"] for r in ana.get(served.url("CaseFile")).json()["records"]}
    assert [(r["line"], names[r["id"]], r["action"]) for r in landed] == [
        ("2", "Alpha", "created"),
        ("5", "Delta", "created"),
    ]
    assert [j["id"] for j in ana.get("/api/v1/jobs").json()["jobs"]] == [job["id"]]


def test_the_cli_options_dry_run_and_upsert_key_work_on_jsonl_too(served):
    ana = served.client("ana")
    dry = start_import(ana, served, GOOD_AND_BAD, dry_run="true").json()
    report = ana.get(f"/api/v1/jobs/{dry['id']}").json()
    assert report["result"]["dry_run"] and report["result"]["counts"]["created"] == 2
    assert report["options"]["dry_run"] is True
    assert ana.get(served.url("CaseFile")).json()["records"] == []
    assert {r["action"] for r in rows_of(ana.get(report["links"]["successes"]))} == {"would_create"}

    ana.post(served.url("CaseFile"), json={"name": "Old name", "code": "K-1"})
    lines = [{"code": "K-1", "name": "New name"}, {"code": "K-2", "name": "Second"}, {"code": "K-3"}]
    body = "".join(json.dumps(line) + "\n" for line in lines)
    job = start_import(ana, served, body, "application/x-ndjson", upsert_key="code").json()
    done = ana.get(f"/api/v1/jobs/{job['id']}").json()
    assert done["result"]["counts"]["updated"] == 1 and done["result"]["counts"]["created"] == 1
    assert done["result"]["counts"]["rejected"] == 1
    errors = ana.get(done["links"]["errors"])
    assert errors.headers["content-type"].startswith("application/x-ndjson")
    assert [json.loads(line)["line"] for line in errors.text.splitlines()] == [3]
    page = ana.get(served.url("CaseFile"), params={"order_by": "code"}).json()["records"]
    assert [(r["code"], r["name"]) for r in page] == [("K-1", "New name"), ("K-2", "Second")]


def test_a_job_is_visible_only_to_its_creator_and_admins(served):
    job = start_import(served.client("ana"), served, "name\nOne\n").json()
    served.problem(served.client("ben").get(f"/api/v1/jobs/{job['id']}"), 404, job["id"])
    served.problem(served.client("ben").get(f"/api/v1/jobs/{job['id']}/files/successes"), 404, job["id"])
    assert served.client("ben").get("/api/v1/jobs").json()["jobs"] == []
    assert served.client("admin").get(f"/api/v1/jobs/{job['id']}").json()["status"] == "succeeded"
    served.problem(
        served.client("ana").get(f"/api/v1/jobs/{job['id']}/files/errors"), 404, "no 'errors' file"
    )


def test_bad_imports_are_refused_before_a_job_exists(served):
    ana = served.client("ana")
    served.problem(start_import(ana, served, "name\nX\n", upsert_key="status"), 422, "unique field")
    served.problem(start_import(ana, served, "name\nX\n", "application/pdf"), 415, "?format=csv|jsonl")
    served.problem(
        start_import(ana, served, b"\x89PNG\r\n\x1a\n" + bytes(200), format="csv"), 415, "not text"
    )
    served.app.settings.upload_max_bytes = 100
    served.problem(start_import(ana, served, "name\n" + "x" * 200 + "\n"), 413, "100 bytes")
    served.problem(start_import(served.client("rita"), served, "name\nX\n"), 403)
    served.problem(start_import(served.client("ana", scope="read"), served, "name\nX\n"), 403, "read-only")
    assert ana.get("/api/v1/jobs").json()["jobs"] == []


def test_a_job_whose_file_has_a_bad_header_fails_with_the_clis_message(served):
    ana = served.client("ana")
    multipart = ana.post(
        "/api/v1/objects/CaseFile/imports", files={"file": ("cases.csv", b"name,colour\nA,red\n", "text/csv")}
    )
    assert multipart.status_code == 202, multipart.text
    failed = ana.get(f"/api/v1/jobs/{multipart.json()['id']}").json()
    assert failed["status"] == "failed" and "unknown column 'colour'" in failed["error"]["message"]
    assert failed["source"] == {"name": "cases.csv", "size": 18}
    latin1 = ana.post(
        "/api/v1/objects/CaseFile/imports",
        files={"file": ("accents.csv", "name\nL\xe9a\n".encode("latin-1"), "text/csv")},
    )
    message = ana.get(f"/api/v1/jobs/{latin1.json()['id']}").json()["error"]["message"]
    assert message.startswith("accents.csv line 2: byte 0xE9") and "files" not in message
    assert "pass encoding latin-1" in message  # the API's parameter, not the CLI's --encoding


def test_a_job_reads_a_spreadsheets_file_with_the_clis_options(served):
    ana = served.client("ana")
    body = "Nom;Statut;Budget\nL\xe9a;Waiting;1 234,50\n".encode("latin-1")
    options = {
        "encoding": "latin-1",
        "locale": "fr_FR",
        "map": ["Nom=name", "Statut=status", "Budget=budget"],
    }
    job = start_import(ana, served, body, **options).json()
    done = ana.get(f"/api/v1/jobs/{job['id']}").json()
    assert done["status"] == "succeeded" and done["result"]["counts"]["created"] == 1, done
    case = ana.get("/api/v1/objects/CaseFile/records", params={"where": "name = 'L\xe9a'"}).json()["records"]
    assert [(c["status"], float(c["budget"])) for c in case] == [("Waiting", 1234.5)]


def test_bad_reading_options_are_refused_before_a_job_exists(served):
    ana = served.client("ana")
    served.problem(
        start_import(ana, served, "name\nX\n", encoding="klingon"), 422, "unknown encoding 'klingon'"
    )
    bad = start_import(ana, served, "name\nX\n", delimiter=";;")
    served.problem(bad, 422, "delimiter ';;' is not one character")
    assert "--" not in bad.json()["detail"]
    served.problem(
        start_import(ana, served, "name\nX\n", lookup=["contact"]),
        422,
        "lookup 'contact' must look like field=target_field",
    )
    assert ana.get("/api/v1/jobs").json()["jobs"] == []


# -- export ------------------------------------------------------------------------------


def test_export_streams_what_the_caller_may_read_in_csv_and_jsonl(served):
    hal = served.client("hal")
    for index in range(5):
        hal.post(
            served.url("CaseFile"), json={"name": f"Case {index}", "health_notes": "private", "budget": "5"}
        )
    with served.app.session("hal") as s:
        first = s.query("CaseFile", limit=1, order_by="name").records[0]["id"]
        share_record(s, first, resolve_grantee(s, "user", "ana"), "read")
    mine = hal.get("/api/v1/objects/CaseFile/export", params={"fields": "name,health_notes"})
    assert mine.status_code == 200 and mine.headers["content-type"].startswith("text/csv")
    assert [r["health_notes"] for r in rows_of(mine)] == ["private"] * 5
    ana = served.client("ana")
    shared = ana.get("/api/v1/objects/CaseFile/export")
    rows = rows_of(shared)
    assert [r["name"] for r in rows] == ["Case 0"] and "health_notes" not in rows[0]
    served.problem(ana.get("/api/v1/objects/CaseFile/export", params={"fields": "name,health_notes"}), 422)
    lines = hal.get("/api/v1/objects/CaseFile/export", params={"format": "jsonl", "where": "name = Case 3"})
    assert lines.headers["content-type"].startswith("application/x-ndjson")
    (record,) = [json.loads(line) for line in lines.text.splitlines()]
    assert record["name"] == "Case 3" and record["budget"] == "5.00" and record["health_notes"] == "private"
    served.problem(
        hal.get("/api/v1/objects/CaseFile/export", params={"where": "colour = red"}), 422, "colour"
    )
    served.problem(hal.get("/api/v1/objects/CaseFile/export", params={"format": "xml"}), 422)


@pytest.fixture
def casework(make_app):
    """An org of installed plugins (the CLI opens it from its config) with a sensitive Contact field."""
    app = make_app(plugins=["pmm", "casemgmt"])
    add_users(app, {"cara": {"permission_sets": ["Standard User", "Case Management: Caseworker"]}})
    add_users(app, {"rob": {"permission_sets": ["Standard User", "Case Management: Read Only"]}})
    with app.session("admin") as s:
        set_sharing_default(s, "Contact", "public_read")  # rob reads cara's clients, not their legal names
    with app.session("cara") as s:
        for index in range(2105 // 100):
            s.create_many(
                "Contact",
                [
                    {
                        "last_name": f"Client {index:02d}-{n:02d}",
                        "legal_name": f"Legal {n}",
                        "is_client": True,
                    }
                    for n in range(100)
                ],
            )
    return app


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_is_byte_for_byte_the_clis_and_hides_what_fls_hides(casework, cli_for, tmp_path, fmt):
    run = cli_for(casework)
    api = TestClient(create_api(casework), raise_server_exceptions=False)
    lines = {}
    for user in ("cara", "rob"):
        with casework.session(user) as s:
            secret, _ = create_token(s, "export", scope="read")
        out = tmp_path / f"{user}.{fmt}"
        where = "is_client = true"
        done = run("export", "Contact", "--format", fmt, "--where", where, "-o", str(out), "--as", user)
        assert done.exit_code == 0, done.err
        response = api.get(
            "/api/v1/objects/Contact/export",
            params={"format": fmt, "where": where},
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert response.status_code == 200, response.text
        assert response.content == out.read_bytes()
        header = response.text.splitlines()[0]
        assert ("legal_name" in header) is (user == "cara")
        lines[user] = len(response.text.splitlines())
    assert lines == {"cara": 2101, "rob": 2101} if fmt == "csv" else {"cara": 2100, "rob": 2100}
