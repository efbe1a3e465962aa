"""Discovery: what objects a caller may use, their fields, and the generated OpenAPI document."""

from __future__ import annotations


def test_objects_lists_what_the_caller_can_read_with_their_crud_flags(served):
    rita = {o["name"]: o for o in served.client("rita").get("/api/v1/objects").json()["objects"]}
    assert rita["CaseFile"] | {"links": None} == rita["CaseFile"] | {
        "create": False,
        "read": True,
        "update": False,
        "delete": False,
        "links": None,
    }
    assert "HousingUnit" not in rita and "Contact" not in rita
    ana = {o["name"]: o for o in served.client("ana").get("/api/v1/objects").json()["objects"]}
    assert all(ana["CaseFile"][flag] for flag in ("create", "read", "update", "delete"))
    assert ana["CaseFile"]["links"]["records"] == "/api/v1/objects/CaseFile/records"


def test_describe_gives_fields_with_the_callers_access_and_an_etag(served):
    rita = served.client("rita")
    response = rita.get("/api/v1/objects/CaseFile/describe")
    assert response.status_code == 200
    described = response.json()
    assert (described["create"], described["read"]) == (False, True)
    fields = {fld["name"]: fld for fld in described["fields"]}
    assert fields["name"] | {} == fields["name"] | {
        "label": "Name",
        "kind": "text",
        "required": True,
        "max_length": 40,
        "access": "read",
    }
    assert fields["status"]["values"] == ["Open", "Waiting", "Closed"]
    assert fields["contact"]["targets"] == ["Contact"]
    assert fields["code"]["unique"] is True
    assert "health_notes" not in fields
    etag = response.headers["etag"]
    again = rita.get("/api/v1/objects/CaseFile/describe", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    # Another caller's access differs, so does the tag.
    hal = served.client("hal").get("/api/v1/objects/CaseFile/describe")
    assert hal.headers["etag"] != etag
    assert {f["name"]: f for f in hal.json()["fields"]}["health_notes"]["access"] == "edit"
    housing = served.client("hal").get("/api/v1/objects/Contact/describe").json()
    assert {"object": "HousingUnit", "field": "tenant"} in housing["child_relationships"]
    served.problem(served.client("rita").get("/api/v1/objects/HousingUnit/describe"), 403, "HousingUnit")


def test_openapi_document_is_generated_from_the_registry(served):
    response = served.client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/objects/HousingUnit/records" in spec["paths"]
    assert "/api/v1/objects/CaseFile/records/{record_id}/undelete" in spec["paths"]
    schemas = spec["components"]["schemas"]
    assert schemas["HousingUnit"]["properties"]["status"]["enum"] == [
        "Available",
        "Occupied",
        "Maintenance",
        None,
    ]
    assert schemas["CaseFileCreate"]["required"] == ["name"]
    assert schemas["CaseFile"]["properties"]["name"]["maxLength"] == 40
    assert "Problem" in schemas and "HTTPBearer" in spec["components"]["securitySchemes"]
    create = spec["paths"]["/api/v1/objects/CaseFile/records"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/CaseFileCreate")
    assert {"201", "409", "415", "422"} <= set(create["responses"])
    docs = served.client().get("/api/docs")
    assert docs.status_code == 200 and "/api/v1/openapi.json" in docs.text


def test_me_names_the_user_their_permission_sets_and_the_tokens_scope(served):
    me = served.client("hal", scope="read").get("/api/v1/me").json()
    assert me["username"] == "hal" and me["time_zone"] == "UTC"
    assert set(me["permission_sets"]) == {"Standard User", "Case Worker", "Health Notes", "Housing: Manage"}
    assert me["token"]["scope"] == "read"
    assert served.client("admin").get("/api/v1/me").json()["system_permissions"]
