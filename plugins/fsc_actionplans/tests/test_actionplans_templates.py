"""Templates: target types from the registry, the version lifecycle, limits, export and import."""

from __future__ import annotations

import pytest

from missionbase.core import ValidationError
from missionbase.plugins.fsc_actionplans import templates as tpl
from missionbase.plugins.fsc_actionplans.tests.conftest import make_template


def _statuses(session, template):
    return [(v["version_number"], v["status"]) for v in tpl.versions_of(session, template["id"])]


def test_target_type_comes_from_the_registry_including_a_third_party_object(ap_app):
    with ap_app.session("manager") as s:
        for target_type in ("Account", "Contact", "HousingUnit"):
            make_template(s, f"t_{target_type.lower()}", target_type, publish=False)
        with pytest.raises(
            ValidationError,
            match=r"'Task' is not a target type; plans can target: "
            r"Account, Contact, HousingUnit",
        ):
            make_template(s, "t_task", "Task", publish=False)


def test_target_type_is_fixed_after_creation(ap_app):
    with ap_app.session("manager") as s:
        template = make_template(s, publish=False)
        with pytest.raises(ValidationError, match=r"target_type.*cannot change from Account to Contact"):
            s.update(template["id"], {"target_type": "Contact"})
        s.update(template["id"], {"description": "still editable"})


def test_a_new_template_starts_with_a_draft_that_alone_is_editable(ap_app):
    with ap_app.session("manager") as s:
        template = make_template(s, items=[("Call", "task", True, {"due_offset": 2})], publish=False)
        assert _statuses(s, template) == [(1, "Draft")]
        tpl.set_version_status(s, template, "Published")
        with pytest.raises(ValidationError, match="is Published; only a Draft version can be edited"):
            tpl.add_item(s, template, {"name": "Late"}, {}, version_number=1)
        item = tpl.items_of(s, tpl.published_version(s, template)["id"])[0]
        with pytest.raises(ValidationError, match="only a Draft version can be edited"):
            s.update(item["id"], {"name": "Renamed"})
        with pytest.raises(ValidationError, match="only a Draft version can be edited"):
            s.delete(item["id"])


def test_version_status_moves_only_forward(ap_app):
    with ap_app.session("manager") as s:
        template = make_template(s, items=[("Call", "task", True, {})], publish=False)
        tpl.set_version_status(s, template, "Published")
        tpl.set_version_status(s, template, "Obsolete")
        assert _statuses(s, template) == [(1, "Obsolete")]
        version = tpl.versions_of(s, template["id"])[0]
        for status in ("Draft", "Published"):
            with pytest.raises(ValidationError, match="v1 is Obsolete; it can become nothing"):
                s.update(version["id"], {}, computed={"status": status})
        draft = tpl.new_version(s, template)
        tpl.set_version_status(s, template, "Obsolete", draft["version_number"])  # Draft -> Obsolete
        assert _statuses(s, template) == [(1, "Obsolete"), (2, "Obsolete")]


def test_publishing_retires_the_published_version_so_at_most_one_is_published(ap_app):
    with ap_app.session("manager") as s:
        template = make_template(s, items=[("Call", "task", True, {"due_offset": 1})])
        draft = tpl.new_version(s, template)
        assert draft["version_number"] == 2
        assert len(tpl.items_of(s, draft["id"])) == 1  # cloned
        tpl.add_item(s, template, {"name": "Extra"}, {"due_offset": 3})
        changed = tpl.set_version_status(s, template, "Published")
        assert [(v["version_number"], v["status"]) for v in changed] == [(1, "Obsolete"), (2, "Published")]
        third = tpl.new_version(s, template)
        with pytest.raises(ValidationError, match="v2 of this template is already Published; at most one"):
            s.update(third["id"], {}, computed={"status": "Published"})


def test_new_version_refuses_a_second_draft(ap_app):
    with ap_app.session("manager") as s:
        template = make_template(s, items=[("Call", "task", True, {})])
        tpl.new_version(s, template)
        with pytest.raises(ValidationError, match=r"already has a Draft \(v2\)"):
            tpl.new_version(s, template)


def test_publishing_needs_an_active_item(ap_app):
    with ap_app.session("manager") as s:
        template = make_template(s, publish=False)
        with pytest.raises(ValidationError, match="has no active items"):
            tpl.set_version_status(s, template, "Published")


