"""The engagement plugin's actions through the REST API, as a script with a token runs them.

Every action: it does its job; a bad option is a 422 naming it; a user
without the plugin's permission sets is refused (403); a template in the
recycle bin is "not found" (404); a read-only token may run the actions that
change nothing (export, the level preview) and no other.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.testclient import TestClient

from missionbase.core.api.app import create_api
from missionbase.core.api.tokens import create_token
from missionbase.core.testing import add_users
from missionbase.plugins.npsp_engagement.actions import ACTIONS
from missionbase.plugins.npsp_engagement.template_io import export_template

API = "/api/v1"


@dataclass
class Case:
    """One action's checks; callables take the world (the ids the fixture made)."""

    key: str
    by: str  # the user it succeeds for
    ok: Any  # w -> input
    then: Any  # (w, result) -> None, asserting the effect
    bad: tuple[dict, str]  # input, and the field the 422 names
    record: Any = None  # w -> the record id, for a record action
    refused: str = "olga"  # a user the action refuses (403)
    hidden: tuple | None = None  # (user, w -> record id): 404


def action_path(key: str, record_id: str | None) -> str:
    action = next(a for a in ACTIONS if a.key == key)
    if action.object is None:
        return f"{API}/actions/{key}"
    if action.on_record:
        return f"{API}/objects/{action.object}/records/{record_id}/actions/{action.name}"
    return f"{API}/objects/{action.object}/actions/{action.name}"


def client(org, username: str, scope: str = "read_write") -> TestClient:
    with org.session(username) as s:
        secret, _ = create_token(s, f"{username}'s script", scope=scope)
    headers = {"Authorization": f"Bearer {secret}"}
    return TestClient(create_api(org), headers=headers, raise_server_exceptions=False)


def problem(response, status: int, *words: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert "Traceback" not in response.text
    for word in words:
        assert word in body["detail"], body["detail"]
    return body


@pytest.fixture
def world(org, ep):
    """Max's template "Follow-up" (Call, then Letter two days after it) and one in the recycle
    bin; Dina's contact; Max's contact Dina cannot see; a Major Donor level (1000 and up, applying
    the template) and an admin's donor who gave 1500. Olga has no engagement plan access."""
    add_users(org, {"olga": "Olga Outside"}, ("Standard User",))
    w = SimpleNamespace(org=org)
    with org.session("max") as s:
        template, _ = ep.template(
            s,
            "Follow-up",
            [{"subject": "Call", "days_after": 0}, {"subject": "Letter", "days_after": 2, "parent": "Call"}],
        )
        w.template = template["id"]
        w.document = export_template(s, w.template)
        w.gone = ep.template(s, "Old")[0]["id"]
        s.delete(w.gone)
        w.secret = s.create("Contact", {"last_name": "Secret"})["id"]
        s.create(
            "Level",
            {
                "name": "Major Donor",
                "target": "Contact",
                "source_field": "total_gifts",
                "level_field": "level",
                "minimum": 1000,
                "engagement_plan_template": w.template,
            },
        )
    with org.session("dina") as s:
        w.contact = s.create("Contact", {"last_name": "Figueroa"})["id"]
    with org.session("admin") as s:
        w.donor = s.create("Contact", {"last_name": "Leroy"})["id"]
        s.create("Donation", {"amount": 1500, "close_date": "2025-05-01", "contact": w.donor})
    return w


def _level_of(w) -> str | None:
    with w.org.session("admin") as s:
        return s.get(w.donor)["level"]


CASES = [
    Case(
        "EngagementPlanTemplate.create_with_steps",
        "max",
        ok=lambda w: {
            "name": "Thanks",
            "steps": [
                {"subject": "Call", "days_after": 0},
                {"subject": "Note", "days_after": 2, "parent": "Call"},
            ],
        },
        then=lambda w, r: (
            r["template"]["name"] == "Thanks"
            and [(t["subject"], t["days_after"]) for t in r["tasks"]] == [("Call", 0), ("Note", 2)]
            and r["tasks"][1]["parent"] == r["tasks"][0]["key"]
        ),
        bad=({"name": "Thanks", "reschedule_to": "Sunday"}, "reschedule_to"),
        refused="dina",
    ),
    Case(
        "EngagementPlanTemplate.import",
        "max",
        ok=lambda w: {"document": w.document, "name": "Copy"},
        then=lambda w, r: r["template"]["name"] == "Copy" and r["tasks"] == w.document["tasks"],
        bad=({"document": "Follow-up"}, "document"),
        refused="dina",
    ),
    Case(
        "EngagementPlanTemplate.export",
        "dina",
        record=lambda w: w.template,
        ok=lambda w: {},
        then=lambda w, r: r == w.document,
        bad=({"format": "xml"}, "format"),
        hidden=("dina", lambda w: w.gone),
    ),
    Case(
        "EngagementPlanTemplate.clone",
        "max",
        record=lambda w: w.template,
        ok=lambda w: {"name": "Follow-up 2"},
        then=lambda w, r: (
            r["id"] != w.template
            and r["template"]["name"] == "Follow-up 2"
            and [t["subject"] for t in r["tasks"]] == ["Call", "Letter"]
        ),
        bad=({"name": 5}, "name"),
        refused="dina",
        hidden=("max", lambda w: w.gone),
    ),
    Case(
        "EngagementPlanTemplate.apply",
        "dina",
        record=lambda w: w.template,
        ok=lambda w: {"targets": [w.contact]},
        then=lambda w, r: (
            [(p["target"], p["total_tasks"], p["status"]) for p in r] == [(w.contact, 2, "Not Started")]
        ),
        bad=({"targets": "con_01J0000000000000000000000"}, "targets"),
        hidden=("dina", lambda w: w.gone),
    ),
    Case(
        "npsp.assign_levels",
        "admin",
        ok=lambda w: {},
        then=lambda w, r: (
            [(m["record_id"], m["new_level"], m["plan_template"]) for m in r["moves"]]
            == [(w.donor, "Major Donor", "Follow-up")]
            and _level_of(w) is not None
        ),
        bad=({"dry_run": True}, "dry_run"),
    ),
    Case(
        "npsp.preview_levels",
        "admin",
        ok=lambda w: {},
        then=lambda w, r: (
            r["dry_run"] is True
            and [m["new_level"] for m in r["moves"]] == ["Major Donor"]
            and _level_of(w) is None
        ),
        bad=({"limit": 10}, "limit"),
    ),
]


def test_every_engagement_action_has_a_case():
    assert sorted(c.key for c in CASES) == sorted(a.key for a in ACTIONS)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.key)
