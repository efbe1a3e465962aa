"""An action that takes no input names each option it was given, as one with a model does."""

from __future__ import annotations

import types

import pytest
from starlette.testclient import TestClient

from missionbase.core import Action, hookimpl, run_action
from missionbase.core.actions import ActionInputError
from missionbase.core.api.app import create_api
from missionbase.core.api.tokens import create_token


def _plugin() -> types.ModuleType:
    plugin = types.ModuleType("no_input_fixture")

    @hookimpl
    def missionbase_register_actions(registry):
        registry.add(Action("noinput.ping", run=lambda session, data: "pong", permission=None, writes=False))

    plugin.missionbase_register_actions = missionbase_register_actions
    return plugin


PLUGIN = _plugin()


@pytest.fixture
def app(make_app):
    return make_app(plugins=["noinput"], extra_plugins={"noinput": PLUGIN})


def test_each_option_given_to_an_action_without_input_is_named(app):
    with app.session("admin") as s:
        assert run_action(s, "noinput.ping") == "pong"
        with pytest.raises(ActionInputError) as raised:
            run_action(s, "noinput.ping", {"loud": True, "times": 2})
    assert raised.value.problems == [
        ("loud", "unknown option: this action takes no input"),
        ("times", "unknown option: this action takes no input"),
    ]


def test_the_api_answers_422_with_the_option_as_the_field(app):
    with app.session("admin") as s:
        secret, _ = create_token(s, "script")
    client = TestClient(create_api(app), headers={"Authorization": f"Bearer {secret}"})
    answer = client.post("/api/v1/actions/noinput.ping", json={"loud": True})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "loud"
    assert "loud" in answer.json()["detail"] and "takes no input" in answer.json()["detail"]
    assert client.post("/api/v1/actions/noinput.ping").json() == {"action": "noinput.ping", "result": "pong"}
