"""Document checklist items: attach, review, reject and resubmit, accept freezes; the progress report."""

from __future__ import annotations

import datetime as dt

import pytest

from missionbase.core import AccessDenied, ValidationError, resolve_grantee, share_record
from missionbase.plugins.fsc_actionplans.documents import attach, review
from missionbase.plugins.fsc_actionplans.plans import create_plans
from missionbase.plugins.fsc_actionplans.progress import plan_rows, progress_report


@pytest.fixture
def plan(ap_app, onboarding):
    with ap_app.session("advisor") as s:
        account = s.create("Account", {"name": "Acme"})
        [plan] = create_plans(
            s, "onboarding", [account["id"]], start_date=dt.date.today() - dt.timedelta(days=30)
        )
        items = {i["name"]: i for i in s.query("ActionPlanItem", where={"plan": plan["id"]}).records}
        document_id = items["Proof of address"]["document"]
        share_record(s, document_id, resolve_grantee(s, "user", "reviewer"), "edit")
    return {"plan": plan, "items": items, "document": document_id}


def _item_state(session, item_id):
    return session.as_system().get(item_id)["state"]


def test_attach_reject_resubmit_accept(ap_app, plan):
    document_id, item_id = plan["document"], plan["items"]["Proof of address"]["id"]
    with ap_app.session("advisor") as s:
        attached = attach(s, document_id, b"%PDF-1.4 bill", name="bill.pdf")
        assert attached["status"] == "Pending Review" and attached["received_file"].startswith("fil_")
        assert _item_state(s, item_id) == "In Progress"
        assert s.get(plan["plan"]["id"])["state"] == "In Progress"
    with ap_app.session("reviewer") as s:
        with pytest.raises(ValidationError, match="a rejection needs a reason"):
            review(s, document_id, accept=False)
        rejected = review(s, document_id, accept=False, comment="Older than 3 months")
        assert rejected["status"] == "Rejected" and rejected["review_comment"] == "Older than 3 months"
        with pytest.raises(ValidationError, match="is Rejected; only a Pending Review document"):
            review(s, document_id, accept=True)
    with ap_app.session("advisor") as s:
        again = attach(s, document_id, b"%PDF-1.4 new bill", name="bill2.pdf")
        assert again["status"] == "Pending Review" and again["received_file"] != attached["received_file"]
    with ap_app.session("reviewer") as s:
        accepted = review(s, document_id, accept=True)
        assert accepted["status"] == "Accepted" and accepted["is_frozen"]
        assert _item_state(s, item_id) == "Completed"
    with ap_app.session("advisor") as s:
        with pytest.raises(ValidationError, match="is Accepted and frozen"):
            attach(s, document_id, b"late", name="late.pdf")
        with pytest.raises(ValidationError, match="accepted and is frozen; it cannot change"):
            s.update(document_id, {"name": "Renamed"})


def test_only_reviewers_accept(ap_app, plan):
    with ap_app.session("advisor") as s:
        attach(s, plan["document"], b"x", name="x.pdf")
        with pytest.raises(AccessDenied, match="cannot review documents"):
            review(s, plan["document"], accept=True)
        assert s.get(plan["document"])["status"] == "Pending Review"


def test_accepting_the_last_required_item_completes_the_plan(ap_app, plan):
    with ap_app.session("advisor") as s:
        s.update(plan["items"]["Welcome call"]["task"], {"status": "Completed"})
        attach(s, plan["document"], b"x", name="x.pdf")
    with ap_app.session("reviewer") as s:
        review(s, plan["document"], accept=True)
    with ap_app.session("advisor") as s:
        assert s.get(plan["plan"]["id"])["state"] == "Complete"


def test_progress_report_percent_overdue_and_missing_documents(ap_app, plan, users):
    with ap_app.session("advisor") as s:
        s.update(plan["items"]["Welcome call"]["task"], {"status": "Completed"})
        [row] = plan_rows(s)
        assert (row["required_done"], row["required_total"], row["percent_done"]) == (1, 2, 50.0)
        assert row["overdue_items"] == 2  # the document and the follow-up are past due, the call is done
        assert row["documents_missing"] == 1
        assert row["owner"] == "advisor" and row["target_type"] == "Account"
        [group] = progress_report(s, by="target_type,state")
        assert group == {
            "target_type": "Account",
            "state": "In Progress",
            "plans": 1,
            "avg_percent_done": 50.0,
            "overdue_items": 2,
            "documents_missing": 1,
        }
        attach(s, plan["document"], b"x", name="x.pdf")
        assert plan_rows(s)[0]["documents_missing"] == 0
    with ap_app.session("manager") as s:  # View All for compliance
        assert len(plan_rows(s)) == 1
    with ap_app.session("colleague") as s:  # sharing: not their plan
        assert plan_rows(s) == []
