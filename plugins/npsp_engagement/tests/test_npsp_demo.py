"""Demo data and the plugin's declarations."""

from __future__ import annotations

from missionbase.core.cli.demo import load_demo
from missionbase.core.testing import PluginConformance


def test_demo_has_a_major_donor_ladder_and_an_onboarding_template(make_app):
    app = make_app(plugins=["npsp_engagement"])
    assert "npsp_engagement" in load_demo(app, echo=lambda line: None)
    with app.session("maria") as s:
        templates = {t["name"] for t in s.query("EngagementPlanTemplate").records}
        assert {"Volunteer onboarding", "Major donor stewardship"} <= templates
        levels = {lv["name"]: lv for lv in s.query("Level").records}
        assert levels["Major Donor"]["engagement_plan_template"] is not None
    with app.system_session() as s:
        major = s.count("Contact", {"level": levels["Major Donor"]["id"]})
        assert major >= 1
        stewardship = s.query(
            "EngagementPlan", where={"template": levels["Major Donor"]["engagement_plan_template"]}
        )
        assert len(stewardship.records) == major
        assert s.count("EngagementPlan") > major  # and the volunteers' onboarding plans


class TestNpspEngagementConformance(PluginConformance):
    plugins = ["npsp_engagement"]


def test_works_alongside_the_other_plan_plugin_and_a_third_party_target(make_app):
    app = make_app(plugins=["npsp_engagement", "fsc_actionplans", "housing"], init=False)
    assert {"Campaign", "Donation", "Contact", "Account", "HousingUnit"} <= set(app.registry.target_types)
    assert app.registry.target_types["Campaign"] == "npsp_engagement"
