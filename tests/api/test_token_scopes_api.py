"""What a token can do: limited to some objects, read-only, expiring, revoked, managed over
the API by its owner, and ended with its user."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from missionbase.core.auth.tokens import create_token
from missionbase.core.errors import UnknownName

API = "/api/v1"


def client_with(served, username: str, **options) -> tuple[TestClient, str]:
    with served.app.session(username) as s:
        secret, row = create_token(s, "a script", **options)
    headers = {"Authorization": f"Bearer {secret}"}
    return TestClient(served.api, headers=headers, raise_server_exceptions=False), row["id"]


def test_a_token_limited_to_objects_is_refused_every_other_object(served):
    full = served.client("hal")
    contact = full.post(served.url("Contact"), json={"last_name": "Ortiz"}).json()
    scoped, _ = client_with(served, "hal", objects=["CaseFile"])
    case = scoped.post(served.url("CaseFile"), json={"name": "Rent arrears", "contact": contact["id"]})
    assert case.status_code == 201, case.text
    assert scoped.get(served.url("CaseFile", case.json()["id"])).status_code == 200
    served.problem(scoped.get(served.url("Contact")), 403, "CaseFile", "Contact")
    served.problem(scoped.get(served.url("Contact", contact["id"])), 403, "outside its scope")
    served.problem(scoped.post(served.url("Contact"), json={"last_name": "New"}), 403)
    served.problem(scoped.get(f"{API}/objects/Contact/describe"), 403)
    # nor through a lookup (its fields are hidden, as field-level security hides them), the
    # object list or search
    lookup = scoped.get(served.url("CaseFile"), params={"fields": "name,contact.last_name"})
    served.problem(lookup, 422, "last_name")
    assert [o["name"] for o in scoped.get(f"{API}/objects").json()["objects"]] == ["CaseFile"]
    found = scoped.get(f"{API}/search", params={"q": "Ortiz"})
    assert found.status_code == 200 and found.json()["results"] == []
    assert full.get(served.url("Contact", contact["id"])).status_code == 200
    me = scoped.get(f"{API}/me").json()
    assert me["username"] == "hal" and me["token"]["objects"] == ["CaseFile"]


def test_object_scope_names_are_checked(served):
    with (
        pytest.raises(UnknownName, match=r"'CaseFil'; did you mean 'CaseFile'"),
        served.app.session("ana") as s,
    ):
        create_token(s, "typo", objects=["CaseFil"])
    client = served.client("ana")
    served.problem(client.post(f"{API}/tokens", json={"name": "x", "objects": ["Nope"]}), 422, "Nope")
    served.problem(client.post(f"{API}/tokens", json={"name": "x", "objects": "CaseFile"}), 422, "list")


def test_a_scoped_or_read_only_token_cannot_mint_a_wider_one(served):
    scoped, _ = client_with(served, "ana", objects=["CaseFile"])
    served.problem(scoped.post(f"{API}/tokens", json={"name": "wider"}), 403, "limited to CaseFile")
    narrower = scoped.post(f"{API}/tokens", json={"name": "same", "objects": ["CaseFile"]})
    assert narrower.status_code == 201 and narrower.json()["objects"] == ["CaseFile"]
    reader, _ = client_with(served, "ana", scope="read")
    served.problem(reader.post(f"{API}/tokens", json={"name": "writer"}), 403, "read-only")


def test_tokens_expire_after_90_days_by_default(served, clock):
    client, _ = client_with(served, "ana")
    clock.shift(days=89)
    assert client.get(f"{API}/me").status_code == 200
    clock.shift(days=1, seconds=1)
    served.problem(client.get(f"{API}/me"), 401, "expired")
    served.problem(client.post(served.url("CaseFile"), json={"name": "late"}), 401, "expired")


def test_owners_list_create_and_revoke_their_tokens_over_the_api(served, clock):
    client = served.client("ana")
    created = client.post(f"{API}/tokens", json={"name": "spreadsheet", "scope": "read", "days": 7})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["token"].startswith("mb_") and created.headers["cache-control"] == "no-store"
    assert body["scope"] == "read" and body["objects"] is None and body["status"] == "active"
    sheet = TestClient(served.api, headers={"Authorization": f"Bearer {body['token']}"})
    clock.shift(minutes=5)
    assert sheet.get(served.url("CaseFile")).status_code == 200
    listed = {t["name"]: t for t in client.get(f"{API}/tokens").json()["tokens"]}
    assert set(listed) == {"ana's script", "spreadsheet"}
    assert listed["spreadsheet"]["last_used_at"] is not None and "token" not in listed["spreadsheet"]
    assert "secret_hash" not in repr(listed)
    assert client.delete(f"{API}/tokens/{body['id']}").status_code == 204
    served.problem(sheet.get(served.url("CaseFile")), 401, "revoked")
    assert {t["name"]: t["status"] for t in client.get(f"{API}/tokens").json()["tokens"]}[
        "spreadsheet"
    ] == "revoked"
    # someone else's token id is not found
    ben = served.client("ben")
    script_id = listed["ana's script"]["id"]
    served.problem(ben.delete(f"{API}/tokens/{script_id}"), 404)


def test_deactivating_a_user_revokes_their_tokens_for_good(served):
    ben, token_id = client_with(served, "ben")
    with served.app.system_session() as s:
        s.update(served.ids["ben"], {"is_active": False})
    served.problem(ben.get(f"{API}/me"), 401, "deactivated")
    with served.app.system_session() as s:
        s.update(served.ids["ben"], {"is_active": True})
    served.problem(ben.get(f"{API}/me"), 401, "revoked")
    admin = served.client("admin")
    events = admin.get(f"{API}/auth/audit", params={"user": "ben", "event": "token_revoked"}).json()["events"]
    assert [e["token_id"] for e in events] == [token_id] and "deactivated" in events[0]["detail"]


def test_a_scoped_tokens_exports_and_import_jobs_stay_within_its_objects(served):
    full = served.client("hal")
    assert full.post(served.url("Contact"), json={"last_name": "Ortiz"}).status_code == 201
    scoped, _ = client_with(served, "hal", objects=["CaseFile"])
    served.problem(scoped.get(f"{API}/objects/Contact/export"), 403, "outside its scope")
    assert scoped.get(f"{API}/objects/CaseFile/export").status_code == 200
    csv_file = {"content": b"name\nA\n", "headers": {"Content-Type": "text/csv"}}
    served.problem(scoped.post(f"{API}/objects/Contact/imports", **csv_file), 403, "outside its scope")
    # a contact named in a cell is found for the full token, not for the scoped one
    naming = {"content": b"name,contact\nRent,Ortiz\n", "headers": {"Content-Type": "text/csv"}}
    outcomes = {}
    for who, client in (("full", full), ("scoped", scoped)):
        job = client.post(f"{API}/objects/CaseFile/imports", **naming)
        assert job.status_code == 202, job.text
        outcomes[who] = client.get(f"{API}/jobs/{job.json()['id']}").json()["result"]["counts"]
    assert outcomes["full"]["created"] == 1
    assert outcomes["scoped"]["created"] == 0 and outcomes["scoped"]["rejected"] == 1
