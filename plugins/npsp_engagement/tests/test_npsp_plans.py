"""Engagement plans: applying templates, due dates, owners, dependencies, counts, lifecycle."""

from __future__ import annotations

import datetime as dt
import types

import pytest

from missionbase.core import (
    AccessDenied,
    ObjectType,
    PermissionSet,
    ValidationError,
    assign_permission_set,
    hookimpl,
)
from missionbase.core import fields as f

UTC = dt.UTC
T = dt.date(2026, 1, 6)  # the pinned "today", a Tuesday


def day(n: int) -> dt.date:
    return T + dt.timedelta(days=n)


# -- applying a template ------------------------------------------------------------------
def test_ep1_dependent_plan_copies_fields_dates_reminders_and_owners(org, ep):
    """A (3 days, dina, reminder 660, blank priority) -> B (10 days, Low, unassigned)."""
    with org.session("admin") as s:
        dina = ep.user(s, "dina")
        template, _ = ep.template(
            s,
            steps=[
                {
                    "subject": "A",
                    "days_after": 3,
                    "assigned_to": dina,
                    "reminder": True,
                    "reminder_time": 660,
                    "send_email": True,
                    "type": "Call",
                    "comments": "Say thanks",
                },
                {"subject": "B", "days_after": 10, "priority": "Low", "parent": "A"},
            ],
        )
        contact = s.create("Contact", {"last_name": "Diallo"})
        plan = s.create("EngagementPlan", {"template": template["id"], "target": contact["id"]})
        tasks = ep.tasks(s, plan["id"])
        admin = s.user.id
    assert set(tasks) == {"A", "B"}
    a, b = tasks["A"], tasks["B"]
    assert (a["who"], a["what"], b["who"]) == (contact["id"], None, contact["id"])
    assert a["due_date"] == day(3) and a["priority"] == "Normal" and a["owner_id"] == dina
    assert (a["type"], a["description"], a["status"]) == ("Call", "Say thanks", "Not Started")
    # Midnight of the due date in dina's zone (New York, UTC-5 in January) + 660 minutes.
    assert a["is_reminder_set"] and a["reminder_at"] == dt.datetime(2026, 1, 9, 16, 0, tzinfo=UTC)
    assert b["due_date"] == day(13) and b["priority"] == "Low" and b["owner_id"] == admin
    assert (
        b["status"] == "Waiting on Dependent Task" and not b["is_reminder_set"] and b["reminder_at"] is None
    )
    assert (plan["name"], plan["total_tasks"], plan["completed_tasks"], plan["status"]) == (
        "EP-0001",
        2,
        0,
        "Not Started",
    )


@pytest.mark.parametrize(
    ("reschedule_to", "expected"), [("Monday", dt.date(2026, 1, 12)), ("Friday", dt.date(2026, 1, 9))]
)
def test_ep2_weekend_due_dates_move_and_reminder_follows(org, ep, reschedule_to, expected):
    with org.session("ana") as s:
        template, _ = ep.template(
            s.as_system(),
            steps=[{"subject": "Call", "days_after": 4, "reminder": True, "reminder_time": 660}],
            reschedule_to=reschedule_to,
        )
        contact = s.create("Contact", {"last_name": "Petit"})
        plan = s.create("EngagementPlan", {"template": template["id"], "target": contact["id"]})
        task = ep.tasks(s, plan["id"])["Call"]
    assert day(4).weekday() == 5  # a Saturday
    assert task["due_date"] == expected
    # ana is in Paris (UTC+1): 11:00 local is 10:00 UTC, on the moved date.
    assert task["reminder_at"] == dt.datetime.combine(expected, dt.time(10, 0), tzinfo=UTC)


def test_weekends_kept_when_the_template_does_not_skip_them(org, ep):
    with org.session("admin") as s:
        template, _ = ep.template(s, steps=[{"subject": "Call", "days_after": 4}], skip_weekends=False)
        contact = s.create("Contact", {"last_name": "Petit"})
        plan = s.create("EngagementPlan", {"template": template["id"], "target": contact["id"]})
        assert ep.tasks(s, plan["id"])["Call"]["due_date"] == day(4)


