"""An org served in-process: the housing example, a case-file object with a sensitive field,
users with narrow permission sets, and a client per API token."""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field
from starlette.testclient import TestClient

from missionbase.core import Action, ObjectType, PermissionSet, ValidationError, hookimpl
from missionbase.core import fields as f
from missionbase.core.api.app import create_api
from missionbase.core.api.tokens import create_token
from missionbase.core.security.sharing import assign_permission_set

API = "/api/v1"


def casefile_plugin() -> types.ModuleType:
    """CaseFile: private, history on status, a sensitive field, a unique code."""
    plugin = types.ModuleType("api_fixture_plugin")

    @hookimpl
    def missionbase_register_objects(registry):
        registry.add(
            ObjectType(
                "CaseFile",
                prefix="csf",
                sharing="private",
                history=["status"],
                fields=[
                    f.Text("name", max_length=40, required=True),
                    f.Picklist("status", ["Open", "Waiting", "Closed"], default="Open"),
                    f.Text("code", max_length=20, unique=True),
                    f.LongText("health_notes", sensitive=True),
                    f.Currency("budget"),
                    f.Lookup("contact", "Contact", on_delete="clear"),
                ],
            )
        )

    @hookimpl
    def missionbase_register_permission_sets(registry):
        registry.add(PermissionSet("Case Worker", objects={"CaseFile": "CRED", "Contact": "R"}))
        registry.add(PermissionSet("Case Reader", objects={"CaseFile": "R"}))
        registry.add(
            PermissionSet("Health Notes", objects={"CaseFile": "R"}, fields={"CaseFile.health_notes": "edit"})
        )

    @hookimpl
    def missionbase_register_actions(registry):
        for action in CASEFILE_ACTIONS:
            registry.add(action)

    plugin.missionbase_register_actions = missionbase_register_actions
    plugin.missionbase_register_objects = missionbase_register_objects
    plugin.missionbase_register_permission_sets = missionbase_register_permission_sets
    return plugin


class Closing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Literal["resolved", "moved away", "duplicate"]
    note: str = Field("", max_length=50)
    fail_after_writing: bool = False  # lets a test see that a failure writes nothing


def close_case(session, case_id: str, data: Closing) -> dict:
    closed = session.update(case_id, {"status": "Closed"})
    session.create("CaseFile", {"name": f"closing note: {data.reason} {data.note}".strip()})
    if data.fail_after_writing:
        raise ValidationError("refused after writing", object_name="CaseFile", field="fail_after_writing")
    return closed


def status_counts(session, data) -> dict:
    rows = session.query("CaseFile", fields=["status"], limit=1000).records
    return {status: sum(1 for r in rows if r["status"] == status) for status in ("Open", "Waiting", "Closed")}


def purge_closed(session, data) -> int:
    closed = session.query("CaseFile", where={"status": "Closed"}, fields=["id"], limit=1000).records
    session.delete_many([r["id"] for r in closed])
    return len(closed)


CASEFILE_ACTIONS = [
    Action("close", run=close_case, object="CaseFile", on_record=True, input=Closing, permission="edit"),
    Action("status_counts", run=status_counts, object="CaseFile", permission="read", writes=False),
    Action("apifix.purge_closed", run=purge_closed, permission="modify_all_data"),
]

USERS = {
    "ana": ["Standard User", "Case Worker"],
    "ben": ["Standard User", "Case Worker"],
    "hal": ["Standard User", "Case Worker", "Health Notes", "Housing: Manage"],
    "rita": ["Case Reader"],
}


@dataclass
class Served:
    """The org, its API, and helpers to call it as a user."""

    app: object
    api: object
    ids: dict[str, str] = field(default_factory=dict)

    def token(self, username: str, *, scope: str = "read_write", days: int | None = 90) -> str:
        with self.app.session(username) as s:
            secret, _ = create_token(s, f"{username}'s script", scope=scope, days=days)
        return secret

    def client(self, username: str | None = None, **token_options) -> TestClient:
        headers = {"Authorization": f"Bearer {self.token(username, **token_options)}"} if username else {}
        # raise_server_exceptions=False: a 500 is then a response the test can see and reject.
        return TestClient(self.api, headers=headers, raise_server_exceptions=False)

    @staticmethod
    def url(object_name: str, record_id: str | None = None, tail: str = "") -> str:
        url = f"{API}/objects/{object_name}/records"
        return (f"{url}/{record_id}" if record_id else url) + tail

    @staticmethod
    def problem(response, status: int, *words: str) -> dict:
        """Assert a problem+json answer with this status whose detail says these words."""
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert body["status"] == status and body["title"] and body["type"]
        assert "Traceback" not in response.text
        for word in words:
            assert word in body["detail"], body["detail"]
        return body


@pytest.fixture
def served(make_app) -> Served:
    app = make_app(plugins=["housing", "apifix"], extra_plugins={"apifix": casefile_plugin()})
    ids = {}
    with app.system_session() as s:
        for username, sets in USERS.items():
            user = s.create("User", {"username": username, "name": username.title()})
            for permset in sets:
                assign_permission_set(s, user["id"], permset)
            ids[username] = user["id"]
    return Served(app, create_api(app), ids)
