"""Email to the assignee when a plan task becomes active (a step's ``send_email``).

This plugin sends nothing itself: it queues core OutboundEmail records,
which the mail job (``missionbase jobs run core.send_outbound_email``)
delivers when the org has an SMTP relay. Queue-owned tasks are worked from
the queue, so nobody in particular is emailed about them.
"""

from __future__ import annotations


def assignment_email(task: dict, plan_name: str | None) -> dict:
    body = [f"You have a new task: {task['subject']}"]
    if task.get("due_date"):
        body.append(f"Due: {task['due_date'].isoformat()}")
    if plan_name:
        body.append(f"Engagement plan: {plan_name}")
    if task.get("description"):
        body += ["", task["description"]]
    body += ["", f"Task id: {task['id']}"]
    return {
        "recipient": task["owner_id"],
        "owner_id": task["owner_id"],
        "subject": f"New task: {task['subject']}"[:255],
        "body": "\n".join(body),
        "related": task["id"],
    }


def queue_assignment_emails(session, tasks: list[dict], plan_names: dict[str, str]) -> None:
    """Queue one email per task owned by a user (done by the system on the caller's behalf)."""
    rows = [
        assignment_email(t, plan_names.get(t.get("engagement_plan")))
        for t in tasks
        if (t.get("owner_id") or "").startswith("usr_")
    ]
    if rows:
        session.as_system().create_many("OutboundEmail", rows)
