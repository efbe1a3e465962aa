"""Actions through the API: the same declaration the CLI runs, with the caller's security."""

from __future__ import annotations

from .conftest import API


def _case(served, owner: str, name: str = "Dupont family") -> str:
    with served.app.session(owner) as s:
        return s.create("CaseFile", {"name": name})["id"]


def test_a_record_action_runs_as_the_caller_and_answers_its_result(served):
    case = _case(served, "ana")
    done = served.client("ana").post(
        served.url("CaseFile", case, "/actions/close"), json={"reason": "resolved", "note": "housed"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["action"] == "CaseFile.close"
    assert done.json()["result"]["status"] == "Closed"
    with served.app.session("ana") as s:
        assert s.get(case)["status"] == "Closed"
        notes = s.query("CaseFile", where={"name": "closing note: resolved housed"}).records
        assert len(notes) == 1


def test_every_bad_option_is_named_at_once_and_nothing_is_written(served):
    case = _case(served, "ana")
    answer = served.client("ana").post(
        served.url("CaseFile", case, "/actions/close"),
        json={"reason": "bored", "note": "x" * 60, "colour": 1},
    )
    body = served.problem(answer, 422)
    fields = sorted(entry["field"] for entry in body["errors"])
    assert fields == ["colour", "note", "reason"]
    reason = next(e for e in body["errors"] if e["field"] == "reason")
    assert "resolved" in reason["message"]  # the allowed values are named
    colour = next(e for e in body["errors"] if e["field"] == "colour")
    assert "allowed: fail_after_writing, note, reason" in colour["message"]
    with served.app.session("ana") as s:
        assert s.get(case)["status"] == "Open"


def test_a_failing_action_rolls_back_every_write_it_made(served):
    case = _case(served, "ana")
    answer = served.client("ana").post(
        served.url("CaseFile", case, "/actions/close"),
        json={"reason": "duplicate", "fail_after_writing": True},
    )
    served.problem(answer, 422, "refused after writing")
    with served.app.session("ana") as s:
        assert s.get(case)["status"] == "Open"
        assert s.query("CaseFile", where={"name": "closing note: duplicate"}).records == []


def test_another_users_private_record_is_not_found_and_read_only_access_is_refused(served):
    case = _case(served, "ana")
    hidden = served.client("ben").post(
        served.url("CaseFile", case, "/actions/close"), json={"reason": "resolved"}
    )
    body = served.problem(hidden, 404)
    assert "Dupont" not in hidden.text
    assert body["detail"] == served.problem(
        served.client("ben").post(
            served.url("CaseFile", "csf_01JAAAAAAAAAAAAAAAAAAAAAAA", "/actions/close"),
            json={"reason": "resolved"},
        ),
        404,
    )["detail"].replace("csf_01JAAAAAAAAAAAAAAAAAAAAAAA", case)
    # rita may read every case file (Case Reader) but edit none
    with served.app.session("admin") as s:
        s.update(case, {"owner_id": served.ids["rita"]})
    refused = served.client("rita").post(
        served.url("CaseFile", case, "/actions/close"), json={"reason": "resolved"}
    )
    served.problem(refused, 403)


def test_a_read_only_token_may_run_an_action_that_writes_nothing_but_no_other(served):
    _case(served, "ana")
    reader = served.client("ana", scope="read")
    counts = reader.post(f"{API}/objects/CaseFile/actions/status_counts")
    assert counts.status_code == 200, counts.text
    assert counts.json()["result"] == {"Open": 1, "Waiting": 0, "Closed": 0}
    case = _case(served, "ana", "Martin")
    refused = reader.post(served.url("CaseFile", case, "/actions/close"), json={"reason": "resolved"})
    served.problem(refused, 403, "read-only")


def test_an_org_level_action_needs_its_system_permission(served):
    case = _case(served, "ana")
    served.client("ana").post(served.url("CaseFile", case, "/actions/close"), json={"reason": "resolved"})
    served.problem(served.client("ana").post(f"{API}/actions/apifix.purge_closed"), 403, "modify_all_data")
    purged = served.client("admin").post(f"{API}/actions/apifix.purge_closed")
    assert purged.status_code == 200, purged.text
    assert purged.json()["result"] == 1


def test_unknown_actions_name_the_closest_and_a_misplaced_one_names_its_url(served):
    case = _case(served, "ana")
    client = served.client("ana")
    body = served.problem(client.post(served.url("CaseFile", case, "/actions/clsoe")), 404, "'close'")
    assert body["errors"]
    served.problem(client.post(f"{API}/actions/apifix.purge"), 404, "apifix.purge_closed")
    served.problem(
        client.post(f"{API}/objects/CaseFile/actions/close"), 404, f"{API}/objects/CaseFile/records/"
    )
    served.problem(client.post(f"{API}/objects/CaseFiles/actions/close"), 404, "'CaseFile'")


def test_bad_bodies_are_problems(served):
    case = _case(served, "ana")
    client = served.client("ana")
    url = served.url("CaseFile", case, "/actions/close")
    served.problem(client.post(url, content=b"{nope", headers={"content-type": "application/json"}), 400)
    served.problem(client.post(url, content=b"reason=resolved", headers={"content-type": "text/plain"}), 415)
    served.problem(client.post(url, json=["resolved"]), 400)
    served.problem(client.post(url), 422, "reason")  # no body: the required option is missing


def test_actions_are_listed_per_object_described_and_in_the_openapi_document(served):
    client = served.client("ana")
    listed = client.get(f"{API}/objects/CaseFile/actions").json()["actions"]
    assert [a["key"] for a in listed] == ["CaseFile.close", "CaseFile.status_counts"]
    close = listed[0]
    assert (
        close["on_record"] and close["url"] == f"{API}/objects/CaseFile/records/{{record_id}}/actions/close"
    )
    assert close["input"]["properties"]["reason"]["enum"] == ["resolved", "moved away", "duplicate"]
    described = client.get(f"{API}/objects/CaseFile/describe").json()
    assert [a["name"] for a in described["actions"]] == ["close", "status_counts"]
    assert [a["key"] for a in client.get(f"{API}/actions").json()["actions"]] == ["apifix.purge_closed"]
    assert client.get(f"{API}/objects/Contact/actions").json() == {"actions": []}
    document = client.get(f"{API}/openapi.json").json()
    operation = document["paths"][f"{API}/objects/CaseFile/records/{{record_id}}/actions/close"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert schema["required"] == ["reason"] and schema["additionalProperties"] is False


def test_a_third_party_plugins_action_is_served_with_no_api_code(served):
    client = served.client("hal")
    with served.app.session("hal") as s:
        unit = s.create("HousingUnit", {"name": "Flat 3B"})["id"]
        tenant = s.create("Contact", {"last_name": "Okafor"})["id"]
    placed = client.post(served.url("HousingUnit", unit, "/actions/place"), json={"contact": tenant})
    assert placed.status_code == 200, placed.text
    assert placed.json()["result"]["tenant"] == tenant and placed.json()["result"]["status"] == "Occupied"
    again = client.post(served.url("HousingUnit", unit, "/actions/place"), json={"contact": tenant})
    served.problem(again, 422, "Occupied")
