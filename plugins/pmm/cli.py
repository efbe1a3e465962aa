"""The ``missionbase pmm`` command group.

Behaviour lives in the plugin's modules; the commands parse options, open
one session (one transaction) as ``--as USER`` and print a table or JSON.
"""

from __future__ import annotations

import click

from missionbase.core import (
    as_user_option,
    echo_json,
    echo_report,
    echo_table,
    json_option,
    load_rows,
    pass_app,
    run_action,
)


@click.group()
def pmm():
    """Program management: schedules, participants, attendance, deliveries, rollups, reports."""


# -- schedules -----------------------------------------------------------------------


@pmm.group()
def schedule():
    """Create service schedules with their sessions, and extend them."""


@schedule.command("create")
@click.option("--name", required=True)
@click.option("--service", required=True, help="Service id")
@click.option(
    "--start",
    "first_session_start",
    help="First session start, local time: 2025-01-06T18:00 (default: the next :00 or :30)",
)
@click.option("--end", "first_session_end", help="First session end, local time (default: start + 1 hour)")
@click.option(
    "--frequency", type=click.Choice(["One Time", "Daily", "Weekly", "Monthly"]), default="One Time"
)
@click.option("--interval", type=int, default=1, show_default=True)
@click.option("--days", "days_of_week", help="Weekly days, 1 = Sunday ... 7 = Saturday, e.g. 2,4")
@click.option(
    "--monthly", "monthly_recurrence_option", help="LastDayOfMonth or e.g. 2MO; default: the start's day"
)
@click.option("--until", "service_schedule_end_date", help="Last date (inclusive)")
@click.option("--count", "number_of_service_sessions", type=int, help="Number of sessions")
@click.option("--primary-provider", "primary_service_provider")
@click.option("--other-provider", "other_service_provider")
@click.option("--capacity", "participant_capacity", type=int)
@click.option("--quantity", "default_service_quantity", help="Default quantity for attendance")
@click.option("--no-sessions", is_flag=True, help="Create the schedule without generating sessions")
@as_user_option
@json_option
@pass_app
def schedule_create(app, as_user, as_json, no_sessions, days_of_week, **values):
    """Create a schedule and generate its sessions (validated like the upstream wizard)."""
    values = {k: v for k, v in values.items() if v is not None}
    if days_of_week:
        values["days_of_week"] = [d.strip() for d in days_of_week.split(",") if d.strip()]
    if no_sessions:
        values["create_sessions"] = False
    with app.session(as_user) as s:
        done = run_action(s, "ServiceSchedule.create_with_sessions", values)
        tz = s.user.time_zone
    if as_json:
        echo_json(done)
        return
    created, sessions = done["schedule"], done["sessions"]
    click.echo(f"Created schedule {created['id']} ({created['name']}) with {len(sessions)} session(s).")
    echo_table(sessions, ["id", "name", "session_start", "session_end"], time_zone=tz)


@schedule.command("extend")
@click.argument("schedule_id")
@click.option("--until", "end_date", help="New last date (inclusive)")
@click.option("--count", type=int, help="New total number of sessions")
@as_user_option
@json_option
@pass_app
def schedule_extend(app, schedule_id, end_date, count, as_user, as_json):
    """Add the sessions after the schedule's last one up to a later end."""
    values = {k: v for k, v in {"until": end_date, "count": count}.items() if v is not None}
    with app.session(as_user) as s:
        sessions = run_action(s, "ServiceSchedule.extend", values, record_id=schedule_id)
        tz = s.user.time_zone
    if as_json:
        echo_json(sessions)
        return
    click.echo(f"Added {len(sessions)} session(s).")
    echo_table(sessions, ["id", "name", "session_start", "session_end"], time_zone=tz)


# -- participants ------------------------------------------------------------------------


@pmm.group()
def participants():
    """Find and add participants to a schedule."""


def _filters(func):
    func = click.option("--stage", help="Only this active stage")(func)
    func = click.option("--cohort", help="Only this cohort (id)")(func)
    return click.option("--search", help="Text in the engagement or the contact's name or email")(func)


@participants.command("candidates")
@click.argument("schedule_id")
@_filters
@as_user_option
@json_option
@pass_app
def participants_candidates(app, schedule_id, stage, cohort, search, as_user, as_json):
    """Engagements that could join the schedule (active stages of its program, not already on it)."""
    filters = {k: v for k, v in {"stage": stage, "cohort": cohort, "search": search}.items() if v}
    with app.session(as_user) as s:
        rows = run_action(s, "ServiceSchedule.participant_candidates", filters, record_id=schedule_id)
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows, ["id", "contact.first_name", "contact.last_name", "stage", "program_cohort"])


@participants.command("add")
@click.argument("schedule_id")
@click.option("--engagement", "engagements", multiple=True, help="Engagement id; repeat for more")
@click.option("--all", "add_all", is_flag=True, help="Every candidate matching the filters")
@_filters
@as_user_option
@json_option
@pass_app
def participants_add(app, schedule_id, engagements, add_all, stage, cohort, search, as_user, as_json):
    """Enrol engagements' clients on a schedule (capacity only warns)."""
    from missionbase.core import ValidationError

    if not engagements and not add_all:
        raise ValidationError("name engagements with --engagement ID, or use --all (with filters)")
    values = {k: v for k, v in {"stage": stage, "cohort": cohort, "search": search}.items() if v}
    values.update(engagements=list(engagements), all=add_all)
    with app.session(as_user) as s:
        added = run_action(s, "ServiceSchedule.add_participants", values, record_id=schedule_id)
    if added["warning"]:
        click.echo(f"warning: {added['warning']}", err=True)
    if as_json:
        echo_json(added["participants"])
    else:
        click.echo(f"Added {len(added['participants'])} participant(s).")


