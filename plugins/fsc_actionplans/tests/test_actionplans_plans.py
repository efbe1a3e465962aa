"""Creating plans: targets, versions, assignment, due dates, bulk, excluded and ad-hoc items, roll-up."""

from __future__ import annotations

import datetime as dt

import pytest

from missionbase.core import AccessDenied, ValidationError
from missionbase.plugins.fsc_actionplans import templates as tpl
from missionbase.plugins.fsc_actionplans.plans import cancel_plan, create_plans, plan_state
from missionbase.plugins.fsc_actionplans.tests.conftest import MONDAY, make_template


def _items(session, plan):
    return {i["name"]: i for i in session.query("ActionPlanItem", where={"plan": plan["id"]}).records}


def test_plan_creates_tasks_and_documents_on_the_target(ap_app, onboarding):
    with ap_app.session("advisor") as s:
        account = s.create("Account", {"name": "Acme"})
        [plan] = create_plans(s, "onboarding", [account["id"]], start_date=MONDAY)
        assert plan["name"] == "Onboarding - Acme" and plan["state"] == "Not Started"
        assert plan["target_type"] == "Account" and plan["template"] == onboarding["id"]
        items = _items(s, plan)
        call = s.get(items["Welcome call"]["task"])
        assert (call["what"], call["who"], call["priority"], call["due_date"]) == (
            account["id"],
            None,
            "High",
            MONDAY + dt.timedelta(days=1),
        )
        document = s.get(items["Proof of address"]["document"])
        assert (document["parent"], document["status"], document["required"]) == (account["id"], "New", True)
        assert items["Proof of address"]["due_date"] == MONDAY + dt.timedelta(days=5)


def test_contact_targets_are_linked_as_who_and_third_party_objects_as_what(ap_app):
    with ap_app.session("manager") as s:
        make_template(s, "contact_plan", "Contact", items=[("Call", "task", True, {})])
        make_template(s, "unit_plan", "HousingUnit", items=[("Inspect", "task", True, {})])
    with ap_app.session("admin") as s:
        contact = s.create("Contact", {"last_name": "Okafor"})
        unit = s.create("HousingUnit", {"name": "Flat 2B"})
        [on_contact] = create_plans(s, "contact_plan", [contact["id"]])
        [on_unit] = create_plans(s, "unit_plan", [unit["id"]])
        assert s.get(_items(s, on_contact)["Call"]["task"])["who"] == contact["id"]
        assert s.get(_items(s, on_unit)["Inspect"]["task"])["what"] == unit["id"]
        assert on_unit["target_type"] == "HousingUnit"


def test_target_must_be_of_the_template_type_and_readable_by_the_creator(ap_app, onboarding):
    with ap_app.session("colleague") as s:
        hidden = s.create("Account", {"name": "Colleague's client"})
        contact = s.create("Contact", {"last_name": "Wrong type"})
    with ap_app.session("advisor") as s:
        with pytest.raises(
            ValidationError, match=f"target {contact['id']} is a Contact; template onboarding targets Account"
        ):
            create_plans(s, "onboarding", [contact["id"]])
        with pytest.raises(ValidationError, match=f"Account {hidden['id']} does not exist"):
            create_plans(s, "onboarding", [hidden["id"]])
        assert s.count("ActionPlan") == 0


def test_plans_only_from_a_published_version_and_they_keep_it(ap_app, onboarding):
    with ap_app.session("manager") as s:
        make_template(s, "drafty", items=[("Call", "task", True, {})], publish=False)
    with ap_app.session("advisor") as s:
        account = s.create("Account", {"name": "Acme"})
        with pytest.raises(ValidationError, match="template drafty has no Published version"):
            create_plans(s, "drafty", [account["id"]])
        [plan] = create_plans(s, "onboarding", [account["id"]])
    with ap_app.session("manager") as s:
        tpl.new_version(s, onboarding)
        tpl.set_version_status(s, onboarding, "Published")
        newest = tpl.published_version(s, onboarding)["id"]
    with ap_app.session("advisor") as s:
        with pytest.raises(ValidationError, match="keeps its template_version for ever"):
            s.update(plan["id"], {"template_version": newest})
        assert s.get(plan["id"])["template_version"] == plan["template_version"]
        [newer] = create_plans(s, "onboarding", [account["id"]])
        assert newer["template_version"] != plan["template_version"]


