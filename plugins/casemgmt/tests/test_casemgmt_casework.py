"""Case plans (goals from templates, status dates), assessments (totals, tiers, history), incidents."""

from __future__ import annotations

import datetime as dt

import pytest

from missionbase.core import RecordNotFound, ValidationError
from missionbase.plugins.casemgmt.assessments import record_assessment, score_history, tier_for
from missionbase.plugins.casemgmt.caseplans import add_goal_from_template, plan_outline
from missionbase.plugins.casemgmt.incidents import open_incidents, report_incident

from .conftest import make_client


@pytest.fixture
def housing_goal(cm_app):
    with cm_app.session("sup") as s:  # templates are the supervisor's
        goal = s.create("GoalTemplate", {"name": "Stable housing"})
        items = s.create_many(
            "ActionItemTemplate",
            [
                {"name": "Proof of income", "due_in_days": 7},
                {"name": "Apply", "due_in_days": 21},
                {"name": "Visit flats"},
            ],
        )
        s.create_many(
            "GoalActionItemTemplate",
            [
                {
                    "goal_template": goal["id"],
                    "action_item_template": item["id"],
                    "is_required": i < 2,
                    "sort_order": i,
                }
                for i, item in enumerate(items)
            ],
        )
    return goal


def test_adding_a_goal_from_a_template_creates_its_required_action_items(cm_app, housing_goal):
    today = dt.date(2026, 3, 2)
    with cm_app.session("ana") as s:
        carol = make_client(s, "Carol", "Smith")
        plan = s.create("CasePlan", {"name": "Plan", "contact": carol["id"]})
        goal = add_goal_from_template(s, plan["id"], housing_goal["id"], today=today)
        assert goal["contact"] == carol["id"] and goal["goal_template"] == housing_goal["id"]
        assert [(i["name"], i["due_date"], i["status"], i["contact"]) for i in goal["action_items"]] == [
            ("Proof of income", dt.date(2026, 3, 9), "Not Started", carol["id"]),
            ("Apply", dt.date(2026, 3, 23), "Not Started", carol["id"]),
        ]
        optional = add_goal_from_template(
            s, plan["id"], housing_goal["id"], include_optional=True, today=today
        )
        assert [i["name"] for i in optional["action_items"]] == ["Proof of income", "Apply", "Visit flats"]
        outline = plan_outline(s, plan["id"])
        assert [len(g["action_items"]) for g in outline["goals"]] == [2, 3]
        with pytest.raises(ValidationError, match="is not a goal template"):
            add_goal_from_template(s, plan["id"], carol["id"])
        other = s.create("CasePlan", {"name": "Other", "contact": carol["id"]})
        with pytest.raises(ValidationError, match="belongs to another case plan"):
            s.create("ActionItem", {"name": "x", "case_plan": other["id"], "goal": goal["id"]})
    with cm_app.session("sam") as s:  # sam cannot see carol, so neither her plan nor its items
        assert s.count("ActionItem") == 0
        with pytest.raises(RecordNotFound):
            add_goal_from_template(s, plan["id"], housing_goal["id"])


def test_plan_status_dates_are_stamped(cm_app):
    with cm_app.session("ana") as s:
        carol = make_client(s, "Carol", "Smith")
        plan = s.create("CasePlan", {"name": "Plan", "contact": carol["id"]})
        assert plan["in_progress_date"] is None
        plan = s.update(plan["id"], {"status": "In Progress"})
        assert plan["in_progress_date"] == dt.date.today() and plan["completed_date"] is None
        plan = s.update(plan["id"], {"status": "Abandoned"})
        assert plan["abandoned_date"] == dt.date.today() and plan["in_progress_date"] == dt.date.today()
        with pytest.raises(ValidationError, match=r"in_progress_date.*read-only"):
            s.update(plan["id"], {"in_progress_date": "2020-01-01"})


