"""Action plans' actions through the REST API, as a script with a token meets them.

manager keeps the templates, advisor and colleague each work their own plans (private:
neither sees the other's), reviewer reviews documents shared with them, outsider reads
only the core records (Read Only).
"""

from __future__ import annotations

import base64

import pytest
from starlette.testclient import TestClient

from missionbase.core import resolve_grantee, share_record, store_file
from missionbase.core.api.app import create_api
from missionbase.core.api.tokens import create_token
from missionbase.plugins.fsc_actionplans.plans import create_plans

from .conftest import MONDAY

API = "/api/v1"


def url(key: str, record_id: str | None = None) -> str:
    """The route of an action: on a record, on an object, or org-level (``namespace.name``)."""
    owner, name = key.split(".")
    if owner[0].islower():
        return f"{API}/actions/{key}"
    if record_id is not None:
        return f"{API}/objects/{owner}/records/{record_id}/actions/{name}"
    return f"{API}/objects/{owner}/actions/{name}"


class Org:
    def __init__(self, app):
        self.app = app
        self.api = create_api(app)
        self.ids: dict[str, str] = {}

    def client(self, username: str, scope: str = "read_write") -> TestClient:
        with self.app.session(username) as s:
            secret, _ = create_token(s, f"{username}'s script", scope=scope)
        return TestClient(
            self.api, headers={"Authorization": f"Bearer {secret}"}, raise_server_exceptions=False
        )

    def call(self, username: str, key: str, body: dict | None = None, record: str | None = None, **options):
        record_id = self.ids.get(record, record) if record else None
        body = {k: self.resolved(v) for k, v in (body or {}).items()}
        return self.client(username, **options).post(url(key, record_id), json=body)

    def resolved(self, value):
        """Names of the fixture's records (in the body) become their ids."""
        if isinstance(value, list):
            return [self.resolved(v) for v in value]
        return self.ids.get(value, value) if isinstance(value, str) else value

    def result(self, *args, **options):
        response = self.call(*args, **options)
        assert response.status_code == 200, response.text
        return response.json()["result"]


