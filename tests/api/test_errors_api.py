"""Every refusal is one problem+json with the CLI's message, the right status, and nothing written."""

from __future__ import annotations

from missionbase.core.api.app import create_api


def count_cases(served) -> int:
    with served.app.system_session() as s:
        return s.count("CaseFile")


def test_malformed_wrong_type_and_non_object_bodies_write_nothing(served):
    ana = served.client("ana")
    json_type = {"Content-Type": "application/json"}
    served.problem(
        ana.post(served.url("CaseFile"), content=b'{"name": ', headers=json_type), 400, "not valid JSON"
    )
    served.problem(
        ana.post(served.url("CaseFile"), content=b"\xff\xfe", headers=json_type), 400, "not valid JSON"
    )
    served.problem(ana.post(served.url("CaseFile"), json=[{"name": "A"}]), 400, "JSON object")
    nan = b'{"name": "A", "budget": NaN}'  # Python reads it; JSON has no NaN
    served.problem(ana.post(served.url("CaseFile"), content=nan, headers=json_type), 400, "not valid JSON")
    served.problem(
        ana.post(
            served.url("CaseFile"),
            content=b"name=A",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        415,
        "application/json",
    )
    served.problem(ana.post(served.url("CaseFile"), content=b'{"name": "A"}'), 415, "no Content-Type")
    assert count_cases(served) == 0


def test_oversize_body_is_413(served):
    small = create_api(served.app, max_body=200)
    token = served.token("ana")
    from starlette.testclient import TestClient

    client = TestClient(small, headers={"Authorization": f"Bearer {token}"})
    served.problem(
        client.post(served.url("CaseFile"), json={"name": "A", "code": "x" * 300}), 413, "200 bytes"
    )

    def chunked():  # no Content-Length to go by: counted while reading
        yield b'{"name": "'
        yield b"y" * 300
        yield b'"}'

    served.problem(
        client.post(served.url("CaseFile"), content=chunked(), headers={"Content-Type": "application/json"}),
        413,
    )
    assert count_cases(served) == 0


def test_validation_is_422_naming_the_field_with_the_cli_message(served):
    ana = served.client("ana")
    body = served.problem(
        ana.post(served.url("CaseFile"), json={"status": "Open"}), 422, "'name'", "is required"
    )
    assert body["errors"] == [
        {"field": "name", "code": "invalid", "message": "is required", "index": None}
    ]  # one record: no index
    served.problem(ana.post(served.url("CaseFile"), json={"name": "x" * 41}), 422, "name")
    body = served.problem(
        ana.post(served.url("CaseFile"), json={"name": "A", "colour": "red"}), 422, "colour"
    )
    assert body["errors"][0]["code"] == "invalid"
    served.problem(ana.post(served.url("CaseFile"), json={"name": "A", "version": 3}), 422, "version")
    served.problem(
        ana.patch(
            served.url("CaseFile", ana.post(served.url("CaseFile"), json={"name": "B"}).json()["id"]), json={}
        ),
        422,
        "nothing to change",
    )
    assert count_cases(served) == 1


def test_the_id_in_the_url_is_the_record_changed(served):
    ana = served.client("ana")
    first, second = (ana.post(served.url("CaseFile"), json={"name": n}).json() for n in "AB")
    served.problem(
        ana.patch(served.url("CaseFile", first["id"]), json={"id": second["id"], "name": "C"}), 422, "'id'"
    )
    same = ana.patch(served.url("CaseFile", first["id"]), json={"id": first["id"], "name": "C"})
    assert same.status_code == 200 and same.json()["name"] == "C"
    assert ana.get(served.url("CaseFile", second["id"])).json()["name"] == "B"


def test_a_version_that_is_not_a_number_is_422_not_a_crash(served):
    ana = served.client("ana")
    record = ana.post(served.url("CaseFile"), json={"name": "A"}).json()
    for version in ({}, "1", True, [1]):
        body = {"status": "Closed", "version": version}
        served.problem(ana.patch(served.url("CaseFile", record["id"]), json=body), 422, "'version'")
    served.problem(ana.post("/api/v1/tokens", json={"name": {"x": 1}}), 422, "name")


def test_unique_clash_is_409(served):
    ana = served.client("ana")
    first = ana.post(served.url("CaseFile"), json={"name": "A", "code": "C-1"})
    assert first.status_code == 201
    body = served.problem(
        ana.post(served.url("CaseFile"), json={"name": "B", "code": "C-1"}), 409, "'C-1' already exists"
    )
    assert body["errors"][0]["field"] == "code"
    assert count_cases(served) == 1


def test_permission_refusal_is_403_with_the_permission_sets_that_would_grant_it(served):
    rita = served.client("rita")  # Case Reader: read only
    body = served.problem(
        rita.post(served.url("CaseFile"), json={"name": "A"}), 403, "no Create permission on CaseFile"
    )
    assert "Case Worker" in body["detail"]


def test_unknown_object_is_404_with_the_closest_names_and_unknown_routes_are_404_or_405(served):
    ana = served.client("ana")
    served.problem(ana.get(served.url("CaseFiles")), 404, "unknown object 'CaseFiles'", "CaseFile")
    served.problem(ana.get("/api/v1/objects/Cas/describe"), 404, "unknown object")
    served.problem(ana.post(served.url("Casefile"), json={"name": "A"}), 404, "CaseFile")
    served.problem(ana.get("/api/v1/nowhere"), 404, "no such endpoint")
    served.problem(ana.get("/api/v1/objects/CaseFile/somewhere"), 404, "no such endpoint")
    refused = ana.put(served.url("CaseFile"), json={})
    served.problem(refused, 405, "use GET, POST")
    assert refused.headers["allow"] == "GET, POST"
    served.problem(ana.patch(served.url("CaseFile", "csf_x", "/history")), 405)
    assert ana.post("/api/v1/me").headers["allow"] == "GET"


def test_bad_if_match_is_400(served):
    ana = served.client("ana")
    record = ana.post(served.url("CaseFile"), json={"name": "A"}).json()
    served.problem(
        ana.patch(
            served.url("CaseFile", record["id"]), json={"status": "Closed"}, headers={"If-Match": "yesterday"}
        ),
        400,
        "If-Match",
    )