def test_plans_from_the_cli(cm_app, housing_goal, cli, in_org):
    with cm_app.session("ana") as s:
        carol = make_client(s, "Carol", "Smith")
        plan = s.create("CasePlan", {"name": "Carol's plan", "contact": carol["id"]})
    added = cli("casemgmt", "plans", "add-goal", plan["id"], housing_goal["id"], "--as", "ana")
    assert added.exit_code == 0, added.err
    assert "Proof of income" in added.out and "Visit flats" not in added.out
    shown = cli("casemgmt", "plans", "show", plan["id"], "--as", "ana")
    assert "== goal Stable housing (Not Started)" in shown.out


@pytest.fixture
def readiness(cm_app):
    with cm_app.session("sup") as s:
        kind = s.create("AssessmentType", {"name": "Job readiness"})
        questions = s.create_many(
            "AssessmentQuestion",
            [
                {"assessment_type": kind["id"], "question": q, "sort_order": i, "max_score": 4}
                for i, q in enumerate(["CV", "Interview", "Transport"])
            ],
        )
        s.create_many(
            "AssessmentTier",
            [
                {"assessment_type": kind["id"], "name": n, "min_total": m}
                for n, m in (("Not ready", 0), ("Getting there", 5), ("Ready", 10))
            ],
        )
    return kind, questions


def test_tiers_pick_the_highest_threshold_reached():
    tiers = [
        {"name": "Low", "min_total": 0},
        {"name": "High", "min_total": 10},
        {"name": "Mid", "min_total": 5},
    ]
    assert [tier_for(t, tiers) for t in (0, 4, 5, 9, 10, 12)] == ["Low", "Low", "Mid", "Mid", "High", "High"]
    assert tier_for(-1, tiers) is None


def test_an_assessment_records_answers_total_tier_and_history(cm_app, readiness):
    kind, questions = readiness
    with cm_app.session("ana") as s:
        carol = make_client(s, "Carol", "Smith")
        first = record_assessment(
            s,
            carol["id"],
            kind["id"],
            {"CV": 1, "Interview": 1, "Transport": 2},
            completed_date=dt.date(2026, 1, 10),
            comments="Anxious about interviews",
        )
        second = record_assessment(
            s, carol["id"], kind["id"], {q["id"]: 4 for q in questions}, completed_date=dt.date(2026, 3, 10)
        )
        assert (first["total_score"], first["tier"]) == (4, "Not ready")
        assert (second["total_score"], second["tier"]) == (12, "Ready")
        assert s.count("AssessmentAnswer", {"assessment": first["id"]}) == 3
        assert score_history(s, carol["id"]) == {
            "Job readiness": [
                {
                    "id": first["id"],
                    "completed_date": dt.date(2026, 1, 10),
                    "total_score": 4,
                    "tier": "Not ready",
                },
                {
                    "id": second["id"],
                    "completed_date": dt.date(2026, 3, 10),
                    "total_score": 12,
                    "tier": "Ready",
                },
            ]
        }
        for answers, message in (
            ({"CV": 5, "Interview": 1, "Transport": 1}, "score 5 for 'CV' is not between 0 and 4"),
            ({"CV": 1, "Interview": 1}, "question 'Transport' has no answer"),
            (
                {"CV": 1, "Interview": 1, "Transport": 1, "Salary": 2},
                "'Salary' is not a question of 'Job readiness'",
            ),
            ({"CV": "x", "Interview": 1, "Transport": 1}, "score 'x' for 'CV' is not a whole number"),
        ):
            with pytest.raises(ValidationError, match=message):
                record_assessment(s, carol["id"], kind["id"], answers)
        assert s.count("Assessment") == 2  # nothing half-written
        with pytest.raises(ValidationError, match=r"total_score.*read-only"):
            s.update(first["id"], {"total_score": 99})
    with cm_app.session("viewer") as s:
        assert s.count("Assessment") == 0  # viewer cannot see carol


