"""POST /composite: several operations in one transaction, later ones using earlier results."""

from __future__ import annotations

COMPOSITE = "/api/v1/composite"


def names(served, client, object_name="CaseFile") -> set[str]:
    page = client.get(served.url(object_name), params={"limit": 1000}).json()
    return {r.get("name") or r.get("last_name") for r in page["records"]}


def test_later_sub_requests_use_earlier_results_and_all_is_answered_in_order(served):
    hal = served.client("hal")
    response = hal.post(
        COMPOSITE,
        json={
            "requests": [
                {"method": "POST", "url": "/objects/Contact/records", "reference_id": "newContact",
                 "body": {"last_name": "Okafor", "first_name": "Ada"}},
                {"method": "POST", "url": "/api/v1/objects/CaseFile/records", "reference_id": "newCase",
                 "body": {"name": "Case of @{newContact.last_name}", "contact": "@{newContact.id}"}},
                {"method": "PATCH", "url": "/objects/CaseFile/records/@{newCase.id}",
                 "body": {"status": "Waiting", "version": "@{newCase.version}"}},
                {"method": "GET", "url": "/objects/CaseFile/records?where=contact = @{newContact.id}&fields=name,status",
                 "reference_id": "found"},
                {"method": "PUT", "url": "/objects/CaseFile/records/by/code/K-1", "body": {"name": "By code"}},
                {"method": "POST", "url": "/objects/CaseFile/records:batch",
                 "body": {"items": [{"op": "update", "id": "@{found.records[0].id}", "values": {"budget": "12.50"}}]}},
                {"method": "GET", "url": "/objects/CaseFile/records/@{found.records.0.id}"},
            ]
        },
    )  # fmt: skip
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 201, 200, 200, 201, 200, 200]
    assert [r["index"] for r in results] == list(range(7))
    contact, case = results[0]["body"], results[1]["body"]
    assert case["name"] == "Case of Okafor" and case["contact"] == contact["id"]
    assert results[3]["body"]["records"] == [
        {"id": case["id"], "name": "Case of Okafor", "status": "Waiting"}
    ]
    assert results[6]["body"]["status"] == "Waiting" and results[6]["body"]["budget"] == "12.50"
    assert names(served, hal) == {"Case of Okafor", "By code"}


def test_one_refused_sub_request_rolls_back_all_and_the_answer_is_its_own_problem(served):
    ana = served.client("ana")
    ana.post(served.url("CaseFile"), json={"name": "Existing", "code": "DUP"})
    response = ana.post(
        COMPOSITE,
        json={
            "requests": [
                {"method": "POST", "url": "/objects/CaseFile/records", "body": {"name": "First"}, "reference_id": "a"},
                {"method": "PATCH", "url": "/objects/CaseFile/records/@{a.id}", "body": {"status": "Closed"}},
                {"method": "POST", "url": "/objects/CaseFile/records", "body": {"name": "Clash", "code": "DUP"},
                 "reference_id": "clash"},
                {"method": "POST", "url": "/objects/CaseFile/records", "body": {"name": "Never"}},
            ]
        },
    )  # fmt: skip
    body = served.problem(response, 409, "sub-request 2 (clash)", "already exists")
    assert body["errors"][0]["index"] == 2 and body["errors"][0]["field"] == "code"
    assert names(served, ana) == {"Existing"}
    invalid = ana.post(
        COMPOSITE,
        json={
            "requests": [
                {"method": "POST", "url": "/objects/CaseFile/records", "body": {"name": "First"}},
                {"method": "POST", "url": "/objects/CaseFile/records", "body": {"status": "Open"}},
            ]
        },
    )
    assert served.problem(invalid, 422, "sub-request 1", "name")["errors"][0]["index"] == 1
    ben_case = served.client("ben").post(served.url("CaseFile"), json={"name": "Ben's"}).json()
    hidden = ana.post(
        COMPOSITE,
        json={
            "requests": [
                {"method": "POST", "url": "/objects/CaseFile/records", "body": {"name": "First"}},
                {"method": "DELETE", "url": f"/objects/CaseFile/records/{ben_case['id']}"},
            ]
        },
    )
    served.problem(hidden, 404, "sub-request 1", "not found")
    assert names(served, ana) == {"Existing"}