def test_assignment_named_user_creator_queue_and_team_role(ap_app, users):
    with ap_app.system_session() as s:
        queue = s.create("Queue", {"name": "Intake", "objects": "Task"})
        gone = s.create("User", {"username": "gone", "name": "Gone", "is_active": False})
    with ap_app.session("manager") as s:
        make_template(
            s,
            "assigned",
            items=[
                ("Named", "task", True, {"owner": "user:colleague"}),
                ("Creator", "task", True, {"owner": "creator"}),
                ("Nobody said", "task", True, {}),
                ("Queue", "task", True, {"owner": "queue:Intake"}),
                ("One advisor", "task", True, {"owner": "role:Advisor"}),
                ("Deactivated", "task", True, {"owner": f"user:{gone['id']}"}),
            ],
        )
    with ap_app.session("advisor") as s:
        one, none, several = (s.create("Account", {"name": n}) for n in ("One", "None", "Several"))
        s.create_many(
            "RecordTeamMember",
            [
                {"record": one["id"], "user": users["colleague"], "role": "Advisor"},
                {"record": one["id"], "user": users["reviewer"], "role": "Advisor", "active": False},
                {"record": several["id"], "user": users["colleague"], "role": "Advisor"},
                {"record": several["id"], "user": users["manager"], "role": "Advisor"},
            ],
        )
        plans = create_plans(s, "assigned", [one["id"], none["id"], several["id"]])
    with ap_app.system_session() as s:
        owners = [{name: s.get(i["task"])["owner_id"] for name, i in _items(s, p).items()} for p in plans]
    me = users["advisor"]
    for plan_owners in owners:
        assert plan_owners["Named"] == users["colleague"]
        assert plan_owners["Creator"] == plan_owners["Nobody said"] == plan_owners["Deactivated"] == me
        assert plan_owners["Queue"] == queue["id"]
    assert [o["One advisor"] for o in owners] == [users["colleague"], me, me]