def test_item_count_and_offset_limits_are_configurable(ap_app):
    with ap_app.session("manager") as s:
        template = make_template(
            s, items=[(f"Step {i}", "task", False, {}) for i in range(100)], publish=False
        )
        with pytest.raises(ValidationError, match="at most 100 items; this one would have 101"):
            tpl.add_item(s, template, {"name": "One too many"}, {})
        with pytest.raises(ValidationError, match=r"due offset 1001 is outside 0\.\.1000 days"):
            tpl.add_item(s, make_template(s, "other", publish=False), {"name": "Far"}, {"due_offset": 1001})
    with ap_app.system_session() as s:
        s.set_setting("actionplans.max_items_per_template", 101)
        s.set_setting("actionplans.max_due_offset_days", 2000)
    with ap_app.session("manager") as s:
        tpl.add_item(s, template, {"name": "Now allowed"}, {"due_offset": 2000})


@pytest.mark.parametrize(
    ("kind", "values", "message"),
    [
        ("task", {"instructions": "x"}, "a Task item cannot set instructions"),
        ("document", {"priority": "High"}, "a Document Checklist Item item cannot set priority"),
        ("task", {"priority": "Urgent"}, "priority 'Urgent' is not one of High, Normal, Low"),
        ("task", {"owner": "boss"}, "owner 'boss' must be creator, user:USER, queue:QUEUE or role:TEAM_ROLE"),
        ("task", {"owner": "user:nobody"}, "unknown user 'nobody'"),
        ("task", {"due_offset": "soon"}, "due offset 'soon' is not a whole number"),
    ],
)
def test_bad_item_values_are_one_clear_error_and_nothing_is_written(ap_app, kind, values, message):
    with ap_app.session("manager") as s:
        template = make_template(s, publish=False)
        with pytest.raises(Exception, match=message) as error:
            tpl.add_item(s, template, {"name": "Bad", "kind": kind}, values)
        assert "\n" not in str(error.value)
        assert tpl.items_of(s, tpl.pick_version(s, template, status="Draft")["id"]) == []


def test_export_import_round_trip_keeps_items_and_values(ap_app, users):
    with ap_app.session("manager") as s:
        queue = s.as_system().create("Queue", {"name": "Intake"})
        doc_type = s.create("DocumentType", {"name": "ID card"})
        template = make_template(
            s,
            items=[
                ("Call", "task", True, {"due_offset": 1, "owner": "user:advisor", "priority": "High"}),
                ("Triage", "task", False, {"owner": "queue:Intake", "description": "Sort it"}),
                ("ID", "document", True, {"document_type": "ID card", "instructions": "Both sides"}),
                ("Team", "task", False, {"owner": "role:Advisor", "due_offset": 0}),
            ],
            description="Moves between orgs",
            category="Onboarding",
            allow_adhoc_items=True,
        )
        exported = tpl.export_template(s, template)
        values = {i["name"]: i["values"] for i in exported["items"]}
        assert values["Call"]["owner"] == "user:advisor"  # names, not this org's ids
        assert values["Triage"]["owner"] == "queue:Intake"
        assert values["ID"]["document_type"] == "ID card"
        # Into the same org under a new name: the same template comes back.
        exported["template"]["unique_name"] = "copy"
        draft = tpl.import_template(s, exported)
        copy = tpl.find_template(s, "copy")
        again = tpl.export_template(s, copy, draft["version_number"])
        assert again["items"] == exported["items"]
        assert again["template"] == exported["template"]
        stored = tpl.values_of(s, [i["id"] for i in tpl.items_of(s, draft["id"])])
        owners = sorted(v.get("owner", "") for v in stored.values())
        assert f"queue:{queue['id']}" in owners and f"user:{users['advisor']}" in owners
        # Importing a unique name that exists makes a new Draft version of it.
        exported["template"]["unique_name"] = "onboarding"
        assert tpl.import_template(s, exported)["version_number"] == 2
        assert doc_type["id"] in {v.get("document_type") for v in stored.values()}


def test_import_rejects_what_is_not_an_export(ap_app):
    with (
        ap_app.session("manager") as s,
        pytest.raises(ValidationError, match="not an action plan template export"),
    ):
        tpl.import_template(s, {"items": []})


def test_templates_need_the_manage_permission_set(ap_app):
    from missionbase.core import AccessDenied

    with (
        ap_app.session("advisor") as s,
        pytest.raises(AccessDenied, match="no Create permission on ActionPlanTemplate"),
    ):
        make_template(s, publish=False)