def test_assessments_from_the_cli(cm_app, readiness, cli, in_org):
    kind, _ = readiness
    with cm_app.session("ana") as s:
        carol = make_client(s, "Carol", "Smith")
    result = cli(
        "casemgmt",
        "assessments",
        "record",
        carol["id"],
        kind["id"],
        "--answer",
        "CV=3",
        "--answer",
        "Interview=3",
        "--answer",
        "Transport=0",
        "--as",
        "ana",
    )
    assert result.exit_code == 0, result.err
    assert result.out.endswith("total 6, tier Getting there\n")
    assert "Getting there" in cli("casemgmt", "assessments", "history", carol["id"], "--as", "ana").out
    bad = cli("casemgmt", "assessments", "record", carol["id"], kind["id"], "--answer", "CV", "--as", "ana")
    assert bad.exit_code != 0 and bad.err.strip() == "error: --answer 'CV' must look like QUESTION=SCORE"


def test_incidents_involve_several_clients_and_list_open_ones_by_severity(cm_app):
    when = dt.datetime(2026, 3, 1, 14, 30, tzinfo=dt.UTC)
    with cm_app.session("ana") as s:
        carol, dan = make_client(s, "Carol", "Smith"), make_client(s, "Dan", "Jones")
        branch = s.create("Account", {"name": "North branch"})
        low = report_incident(
            s,
            {
                "subject": "Broken chair",
                "incident_datetime": when,
                "severity": "Low",
                "incident_type": "Property Damage",
                "branch": branch["id"],
            },
            [carol["id"]],
        )
        high = report_incident(
            s,
            {
                "subject": "Fight",
                "incident_datetime": when - dt.timedelta(days=1),
                "severity": "High",
                "location_notes": "Waiting room",
                "description": "Two clients",
            },
            [carol["id"], dan["id"]],
        )
        medium = report_incident(
            s, {"subject": "Shouting", "incident_datetime": when, "severity": "Medium"}, [dan["id"]]
        )
        closed = report_incident(
            s,
            {"subject": "Old", "incident_datetime": when, "severity": "High", "status": "Closed"},
            [dan["id"]],
        )
        assert s.count("IncidentClient", {"incident": high["id"]}) == 2
        assert [i["id"] for i in open_incidents(s)] == [high["id"], medium["id"], low["id"]]
        assert [i["id"] for i in open_incidents(s, contacts=[carol["id"]])] == [high["id"], low["id"]]
        assert closed["id"] not in {i["id"] for i in open_incidents(s)}
        with pytest.raises(ValidationError, match="at least one client"):
            report_incident(s, {"subject": "x", "incident_datetime": when}, [])
    with cm_app.session("sup") as s:  # View All on incidents; description is sensitive but granted
        assert s.get(high["id"])["description"] == "Two clients"
    with cm_app.session("viewer") as s:
        assert s.query("Incident").records == []


def test_incidents_from_the_cli(cm_app, cli, in_org):
    with cm_app.session("ana") as s:
        carol = make_client(s, "Carol", "Smith")
    result = cli(
        "casemgmt",
        "incidents",
        "report",
        "--subject",
        "Fall",
        "--when",
        "2026-03-01T10:00",
        "--severity",
        "High",
        "--client",
        carol["id"],
        "--as",
        "ana",
        "--json",
    )
    assert result.exit_code == 0, result.err
    assert result.json()["clients"] == [carol["id"]]
    listing = cli("casemgmt", "incidents", "open", "--as", "ana")
    assert "Fall" in listing.out and "Carol Smith" in listing.out
    bad = cli(
        "casemgmt",
        "incidents",
        "report",
        "--subject",
        "x",
        "--when",
        "yesterday",
        "--client",
        carol["id"],
        "--as",
        "ana",
    )
    assert (
        bad.exit_code != 0
        and "--when: 'yesterday' is not a date-time" in bad.err
        and len(bad.err.strip().splitlines()) == 1
    )