def test_blank_reminder_time_means_noon_in_the_owners_zone(org, ep):
    with org.session("admin") as s:
        dina = ep.user(s, "dina")
        template, _ = ep.template(
            s, steps=[{"subject": "Call", "days_after": 1, "reminder": True, "assigned_to": dina}]
        )
        contact = s.create("Contact", {"last_name": "Petit"})
        plan = s.create("EngagementPlan", {"template": template["id"], "target": contact["id"]})
        task = ep.tasks(s, plan["id"])["Call"]
    assert task["reminder_at"] == dt.datetime(2026, 1, 7, 17, 0, tzinfo=UTC)  # 12:00 in New York


def test_ep3_owner_of_target_gets_the_task_and_accounts_go_to_what(org, ep):
    with org.session("admin") as s:
        dina = ep.user(s, "dina")
        template, _ = ep.template(
            s, steps=[{"subject": "Visit"}], default_assignee="Owner of the target record"
        )
        account = s.create("Account", {"name": "Lyon Foundation", "owner_id": dina})
        plan = s.create("EngagementPlan", {"template": template["id"], "target": account["id"]})
        task = ep.tasks(s, plan["id"])["Visit"]
    assert (task["owner_id"], task["what"], task["who"]) == (dina, account["id"], None)
    assert plan["target_type"] == "Account"


def test_third_party_target_type_receives_plans(org, ep):
    """HousingUnit is registered by the housing plugin: no change to this plugin needed."""
    with org.session("admin") as s:
        ana = ep.user(s, "ana")
        template, _ = ep.template(
            s,
            steps=[{"subject": "Inspect the flat", "days_after": 1}],
            default_assignee="Owner of the target record",
        )
        unit = s.create("HousingUnit", {"name": "Flat 2B", "owner_id": ana})
        plan = s.create("EngagementPlan", {"template": template["id"], "target": unit["id"]})
        task = ep.tasks(s, plan["id"])["Inspect the flat"]
    assert org.registry.target_types["HousingUnit"] == "housing"
    assert (plan["target_type"], task["what"], task["owner_id"], task["due_date"]) == (
        "HousingUnit",
        unit["id"],
        ana,
        day(1),
    )


def test_queue_owned_target_gives_a_queue_owned_task_when_the_queue_takes_tasks(org, ep):
    with org.session("admin") as s:
        takes_tasks = s.create("Queue", {"name": "Intake", "objects": "Account, Task"})
        accounts_only = s.create("Queue", {"name": "Accounts", "objects": "Account"})
        template, _ = ep.template(
            s, steps=[{"subject": "Triage"}], default_assignee="Owner of the target record"
        )
        first = s.create("Account", {"name": "A", "owner_id": takes_tasks["id"]})
        second = s.create("Account", {"name": "B", "owner_id": accounts_only["id"]})
        plans = s.create_many(
            "EngagementPlan", [{"template": template["id"], "target": a["id"]} for a in (first, second)]
        )
        owners = [ep.tasks(s, p["id"])["Triage"]["owner_id"] for p in plans]
        assert owners == [takes_tasks["id"], s.user.id]


def visits_plugin() -> types.ModuleType:
    """A Visit controlled by its Contact, registered as a plan target."""
    plugin = types.ModuleType("visits_fixture_plugin")

    @hookimpl
    def missionbase_register_objects(registry):
        registry.add(
            ObjectType(
                "Visit",
                prefix="vis",
                sharing="controlled_by_parent",
                parent_field="contact",
                fields=[
                    f.Text("name", max_length=80, required=True),
                    f.Lookup("contact", "Contact", required=True, on_delete="cascade"),
                ],
            )
        )

    @hookimpl
    def missionbase_register_target_types(registry):
        registry.add_target("Visit")

    plugin.missionbase_register_objects = missionbase_register_objects
    plugin.missionbase_register_target_types = missionbase_register_target_types
    return plugin


