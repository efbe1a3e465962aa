"""PMM's actions: the operations behind ``missionbase pmm ...``, the API and the web pages.

Each handler takes the caller's session and the validated input and returns
plain data; the rules stay in schedules.py, participants.py, attendance.py,
deliveries.py and rollups.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from missionbase.core import AccessDenied, Action, ValidationError


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewSchedule(_Input):
    name: str = Field(description="The schedule's name")
    service: str = Field(description="Service id")
    first_session_start: str | None = Field(
        None, description="First session start, local time: 2025-01-06T18:00 (default: the next :00 or :30)"
    )
    first_session_end: str | None = Field(None, description="First session end (default: start + 1 hour)")
    frequency: Literal["One Time", "Daily", "Weekly", "Monthly"] = "One Time"
    interval: int = Field(1, ge=1, description="Every N days, weeks or months")
    days_of_week: list[str] | None = Field(None, description="Weekly days, 1 = Sunday ... 7 = Saturday")
    monthly_recurrence_option: str | None = Field(None, description="LastDayOfMonth or e.g. 2MO")
    service_schedule_end_date: str | None = Field(None, description="Last date (inclusive)")
    number_of_service_sessions: int | None = Field(None, ge=1, description="Number of sessions")
    primary_service_provider: str | None = None
    other_service_provider: str | None = None
    participant_capacity: int | None = Field(None, ge=0)
    default_service_quantity: str | None = None
    create_sessions: bool = Field(True, description="False creates the schedule without sessions")


def create_schedule_with_sessions(session, data: NewSchedule) -> dict:
    from .localtime import zone_of
    from .schedules import create_schedule, default_first_start

    values = data.model_dump(exclude_none=True, exclude={"create_sessions"})
    if data.service_schedule_end_date is not None:
        values["service_schedule_ends"] = "On"
    elif data.number_of_service_sessions is not None:
        values["service_schedule_ends"] = "After"
    if not data.create_sessions:
        values["create_service_session_records"] = False
    if "first_session_start" not in values:  # the wizard's defaults
        start = default_first_start(dt.datetime.now(zone_of(session)).replace(microsecond=0))
        values["first_session_start"] = start
        values.setdefault("first_session_end", start + dt.timedelta(hours=1))
    created, sessions = create_schedule(session, values)
    return {"schedule": created, "sessions": sessions}


class ExtendSchedule(_Input):
    until: dt.date | None = Field(None, description="New last date (inclusive)")
    count: int | None = Field(None, ge=1, description="New total number of sessions")


def extend(session, schedule_id: str, data: ExtendSchedule) -> list[dict]:
    from .schedules import extend_schedule

    return extend_schedule(session, schedule_id, end_date=data.until, count=data.count)


class CandidateFilters(_Input):
    stage: str | None = Field(None, description="Only this active stage")
    cohort: str | None = Field(None, description="Only this cohort (id)")
    search: str | None = Field(None, description="Text in the engagement or the contact's name or email")


def participant_candidates(session, schedule_id: str, data: CandidateFilters) -> list[dict]:
    from .participants import candidates

    return candidates(session, schedule_id, stage=data.stage, cohort=data.cohort, search=data.search)


class AddParticipants(CandidateFilters):
    engagements: list[str] = Field(default_factory=list, description="Program engagement ids")
    all: bool = Field(False, description="Every candidate matching the filters")


def add_participants(session, schedule_id: str, data: AddParticipants) -> dict:
    from .participants import add_participants as add
    from .participants import candidates

    if not data.engagements and not data.all:
        raise ValidationError("name engagements (engagements), or add every candidate (all)")
    wanted = list(data.engagements)
    if data.all:
        found = candidates(session, schedule_id, stage=data.stage, cohort=data.cohort, search=data.search)
        wanted += [row["id"] for row in found]
    added = add(session, schedule_id, wanted)
    return {"participants": added.participants, "warning": added.warning}


class RosterOptions(_Input):
    sort: Literal["first_name", "last_name"] = "first_name"
    exclude_statuses: list[str] = Field(default_factory=list, description="Participant statuses to leave out")
    exclude_roles: list[str] = Field(default_factory=list, description="Engagement roles to leave out")
    exclude_stages: list[str] = Field(default_factory=list, description="Engagement stages to leave out")


def roster(session, session_id: str, data: RosterOptions) -> list[dict]:
    from .attendance import build_roster

    built = build_roster(
        session,
        session_id,
        sort_by=data.sort,
        exclude_participant_statuses=tuple(data.exclude_statuses),
        exclude_roles=tuple(data.exclude_roles),
        exclude_stages=tuple(data.exclude_stages),
    )
    return [row.as_dict() for row in built.rows]


class Mark(_Input):
    contact: str = Field(description="Contact id")
    attendance_status: str | None = None
    quantity: float | None = None


class SaveAttendance(_Input):
    marks: list[Mark] = Field(default_factory=list, description="One per contact marked")
    skip: list[str] = Field(default_factory=list, description="Contact ids to leave out (remembered)")
    rest: str | None = Field(None, description="Status for roster contacts not marked (default: leave out)")


def save_attendance(session, session_id: str, data: SaveAttendance) -> dict:
    from .attendance import save_roster

    if not data.marks and not data.rest and not data.skip:
        raise ValidationError("nothing to save: give marks, skip or rest")
    marks = {m.contact: m.model_dump(exclude_none=True, exclude={"contact"}) for m in data.marks}
    saved = save_roster(session, session_id, marks, skip=data.skip, rest=data.rest)
    return {
        "created": saved.created,
        "updated": saved.updated,
        "skipped": saved.skipped,
        "session_status": saved.session_status,
        "message": saved.message,
    }


class BulkDeliveries(_Input):
    rows: list[dict] = Field(
        description="Deliveries: contact, program_engagement, service, delivery_date, quantity..."
    )


def bulk_deliveries(session, data: BulkDeliveries) -> list[dict]:
    from .deliveries import bulk_deliveries as create

    return create(session, data.rows)


ROLLUP_OBJECTS = ("Contact", "ProgramEngagement", "Service", "ServiceSession", "ServiceSchedule")


class RecalculateRollups(_Input):
    objects: list[Literal[ROLLUP_OBJECTS]] = Field(default_factory=list, description="Default: all")


def recalculate_rollups(session, data: RecalculateRollups) -> dict:
    from .rollups import recalculate

    if not session.app.is_admin(session):
        raise AccessDenied(f"{session.user.username} cannot recalculate rollups: it needs an administrator")
    return recalculate(session, list(data.objects) or None)


ACTIONS = [
    Action(
        "create_with_sessions",
        run=create_schedule_with_sessions,
        object="ServiceSchedule",
        input=NewSchedule,
        permission="create",
        label="New schedule",
        description="Create a schedule and generate its sessions (validated like the upstream wizard).",
    ),
    Action(
        "extend",
        run=extend,
        object="ServiceSchedule",
        on_record=True,
        input=ExtendSchedule,
        description="Add the sessions after the schedule's last one up to a later end.",
    ),
    Action(
        "participant_candidates",
        run=participant_candidates,
        object="ServiceSchedule",
        on_record=True,
        input=CandidateFilters,
        permission="read",
        writes=False,
        description="Engagements that could join the schedule (active stages of its program).",
    ),
    Action(
        "add_participants",
        run=add_participants,
        object="ServiceSchedule",
        on_record=True,
        input=AddParticipants,
        permission="read",
        description="Enrol engagements' clients on a schedule (capacity only warns).",
    ),
    Action(
        "roster",
        run=roster,
        object="ServiceSession",
        on_record=True,
        input=RosterOptions,
        permission="read",
        writes=False,
        description="The attendance roster: existing deliveries plus a new row per participant.",
    ),
    Action(
        "save_attendance",
        run=save_attendance,
        object="ServiceSession",
        on_record=True,
        input=SaveAttendance,
        permission="read",
        description="Save attendance in one transaction; the session becomes Complete.",
    ),
    Action(
        "bulk_create",
        run=bulk_deliveries,
        object="ServiceDelivery",
        input=BulkDeliveries,
        permission="create",
        description="Create service deliveries outside sessions, all rows or none.",
    ),
    Action(
        "pmm.recalculate_rollups",
        run=recalculate_rollups,
        input=RecalculateRollups,
        permission=None,
        description="Recompute attendance rollups from every delivery (administrators).",
    ),
]
