"""The caseworker's home view: their day on one page, read as that user.

"Today" is the user's local date (their time zone); open tasks are those the
user owns, due today, tomorrow or earlier (overdue).
"""

from __future__ import annotations

import datetime as dt

from missionbase.plugins.pmm.localtime import local_today, zone_of

from . import followup
from .incidents import open_incidents
from .notes import my_notes

LIST_LIMIT = 20


def _local_midnight(session, day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone_of(session))


def todays_events(session, today: dt.date) -> list[dict]:
    start, end = _local_midnight(session, today), _local_midnight(session, today + dt.timedelta(days=1))
    return session.query(
        "Event",
        {"owner_id": session.user.id, "start": {"ge": start, "lt": end}},
        fields=["subject", "start", "end", "who", "location"],
        order_by="start",
        limit=LIST_LIMIT,
    ).records


def open_tasks(session, today: dt.date) -> dict[str, list[dict]]:
    """The user's open tasks due by tomorrow: overdue / today / tomorrow."""
    tomorrow = today + dt.timedelta(days=1)
    rows = session.query(
        "Task",
        {"owner_id": session.user.id, "is_closed": False, "due_date": {"le": tomorrow}},
        fields=["subject", "due_date", "status", "priority", "who"],
        order_by=["due_date", "created_at"],
    ).records
    return {
        "overdue": [t for t in rows if t["due_date"] < today],
        "today": [t for t in rows if t["due_date"] == today],
        "tomorrow": [t for t in rows if t["due_date"] == tomorrow],
    }


def recent_sessions(session, today: dt.date, engagements: list[dict]) -> dict[str, list[dict]]:
    """Sessions of the schedules the user's clients take part in, this week and last week (Monday first)."""
    monday = today - dt.timedelta(days=today.weekday())
    last_monday, next_monday = monday - dt.timedelta(days=7), monday + dt.timedelta(days=7)
    ids = [e["id"] for e in engagements]
    schedules: set[str] = set()
    for start in range(0, len(ids), 500):
        schedules |= {
            p["service_schedule"]
            for p in session.query(
                "ServiceParticipant",
                {
                    "program_engagement": {"in": ids[start : start + 500]},
                    "service_schedule": {"is_null": False},
                },
                fields=["service_schedule"],
            ).records
        }
    if not schedules:
        return {"this_week": [], "last_week": []}
    rows = session.query(
        "ServiceSession",
        {
            "service_schedule": {"in": sorted(schedules)},
            "session_start": {
                "ge": _local_midnight(session, last_monday),
                "lt": _local_midnight(session, next_monday),
            },
        },
        fields=[
            "name",
            "session_start",
            "status",
            "service_schedule",
            "num_present_deliveries",
            "num_absent_deliveries",
        ],
        order_by="-session_start",
    ).records
    boundary = _local_midnight(session, monday)
    return {
        "this_week": [r for r in rows if r["session_start"] >= boundary],
        "last_week": [r for r in rows if r["session_start"] < boundary],
    }


def home_view(session, today: dt.date | None = None) -> dict:
    today = today or local_today(session)
    mine = followup.my_active_engagements(session)
    clients = sorted({e["contact"] for e in mine})
    return {
        "user": session.user.username,
        "date": today,
        "my_engagements": mine,
        "todays_events": todays_events(session, today),
        "recent_sessions": recent_sessions(session, today, mine),
        "open_incidents": open_incidents(session, contacts=clients, limit=LIST_LIMIT),
        "my_recent_notes": my_notes(session, limit=10),
        "open_tasks": open_tasks(session, today),
        "follow_up": followup.all_follow_ups(session, today, mine),
    }