def test_target_without_an_owner_of_its_own_follows_its_parent(make_app, today, ep):
    app = make_app(plugins=["npsp_engagement", "visits"], extra_plugins={"visits": visits_plugin()})
    with app.session("admin") as s:
        owner = s.create("User", {"username": "olga", "name": "Olga"})
        contact = s.create("Contact", {"last_name": "Nguyen", "owner_id": owner["id"]})
        visit = s.create("Visit", {"name": "Home visit", "contact": contact["id"]})
        template, _ = ep.template(
            s, steps=[{"subject": "Report"}], default_assignee="Owner of the target record"
        )
        plan = s.create("EngagementPlan", {"template": template["id"], "target": visit["id"]})
        task = ep.tasks(s, plan["id"])["Report"]
    assert (task["owner_id"], task["what"]) == (owner["id"], visit["id"])


# -- targets --------------------------------------------------------------------------------
def test_ep4_a_plan_needs_a_target(org, ep):
    with org.session("admin") as s:
        template, _ = ep.template(s, steps=[{"subject": "Call"}])
        with pytest.raises(ValidationError, match=r"target.*exactly one target"):
            s.create("EngagementPlan", {"template": template["id"]})
        assert s.count("EngagementPlan") == 0 and s.count("Task") == 0


def test_ep5_two_targets_are_rejected(org, ep):
    with org.session("admin") as s:
        template, _ = ep.template(s, steps=[{"subject": "Call"}])
        a = s.create("Contact", {"last_name": "A"})
        b = s.create("Account", {"name": "B"})
        for value in (f"{a['id']},{b['id']}", [a["id"], b["id"]]):
            with pytest.raises(ValidationError, match="'target'"):
                s.create("EngagementPlan", {"template": template["id"], "target": value})
        assert s.count("EngagementPlan") == 0


def test_only_registered_target_types_can_receive_plans(org, ep):
    with org.session("admin") as s:
        template, _ = ep.template(s, steps=[{"subject": "Call"}])
        role = s.create("Role", {"name": "Fundraiser"})
        with pytest.raises(ValidationError, match=r"Role record; plans can target .*Contact.*HousingUnit"):
            s.create("EngagementPlan", {"template": template["id"], "target": role["id"]})


def test_ep6_a_plans_target_cannot_change_or_be_cleared(org, ep):
    with org.session("admin") as s:
        template, _ = ep.template(s, steps=[{"subject": "Call"}])
        first = s.create("Account", {"name": "A"})
        second = s.create("Account", {"name": "B"})
        plan = s.create("EngagementPlan", {"template": template["id"], "target": first["id"]})
        for value in (second["id"], None):
            with pytest.raises(
                ValidationError, match=r"'target': cannot change.*create a new engagement plan"
            ):
                s.update(plan["id"], {"target": value})
        assert s.get(plan["id"])["target"] == first["id"]


def test_applying_needs_sight_of_the_target(org, ep):
    with org.session("admin") as s:
        template, _ = ep.template(s, steps=[{"subject": "Call"}])
        hidden = s.create("Contact", {"last_name": "Private"})  # owned by admin; Contacts are private
    with (
        org.session("ana") as s,
        pytest.raises(ValidationError, match=r"does not exist .or you cannot see it"),
    ):
        s.create("EngagementPlan", {"template": template["id"], "target": hidden["id"]})


def narrow_permset_plugin() -> types.ModuleType:
    plugin = types.ModuleType("narrow_permset_fixture_plugin")

    @hookimpl
    def missionbase_register_permission_sets(registry):
        registry.add(
            PermissionSet(
                "Plans without tasks",
                objects={
                    "EngagementPlan": "CRE",
                    "EngagementPlanTemplate": "R",
                    "EngagementPlanTask": "R",
                    "Contact": "R",
                    "User": "R",
                },
            )
        )

    plugin.missionbase_register_permission_sets = missionbase_register_permission_sets
    return plugin