# -- attendance ----------------------------------------------------------------------------


@pmm.group()
def attendance():
    """Show a session's attendance roster and save attendance."""


@attendance.command("show")
@click.argument("session_id")
@click.option("--sort", type=click.Choice(["first_name", "last_name"]), default="first_name")
@click.option("--exclude-status", default="", help="Participant statuses to leave out, comma-separated")
@click.option("--exclude-role", default="", help="Engagement roles to leave out, comma-separated")
@click.option("--exclude-stage", default="", help="Engagement stages to leave out, comma-separated")
@as_user_option
@json_option
@pass_app
def attendance_show(app, session_id, sort, exclude_status, exclude_role, exclude_stage, as_user, as_json):
    """The roster: existing deliveries plus a new (Present) row per participant without one."""

    def listed(text: str) -> list[str]:
        return [item for item in text.split(",") if item]

    options = {
        "sort": sort,
        "exclude_statuses": listed(exclude_status),
        "exclude_roles": listed(exclude_role),
        "exclude_stages": listed(exclude_stage),
    }
    with app.session(as_user) as s:
        rows = run_action(s, "ServiceSession.roster", options, record_id=session_id)
    if as_json:
        echo_json(rows)
    else:
        echo_table(
            rows,
            [
                "contact",
                "contact_name",
                "attendance_status",
                "quantity",
                "delivery_date",
                "delivery",
                "skipped",
            ],
        )


@attendance.command("save")
@click.argument("session_id")
@click.argument("file", required=False)
@click.option("--present", multiple=True, help="Contact id; repeat for more")
@click.option("--absent", multiple=True, help="Contact id (Unexcused Absence); repeat for more")
@click.option("--excused", multiple=True, help="Contact id (Excused Absence); repeat for more")
@click.option("--skip", multiple=True, help="Contact id to leave out (remembered); repeat for more")
@click.option("--rest", help="Status for roster contacts not named (default: leave them out)")
@as_user_option
@json_option
@pass_app
def attendance_save(app, session_id, file, present, absent, excused, skip, rest, as_user, as_json):
    """Save attendance from FILE (rows with contact, attendance_status, quantity, skip) or the flags.

    One transaction: the deliveries are created and updated and the session
    becomes Complete, or nothing changes.
    """
    from missionbase.core import ValidationError

    marks: dict = {}
    skipped = list(skip)
    if file:
        for index, row in enumerate(load_rows(file)):
            contact = row.get("contact")
            if not contact:
                raise ValidationError(
                    "needs a contact id", object_name="attendance", row=index, field="contact"
                )
            if str(row.get("skip") or "").lower() in ("1", "true", "yes"):
                skipped.append(contact)
                continue
            marks[contact] = {
                k: v for k, v in row.items() if k in ("attendance_status", "quantity") and v is not None
            }
            marks[contact]["contact"] = contact
    for status, contacts in (
        ("Present", present),
        ("Unexcused Absence", absent),
        ("Excused Absence", excused),
    ):
        for contact in contacts:
            marks[contact] = {"contact": contact, "attendance_status": status}
    if not marks and not rest and not skipped:
        raise ValidationError("nothing to save: give a FILE, or --present/--absent/--excused/--skip/--rest")
    values = {"marks": list(marks.values()), "skip": skipped, "rest": rest}
    with app.session(as_user) as s:
        saved = run_action(s, "ServiceSession.save_attendance", values, record_id=session_id)
    if as_json:
        echo_json(saved)
    else:
        click.echo(saved["message"])


# -- deliveries ------------------------------------------------------------------------------


@pmm.group()
def deliveries():
    """Record service deliveries outside sessions."""


@deliveries.command("bulk")
@click.argument("file")
@as_user_option
@json_option
@pass_app
def deliveries_bulk(app, file, as_user, as_json):
    """Create deliveries from FILE (CSV or JSON rows: contact, program_engagement, service, delivery_date,
    quantity...); an anonymous row has no contact and a quantity. All rows or none."""
    rows = load_rows(file)
    with app.session(as_user) as s:
        created = run_action(s, "ServiceDelivery.bulk_create", {"rows": rows})
    if as_json:
        echo_json(created)
    else:
        click.echo(f"Saved {len(created)} Service Delivery records.")


# -- rollups ---------------------------------------------------------------------------------


@pmm.group()
def rollups():
    """Attendance rollups on contacts, engagements, services, sessions and schedules."""


@rollups.command("recalc")
@click.option(
    "--object",
    "objects",
    multiple=True,
    help="Contact, ProgramEngagement, Service, ServiceSession or ServiceSchedule; default all",
)
@as_user_option
@json_option
@pass_app
def rollups_recalc(app, objects, as_user, as_json):
    """Recompute rollups from every delivery (needs an administrator); writes only what changed."""
    with app.session(as_user) as s:
        changed = run_action(s, "pmm.recalculate_rollups", {"objects": list(objects)})
    if as_json:
        echo_json(changed)
    else:
        for name, count in changed.items():
            click.echo(f"{name}: {count} record(s) updated")


# -- reports ---------------------------------------------------------------------------------


@pmm.command("report")
@click.argument("name")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of a table.")
@as_user_option
@json_option
@pass_app
def report(app, name, as_csv, as_user, as_json):
    """Run a packaged PMM report as --as USER (names: 'missionbase reports list')."""
    from .reports import report_name

    echo_report(app, report_name(name), None, as_user, as_json=as_json, as_csv=as_csv)
