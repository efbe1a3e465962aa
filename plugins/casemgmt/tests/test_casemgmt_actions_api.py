"""Case Management's actions through the REST API, as a script with a token meets them.

ana and sam are caseworkers who each see their own clients; viewer reads (Read Only)
and owns Vera's records, so ana cannot see those; outsider holds no permission set.
"""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from missionbase.core.api.app import create_api
from missionbase.core.api.tokens import create_token
from missionbase.core.testing import add_users

from .conftest import make_client

API = "/api/v1"
MISSING_CONTACT = "con_01J00000000000000000000000"


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
        return self.client(username, **options).post(url(key, record_id), json=body or {})


def problem(response, status: int, *words: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert "Traceback" not in response.text
    for word in words:
        assert word in body["detail"], body["detail"]
    return body


@pytest.fixture
def org(cm_app, users) -> Org:
    add_users(cm_app, {"outsider": {"permission_sets": []}})
    org = Org(cm_app)
    ids = org.ids
    with cm_app.system_session() as s:
        s.set_setting("casemgmt.client_id_generator", "casemgmt.format")
        goal = s.create("GoalTemplate", {"name": "Stable housing"})
        item = s.create("ActionItemTemplate", {"name": "Proof of income", "due_in_days": 7})
        s.create(
            "GoalActionItemTemplate",
            {"goal_template": goal["id"], "action_item_template": item["id"], "is_required": True},
        )
        kind = s.create("AssessmentType", {"name": "Job readiness"})
        s.create_many(
            "AssessmentQuestion",
            [{"assessment_type": kind["id"], "question": q, "max_score": 4} for q in ("CV", "Interview")],
        )
        s.create("AssessmentTier", {"assessment_type": kind["id"], "name": "Getting there", "min_total": 5})
        vera = make_client(s, "Vera", "Viewer", owner_id=users["viewer"])
        vera_note = s.create(
            "ClientNote", {"client": vera["id"], "subject": "Intake", "owner_id": users["viewer"]}
        )
        vera_plan = s.create("CasePlan", {"name": "Vera's plan", "contact": vera["id"]})
        ids.update(goal=goal["id"], kind=kind["id"], vera=vera["id"], vera_note=vera_note["id"])
        ids["vera_plan"] = vera_plan["id"]
    with cm_app.session("ana") as s:
        carol = make_client(s, "Carol", "Smith")
        note = s.create("ClientNote", {"client": carol["id"], "subject": "Phone call"})
        plan = s.create("CasePlan", {"name": "Carol's plan", "contact": carol["id"]})
        ids.update(carol=carol["id"], note=note["id"], plan=plan["id"])
    with cm_app.session("sam") as s:
        dora = make_client(s, "Dora", "Jones")
        ids.update(dora=dora["id"])
    return org


# -- each action does what its command does ------------------------------------------------------


def test_client_record_and_assessments_on_a_client(org):
    record = org.call("ana", "Contact.client_record", {"page": 1}, "carol")
    assert record.status_code == 200, record.text
    assert record.json()["action"] == "Contact.client_record"
    assert record.json()["result"]["card"]["name"] == "Carol Smith"
    answers = {"CV": 3, "Interview": 2}
    done = org.call(
        "ana", "Contact.record_assessment", {"assessment_type": org.ids["kind"], "answers": answers}, "carol"
    )
    assert done.status_code == 200, done.text
    assert done.json()["result"]["total_score"] == 5 and done.json()["result"]["tier"] == "Getting there"
    history = org.call("ana", "Contact.assessment_history", None, "carol").json()["result"]
    assert [row["total_score"] for row in history["Job readiness"]] == [5]


def test_client_ids_are_assigned_and_regenerated(org):
    with org.app.system_session() as s:  # a client loaded before the plugin numbered anything
        table = s.schema.table("Contact")
        s.conn.execute(table.update().where(table.c.id == org.ids["carol"]).values(client_id=None))
    first = org.call("ana", "Contact.assign_client_ids")
    assert first.status_code == 200, first.text
    assigned = first.json()["result"]
    assert [row["id"] for row in assigned] == [org.ids["carol"]] and assigned[0]["client_id"]
    again = org.call("ana", "Contact.assign_client_ids", {"contacts": [org.ids["carol"]], "regenerate": True})
    assert again.json()["result"][0]["client_id"] not in (None, assigned[0]["client_id"])


def test_case_notes_are_written_completed_and_listed(org):
    written = org.call(
        "ana",
        "Contact.write_note",
        {"subject": "Home visit", "interaction_date": "2026-03-02", "minutes_spent": 30},
        "carol",
    )
    assert written.status_code == 200, written.text
    note = written.json()["result"]
    assert note["status"] == "Draft" and note["interaction_date"] == "2026-03-02"
    completed = org.call("ana", "ClientNote.complete", None, note["id"]).json()["result"]
    assert completed["status"] == "Complete"
    mine = org.call("ana", "ClientNote.mine", {"status": "Complete"}).json()["result"]
    assert [n["subject"] for n in mine] == ["Home visit"]


def test_a_goal_is_added_from_a_template_and_the_plan_outlined(org):
    added = org.call("ana", "CasePlan.add_goal", {"goal_template": org.ids["goal"]}, "plan")
    assert added.status_code == 200, added.text
    assert [i["name"] for i in added.json()["result"]["action_items"]] == ["Proof of income"]
    outline = org.call("ana", "CasePlan.outline", None, "plan").json()["result"]
    assert [g["name"] for g in outline["goals"]] == ["Stable housing"]


def test_incidents_are_reported_and_listed_open(org):
    reported = org.call(
        "ana",
        "Incident.report",
        {
            "subject": "Fall",
            "incident_datetime": "2026-03-01T10:00",
            "severity": "High",
            "clients": [org.ids["carol"]],
        },
    )
    assert reported.status_code == 200, reported.text
    assert reported.json()["result"]["clients"] == [org.ids["carol"]]
    listed = org.call("ana", "Incident.list_open").json()["result"]
    assert [(i["subject"], i["severity"]) for i in listed] == [("Fall", "High")]


def test_home_follow_up_and_search_are_org_level(org):
    home = org.call("ana", "casemgmt.home", {"date": "2026-03-02"})
    assert home.status_code == 200, home.text
    assert home.json()["result"]["user"] == "ana" and home.json()["result"]["date"] == "2026-03-02"
    follow = org.call("ana", "casemgmt.follow_up", {"which": "no-service", "date": "2026-03-02"})
    assert follow.status_code == 200 and follow.json()["result"] == []  # no engagements yet
    found = org.call("ana", "casemgmt.search", {"text": "carol", "clients": True}).json()["result"]
    assert [r["id"] for r in found["Contact"]] == [org.ids["carol"]]


# -- bad input, permissions, hidden records, read-only tokens ------------------------------------------


@pytest.mark.parametrize(
    ("key", "record", "body", "field"),
    [
        ("Contact.client_record", "carol", {"page": 0}, "page"),
        ("Contact.assign_client_ids", None, {"regenerate": "perhaps"}, "regenerate"),
        ("Contact.write_note", "carol", {"content": "no subject"}, "subject"),
        ("Contact.record_assessment", "carol", {"answers": {"CV": 1}}, "assessment_type"),
        ("ClientNote.mine", None, {"status": "Done"}, "status"),
        ("CasePlan.add_goal", "plan", {"include_optional": True}, "goal_template"),
        ("Incident.report", None, {"subject": "x", "clients": []}, "incident_datetime"),
        ("casemgmt.home", None, {"date": "tomorrow"}, "date"),
        ("casemgmt.follow_up", None, {"which": "lost"}, "which"),
        ("casemgmt.search", None, {"limit": 3}, "text"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(org, key, record, body, field):
    answer = problem(org.call("ana", key, body, record), 422, field)
    assert [e["field"] for e in answer["errors"]] == [field]


@pytest.mark.parametrize(
    ("key", "record"),
    [
        ("Contact.assessment_history", "carol"),
        ("ClientNote.complete", "note"),
        ("CasePlan.outline", "plan"),
        ("Incident.list_open", None),
    ],
)
def test_an_action_without_input_names_the_option_it_was_given(org, key, record):
    answer = problem(org.call("ana", key, {"colour": "red"}, record), 422, "takes no input", "colour")
    assert len(answer["errors"]) == 1


@pytest.mark.parametrize(
    ("username", "key", "record", "body"),
    [
        ("outsider", "Contact.client_record", "vera", {}),
        ("viewer", "Contact.assign_client_ids", None, {}),
        ("viewer", "Contact.write_note", "vera", {"subject": "Visit"}),
        (
            "viewer",
            "Contact.record_assessment",
            "vera",
            {"assessment_type": "kind", "answers": {"CV": 1, "Interview": 1}},
        ),
        ("outsider", "Contact.assessment_history", "vera", None),
        ("viewer", "ClientNote.complete", "vera_note", None),
        ("outsider", "ClientNote.mine", None, {}),
        ("viewer", "CasePlan.add_goal", "vera_plan", {"goal_template": "goal"}),
        ("outsider", "CasePlan.outline", "vera_plan", None),
        (
            "viewer",
            "Incident.report",
            None,
            {"subject": "x", "incident_datetime": "2026-03-01T10:00", "clients": []},
        ),
        ("outsider", "Incident.list_open", None, None),
    ],
)
def test_a_caller_without_the_permission_is_refused(org, username, key, record, body):
    body = {k: org.ids.get(v, v) if isinstance(v, str) else v for k, v in (body or {}).items()}
    problem(org.call(username, key, body, record), 403, username)
    with org.app.system_session() as s:
        assert s.count("Assessment") == 0 and s.count("CaseGoal") == 0 and s.count("Incident") == 0
        assert s.get(org.ids["vera_note"])["status"] == "Draft"


@pytest.mark.parametrize(
    ("key", "record", "body"),
    [
        ("Contact.client_record", "vera", {}),
        ("Contact.write_note", "dora", {"subject": "Visit"}),
        ("Contact.record_assessment", "dora", {"assessment_type": "kind", "answers": {"CV": 1}}),
        ("Contact.assessment_history", "vera", None),
        ("ClientNote.complete", "vera_note", None),
        ("CasePlan.add_goal", "vera_plan", {"goal_template": "goal"}),
        ("CasePlan.outline", "vera_plan", None),
    ],
)
def test_a_record_the_caller_cannot_see_is_not_found(org, key, record, body):
    body = {k: org.ids.get(v, v) if isinstance(v, str) else v for k, v in (body or {}).items()}
    hidden = problem(org.call("ana", key, body, record), 404)
    assert hidden["title"] == "Not found"
    missing_id = org.ids[record][:4] + "01J00000000000000000000000"
    missing = problem(org.call("ana", key, body, missing_id), 404)
    assert hidden["detail"].replace(org.ids[record], "ID") == missing["detail"].replace(missing_id, "ID")


def test_hidden_clients_named_in_an_input_read_as_missing_ones(org):
    """Object actions take record ids in their input: a hidden one answers like one that does not exist."""
    problem(
        org.call("ana", "Contact.assign_client_ids", {"contacts": [org.ids["dora"]]}), 404, org.ids["dora"]
    )
    base = {"subject": "x", "incident_datetime": "2026-03-01T10:00"}
    hidden = problem(org.call("ana", "Incident.report", {**base, "clients": [org.ids["dora"]]}), 422)
    missing = problem(org.call("ana", "Incident.report", {**base, "clients": [MISSING_CONTACT]}), 422)
    assert hidden["detail"].replace(org.ids["dora"], "ID") == missing["detail"].replace(MISSING_CONTACT, "ID")


@pytest.mark.parametrize(
    ("key", "record", "body"),
    [
        ("Contact.assign_client_ids", None, {}),
        ("Contact.write_note", "carol", {"subject": "Visit"}),
        (
            "Contact.record_assessment",
            "carol",
            {"assessment_type": "kind", "answers": {"CV": 3, "Interview": 2}},
        ),
        ("ClientNote.complete", "note", None),
        ("CasePlan.add_goal", "plan", {"goal_template": "goal"}),
        (
            "Incident.report",
            None,
            {"subject": "x", "incident_datetime": "2026-03-01T10:00", "clients": ["carol"]},
        ),
    ],
)
def test_a_read_only_token_cannot_run_a_writing_action(org, key, record, body):
    def resolved(value):
        if isinstance(value, list):
            return [org.ids.get(v, v) for v in value]
        return org.ids.get(value, value) if isinstance(value, str) else value

    body = {k: resolved(v) for k, v in (body or {}).items()}
    problem(org.call("ana", key, body, record, scope="read"), 403, "read-only")
    with org.app.system_session() as s:
        assert s.count("ClientNote") == 2 and s.count("Assessment") == 0 and s.count("Incident") == 0
        assert s.get(org.ids["note"])["status"] == "Draft" and s.count("CaseGoal") == 0


def test_a_read_only_token_runs_the_reading_actions(org):
    for key, record in (
        ("Contact.client_record", "carol"),
        ("CasePlan.outline", "plan"),
        ("casemgmt.home", None),
    ):
        assert org.call("ana", key, None, record, scope="read").status_code == 200


# -- listed and described --------------------------------------------------------------------------


ACTION_KEYS = {
    "Contact.client_record",
    "Contact.assign_client_ids",
    "Contact.write_note",
    "Contact.record_assessment",
    "Contact.assessment_history",
    "ClientNote.complete",
    "ClientNote.mine",
    "CasePlan.add_goal",
    "CasePlan.outline",
    "Incident.report",
    "Incident.list_open",
    "casemgmt.home",
    "casemgmt.follow_up",
    "casemgmt.search",
}


def test_the_cli_lists_every_casemgmt_action(cm_app, cli, in_org):
    listed = cli("actions", "list", "--all", "--json")
    assert listed.exit_code == 0, listed.err
    mine = {a["key"] for a in listed.json() if a["plugin"] == "casemgmt"}
    assert mine == ACTION_KEYS


def test_the_openapi_document_carries_each_action_and_its_input(org):
    document = org.client("ana").get(f"{API}/openapi.json").json()
    schemas = document["components"]["schemas"]
    for key in ACTION_KEYS:
        action = org.app.registry.actions[key]
        path = url(key, "{record_id}" if action.on_record else None)
        operation = document["paths"][path]["post"]
        reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        schema = schemas[reference.rsplit("/", 1)[-1]]
        expected = set(action.input.model_fields) if action.input else set()
        assert set(schema["properties"]) == expected, key
    assert schemas["Contact_WriteNoteInput"]["required"] == ["subject"]


def test_listing_an_objects_actions_shows_the_clients_ones(org):
    listed = org.client("ana").get(f"{API}/objects/Contact/actions").json()["actions"]
    assert {a["key"] for a in listed} == {k for k in ACTION_KEYS if k.startswith("Contact.")}
    assert {a["key"] for a in listed if not a["writes"]} == {
        "Contact.client_record",
        "Contact.assessment_history",
    }
