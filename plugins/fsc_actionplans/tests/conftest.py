"""Fixtures for the action plans tests: an org with the plugin (and the third-party housing plugin)."""

from __future__ import annotations

import datetime as dt

import pytest

from missionbase.core.testing import add_users
from missionbase.plugins.fsc_actionplans import templates as tpl

PEOPLE = {
    # username: permission sets
    "manager": ["Standard User", "Action Plans: Manage Templates"],
    "advisor": ["Standard User", "Action Plans: Use"],
    "colleague": ["Standard User", "Action Plans: Use"],
    "reviewer": ["Standard User", "Action Plans: Review Documents"],
    "outsider": ["Read Only"],
}
MONDAY = dt.date(2027, 5, 3)


@pytest.fixture
def ap_app(make_app):
    app = make_app(plugins=["fsc_actionplans", "housing"])
    add_users(app, {username: {"permission_sets": sets} for username, sets in PEOPLE.items()})
    return app


@pytest.fixture
def users(ap_app):
    with ap_app.system_session() as s:
        return {u["username"]: u["id"] for u in s.query("User", fields=["username"]).records}


def make_template(session, unique_name="onboarding", target_type="Account", items=(), publish=True, **extra):
    """A template with items given as (name, kind, required, values); published unless told not to."""
    template = tpl.create_template(
        session,
        {
            "name": unique_name.replace("_", " ").title(),
            "unique_name": unique_name,
            "target_type": target_type,
            **extra,
        },
    )
    for name, kind, required, values in items:
        tpl.add_item(session, template, {"name": name, "kind": kind, "required": required}, values)
    if publish:
        tpl.set_version_status(session, template, "Published")
    return template


@pytest.fixture
def onboarding(ap_app, users):
    """A published Account template: two tasks (one required) and a required document."""
    with ap_app.session("manager") as s:
        doc_type = s.create("DocumentType", {"name": "Proof of address"})
        return make_template(
            s,
            items=[
                ("Welcome call", "task", True, {"due_offset": 1, "priority": "High"}),
                ("Proof of address", "document", True, {"due_offset": 5, "document_type": doc_type["id"]}),
                ("Follow-up", "task", False, {"due_offset": 10}),
            ],
            allow_adhoc_items=True,
        )