def test_due_dates_in_calendar_or_working_days(ap_app):
    with ap_app.system_session() as s:
        hours = s.create(
            "BusinessHours",
            {
                "name": "Office",
                "is_default": True,
                **{f"{d}_start": "09:00" for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
                **{f"{d}_end": "17:00" for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
            },
        )
        s.create_many(
            "Holiday",
            [
                {"name": "Bridge", "date": dt.date(2027, 5, 4), "business_hours": hours["id"]},
                {"name": "Victory", "date": dt.date(1945, 5, 8), "is_recurring": True},
                {"name": "Thursday off", "date": dt.date(2027, 5, 6), "is_recurring": True},
            ],
        )
    with ap_app.session("manager") as s:
        make_template(s, "dated", items=[(f"+{n}", "task", True, {"due_offset": n}) for n in (0, 1, 3, 5)])
    with ap_app.session("advisor") as s:
        account = s.create("Account", {"name": "Acme"})
        saturday = dt.date(2027, 5, 1)
        [calendar] = create_plans(s, "dated", [account["id"]], start_date=saturday)
        [working] = create_plans(s, "dated", [account["id"]], start_date=saturday, skip_nonworking=True)
        due = {name: i["due_date"] for name, i in _items(s, calendar).items()}
        assert due == {
            "+0": saturday,
            "+1": dt.date(2027, 5, 2),
            "+3": dt.date(2027, 5, 4),
            "+5": dt.date(2027, 5, 6),
        }
        due = {name: i["due_date"] for name, i in _items(s, working).items()}
        # Mon 3 works; Tue 4 (a dated holiday) and the weekend are skipped; recurring holidays are ignored
        # by default, as in Industries action plans, so Thu 6 counts.
        assert due == {
            "+0": saturday,
            "+1": dt.date(2027, 5, 3),
            "+3": dt.date(2027, 5, 6),
            "+5": dt.date(2027, 5, 10),
        }
        assert s.get(_items(s, working)["+5"]["task"])["due_date"] == dt.date(2027, 5, 10)
    with ap_app.system_session() as s:
        s.set_setting("actionplans.recurring_holidays_are_nonworking", True)
    with ap_app.session("advisor") as s:
        [with_recurring] = create_plans(
            s, "dated", [account["id"]], start_date=saturday, skip_nonworking=True
        )
        due = {name: i["due_date"] for name, i in _items(s, with_recurring).items()}
        # Thu 6 (a recurring holiday) is now skipped too.
        assert due == {
            "+0": saturday,
            "+1": dt.date(2027, 5, 3),
            "+3": dt.date(2027, 5, 7),
            "+5": dt.date(2027, 5, 11),
        }


def test_bulk_creation_with_excluded_and_adhoc_items(ap_app, onboarding):
    with ap_app.session("advisor") as s:
        accounts = s.create_many("Account", [{"name": f"A{i}"} for i in range(30)])
        plans = create_plans(
            s,
            "onboarding",
            [a["id"] for a in accounts],
            exclude=["Follow-up"],
            adhoc=[{"name": "Bring a friend", "kind": "task", "due_offset": 2, "required": True}],
        )
        assert len(plans) == 30
        assert s.count("ActionPlanItem") == 30 * 3
        assert s.count("Task", where={"subject": "Bring a friend"}) == 30
        items = _items(s, plans[7])
        assert set(items) == {"Welcome call", "Proof of address", "Bring a friend"}
        assert items["Bring a friend"]["is_adhoc"] and not items["Welcome call"]["is_adhoc"]
        with pytest.raises(
            ValidationError, match="item 'Welcome call' is required, so it cannot be excluded"
        ):
            create_plans(s, "onboarding", [accounts[0]["id"]], exclude=["Welcome call"])
        with pytest.raises(ValidationError, match=r"target .* is named twice"):
            create_plans(s, "onboarding", [accounts[0]["id"], accounts[0]["id"]])
        with pytest.raises(ValidationError, match="ad-hoc item 'X': due offset 5000 is outside"):
            create_plans(s, "onboarding", [accounts[0]["id"]], adhoc=[{"name": "X", "due_offset": 5000}])
        assert s.count("ActionPlan") == 30


def test_adhoc_items_need_a_template_that_allows_them(ap_app):
    with ap_app.session("manager") as s:
        make_template(s, "strict", items=[("Call", "task", True, {})])
    with ap_app.session("advisor") as s:
        account = s.create("Account", {"name": "Acme"})
        with pytest.raises(ValidationError, match="does not allow ad-hoc items"):
            create_plans(s, "strict", [account["id"]], adhoc=[{"name": "Extra"}])


def test_state_rolls_up_from_tasks(ap_app, onboarding):
    with ap_app.session("advisor") as s:
        account = s.create("Account", {"name": "Acme"})
        [plan] = create_plans(s, "onboarding", [account["id"]], exclude=["Follow-up"])
        items = _items(s, plan)
        s.update(items["Welcome call"]["task"], {"status": "In Progress"})
        assert s.get(plan["id"])["state"] == "In Progress"
        assert _items(s, plan)["Welcome call"]["state"] == "In Progress"
        s.update(items["Welcome call"]["task"], {"status": "Completed"})
        assert _items(s, plan)["Welcome call"]["state"] == "Completed"
        assert s.get(plan["id"])["state"] == "In Progress"  # the required document is still open


def test_plan_completes_when_every_required_item_is_completed(ap_app):
    with ap_app.session("manager") as s:
        make_template(s, "two", items=[("Must", "task", True, {}), ("May", "task", False, {})])
    with ap_app.session("advisor") as s:
        account = s.create("Account", {"name": "Acme"})
        [plan] = create_plans(s, "two", [account["id"]])
        s.update(_items(s, plan)["Must"]["task"], {"status": "Completed"})
        done = s.get(plan["id"])
        assert done["state"] == "Complete" and done["completed_at"] is not None
        assert _items(s, plan)["May"]["state"] == "Pending"


def test_deleting_a_task_marks_its_item_deleted(ap_app):
    with ap_app.session("manager") as s:
        make_template(s, "two", items=[("Must", "task", True, {}), ("Also", "task", True, {})])
    with ap_app.session("advisor") as s:
        account = s.create("Account", {"name": "Acme"})
        [plan] = create_plans(s, "two", [account["id"]])
        items = _items(s, plan)
        s.update(items["Must"]["task"], {"status": "Completed"})
        s.delete(items["Also"]["task"])
        assert _items(s, plan)["Also"]["state"] == "Deleted"
        assert s.get(plan["id"])["state"] == "Complete"  # a deleted item no longer blocks the plan
        s.undelete(items["Also"]["task"])
        assert _items(s, plan)["Also"]["state"] == "Pending"
        assert s.get(plan["id"])["state"] == "In Progress"


def test_cancel_cancels_open_items_and_later_task_work_does_not_reopen_them(ap_app, onboarding):
    with ap_app.session("advisor") as s:
        account = s.create("Account", {"name": "Acme"})
        [plan] = create_plans(s, "onboarding", [account["id"]])
        items = _items(s, plan)
        s.update(items["Welcome call"]["task"], {"status": "Completed"})
        assert cancel_plan(s, plan["id"])["state"] == "Canceled"
        states = {name: i["state"] for name, i in _items(s, plan).items()}
        assert states == {
            "Welcome call": "Completed",
            "Proof of address": "Canceled",
            "Follow-up": "Canceled",
        }
        s.update(items["Follow-up"]["task"], {"status": "Completed"})
        assert _items(s, plan)["Follow-up"]["state"] == "Canceled"
        assert s.get(plan["id"])["state"] == "Canceled"
        with pytest.raises(ValidationError, match="only an open plan can be canceled"):
            cancel_plan(s, plan["id"])


def test_others_cannot_cancel_a_plan_they_cannot_edit(ap_app, onboarding):
    with ap_app.session("advisor") as s:
        account = s.create("Account", {"name": "Acme"})
        [plan] = create_plans(s, "onboarding", [account["id"]])
    with ap_app.session("manager") as s, pytest.raises(AccessDenied):
        cancel_plan(s, plan["id"])  # View All to report on plans, not Modify All


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], "Not Started"),
        ([(True, "Pending"), (False, "Pending")], "Not Started"),
        ([(True, "Pending"), (False, "In Progress")], "In Progress"),
        ([(True, "Completed"), (False, "Pending")], "Complete"),
        ([(False, "Completed"), (False, "Completed")], "Complete"),
        ([(False, "Completed"), (False, "Pending")], "In Progress"),
        ([(True, "Completed"), (True, "Deleted")], "Complete"),
    ],
)
def test_plan_state_rule(items, expected):
    assert plan_state(items) == expected
    assert plan_state(items, "Canceled") == "Canceled"