def test_task_creation_failure_rolls_back_the_plan(make_app, today, ep):
    app = make_app(plugins=["npsp_engagement", "narrow"], extra_plugins={"narrow": narrow_permset_plugin()})
    with app.session("admin") as s:
        template, _ = ep.template(s, steps=[{"subject": "Call"}])
        clerk = s.create("User", {"username": "clerk", "name": "Clerk"})
        assign_permission_set(s, clerk["id"], "Plans without tasks")
        contact = s.create("Contact", {"last_name": "A", "owner_id": clerk["id"]})
    with app.session("clerk") as s, pytest.raises(AccessDenied, match="no Create permission on Task"):
        s.create("EngagementPlan", {"template": template["id"], "target": contact["id"]})
    with app.system_session() as s:
        assert s.count("EngagementPlan") == 0 and s.count("Task") == 0


# -- bulk ----------------------------------------------------------------------------------------
def test_plans_created_together_get_the_same_due_dates_as_one_by_one(org, ep):
    """Upstream's bulk bug added the ancestors' days again for each later plan; not here."""
    with org.session("admin") as s:
        template, _ = ep.template(
            s,
            steps=[
                {"subject": "Parent", "days_after": 3},
                {"subject": "Child", "days_after": 10, "parent": "Parent"},
            ],
            skip_weekends=False,
        )
        contacts = s.create_many("Contact", [{"last_name": f"C{i}"} for i in range(4)])
        together = s.create_many(
            "EngagementPlan", [{"template": template["id"], "target": c["id"]} for c in contacts[:3]]
        )
        alone = s.create("EngagementPlan", {"template": template["id"], "target": contacts[3]["id"]})
        child_dates = [ep.tasks(s, p["id"])["Child"]["due_date"] for p in [*together, alone]]
    assert child_dates == [day(13)] * 4


# -- dependent activation ------------------------------------------------------------------------
def ep7_template(s, ep, **values):
    return ep.template(
        s,
        steps=[
            {"subject": "Call", "days_after": 0, "reminder": True},
            {"subject": "Email", "days_after": 1, "parent": "Call", "reminder": True},
            {"subject": "Meeting", "days_after": 2, "parent": "Call", "reminder": True},
            {"subject": "Other", "days_after": 2, "parent": "Email"},
        ],
        skip_weekends=False,
        **values,
    )


def test_ep7_closing_a_task_activates_children_and_redates_grandchildren(org, ep, today):
    with org.session("admin") as s:
        template, steps = ep7_template(s, ep)
        contact = s.create("Contact", {"last_name": "Moreau"})
        plan = s.create("EngagementPlan", {"template": template["id"], "target": contact["id"]})
        tasks = ep.tasks(s, plan["id"])
        assert {k: t["due_date"] for k, t in tasks.items()} == {
            "Call": day(0),
            "Email": day(1),
            "Meeting": day(2),
            "Other": day(3),
        }
        assert [k for k, t in sorted(tasks.items()) if t["is_reminder_set"]] == ["Call"]
        s.update(steps["Other"]["id"], {"days_after": 3})  # a template edit after the plan exists
        assert ep.tasks(s, plan["id"])["Other"]["due_date"] == day(3)  # existing tasks unchanged
        today.set(day(1))
        s.update(tasks["Call"]["id"], {"status": "Completed"})
        tasks = ep.tasks(s, plan["id"])
    assert (tasks["Email"]["status"], tasks["Email"]["due_date"]) == ("Not Started", day(2))
    assert (tasks["Meeting"]["status"], tasks["Meeting"]["due_date"]) == ("Not Started", day(3))
    assert tasks["Email"]["is_reminder_set"] and tasks["Meeting"]["is_reminder_set"]
    assert tasks["Email"]["reminder_at"] == dt.datetime.combine(day(2), dt.time(12), tzinfo=UTC)
    # Deeper: today + Email's 1 + Other's new 3 days, still waiting, no reminder.
    assert (tasks["Other"]["status"], tasks["Other"]["due_date"]) == ("Waiting on Dependent Task", day(5))
    assert not tasks["Other"]["is_reminder_set"]