def test_engagement_action_over_the_api(org, world, case):
    action = next(a for a in ACTIONS if a.key == case.key)
    record = case.record(world) if case.record else None
    path = action_path(case.key, record)
    good = case.ok(world)

    bad, field_name = case.bad
    body = problem(client(org, case.by).post(path, json=bad), 422, field_name)
    assert field_name in {e["field"] for e in body["errors"]}

    read_only = client(org, case.by, scope="read").post(path, json=good)
    if action.writes:
        problem(read_only, 403, "read-only")
    else:
        assert read_only.status_code == 200, read_only.text

    problem(client(org, case.refused).post(path, json=good), 403, case.refused)

    if case.hidden:
        user, hidden_record = case.hidden
        answer = client(org, user).post(action_path(case.key, hidden_record(world)), json=good)
        problem(answer, 404, "or you cannot see it")

    done = client(org, case.by).post(path, json=good)
    assert done.status_code == 200, done.text
    assert done.json()["action"] == case.key
    assert case.then(world, done.json()["result"]) is not False


def test_applying_to_a_record_one_cannot_see_names_it_and_creates_no_plan(org, world):
    path = action_path("EngagementPlanTemplate.apply", world.template)
    answer = client(org, "dina").post(path, json={"targets": [world.contact, world.secret]})
    body = problem(answer, 422, world.secret, "or you cannot see it")
    assert body["errors"][0]["field"] == "target"
    with org.session("admin") as s:
        assert s.query("EngagementPlan").records == []


def test_the_openapi_document_has_each_engagement_action_and_its_input(org):
    from missionbase.core.api.actions import input_component

    document = TestClient(create_api(org)).get(f"{API}/openapi.json").json()
    schemas = document["components"]["schemas"]
    for action in ACTIONS:
        operation = document["paths"][action_path(action.key, "{record_id}")]["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith(input_component(action))
        expected = set(action.input.model_fields) if action.input else set()
        assert set(schemas[input_component(action)].get("properties", {})) == expected, action.key


def test_actions_list_all_names_every_engagement_action(org, cli_for):
    run = cli_for(org)
    listed = run("actions", "list", "--all", "--json")
    assert listed.exit_code == 0, listed.err
    assert {a.key for a in ACTIONS} <= {a["key"] for a in listed.json()}
    table = run("actions", "list", "--all")
    assert "EngagementPlanTemplate.apply" in table.out and "npsp.assign_levels" in table.out
