"""Related lists, upsert by a unique field, global search, and one's own tokens through the API."""

from __future__ import annotations


def test_related_lists_a_records_children_with_paging_and_hides_unreadable_parents(served):
    hal, ana = served.client("hal"), served.client("ana")
    contact = hal.post(served.url("Contact"), json={"last_name": "Moreau"}).json()
    for n in range(3):
        assert (
            hal.post(served.url("CaseFile"), json={"name": f"C{n}", "contact": contact["id"]}).status_code
            == 201
        )
    hal.post(served.url("CaseFile"), json={"name": "unrelated"})
    url = served.url("Contact", contact["id"], "/related/CaseFile")
    first = hal.get(url, params={"limit": 2, "order_by": "name"})
    assert first.status_code == 200
    assert [r["name"] for r in first.json()["records"]] == ["C0", "C1"] and 'rel="next"' in first.headers[
        "link"
    ]
    rest = hal.get(first.json()["next"]).json()
    assert [r["name"] for r in rest["records"]] == ["C2"] and rest["next"] is None
    assert hal.get(url, params={"where": "name = C1", "count": "true"}).json()["count"] == 1
    # HousingUnit.tenant also points at Contact: each child says which lookup it uses
    assert hal.get(served.url("Contact", contact["id"], "/related/HousingUnit")).json()["records"] == []
    served.problem(hal.get(served.url("Contact", contact["id"], "/related/Task")), 422, "several")
    served.problem(hal.get(served.url("Contact", contact["id"], "/related/Nope")), 404, "unknown object")
    # ana cannot see hal's contact: its related lists are as hidden as the record
    served.problem(ana.get(url), 404, "not found")


def test_upsert_by_a_unique_field_creates_then_updates(served):
    ana = served.client("ana")
    url = served.url("CaseFile") + "/by/code/EXT-7"
    created = ana.put(url, json={"name": "From the form"})
    assert created.status_code == 201 and created.json()["code"] == "EXT-7"
    assert created.headers["location"] == served.url("CaseFile", created.json()["id"])
    updated = ana.put(url, json={"status": "Waiting"}, headers={"If-Match": '"1"'})
    assert updated.status_code == 200 and updated.json()["id"] == created.json()["id"]
    assert updated.json()["status"] == "Waiting" and updated.json()["version"] == 2
    served.problem(ana.put(url, json={"status": "Closed"}, headers={"If-Match": '"1"'}), 412)
    served.problem(ana.put(served.url("CaseFile") + "/by/name/x", json={}), 422, "unique field", "code")
    served.problem(ana.put(url, json={"code": "EXT-8"}), 422, "differs from the value in the URL")
    served.problem(ana.put(url, content=b"{", headers={"Content-Type": "application/json"}), 400)
    assert ana.get(served.url("CaseFile"), params={"count": "true", "where": ""}).json()["count"] == 1
    # an object without a unique field has no upsert route
    served.problem(served.client("hal").put(served.url("HousingUnit") + "/by/name/x", json={}), 404)


def test_search_finds_only_what_the_caller_can_read(served):
    ana, ben = served.client("ana"), served.client("ben")
    ana.post(served.url("CaseFile"), json={"name": "Lefebvre family"})
    ben.post(served.url("CaseFile"), json={"name": "Lefebvre, private"})
    found = ana.get("/api/v1/search", params={"q": "lefeb"}).json()["results"]
    assert [(r["object"], r["name"]) for r in found] == [("CaseFile", "Lefebvre family")]
    served.problem(ana.get("/api/v1/search", params={"q": "l"}), 422, "at least 2 characters")
    served.problem(ana.get("/api/v1/search", params={"q": "le", "object": "Nope"}), 422, "unknown object")


def test_own_tokens_through_the_api(served):
    ana = served.client("ana")
    made = ana.post("/api/v1/tokens", json={"name": "form", "scope": "read", "days": 7})
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    secret = made.json()["token"]
    reader = served.client()
    reader.headers["Authorization"] = f"Bearer {secret}"
    assert reader.get("/api/v1/me").json()["token"]["scope"] == "read"
    listed = ana.get("/api/v1/tokens").json()["tokens"]
    assert {t["name"] for t in listed} == {"ana's script", "form"}
    assert secret not in str(listed) and all("secret_hash" not in t for t in listed)
    served.problem(reader.post("/api/v1/tokens", json={"name": "stronger"}), 403, "read-only")
    served.problem(ana.post("/api/v1/tokens", json={"name": "x", "days": 0}), 422, "1 to 3650 days")
    served.problem(ana.post("/api/v1/tokens", json={"name": "x", "admin": True}), 422, "admin")
    ben_token = served.client("ben").get("/api/v1/tokens").json()["tokens"][0]
    served.problem(ana.delete(f"/api/v1/tokens/{ben_token['id']}"), 404)
    assert ana.delete(f"/api/v1/tokens/{made.json()['id']}").status_code == 204
    served.problem(reader.get("/api/v1/me"), 401, "revoked")