def test_ep8_without_auto_update_children_keep_their_dates_but_get_reminders(org, ep, today):
    with org.session("admin") as s:
        template, steps = ep.template(
            s,
            steps=[
                {"subject": "Parent", "days_after": 0},
                {
                    "subject": "Child",
                    "days_after": 1,
                    "parent": "Parent",
                    "reminder": True,
                    "status": "In Progress",
                },
            ],
            skip_weekends=False,
            auto_update_due_dates=False,
        )
        contact = s.create("Contact", {"last_name": "Moreau"})
        plan = s.create("EngagementPlan", {"template": template["id"], "target": contact["id"]})
        s.update(steps["Child"]["id"], {"days_after": 3})
        today.set(day(2))
        s.update(ep.tasks(s, plan["id"])["Parent"]["id"], {"status": "Completed"})
        child = ep.tasks(s, plan["id"])["Child"]
    assert (child["due_date"], child["status"]) == (day(1), "In Progress")
    assert child["is_reminder_set"] and child["reminder_at"] == dt.datetime.combine(
        day(1), dt.time(12), tzinfo=UTC
    )


def test_a_colleague_closing_a_task_activates_tasks_they_cannot_see(org, ep):
    with org.session("admin") as s:
        ana, dina = ep.user(s, "ana"), ep.user(s, "dina")
        template, _ = ep.template(
            s,
            steps=[
                {"subject": "First", "assigned_to": ana},
                {"subject": "Second", "parent": "First", "assigned_to": dina},
            ],
            skip_weekends=False,
        )
        contact = s.create("Contact", {"last_name": "Moreau", "owner_id": ana})
        plan = s.create("EngagementPlan", {"template": template["id"], "target": contact["id"]})
        first = ep.tasks(s, plan["id"])["First"]
    with org.session("ana") as s:
        assert s.count("Task", {"subject": "Second"}) == 0
        s.update(first["id"], {"status": "Completed"})
    with org.session("admin") as s:
        assert ep.tasks(s, plan["id"])["Second"]["status"] == "Not Started"
        assert s.get(plan["id"])["completed_tasks"] == 1


# -- counts and status ----------------------------------------------------------------------------------
def test_ep9_counts_and_status_follow_the_tasks(org, ep):
    with org.session("admin") as s:
        template, _ = ep.template(s, steps=[{"subject": f"Step {i}"} for i in range(10)])
        one, _ = ep.template(s, name="One", steps=[{"subject": "Only"}])
        contacts = s.create_many("Contact", [{"last_name": "A"}, {"last_name": "B"}])
        plan = s.create("EngagementPlan", {"template": template["id"], "target": contacts[0]["id"]})
        other = s.create("EngagementPlan", {"template": one["id"], "target": contacts[1]["id"]})
        assert (other["total_tasks"], other["completed_tasks"]) == (1, 0)
        tasks = sorted(ep.tasks(s, plan["id"]).values(), key=lambda t: t["subject"])
        s.update_many([{"id": t["id"], "status": "Completed"} for t in tasks[:5]])
        got = s.get(plan["id"])
        assert (got["total_tasks"], got["completed_tasks"], got["status"]) == (10, 5, "In Progress")
        assert s.get(other["id"])["completed_tasks"] == 0  # plans keep separate counts
        s.delete(tasks[0]["id"])  # a closed one
        got = s.get(plan["id"])
        assert (got["total_tasks"], got["completed_tasks"]) == (9, 4)
        s.update(tasks[9]["id"], {"engagement_plan": None})  # unlinked
        assert (s.get(plan["id"])["total_tasks"], s.get(plan["id"])["completed_tasks"]) == (8, 4)
        s.undelete(tasks[0]["id"])
        assert (s.get(plan["id"])["total_tasks"], s.get(plan["id"])["completed_tasks"]) == (9, 5)
        s.update_many([{"id": t["id"], "status": "Completed"} for t in tasks[5:9]])
        assert s.get(plan["id"])["status"] == "Completed"


def test_a_plan_whose_generated_task_was_deleted_can_still_complete(org, ep):
    """Upstream compares with the template's step count, so such a plan never completes."""
    with org.session("admin") as s:
        template, _ = ep.template(s, steps=[{"subject": "A"}, {"subject": "B"}])
        contact = s.create("Contact", {"last_name": "A"})
        plan = s.create("EngagementPlan", {"template": template["id"], "target": contact["id"]})
        tasks = ep.tasks(s, plan["id"])
        s.delete(tasks["A"]["id"])
        s.update(tasks["B"]["id"], {"status": "Completed"})
        assert s.get(plan["id"])["status"] == "Completed"