def problem(response, status: int, *words: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert "Traceback" not in response.text
    for word in words:
        assert word in body["detail"], body["detail"]
    return body


def _plan_for(app, username: str, account_name: str) -> dict:
    with app.session(username) as s:
        account = s.create("Account", {"name": account_name})
        [plan] = create_plans(s, "onboarding", [account["id"]], start_date=MONDAY)
        items = {i["name"]: i for i in s.query("ActionPlanItem", where={"plan": plan["id"]}).records}
    return {"account": account["id"], "plan": plan["id"], "document": items["Proof of address"]["document"]}


@pytest.fixture
def org(ap_app, onboarding) -> Org:
    org = Org(ap_app)
    mine, theirs = _plan_for(ap_app, "advisor", "Acme"), _plan_for(ap_app, "colleague", "Globex")
    with ap_app.session("advisor") as s:
        share_record(s, mine["document"], resolve_grantee(s, "user", "reviewer"), "edit")
        org.ids["account2"] = s.create("Account", {"name": "Initech"})["id"]
    org.ids.update(
        template=onboarding["id"],
        **mine,
        **{f"their_{name}": value for name, value in theirs.items()},
    )
    return org


def _counts(app) -> dict[str, int]:
    with app.system_session() as s:
        names = ("ActionPlanTemplate", "ActionPlanTemplateVersion", "ActionPlanTemplateItem", "ActionPlan")
        counts = {name: s.count(name) for name in (*names, "Holiday", "File")}
        counts["statuses"] = tuple(
            sorted((v["version_number"], v["status"]) for v in s.query("ActionPlanTemplateVersion").records)
        )
        counts["plan states"] = tuple(sorted(p["state"] for p in s.query("ActionPlan").records))
        counts["documents"] = tuple(sorted(d["status"] for d in s.query("DocumentChecklistItem").records))
    return counts


# -- each action does what its command does ------------------------------------------------------


def test_a_template_is_created_filled_published_versioned_exported_and_imported(org):
    created = org.result(
        "manager",
        "ActionPlanTemplate.create_with_draft",
        {"name": "Move in", "unique_name": "move_in", "target_type": "Account"},
    )
    assert created["unique_name"] == "move_in" and created["draft_version"] == 1
    item = org.result(
        "manager",
        "ActionPlanTemplate.add_item",
        {"name": "Inspect", "required": True, "due_offset": 2},
        created["id"],
    )
    assert item["kind"] == "Task" and item["required"] is True
    published = org.result("manager", "ActionPlanTemplate.publish", None, created["id"])
    assert [(v["name"], v["status"]) for v in published] == [("Move in v1", "Published")]
    draft = org.result("manager", "ActionPlanTemplate.new_version", None, created["id"])
    assert draft["version_number"] == 2 and draft["status"] == "Draft"
    retired = org.result("manager", "ActionPlanTemplate.obsolete", {"version": 2}, created["id"])
    assert [(v["version_number"], v["status"]) for v in retired] == [(2, "Obsolete")]
    exported = org.result("manager", "ActionPlanTemplate.export", {"version": 1}, created["id"])
    assert [i["name"] for i in exported["items"]] == ["Inspect"] and exported["items"][0]["values"] == {
        "due_offset": "2"
    }
    exported["template"]["unique_name"] = "move_in_copy"
    imported = org.result("manager", "ActionPlanTemplate.import_template", exported)
    assert imported["name"] == "Move in v1" and imported["status"] == "Draft"
    listed = org.result("manager", "ActionPlanTemplate.list_with_versions")
    assert {(t["unique_name"], t["versions"]) for t in listed} >= {
        ("move_in", "v1 Published, v2 Obsolete"),
        ("move_in_copy", "v1 Draft"),
    }


def test_plans_are_checked_by_a_dry_run_then_created_shown_and_canceled(org):
    before = _counts(org.app)
    request = {"template": "onboarding", "targets": ["account2"], "start_date": "2027-05-03", "dry_run": True}
    preview = org.result("advisor", "ActionPlan.create_from_template", request)
    assert preview["version"] == "Onboarding v1"
    assert preview["plans"] == [{"target": org.ids["account2"], "name": "Onboarding - Initech"}]
    assert [(i["name"], i["due_date"]) for i in preview["items"]] == [
        ("Welcome call", "2027-05-04"),
        ("Proof of address", "2027-05-08"),
        ("Follow-up", "2027-05-13"),
    ]
    assert _counts(org.app) == before  # a dry run writes nothing
    done = org.result("advisor", "ActionPlan.create_from_template", {**request, "dry_run": False})
    [plan] = done["plans"]
    assert plan["target"] == org.ids["account2"] and plan["state"] == "Not Started"
    shown = org.result("advisor", "ActionPlan.show", None, plan["id"])
    assert shown["progress"]["required_total"] == 2 and len(shown["items"]) == 3
    canceled = org.result("advisor", "ActionPlan.cancel", None, plan["id"])
    assert canceled["state"] == "Canceled"


def test_a_document_is_attached_rejected_attached_again_and_accepted(org):
    content = base64.b64encode(b"%PDF-1.4 bill").decode()
    attached = org.result(
        "advisor", "DocumentChecklistItem.attach", {"content": content, "name": "bill.pdf"}, "document"
    )
    assert attached["status"] == "Pending Review" and attached["received_file"].startswith("fil_")
    rejected = org.result("reviewer", "DocumentChecklistItem.reject", {"comment": "Too old"}, "document")
    assert rejected["status"] == "Rejected" and rejected["review_comment"] == "Too old"
    with org.app.session("advisor") as s:
        stored = store_file(s, b"%PDF-1.4 new bill", name="bill2.pdf")
    again = org.result("advisor", "DocumentChecklistItem.attach", {"file": stored["id"]}, "document")
    assert again["status"] == "Pending Review" and again["received_file"] == stored["id"]
    accepted = org.result("reviewer", "DocumentChecklistItem.accept", None, "document")
    assert accepted["status"] == "Accepted" and accepted["is_frozen"] is True


def test_public_holidays_are_loaded_and_the_progress_report_runs(org):
    loaded = org.result("admin", "Holiday.load_public_holidays", {"country": "FR", "year": 2027})
    assert "2027-07-14" in {h["date"] for h in loaded}
    assert org.result("admin", "Holiday.load_public_holidays", {"country": "FR", "year": 2027}) == []
    report = org.result("advisor", "actionplans.progress", {"by": "target_type"})
    assert [(r["target_type"], r["plans"]) for r in report] == [("Account", 1)]  # advisor's own plan
    rows = org.result("manager", "actionplans.progress", {"plans": True, "template": "onboarding"})
    assert len(rows) == 2  # the manager sees every plan


# -- bad input, permissions, hidden records, read-only tokens ------------------------------------------


@pytest.mark.parametrize(
    ("key", "record", "body", "field"),
    [
        (
            "ActionPlanTemplate.create_with_draft",
            None,
            {"name": "X", "target_type": "Account"},
            "unique_name",
        ),
        ("ActionPlanTemplate.import_template", None, {"items": "none"}, "items"),
        ("ActionPlanTemplate.add_item", "template", {"kind": "task"}, "name"),
        ("ActionPlanTemplate.publish", "template", {"version": "latest"}, "version"),
        ("ActionPlanTemplate.obsolete", "template", {"version": "latest"}, "version"),
        ("ActionPlanTemplate.export", "template", {"version": "first"}, "version"),
        ("ActionPlan.create_from_template", None, {"template": "onboarding"}, "targets"),
        ("DocumentChecklistItem.attach", "document", {"content": "@@@", "name": "a.pdf"}, "content"),
        ("DocumentChecklistItem.accept", "document", {"comment": 5}, "comment"),
        ("DocumentChecklistItem.reject", "document", {"comment": ["why"]}, "comment"),
        ("Holiday.load_public_holidays", None, {"country": "FR"}, "year"),
        ("actionplans.progress", None, {"plans": "maybe"}, "plans"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(org, key, record, body, field):
    before = _counts(org.app)
    answer = problem(org.call("admin", key, body, record), 422, field)
    assert [e["field"] for e in answer["errors"]] == [field]
    assert _counts(org.app) == before


@pytest.mark.parametrize(
    ("key", "record"),
    [
        ("ActionPlanTemplate.list_with_versions", None),
        ("ActionPlanTemplate.new_version", "template"),
        ("ActionPlan.show", "plan"),
        ("ActionPlan.cancel", "plan"),
    ],
)
def test_an_action_without_input_names_the_option_it_was_given(org, key, record):
    problem(org.call("advisor", key, {"colour": "red"}, record), 422, "takes no input", "colour")


def test_an_attachment_needs_exactly_one_source(org):
    both = problem(org.call("advisor", "DocumentChecklistItem.attach", {}, "document"), 422, "either file")
    assert both["errors"][0]["message"].endswith(
        "give either file (a stored File id) or content (base64) with name"
    )


@pytest.mark.parametrize(
    ("username", "key", "record", "body"),
    [
        (
            "advisor",
            "ActionPlanTemplate.create_with_draft",
            None,
            {"name": "X", "unique_name": "x", "target_type": "Account"},
        ),
        ("outsider", "ActionPlanTemplate.list_with_versions", None, None),
        (
            "advisor",
            "ActionPlanTemplate.import_template",
            None,
            {"format": "missionbase.actionplans.template/1"},
        ),
        ("advisor", "ActionPlanTemplate.add_item", "template", {"name": "Sneaky"}),
        ("advisor", "ActionPlanTemplate.publish", "template", None),
        ("advisor", "ActionPlanTemplate.obsolete", "template", None),
        ("advisor", "ActionPlanTemplate.new_version", "template", None),
        ("outsider", "ActionPlanTemplate.export", "template", None),
        (
            "manager",
            "ActionPlan.create_from_template",
            None,
            {"template": "onboarding", "targets": ["account2"]},
        ),
        ("outsider", "ActionPlan.show", "plan", None),
        ("manager", "ActionPlan.cancel", "plan", None),
        ("manager", "DocumentChecklistItem.attach", "document", {"content": "eA==", "name": "x.pdf"}),
        ("advisor", "DocumentChecklistItem.accept", "document", None),
        ("manager", "DocumentChecklistItem.reject", "document", {"comment": "no"}),
        ("advisor", "Holiday.load_public_holidays", None, {"country": "FR", "year": 2027}),
    ],
)
def test_a_caller_without_the_permission_is_refused(org, username, key, record, body):
    if key == "DocumentChecklistItem.accept":  # a document awaiting review, which advisor may not review
        org.result(
            "advisor", "DocumentChecklistItem.attach", {"content": "eA==", "name": "x.pdf"}, "document"
        )
    before = _counts(org.app)
    problem(org.call(username, key, body, record), 403, username)
    assert _counts(org.app) == before


@pytest.mark.parametrize(
    ("key", "record", "body"),
    [
        ("ActionPlan.show", "their_plan", None),
        ("ActionPlan.cancel", "their_plan", None),
        ("DocumentChecklistItem.attach", "their_document", {"content": "eA==", "name": "x.pdf"}),
        ("DocumentChecklistItem.accept", "their_document", None),
        ("DocumentChecklistItem.reject", "their_document", {"comment": "no"}),
    ],
)
def test_a_record_the_caller_cannot_see_is_not_found(org, key, record, body):
    before = _counts(org.app)
    username = "reviewer" if key.endswith(("accept", "reject")) else "advisor"
    hidden = problem(org.call(username, key, body, record), 404)
    missing_id = org.ids[record][:4] + "01J00000000000000000000000"
    missing = problem(org.call(username, key, body, missing_id), 404)
    assert hidden["detail"].replace(org.ids[record], "ID") == missing["detail"].replace(missing_id, "ID")
    assert _counts(org.app) == before


@pytest.mark.parametrize(
    "key",
    ["ActionPlanTemplate.add_item", "ActionPlanTemplate.publish", "ActionPlanTemplate.export"],
)
def test_templates_are_public_so_only_a_missing_one_is_not_found(org, key):
    body = {"name": "A"} if key.endswith("add_item") else None
    problem(org.call("manager", key, body, "apt_01J00000000000000000000000"), 404, "apt_01J")


def test_a_hidden_target_reads_as_a_missing_one(org):
    """An object action takes record ids in its input: a hidden one answers like one that does not exist."""
    missing_account = "acc_01J00000000000000000000000"
    hidden, missing = (
        problem(
            org.call(
                "advisor", "ActionPlan.create_from_template", {"template": "onboarding", "targets": [target]}
            ),
            422,
        )
        for target in (org.ids["their_account"], missing_account)
    )
    assert hidden["detail"].replace(org.ids["their_account"], "ID") == missing["detail"].replace(
        missing_account, "ID"
    )


@pytest.mark.parametrize(
    ("username", "key", "record", "body"),
    [
        (
            "manager",
            "ActionPlanTemplate.create_with_draft",
            None,
            {"name": "X", "unique_name": "x", "target_type": "Account"},
        ),
        ("manager", "ActionPlanTemplate.add_item", "template", {"name": "More"}),
        ("manager", "ActionPlanTemplate.new_version", "template", None),
        ("manager", "ActionPlanTemplate.obsolete", "template", None),
        (
            "advisor",
            "ActionPlan.create_from_template",
            None,
            {"template": "onboarding", "targets": ["account2"]},
        ),
        ("advisor", "ActionPlan.cancel", "plan", None),
        ("advisor", "DocumentChecklistItem.attach", "document", {"content": "eA==", "name": "x.pdf"}),
        ("admin", "Holiday.load_public_holidays", None, {"country": "FR", "year": 2027}),
    ],
)
def test_a_read_only_token_cannot_run_a_writing_action(org, username, key, record, body):
    before = _counts(org.app)
    problem(org.call(username, key, body, record, scope="read"), 403, "read-only")
    assert _counts(org.app) == before


def test_a_read_only_token_runs_the_reading_actions(org):
    read_only = {"scope": "read"}
    assert org.call("advisor", "ActionPlan.show", None, "plan", **read_only).status_code == 200
    assert org.call("manager", "ActionPlanTemplate.export", None, "template", **read_only).status_code == 200
    assert org.call("advisor", "actionplans.progress", None, **read_only).status_code == 200
    assert org.call("advisor", "ActionPlanTemplate.list_with_versions", None, **read_only).status_code == 200


# -- listed and described --------------------------------------------------------------------------


ACTION_KEYS = {
    "ActionPlanTemplate.create_with_draft",
    "ActionPlanTemplate.list_with_versions",
    "ActionPlanTemplate.import_template",
    "ActionPlanTemplate.add_item",
    "ActionPlanTemplate.publish",
    "ActionPlanTemplate.obsolete",
    "ActionPlanTemplate.new_version",
    "ActionPlanTemplate.export",
    "ActionPlan.create_from_template",
    "ActionPlan.show",
    "ActionPlan.cancel",
    "DocumentChecklistItem.attach",
    "DocumentChecklistItem.accept",
    "DocumentChecklistItem.reject",
    "Holiday.load_public_holidays",
    "actionplans.progress",
}


def test_the_cli_lists_every_action_plans_action(tmp_path, monkeypatch, cli, database_url):
    monkeypatch.chdir(tmp_path)
    for name in ("MISSIONBASE_DATABASE_URL", "MISSIONBASE_PLUGINS", "MISSIONBASE_USER"):
        monkeypatch.delenv(name, raising=False)
    assert cli("init", "--database-url", database_url, "--plugins", "fsc_actionplans").exit_code == 0
    listed = cli("actions", "list", "--all", "--json")
    assert listed.exit_code == 0, listed.err
    assert {a["key"] for a in listed.json() if a["plugin"] == "fsc_actionplans"} == ACTION_KEYS
    on_plans = cli("actions", "list", "ActionPlan", "--json").json()
    create = next(a for a in on_plans if a["name"] == "create_from_template")
    assert "dry_run" in create["input"]["properties"] and create["long"] is True


def test_the_openapi_document_carries_each_action_and_its_input(org):
    document = org.client("advisor").get(f"{API}/openapi.json").json()
    schemas = document["components"]["schemas"]
    for key in ACTION_KEYS:
        action = org.app.registry.actions[key]
        operation = document["paths"][url(key, "{record_id}" if action.on_record else None)]["post"]
        reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        schema = schemas[reference.rsplit("/", 1)[-1]]
        assert set(schema["properties"]) == (set(action.input.model_fields) if action.input else set()), key
    attach = schemas["DocumentChecklistItem_AttachInput"]["properties"]["content"]
    assert attach["contentEncoding"] == "base64"


def test_an_object_lists_its_actions_with_what_they_write(org):
    listed = org.client("advisor").get(f"{API}/objects/ActionPlan/actions").json()["actions"]
    assert {(a["name"], a["writes"]) for a in listed} == {
        ("create_from_template", True),
        ("show", False),
        ("cancel", True),
    }
