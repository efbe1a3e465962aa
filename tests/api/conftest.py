"""An org served in-process: the housing example, a case-file object with a sensitive field,
users with narrow permission sets, and a client per API token."""

from __future__ import annotations

import types
from dataclasses import dataclass, field

import pytest
from starlette.testclient import TestClient

from missionbase.core import ObjectType, PermissionSet, hookimpl
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

    plugin.missionbase_register_objects = missionbase_register_objects
    plugin.missionbase_register_permission_sets = missionbase_register_permission_sets
    return plugin


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
