"""Case Management's actions: the operations behind ``missionbase casemgmt ...`` and
``missionbase search``, the API and the web pages.

Each handler takes the caller's session and the validated input and returns
plain data; the rules stay in clients.py, clientids.py, notes.py, caseplans.py,
assessments.py, incidents.py, home.py, followup.py and search.py. Field values
(a picklist, a number's range, a date and time in the user's zone) are checked
by the records they are written to, so the messages are the records' own.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from missionbase.core import Action

FOLLOW_UP_LISTS = ("absent", "absences", "no-service")  # followup.RULES, without importing its queries


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- the client record -----------------------------------------------------------------------


class ClientRecordOptions(_Input):
    page: int = Field(1, ge=1, description="Page of the activity timeline (newest first)")


def client_record(session, contact_id: str, data: ClientRecordOptions) -> dict:
    from .clients import client_record as build

    return build(session, contact_id, page=data.page)


class AssignClientIds(_Input):
    contacts: list[str] = Field(
        default_factory=list,
        description="Client (Contact) ids; default: every client you can see without one",
    )
    regenerate: bool = Field(False, description="Replace the listed clients' IDs with newly generated ones")


def assign_client_ids(session, data: AssignClientIds) -> list[dict]:
    from .clientids import assign_client_ids as assign

    return assign(session, list(data.contacts) or None, regenerate=data.regenerate)


# -- case notes ---------------------------------------------------------------------------------


class NewNote(_Input):
    subject: str = Field(description="What the note is about")
    content: str | None = Field(None, description="Rich text (HTML)")
    complete: bool = Field(False, description="Save as Complete (locked) instead of Draft")
    interaction_date: dt.date | None = Field(None, description="When the interaction took place")
    minutes_spent: int | None = Field(None, description="Minutes spent with the client")
    related: list[str] = Field(default_factory=list, description="Ids of records the note is about")


def write_note(session, client_id: str, data: NewNote) -> dict:
    from .notes import write_note as write

    return write(
        session,
        client_id,
        data.subject,
        content=data.content,
        status="Complete" if data.complete else "Draft",
        interaction_date=data.interaction_date,
        minutes_spent=data.minutes_spent,
        related=list(data.related),
    )


def complete_note(session, note_id: str, data: None) -> dict:
    from .notes import complete_note as complete

    return complete(session, note_id)


class MyNotes(_Input):
    status: Literal["Draft", "Complete"] | None = Field(None, description="Only notes with this status")
    limit: int = Field(50, ge=1, description="How many, most recently changed first")


def my_notes(session, data: MyNotes) -> list[dict]:
    from .notes import my_notes as mine

    return mine(session, limit=data.limit, status=data.status)


# -- case plans and assessments ----------------------------------------------------------------------


class AddGoal(_Input):
    goal_template: str = Field(description="GoalTemplate id")
    include_optional: bool = Field(False, description="Also the template's optional action items")


def add_goal(session, plan_id: str, data: AddGoal) -> dict:
    from .caseplans import add_goal_from_template

    return add_goal_from_template(
        session, plan_id, data.goal_template, include_optional=data.include_optional
    )


def plan_outline(session, plan_id: str, data: None) -> dict:
    from .caseplans import plan_outline as outline

    return outline(session, plan_id)


class RecordAssessment(_Input):
    assessment_type: str = Field(description="AssessmentType id")
    answers: dict[str, int | str] = Field(description="Each question (id or text) and its score")
    completed_date: dt.date | None = Field(None, description="Default: today")
    comments: str | None = None


def record_assessment(session, client_id: str, data: RecordAssessment) -> dict:
    from .assessments import record_assessment as record

    return record(
        session,
        client_id,
        data.assessment_type,
        dict(data.answers),
        completed_date=data.completed_date,
        comments=data.comments,
    )


def assessment_history(session, client_id: str, data: None) -> dict:
    from .assessments import score_history

    return score_history(session, client_id)


# -- incidents ------------------------------------------------------------------------------------------


class ReportIncident(_Input):
    subject: str
    incident_datetime: str = Field(description="Date and time in your time zone, e.g. 2026-03-01T14:30")
    clients: list[str] = Field(description="Client (Contact) ids involved; the first is the primary client")
    severity: str = Field("Low", description="Low, Medium or High")
    incident_type: str | None = None
    branch: str | None = Field(None, description="Account id of the service location")
    location_notes: str | None = None
    description: str | None = None


def report_incident(session, data: ReportIncident) -> dict:
    from missionbase.core import parse_user_datetime

    from .incidents import report_incident as report

    values = data.model_dump(exclude_none=True, exclude={"clients"})
    values["incident_datetime"] = parse_user_datetime(
        session, data.incident_datetime, what="incident_datetime"
    )
    return report(session, values, list(data.clients))


def open_incidents(session, data: None) -> list[dict]:
    from .incidents import open_incidents as listed

    return listed(session)


# -- home, follow-up and search -------------------------------------------------------------------------


class OnDate(_Input):
    date: dt.date | None = Field(None, description="The day (default: today in your time zone)")


def home(session, data: OnDate) -> dict:
    from .home import home_view

    return home_view(session, data.date)


class FollowUp(OnDate):
    which: Literal[FOLLOW_UP_LISTS] = Field(
        description="absent (at the last delivery), absences (in a row) or no-service (none recently)"
    )


def follow_up(session, data: FollowUp) -> list[dict]:
    from .followup import follow_up as rows

    return rows(session, data.which, data.date)


class Search(_Input):
    text: str = Field(description="Words; each matches the beginning of a word")
    clients: bool = Field(False, description="Only clients (every text field of the contact)")
    objects: list[str] = Field(default_factory=list, description="Only these objects")
    limit: int | None = Field(None, description="Results (per object for global search)")


def search(session, data: Search) -> dict[str, list[dict]]:
    from .search import global_search, search_clients

    if data.clients:
        return {"Contact": search_clients(session, data.text, limit=data.limit or 20)}
    return global_search(
        session, data.text, objects=list(data.objects) or None, limit_per_object=data.limit or 5
    )


ACTIONS = [
    Action(
        "client_record",
        run=client_record,
        object="Contact",
        on_record=True,
        input=ClientRecordOptions,
        permission="read",
        writes=False,
        description="The client card, its tabs and a page of the activity timeline.",
    ),
    Action(
        "assign_client_ids",
        run=assign_client_ids,
        object="Contact",
        input=AssignClientIds,
        permission="edit",
        label="Assign client IDs",
        description="Give clients a generated ID if they have none (or replace the listed ones' IDs).",
    ),
    Action(
        "write_note",
        run=write_note,
        object="Contact",
        on_record=True,
        input=NewNote,
        permission="read",
        label="Write a case note",
        description="A case note about the client, with its links to the records it is about.",
    ),
    Action(
        "record_assessment",
        run=record_assessment,
        object="Contact",
        on_record=True,
        input=RecordAssessment,
        permission="read",
        description="Record a completed assessment: its total and tier come from the scores.",
    ),
    Action(
        "assessment_history",
        run=assessment_history,
        object="Contact",
        on_record=True,
        permission="read",
        writes=False,
        description="The client's totals and tiers per assessment type, oldest first.",
    ),
    Action(
        "complete",
        run=complete_note,
        object="ClientNote",
        on_record=True,
        description="Complete a draft case note: it is locked from then on.",
    ),
    Action(
        "mine",
        run=my_notes,
        object="ClientNote",
        input=MyNotes,
        permission="read",
        writes=False,
        label="My notes",
        description="Your case notes, most recently changed first.",
    ),
    Action(
        "add_goal",
        run=add_goal,
        object="CasePlan",
        on_record=True,
        input=AddGoal,
        description="Add a goal from a template, with its required action items.",
    ),
    Action(
        "outline",
        run=plan_outline,
        object="CasePlan",
        on_record=True,
        permission="read",
        writes=False,
        description="The plan with its goals and each goal's action items.",
    ),
    Action(
        "report",
        run=report_incident,
        object="Incident",
        input=ReportIncident,
        permission="create",
        label="Report an incident",
        description="An incident with every client involved.",
    ),
    Action(
        "list_open",
        run=open_incidents,
        object="Incident",
        permission="read",
        writes=False,
        label="Open incidents",
        description="Open incidents you can read, High severity first.",
    ),
    Action(
        "casemgmt.home",
        run=home,
        input=OnDate,
        permission=None,
        writes=False,
        description="Your day: engagements, events, sessions, incidents, notes, tasks and follow-up.",
    ),
    Action(
        "casemgmt.follow_up",
        run=follow_up,
        input=FollowUp,
        permission=None,
        writes=False,
        description="Your clients that may need follow-up: absent, absences (in a row) or no-service.",
    ),
    Action(
        "casemgmt.search",
        run=search,
        input=Search,
        permission=None,
        writes=False,
        description="Records by any word's beginning, grouped by object: clients first by name and ID.",
    ),
]