def test_a_bad_reference_is_422_before_anything_runs(served):
    ana = served.client("ana")
    create = {
        "method": "POST",
        "url": "/objects/CaseFile/records",
        "body": {"name": "A"},
        "reference_id": "a",
    }
    unknown = ana.post(
        COMPOSITE, json={"requests": [create, {"method": "GET", "url": "/objects/CaseFile/records/@{b.id}"}]}
    )
    body = served.problem(unknown, 422, "sub-request 1", "'b' is no earlier sub-request's reference_id")
    assert body["errors"][0]["index"] == 1
    forward = ana.post(
        COMPOSITE,
        json={"requests": [{"method": "GET", "url": "/objects/CaseFile/records/@{a.id}"}, create]},
    )
    served.problem(forward, 422, "sub-request 0", "later sub-request's")
    missing_field = ana.post(
        COMPOSITE,
        json={"requests": [create, {"method": "GET", "url": "/objects/CaseFile/records/@{a.idd}"}]},
    )
    served.problem(missing_field, 422, "sub-request 1", "a has no 'idd'", "id")
    twice = ana.post(COMPOSITE, json={"requests": [create, {**create}]})
    served.problem(twice, 422, "sub-request 1", "already used")
    assert names(served, ana) == set()


def test_unknown_urls_methods_objects_and_more_than_25_sub_requests_are_refused_whole(served):
    ana = served.client("ana")
    create = {"method": "POST", "url": "/objects/CaseFile/records", "body": {"name": "A"}}

    def send(*requests):
        return ana.post(COMPOSITE, json={"requests": [create, *requests]})

    served.problem(send(*[create] * 25), 422, "at most 25", "got 26")
    served.problem(send({"method": "GET", "url": "/nowhere"}), 404, "sub-request 1", "no such endpoint")
    served.problem(send({"method": "GET", "url": "/objects/CaseFiel/records"}), 404, "'CaseFile'")
    served.problem(send({"method": "PUT", "url": "/objects/CaseFile/records"}), 422, "use GET, POST")
    served.problem(send({"method": "FETCH", "url": "/objects/CaseFile/records"}), 422, "method must be")
    served.problem(send({"method": "GET", "url": "https://elsewhere.example/x"}), 422, "must be a path")
    served.problem(send({"verb": "GET"}), 422, "unknown key 'verb'")
    served.problem(ana.post(COMPOSITE, json={"requests": []}), 422, "non-empty")
    served.problem(ana.post(COMPOSITE, content=b"{", headers={"Content-Type": "application/json"}), 400)
    assert names(served, ana) == set()


def test_reads_only_need_a_read_token_and_writes_refuse_it(served):
    served.client("ana").post(served.url("CaseFile"), json={"name": "Mine"})
    reader = served.client("ana", scope="read")
    read = reader.post(COMPOSITE, json={"requests": [{"method": "GET", "url": "/objects/CaseFile/records"}]})
    assert read.status_code == 200 and read.json()["results"][0]["body"]["records"][0]["name"] == "Mine"
    write = reader.post(
        COMPOSITE,
        json={"requests": [{"method": "POST", "url": "/objects/CaseFile/records", "body": {"name": "X"}}]},
    )
    served.problem(write, 403, "read-only")
    schema = reader.get("/api/v1/openapi.json").json()["paths"]["/api/v1/composite"]["post"]
    body = schema["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["requests"]["maxItems"] == 25


def test_actions_are_sub_requests_too_and_their_refusal_rolls_back_the_rest(served):
    ana = served.client("ana")
    create = {
        "method": "POST",
        "url": "/objects/CaseFile/records",
        "body": {"name": "Flat 3"},
        "reference_id": "c",
    }
    done = ana.post(
        COMPOSITE,
        json={
            "requests": [
                create,
                {"method": "POST", "url": "/objects/CaseFile/records/@{c.id}/actions/close",
                 "body": {"reason": "resolved"}},
                {"method": "POST", "url": "/objects/CaseFile/actions/status_counts"},
            ]
        },
    )  # fmt: skip
    assert done.status_code == 200, done.text
    results = done.json()["results"]
    assert results[1]["body"]["result"]["status"] == "Closed"
    assert results[2]["body"]["result"] == {"Open": 1, "Waiting": 0, "Closed": 1}  # the closing note is open
    refused = ana.post(
        COMPOSITE,
        json={
            "requests": [
                {**create, "body": {"name": "Flat 4"}},
                {"method": "POST", "url": "/objects/CaseFile/records/@{c.id}/actions/close",
                 "body": {"reason": "lost"}},
            ]
        },
    )  # fmt: skip
    served.problem(refused, 422, "sub-request 1", "reason")
    served.problem(
        ana.post(COMPOSITE, json={"requests": [{"method": "POST", "url": "/objects/CaseFile/actions/clos"}]}),
        404,
        "'close'",
    )
    served.problem(
        ana.post(COMPOSITE, json={"requests": [{"method": "POST", "url": "/actions/apifix.purge_closed"}]}),
        403,
        "modify_all_data",
    )
    assert "Flat 4" not in names(served, ana)
