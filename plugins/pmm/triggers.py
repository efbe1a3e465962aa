"""Trigger handlers: they fetch what the pure rules and namers need and apply them.

Related records (a program's dates, a contact's account...) are read in the
system context, as upstream's validation rules and flows see them: the
lookup check has already made sure the user can see what they point at.
"""

from __future__ import annotations

import datetime as dt

from missionbase.core import ValidationError

from . import naming, rollups, rules
from . import settings as cfg
from .localtime import local_date, local_today, zone_of


def related(session, rows, *fields: str) -> dict[str, dict]:
    """The records the batch's lookups point at, by id (read as the system)."""
    ids = {row.new.get(name) for row in rows for name in fields if row.new.get(name)}
    return session.as_system().get_many(sorted(ids)) if ids else {}


def _raise(object_name: str, index: int, problems: list[tuple[str, str]]) -> None:
    if problems:
        field, message = problems[0]
        raise ValidationError(message, object_name=object_name, row=index, field=field)


def _automation_on(session) -> bool:
    return bool(session.get_setting(cfg.AUTOMATION))


def edited(ctx, rows) -> list[tuple[int, object]]:
    """(batch index, row) of the rows whose writable fields change: a rollup
    writing only read-only fields neither renames a record nor re-runs its rules."""
    if ctx.event != "before_update":
        return list(enumerate(rows))
    writable = [fld.name for fld in ctx.object.fields if not fld.read_only]
    return [(i, r) for i, r in enumerate(rows) if any(r.changed(name) for name in writable)]


# -- Program, Program Cohort -------------------------------------------------------------


def check_programs(ctx, rows) -> None:
    for index, row in edited(ctx, rows):
        _raise("Program", index, rules.program_rules(row.new))


def check_cohorts(ctx, rows) -> None:
    found = related(ctx.session, rows, "program")
    for index, row in enumerate(rows):
        _raise("ProgramCohort", index, rules.cohort_rules(row.new, found.get(row.new.get("program"))))


# -- Program Engagement -----------------------------------------------------------------


def prepare_engagements(ctx, rows) -> None:
    """Date defaults and auto-name when on, then the validation rules."""
    session = ctx.session
    indexed = edited(ctx, rows)
    if not indexed:
        return
    found = related(session, [row for _, row in indexed], "program", "contact", "program_cohort")
    automate = _automation_on(session)
    today = local_today(session)
    for index, row in indexed:
        new = row.new
        program = found.get(new.get("program"))
        contact = found.get(new.get("contact"))
        if automate:
            new.update(naming.engagement_dates(new, program.get("start_date") if program else None, today))
            if not new.get("auto_name_override") and program:
                created = local_date(session, new.get("created_at")) or today
                new["name"] = naming.engagement_name(contact, new.get("start_date"), created, program["name"])
        problems = rules.engagement_rules(new, contact, program, found.get(new.get("program_cohort")))
        _raise("ProgramEngagement", index, problems)


# -- Service Delivery --------------------------------------------------------------------


def prepare_deliveries(ctx, rows) -> None:
    session = ctx.session
    found = related(session, rows, "contact", "program_engagement", "service")
    automate = _automation_on(session)
    today = local_today(session)
    inserting = ctx.event == "before_insert"
    for index, row in enumerate(rows):
        new = row.new
        if inserting and new.get("delivery_date") is None:
            new["delivery_date"] = today
        new["household_benefit"] = bool(new.get("account"))
        contact = found.get(new.get("contact"))
        service = found.get(new.get("service"))
        if automate and not new.get("autoname_override") and service:
            created = local_date(session, new.get("created_at")) or today
            new["name"] = naming.delivery_name(contact, new.get("delivery_date"), created, service["name"])
        problems = rules.delivery_rules(new, contact, found.get(new.get("program_engagement")), service)
        _raise("ServiceDelivery", index, problems)


def roll_up_deliveries(ctx, rows) -> None:
    rollups.apply_delivery_changes(ctx.session, rows)


# -- Service Session, Service Participant ----------------------------------------------------


def name_sessions(ctx, rows) -> None:
    session = ctx.session
    if not _automation_on(session):
        return
    if ctx.event == "before_update":
        rows = [r for r in rows if r.changed("session_start") or r.changed("service_schedule")]
    found = related(session, rows, "service_schedule")
    zone = zone_of(session)
    session_name = naming.session_name
    for row in rows:
        new = row.new
        schedule = found.get(new.get("service_schedule"))
        start = new.get("session_start")
        if start is not None:
            start = (start if start.tzinfo else start.replace(tzinfo=dt.UTC)).astimezone(zone).date()
        new["name"] = session_name(start, schedule["name"] if schedule else None)


def prepare_participants(ctx, rows) -> None:
    session = ctx.session
    if ctx.event == "before_insert":
        today = local_today(session)
        for row in rows:
            if row.new.get("sign_up_date") is None:
                row.new["sign_up_date"] = today
    if not _automation_on(session):
        return
    found = related(session, rows, "contact", "service_schedule")
    for row in rows:
        schedule = found.get(row.new.get("service_schedule"))
        row.new["name"] = naming.participant_name(
            found.get(row.new.get("contact")), schedule["name"] if schedule else None
        )


def refresh_schedule_rollups(ctx, rows) -> None:
    rollups.refresh_schedules_of_sessions(ctx.session, rows)


def roll_up_participants(ctx, rows) -> None:
    rollups.apply_participant_changes(ctx.session, rows)


BEFORE_WRITE = (
    ("Program", check_programs),
    ("ProgramCohort", check_cohorts),
    ("ProgramEngagement", prepare_engagements),
    ("ServiceDelivery", prepare_deliveries),
    ("ServiceSession", name_sessions),
    ("ServiceParticipant", prepare_participants),
)
AFTER_WRITE = (
    ("ServiceDelivery", roll_up_deliveries),
    ("ServiceParticipant", roll_up_participants),
)


def register(registry) -> None:
    for object_name, handler in BEFORE_WRITE:
        registry.add_trigger(object_name, "before_insert", handler)
        registry.add_trigger(object_name, "before_update", handler)
    for object_name, handler in AFTER_WRITE:
        for event in ("after_insert", "after_update", "after_delete", "after_undelete"):
            registry.add_trigger(object_name, event, handler)
    # A new session has no deliveries yet; only moving, deleting or restoring one changes a schedule's.
    for event in ("after_update", "after_delete", "after_undelete"):
        registry.add_trigger("ServiceSession", event, refresh_schedule_rollups)
