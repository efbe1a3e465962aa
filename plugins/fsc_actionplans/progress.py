"""Progress and compliance: how far each plan got, what is overdue, which documents are missing.

Everything is read through the caller's session, so a report shows only the
plans, items and documents the caller can see.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

OPEN_STATES = ("Pending", "In Progress")
MISSING_DOCUMENT_STATUSES = ("New", "Rejected")
GROUPINGS = ("version", "state", "owner", "target_type")


def plan_progress(items: list[dict], today: dt.date, documents: dict[str, dict]) -> dict:
    """Percent of required items done, overdue items and missing documents of one plan's items.

    Canceled and Deleted items are left out. With no required items, every
    live item counts (so a plan of optional items still shows progress).
    """
    live = [i for i in items if i["state"] not in ("Canceled", "Deleted")]
    counted = [i for i in live if i["required"]] or live
    done = sum(1 for i in counted if i["state"] == "Completed")
    overdue = sum(
        1 for i in live if i["state"] in OPEN_STATES and i.get("due_date") and i["due_date"] < today
    )
    missing = sum(
        1
        for i in live
        if i.get("document")
        and i["state"] != "Completed"
        and documents.get(i["document"], {}).get("status", "New") in MISSING_DOCUMENT_STATUSES
    )
    return {
        "required_total": len(counted),
        "required_done": done,
        "percent_done": round(100 * done / len(counted), 1) if counted else 0.0,
        "overdue_items": overdue,
        "documents_missing": missing,
    }


def plan_rows(session, *, template: str | None = None, today: dt.date | None = None) -> list[dict]:
    """One row per plan the caller can see: template version, state, owner, target type and progress."""
    today = today or dt.date.today()
    where = {"template": template} if template else None
    plans = session.query("ActionPlan", where=where, order_by="created_at").records
    if not plans:
        return []
    plan_ids = [p["id"] for p in plans]
    items: dict[str, list[dict]] = defaultdict(list)
    for start in range(0, len(plan_ids), 500):
        for item in session.query(
            "ActionPlanItem",
            where={"plan": {"in": plan_ids[start : start + 500]}},
            fields=["plan", "required", "state", "due_date", "document"],
        ).records:
            items[item["plan"]].append(item)
    document_ids = [i["document"] for plan_items in items.values() for i in plan_items if i.get("document")]
    documents = session.get_many(document_ids) if document_ids else {}
    versions = session.get_many(sorted({p["template_version"] for p in plans}))
    owners = session.get_many(sorted({p["owner_id"] for p in plans}))
    rows = []
    for plan in plans:
        version = versions.get(plan["template_version"], {})
        owner = owners.get(plan["owner_id"], {})
        rows.append(
            {
                "id": plan["id"],
                "name": plan["name"],
                "version": version.get("name", plan["template_version"]),
                "state": plan["state"],
                "owner": owner.get("username", plan["owner_id"]),
                "target_type": plan["target_type"],
                "target": plan["target"],
                **plan_progress(items[plan["id"]], today, documents),
            }
        )
    return rows


def summary_rows(rows: list[dict], by: tuple[str, ...] = ("version", "state", "owner")) -> list[dict]:
    """Plans grouped by the chosen columns: count, average percent done, overdue items, missing documents."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        groups[tuple(row[k] for k in by)].append(row)
    out = []
    for key in sorted(groups, key=lambda k: tuple(str(v) for v in k)):
        members = groups[key]
        out.append(
            {
                **dict(zip(by, key, strict=True)),
                "plans": len(members),
                "avg_percent_done": round(sum(r["percent_done"] for r in members) / len(members), 1),
                "overdue_items": sum(r["overdue_items"] for r in members),
                "documents_missing": sum(r["documents_missing"] for r in members),
            }
        )
    return out


def progress_report(session, by: str = "version,state,owner", template: str | None = None) -> list[dict]:
    """The declared report ``actionplans.progress``: ``by`` is a comma list of version, state, owner, target_type."""
    from missionbase.core import UnknownName

    columns = tuple(c.strip() for c in by.split(",") if c.strip())
    for column in columns:
        if column not in GROUPINGS:
            raise UnknownName("grouping", column, GROUPINGS)
    return summary_rows(plan_rows(session, template=template), columns or ("version",))
