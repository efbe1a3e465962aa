"""Fixtures of the engagement plugin's tests: an org with the plugin and the
third-party housing plugin, users, and a pinned "today"."""

from __future__ import annotations

import datetime as dt

import pytest

from missionbase.core.testing import add_users
from missionbase.plugins.npsp_engagement import schedule

PLUGINS = ["npsp_engagement", "housing"]
TUESDAY = dt.date(2026, 1, 6)


@pytest.fixture
def today(monkeypatch):
    """The plugin's clock, pinned to a Tuesday; ``today.set(date)`` moves it."""

    class Clock:
        value = TUESDAY

        def set(self, day: dt.date) -> None:
            self.value = day

    clock = Clock()
    monkeypatch.setattr(schedule, "today", lambda time_zone="UTC": clock.value)
    return clock


@pytest.fixture
def org(make_app, today):
    """Users: admin; 'dina' (New York) and 'ana' (Paris) with Engagement Plans: Use; 'max' with Manage."""
    app = make_app(plugins=PLUGINS)
    add_users(
        app,
        {
            "dina": {
                "time_zone": "America/New_York",
                "permission_sets": ["Standard User", "Engagement Plans: Use"],
            },
            "ana": {
                "time_zone": "Europe/Paris",
                "permission_sets": ["Standard User", "Engagement Plans: Use"],
            },
            "max": {
                "time_zone": "Europe/Paris",
                "permission_sets": ["Standard User", "Engagement Plans: Manage"],
            },
        },
    )
    return app


def user_id(session, username: str) -> str:
    return session.query("User", where={"username": username}, fields=["id"]).records[0]["id"]


def make_template(session, name="Follow-up", steps=(), **values) -> tuple[dict, dict[str, dict]]:
    """A template and its steps; each step may name its parent by subject (``"parent": "Call"``)."""
    template = session.create("EngagementPlanTemplate", {"name": name, **values})
    made: dict[str, dict] = {}
    for step in steps:
        step = dict(step)
        parent = step.pop("parent", None)
        made[step["subject"]] = session.create(
            "EngagementPlanTask",
            {"template": template["id"], "parent_task": made[parent]["id"] if parent else None, **step},
        )
    return template, made


def plan_tasks(session, plan_id: str) -> dict[str, dict]:
    """The plan's tasks by subject."""
    return {t["subject"]: t for t in session.query("Task", where={"engagement_plan": plan_id}).records}


@pytest.fixture
def ep():
    """Helpers: ``ep.template(s, ...)``, ``ep.tasks(s, plan_id)``, ``ep.user(s, name)``."""
    import types

    return types.SimpleNamespace(template=make_template, tasks=plan_tasks, user=user_id)
