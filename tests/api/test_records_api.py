"""Records through the API as their users would notice: CRUD, queries, paging, security."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit


def test_create_read_update_delete_undelete_and_history(served):
    ana = served.client("ana")
    created = ana.post(served.url("CaseFile"), json={"name": "Dupont", "budget": "120.50"})
    assert created.status_code == 201
    record = created.json()
    assert created.headers["location"] == served.url("CaseFile", record["id"])
    assert created.headers["etag"] == '"1"'
    assert record["status"] == "Open" and record["owner_id"] == served.ids["ana"]

    read = ana.get(created.headers["location"])
    assert read.status_code == 200 and read.json()["name"] == "Dupont"
    assert read.json()["budget"] == "120.50"
    assert ana.get(created.headers["location"], headers={"If-None-Match": '"1"'}).status_code == 304

    changed = ana.patch(served.url("CaseFile", record["id"]), json={"status": "Waiting"})
    assert changed.status_code == 200
    assert changed.json()["status"] == "Waiting" and changed.headers["etag"] == '"2"'

    history = ana.get(served.url("CaseFile", record["id"], "/history")).json()["history"]
    assert [(h["field"], h["old_value"], h["new_value"]) for h in history] == [("status", "Open", "Waiting")]

    assert ana.delete(served.url("CaseFile", record["id"])).status_code == 204
    served.problem(ana.get(served.url("CaseFile", record["id"])), 404, "not found")
    restored = ana.post(served.url("CaseFile", record["id"], "/undelete"))
    assert restored.status_code == 200 and restored.json()["name"] == "Dupont"
    assert ana.get(served.url("CaseFile", record["id"])).status_code == 200


def test_stale_version_is_412_whether_given_by_if_match_or_in_the_body(served):
    ana = served.client("ana")
    record = ana.post(served.url("CaseFile"), json={"name": "Martin"}).json()
    url = served.url("CaseFile", record["id"])
    assert ana.patch(url, json={"status": "Waiting"}, headers={"If-Match": '"1"'}).status_code == 200
    served.problem(
        ana.patch(url, json={"status": "Closed"}, headers={"If-Match": '"1"'}),
        412,
        "changed by someone else",
        "you had version 1, it is now 2",
    )
    served.problem(ana.patch(url, json={"status": "Closed", "version": 1}), 412, "it is now 2")
    assert ana.get(url).json()["status"] == "Waiting"  # nothing written
    # Without If-Match (and no version in the body) the change applies, as on the CLI.
    assert ana.patch(url, json={"status": "Closed"}).json()["version"] == 3


def test_query_uses_the_cli_filter_language_and_pages_with_a_keyset_cursor(served):
    ana = served.client("ana")
    names = [f"Case {n:02d}" for n in range(7)]
    for i, name in enumerate(names):
        ana.post(served.url("CaseFile"), json={"name": name, "status": "Closed" if i % 2 else "Open"})

    seen, url, pages = [], served.url("CaseFile") + "?order_by=name&limit=3&fields=name,status", 0
    while url:
        response = ana.get(url)
        assert response.status_code == 200
        page = response.json()
        seen += [r["name"] for r in page["records"]]
        assert all(set(r) == {"id", "name", "status"} for r in page["records"])
        if page["next"]:
            assert response.headers["link"] == f'<{page["next"]}>; rel="next"'
            query = parse_qs(urlsplit(page["next"]).query)
            assert query["cursor"] == [page["next_cursor"]] and query["limit"] == ["3"]
        else:
            assert "link" not in response.headers
        url, pages = page["next"], pages + 1
    assert seen == names and pages == 3

    open_ones = ana.get(served.url("CaseFile"), params={"where": "status = Open", "count": "true"}).json()
    assert open_ones["count"] == 4 and {r["status"] for r in open_ones["records"]} == {"Open"}
    both = ana.get(
        served.url("CaseFile"),
        params=[("where", "status in Open,Closed"), ("where", "name startswith Case 0")],
    ).json()
    assert len(both["records"]) == 7 and "count" not in both
    newest_first = ana.get(served.url("CaseFile"), params={"order_by": "-name", "limit": 1}).json()
    assert newest_first["records"][0]["name"] == "Case 06"


def test_bad_query_parameters_are_422_with_the_cli_message(served):
    ana = served.client("ana")
    served.problem(ana.get(served.url("CaseFile"), params={"limit": 1001}), 422, "limit")
    served.problem(ana.get(served.url("CaseFile"), params={"limit": 0}), 422, "limit")
    served.problem(ana.get(served.url("CaseFile"), params={"cursor": "nonsense!"}), 422, "cursor")
    served.problem(ana.get(served.url("CaseFile"), params={"where": "status"}), 422, "is not understood")
    body = served.problem(ana.get(served.url("CaseFile"), params={"where": "stauts = Open"}), 422, "stauts")
    assert "status" in body["detail"]  # the closest name, as the CLI suggests it
    served.problem(ana.get(served.url("CaseFile"), params={"order_by": "nope"}), 422, "nope")


def test_field_level_security_hides_a_field_from_reads_describe_and_filters_and_refuses_writes(served):
    hal, ana = served.client("hal"), served.client("ana")
    record = hal.post(served.url("CaseFile"), json={"name": "Secret", "health_notes": "asthma"}).json()
    assert record["health_notes"] == "asthma"
    # hal shares nothing with ana; ana creates her own to read
    mine = ana.post(served.url("CaseFile"), json={"name": "Mine"})
    assert mine.status_code == 201 and "health_notes" not in mine.json()
    assert "health_notes" not in ana.get(served.url("CaseFile", mine.json()["id"])).json()
    assert all("health_notes" not in r for r in ana.get(served.url("CaseFile")).json()["records"])
    described = ana.get("/api/v1/objects/CaseFile/describe").json()
    assert "health_notes" not in [fld["name"] for fld in described["fields"]]
    assert "health_notes" in [
        fld["name"] for fld in hal.get("/api/v1/objects/CaseFile/describe").json()["fields"]
    ]

    served.problem(ana.get(served.url("CaseFile"), params={"where": "health_notes contains asthma"}), 422)
    served.problem(ana.get(served.url("CaseFile"), params={"fields": "name,health_notes"}), 422)
    served.problem(
        ana.post(served.url("CaseFile"), json={"name": "X", "health_notes": "flu"}), 403, "health_notes"
    )
    served.problem(
        ana.patch(served.url("CaseFile", mine.json()["id"]), json={"health_notes": "flu"}),
        403,
        "health_notes",
    )
    names = {r["name"] for r in ana.get(served.url("CaseFile")).json()["records"]}
    assert names == {"Mine"}  # the refused create wrote nothing


def test_another_users_private_record_is_404_never_403(served):
    ben, ana = served.client("ben"), served.client("ana")
    private = ben.post(served.url("CaseFile"), json={"name": "Ben's"}).json()
    url = served.url("CaseFile", private["id"])
    for response in (
        ana.get(url),
        ana.patch(url, json={"status": "Closed"}),
        ana.delete(url),
        ana.get(url + "/history"),
    ):
        served.problem(response, 404, private["id"], "not found (or you cannot see it)")
    assert ana.get(served.url("CaseFile")).json()["records"] == []
    assert ben.get(url).json()["status"] == "Open"  # nothing changed


def test_an_id_of_another_object_or_no_id_at_all_is_404(served):
    ana = served.client("ana")
    case = ana.post(served.url("CaseFile"), json={"name": "A"}).json()
    served.problem(ana.get(served.url("Contact", case["id"])), 404, "not found")
    served.problem(ana.get(served.url("CaseFile", "not-an-id")), 404, "not found")


def test_a_third_party_plugins_object_is_served_with_no_api_code(served):
    hal = served.client("hal")
    created = hal.post(served.url("HousingUnit"), json={"name": "Flat 2", "status": "Available"})
    assert created.status_code == 201
    listed = hal.get(served.url("HousingUnit"), params={"where": "status = Available"}).json()
    assert [r["name"] for r in listed["records"]] == ["Flat 2"]
    described = hal.get("/api/v1/objects/HousingUnit/describe").json()
    status = next(fld for fld in described["fields"] if fld["name"] == "status")
    assert status["values"] == ["Available", "Occupied", "Maintenance"]
    tenant = next(fld for fld in described["fields"] if fld["name"] == "tenant")
    assert tenant["targets"] == ["Contact"]
    served.problem(
        hal.post(served.url("HousingUnit"), json={"name": "Flat 3", "status": "Sold"}), 422, "Sold"
    )
    # ana has no housing permission set: the CLI's refusal, as 403
    served.problem(
        served.client("ana").get(served.url("HousingUnit")), 403, "no Read permission on HousingUnit"
    )
