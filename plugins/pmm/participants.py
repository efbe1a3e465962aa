"""Adding participants to a schedule.

Candidates are the Program Engagements of the schedule's service's program
whose stage is in the Active bucket, optionally narrowed to one stage, a
cohort or search text; contacts already on the schedule are left out.
Going over the schedule's capacity only warns.
"""

from __future__ import annotations

from dataclasses import dataclass

from missionbase.core import ValidationError

from . import settings as cfg

MAX_CANDIDATES = 1000
CANDIDATE_FIELDS = [
    "name",
    "contact",
    "contact.first_name",
    "contact.last_name",
    "contact.email",
    "stage",
    "role",
    "program_cohort",
    "program",
]


@dataclass
class Added:
    participants: list[dict]
    warning: str | None = None


def schedule_program(session, schedule_id: str) -> tuple[dict, str]:
    """The schedule and the program of its service (required to pick participants)."""
    schedule = session.get(schedule_id)
    if not schedule.get("service"):
        raise ValidationError(
            f"schedule {schedule_id} has no service, so it has no program to enrol from",
            object_name="ServiceSchedule",
            field="service",
        )
    service = session.get(schedule["service"])
    return schedule, service["program"]


def contacts_on_schedule(session, schedule_id: str) -> set[str]:
    rows = session.query("ServiceParticipant", where={"service_schedule": schedule_id}, fields=["contact"])
    return {r["contact"] for r in rows if r.get("contact")}


def candidates(
    session,
    schedule_id: str,
    *,
    stage: str | None = None,
    cohort: str | None = None,
    search: str | None = None,
) -> list[dict]:
    """Engagements that could join the schedule, at most 1,000, by contact name."""
    schedule, program = schedule_program(session, schedule_id)
    active = sorted(cfg.buckets(session).active_stages)
    if stage is not None and stage not in active:
        raise ValidationError(
            f"stage {stage!r} is not an active stage; use one of {', '.join(active)}",
            object_name="ProgramEngagement",
            field="stage",
        )
    where: list[dict] = [
        {"program": program},
        {"stage": {"in": [stage] if stage else active}},
        {"contact": {"is_null": False}},
    ]
    if cohort:
        where.append({"program_cohort": cohort})
    if search:
        where.append(
            {
                "or": [
                    {path: {"contains": search}}
                    for path in ("name", "role", "contact.first_name", "contact.last_name", "contact.email")
                ]
            }
        )
    taken = contacts_on_schedule(session, schedule["id"])
    rows = session.query(
        "ProgramEngagement",
        where=where,
        fields=CANDIDATE_FIELDS,
        order_by=["contact.first_name", "contact.last_name"],
        limit=MAX_CANDIDATES + len(taken),
    )
    return [r for r in rows if r["contact"] not in taken][:MAX_CANDIDATES]


def add_participants(session, schedule_id: str, engagement_ids: list[str]) -> Added:
    """Enrol the engagements' contacts on the schedule (status Enrolled, signed up today)."""
    schedule, program = schedule_program(session, schedule_id)
    wanted = list(dict.fromkeys(engagement_ids))
    taken = contacts_on_schedule(session, schedule_id)
    active = sorted(cfg.buckets(session).active_stages)
    allowed = {}
    for start in range(0, len(wanted), 500):
        for engagement in session.query(
            "ProgramEngagement",
            fields=["contact"],
            where={
                "id": {"in": wanted[start : start + 500]},
                "program": program,
                "stage": {"in": active},
                "contact": {"is_null": False},
            },
        ):
            if engagement["contact"] not in taken:
                allowed[engagement["id"]] = engagement
    rows = []
    for index, engagement_id in enumerate(wanted):
        engagement = allowed.get(engagement_id)
        if engagement is None:
            raise ValidationError(
                f"engagement {engagement_id} is not a candidate for schedule {schedule_id}: it must be in the "
                "service's program, in an active stage, with a contact not already on the schedule",
                object_name="ServiceParticipant",
                row=index,
                field="program_engagement",
            )
        rows.append(
            {
                "contact": engagement["contact"],
                "program_engagement": engagement_id,
                "service_schedule": schedule_id,
                "service": schedule["service"],
            }
        )
    created = session.create_many("ServiceParticipant", rows) if rows else []
    warning = None
    capacity = schedule.get("participant_capacity")
    if capacity is not None:
        total = len(contacts_on_schedule(session, schedule_id))
        if total > capacity:
            warning = (
                f"schedule {schedule['name']!r} now has {total} participants, over its capacity of {capacity}"
            )
    return Added(created, warning)