def test_a_user_who_cannot_edit_the_plan_still_moves_its_counts(org, ep):
    with org.session("admin") as s:
        ana = ep.user(s, "ana")
        template, _ = ep.template(s, steps=[{"subject": "Call", "assigned_to": ana}])
        contact = s.create("Contact", {"last_name": "A", "owner_id": ana})
    with org.session("ana") as s:
        plan = s.create("EngagementPlan", {"template": template["id"], "target": contact["id"]})
        with pytest.raises(AccessDenied):
            s.update(plan["id"], {})  # plans follow their template: read only for ana
        s.update(ep.tasks(s, plan["id"])["Call"]["id"], {"status": "Completed"})
        assert s.get(plan["id"])["status"] == "Completed"


# -- lifecycle ---------------------------------------------------------------------------------------------
def test_deleting_a_plan_keeps_its_tasks_and_stops_activation(org, ep):
    with org.session("admin") as s:
        template, steps = ep.template(
            s, steps=[{"subject": "Parent"}, {"subject": "Child", "parent": "Parent"}]
        )
        contact = s.create("Contact", {"last_name": "A"})
        plan = s.create("EngagementPlan", {"template": template["id"], "target": contact["id"]})
        tasks = ep.tasks(s, plan["id"])
        s.delete(plan["id"])
        kept = {t["subject"]: t for t in s.query("Task", where={"who": contact["id"]}).records}
        assert set(kept) == {"Parent", "Child"}
        assert kept["Parent"]["engagement_plan"] is None
        assert kept["Parent"]["engagement_plan_task"] == steps["Parent"]["id"]
        s.update(tasks["Parent"]["id"], {"status": "Completed"})  # no error, nothing activated
        assert s.get(tasks["Child"]["id"])["status"] == "Waiting on Dependent Task"


def test_closing_after_the_dependent_task_was_deleted_does_nothing(org, ep):
    with org.session("admin") as s:
        template, _ = ep.template(s, steps=[{"subject": "Parent"}, {"subject": "Child", "parent": "Parent"}])
        contact = s.create("Contact", {"last_name": "A"})
        plan = s.create("EngagementPlan", {"template": template["id"], "target": contact["id"]})
        tasks = ep.tasks(s, plan["id"])
        s.delete(tasks["Child"]["id"])
        s.update(tasks["Parent"]["id"], {"status": "Completed"})
        assert s.get(plan["id"])["status"] == "Completed"


def test_deleting_a_template_cascades_to_plans_but_not_tasks(org, ep):
    with org.session("admin") as s:
        template, _ = ep.template(s, steps=[{"subject": "Call"}])
        contact = s.create("Contact", {"last_name": "A"})
        plan = s.create("EngagementPlan", {"template": template["id"], "target": contact["id"]})
        task = ep.tasks(s, plan["id"])["Call"]
        s.delete(template["id"])
        assert s.count("EngagementPlan") == 0 and s.count("EngagementPlanTask") == 0
        kept = s.get(task["id"])
        assert (kept["engagement_plan"], kept["engagement_plan_task"]) == (None, None)


def test_deleting_the_target_keeps_the_plan(org, ep):
    with org.session("admin") as s:
        template, _ = ep.template(s, steps=[{"subject": "Call"}])
        account = s.create("Account", {"name": "Gone"})
        plan = s.create("EngagementPlan", {"template": template["id"], "target": account["id"]})
        s.delete(account["id"])
        assert s.get(plan["id"])["target"] is None


# -- template step validation ------------------------------------------------------------------------------
def test_ep10_cycles_are_rejected(org, ep):
    with org.session("admin") as s:
        _template, steps = ep.template(
            s, steps=[{"subject": "A"}, {"subject": "B", "parent": "A"}, {"subject": "C", "parent": "B"}]
        )
        with pytest.raises(
            ValidationError, match=r"parent_task.*cycle of dependent steps \('A' -> 'C' -> 'B' -> 'A'\)"
        ):
            s.update(steps["A"]["id"], {"parent_task": steps["C"]["id"]})
        with pytest.raises(ValidationError, match="cycle"):
            s.update(steps["A"]["id"], {"parent_task": steps["A"]["id"]})


def test_ep10_parent_from_another_template_and_moves_are_rejected(org, ep):
    with org.session("admin") as s:
        _first, steps = ep.template(s, steps=[{"subject": "A"}, {"subject": "B", "parent": "A"}])
        second, _ = ep.template(s, name="Other", steps=[{"subject": "X"}])
        with pytest.raises(ValidationError, match=r"'A' .* belongs to another template"):
            s.create(
                "EngagementPlanTask",
                {"template": second["id"], "subject": "Y", "parent_task": steps["A"]["id"]},
            )
        with pytest.raises(ValidationError, match="belongs to another template"):
            s.update(steps["B"]["id"], {"template": second["id"]})  # moving the child
        with pytest.raises(
            ValidationError, match=r"'template': cannot move .* 1 step.s. depend on it .e.g. 'B'"
        ):
            s.update(steps["A"]["id"], {"template": second["id"]})  # moving the parent


def test_deleting_a_step_makes_its_children_top_level(org, ep):
    with org.session("admin") as s:
        template, steps = ep.template(s, steps=[{"subject": "A"}, {"subject": "B", "parent": "A"}])
        s.delete(steps["A"]["id"])
        contact = s.create("Contact", {"last_name": "A"})
        plan = s.create("EngagementPlan", {"template": template["id"], "target": contact["id"]})
        assert ep.tasks(s, plan["id"])["B"]["status"] == "Not Started"


def test_clone_is_a_deep_copy(org, ep):
    from missionbase.plugins.npsp_engagement.template_io import clone_template

    with org.session("admin") as s:
        template, steps = ep.template(
            s,
            steps=[{"subject": "A", "days_after": 2}, {"subject": "B", "parent": "A", "priority": "Low"}],
            reschedule_to="Friday",
        )
        clone = clone_template(s, template["id"])
        copied = {
            t["subject"]: t for t in s.query("EngagementPlanTask", where={"template": clone["id"]}).records
        }
    assert clone["name"] == "Follow-up - Cloned" and clone["reschedule_to"] == "Friday"
    assert copied["A"]["days_after"] == 2 and copied["B"]["priority"] == "Low"
    assert copied["B"]["parent_task"] == copied["A"]["id"] != steps["A"]["id"]


# -- send email: queued for core's mail job ------------------------------------------------------
def test_send_email_queues_mail_to_the_assignee_when_the_task_becomes_active(
    make_app, smtp_server, today, ep
):
    app = make_app(plugins=["npsp_engagement"], **smtp_server.settings())
    with app.session("admin") as s:
        dina = s.create("User", {"username": "dina", "name": "Dina", "email": "dina@example.org"})
        template, _ = ep.template(
            s,
            steps=[
                {"subject": "Call", "assigned_to": dina["id"], "send_email": True},
                {"subject": "Letter", "parent": "Call", "assigned_to": dina["id"], "send_email": True},
                {"subject": "Quiet", "assigned_to": dina["id"]},
            ],
            skip_weekends=False,
        )
        contact = s.create("Contact", {"last_name": "A"})
        plan = s.create("EngagementPlan", {"template": template["id"], "target": contact["id"]})
        queued = s.query("OutboundEmail").records
        assert [(m["recipient"], m["subject"]) for m in queued] == [(dina["id"], "New task: Call")]
        assert "EP-0001" in queued[0]["body"]
        s.update(ep.tasks(s, plan["id"])["Call"]["id"], {"status": "Completed"})
        assert s.count("OutboundEmail") == 2
    assert app.registry.jobs["core.send_outbound_email"].run(app).startswith("sent 2 email(s)")
    assert [(m["To"], m["Subject"]) for m in smtp_server.messages] == [
        ("dina@example.org", "New task: Call"),
        ("dina@example.org", "New task: Letter"),
    ]
