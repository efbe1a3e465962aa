"""``missionbase casemgmt``: the client record, client IDs, notes, plans, assessments,
incidents, the home view and follow-up lists; and ``missionbase search``."""

from __future__ import annotations

import datetime as dt

import click

from missionbase.core import (
    as_user_option,
    display,
    echo_json,
    echo_record,
    echo_table,
    json_option,
    pass_app,
    run_action,
)


def _date(value: str | None, option: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        from missionbase.core import ValidationError

        raise ValidationError(f"{option} {value!r} is not a date like 2026-01-31") from None


def _section(title: str) -> None:
    click.echo("")
    click.echo(f"== {title}")


@click.group()
def casemgmt():
    """Case management: clients, case notes, plans, assessments, incidents, follow-up."""


# -- the client record --------------------------------------------------------------------------


@casemgmt.group()
def client():
    """The client record."""


@client.command("show")
@click.argument("contact_id")
@click.option("--page", type=int, default=1, show_default=True, help="Page of the activity timeline")
@as_user_option
@json_option
@pass_app
def client_show(app, contact_id, page, as_user, as_json):
    """The client card, then the tabs and the activity timeline (newest first)."""
    with app.session(as_user) as s:
        record = run_action(s, "Contact.client_record", {"page": page}, record_id=contact_id)
        zone = s.user.time_zone
    if as_json:
        echo_json(record)
        return
    card = record["card"]
    badges = " ".join(f"[{r}]" for r in card.get("roles") or [])
    watch = (
        "  ⚑ WATCH LIST" + (f" since {card['watch_list_date']}" if card.get("watch_list_date") else "")
        if card.get("watch_list")
        else ""
    )
    pronouns = f" ({card['pronouns']})" if card.get("pronouns") else ""
    click.echo(f"{card.get('name')}{pronouns}  {badges}{watch}".rstrip())
    for alert in card["alerts"]:
        click.echo(
            f"  ! {alert['alert']}" + (f" (until {alert['expires_on']})" if alert.get("expires_on") else "")
        )
    photo = card.get("photo")
    details = {
        k: v
        for k, v in card.items()
        if k not in ("name", "pronouns", "roles", "watch_list", "watch_list_date", "alerts", "photo", "id")
    }
    details["photo"] = f"{photo['name']} ({photo['id']})" if photo else None
    if isinstance(details.get("emergency_contact"), dict):
        details["emergency_contact"] = details["emergency_contact"]["name"]
    echo_record({k: v for k, v in details.items() if v not in (None, "", [])}, time_zone=zone)
    for tab, rows in record["tabs"].items():
        _section(tab.replace("_", " "))
        echo_table(rows, time_zone=zone)
    timeline = record["timeline"]
    _section(f"activity timeline (page {timeline['page']})")
    echo_table(timeline["items"], ["when", "kind", "title", "detail", "id"], time_zone=zone)
    if timeline["has_more"]:
        click.echo(f"(more: --page {timeline['page'] + 1})")


@casemgmt.group("client-id")
def client_id():
    """Generate client IDs (casemgmt.client_id_generator)."""


@client_id.command("assign")
@click.argument("contact_ids", nargs=-1)
@as_user_option
@json_option
@pass_app
def client_id_assign(app, contact_ids, as_user, as_json):
    """Give the listed clients (default: every client you can see) an ID if they have none."""
    with app.session(as_user) as s:
        rows = run_action(s, "Contact.assign_client_ids", {"contacts": list(contact_ids)})
    echo_json(rows) if as_json else (
        echo_table(rows) if rows else click.echo("every client already has an ID")
    )


@client_id.command("regenerate")
@click.argument("contact_ids", nargs=-1, required=True)
@as_user_option
@json_option
@pass_app
def client_id_regenerate(app, contact_ids, as_user, as_json):
    """Replace the IDs of the listed clients with newly generated ones."""
    values = {"contacts": list(contact_ids), "regenerate": True}
    with app.session(as_user) as s:
        rows = run_action(s, "Contact.assign_client_ids", values)
    echo_json(rows) if as_json else echo_table(rows)


# -- home and follow-up ---------------------------------------------------------------------------


@casemgmt.command("home")
@click.option("--date", "on_date", help="The day to show (default: today in your time zone)")
@as_user_option
@json_option
@pass_app
def home(app, on_date, as_user, as_json):
    """Your day: engagements, events, sessions, incidents, notes, tasks and follow-up."""
    day = _date(on_date, "--date")
    with app.session(as_user) as s:
        view = run_action(s, "casemgmt.home", {"date": day})
        zone = s.user.time_zone
    if as_json:
        echo_json(view)
        return
    click.echo(f"Home of {view['user']} on {view['date']}")
    _section("my active engagements")
    echo_table(view["my_engagements"], ["name", "start_date", "contact"], time_zone=zone)
    _section("today's events")
    echo_table(view["todays_events"], ["start", "subject", "location", "who"], time_zone=zone)
    for week, rows in view["recent_sessions"].items():
        _section(f"sessions {week.replace('_', ' ')}")
        echo_table(
            rows,
            ["session_start", "name", "status", "num_present_deliveries", "num_absent_deliveries"],
            time_zone=zone,
        )
    _section("open incidents")
    echo_table(
        view["open_incidents"],
        ["severity", "incident_datetime", "subject", "status", "contact.name"],
        time_zone=zone,
    )
    _section("my recent notes")
    echo_table(view["my_recent_notes"], ["modified_at", "subject", "client.name", "status"], time_zone=zone)
    for bucket, rows in view["open_tasks"].items():
        _section(f"tasks {bucket}")
        echo_table(rows, ["due_date", "subject", "priority", "status"], time_zone=zone)
    for name, rows in view["follow_up"].items():
        _section(f"follow-up: {FOLLOW_UP_TITLES[name]}")
        echo_table(rows, FOLLOW_UP_COLUMNS[name], time_zone=zone)


FOLLOW_UP_TITLES = {
    "absent": "absent at last service delivery",
    "absences": "consecutive absences",
    "no-service": "no recent service delivery",
}
FOLLOW_UP_COLUMNS = {
    "absent": ["name", "engagement_name", "stage", "consecutive_absences", "last_service_date", "alerts"],
    "absences": ["name", "engagement_name", "stage", "consecutive_absences", "last_service_date", "alerts"],
    "no-service": ["name", "client_id", "last_service_date", "alerts", "contact"],
}


@casemgmt.command("followup")
@click.argument("which", type=click.Choice(list(FOLLOW_UP_TITLES)))
@click.option("--date", "on_date", help="Today for the 'no-service' window (default: today)")
@as_user_option
@json_option
@pass_app
def followup_command(app, which, on_date, as_user, as_json):
    """Your clients that may need follow-up: absent, absences (in a row) or no-service."""
    values = {"which": which, "date": _date(on_date, "--date")}
    with app.session(as_user) as s:
        rows = run_action(s, "casemgmt.follow_up", values)
    echo_json(rows) if as_json else echo_table(rows, FOLLOW_UP_COLUMNS[which])


# -- case notes ---------------------------------------------------------------------------------------


@casemgmt.group()
def notes():
    """Case notes."""


@notes.command("write")
@click.argument("client_id")
@click.option("--subject", required=True)
@click.option("--content", help="Rich text (HTML)")
@click.option("--complete", is_flag=True, help="Save as Complete (locked) instead of Draft")
@click.option("--date", "interaction_date", help="Interaction date")
@click.option("--minutes", type=int, help="Minutes spent with the client")
@click.option("--related", multiple=True, help="A record the note is about; repeat for more")
@as_user_option
@json_option
@pass_app
def notes_write(
    app, client_id, subject, content, complete, interaction_date, minutes, related, as_user, as_json
):
    values = {
        "subject": subject,
        "content": content,
        "complete": complete,
        "interaction_date": _date(interaction_date, "--date"),
        "minutes_spent": minutes,
        "related": list(related),
    }
    with app.session(as_user) as s:
        note = run_action(s, "Contact.write_note", values, record_id=client_id)
    echo_json(note) if as_json else click.echo(f"{note['id']} {note['status']}: {note['subject']}")


@notes.command("complete")
@click.argument("note_id")
@as_user_option
@pass_app
def notes_complete(app, note_id, as_user):
    with app.session(as_user) as s:
        note = run_action(s, "ClientNote.complete", record_id=note_id)
    click.echo(f"{note['id']} {note['status']}")


@notes.command("mine")
@click.option("--status", type=click.Choice(["Draft", "Complete"]))
@click.option("--limit", type=int, default=50, show_default=True)
@as_user_option
@json_option
@pass_app
def notes_mine(app, status, limit, as_user, as_json):
    """My notes, most recently changed first."""
    with app.session(as_user) as s:
        rows = run_action(s, "ClientNote.mine", {"limit": limit, "status": status})
        zone = s.user.time_zone
    echo_json(rows) if as_json else echo_table(
        rows, ["modified_at", "subject", "client.name", "status", "interaction_date", "id"], time_zone=zone
    )


# -- case plans and assessments ---------------------------------------------------------------------


@casemgmt.group()
def plans():
    """Case plans, goals and action items."""


@plans.command("add-goal")
@click.argument("plan_id")
@click.argument("goal_template_id")
@click.option("--include-optional", is_flag=True, help="Also the template's optional action items")
@as_user_option
@json_option
@pass_app
def plans_add_goal(app, plan_id, goal_template_id, include_optional, as_user, as_json):
    """Add a goal from a template, with its required action items."""
    values = {"goal_template": goal_template_id, "include_optional": include_optional}
    with app.session(as_user) as s:
        goal = run_action(s, "CasePlan.add_goal", values, record_id=plan_id)
    if as_json:
        echo_json(goal)
        return
    click.echo(f"{goal['id']} {goal['name']}")
    echo_table(goal["action_items"], ["name", "due_date", "status", "id"])


@plans.command("show")
@click.argument("plan_id")
@as_user_option
@json_option
@pass_app
def plans_show(app, plan_id, as_user, as_json):
    with app.session(as_user) as s:
        plan = run_action(s, "CasePlan.outline", record_id=plan_id)
    if as_json:
        echo_json(plan)
        return
    click.echo(f"{plan['name']}: {plan['status']}")
    for goal in plan["goals"]:
        _section(f"goal {goal['name']} ({goal['status']})")
        echo_table(goal["action_items"], ["name", "due_date", "status", "id"])
    if plan["other_action_items"]:
        _section("other action items")
        echo_table(plan["other_action_items"], ["name", "due_date", "status", "id"])


@casemgmt.group()
def assessments():
    """Assessments: record one, see a client's score history."""


@assessments.command("record")
@click.argument("client_id")
@click.argument("type_id")
@click.option(
    "--answer",
    "answers",
    multiple=True,
    metavar="QUESTION=SCORE",
    help="A question (id or text) and its score; one per question",
)
@click.option("--date", "completed_date")
@click.option("--comments")
@as_user_option
@json_option
@pass_app
def assessments_record(app, client_id, type_id, answers, completed_date, comments, as_user, as_json):
    from missionbase.core import ValidationError

    parsed = {}
    for answer in answers:
        question, sep, score = answer.rpartition("=")
        if not sep or not question.strip():
            raise ValidationError(f"--answer {answer!r} must look like QUESTION=SCORE")
        parsed[question.strip()] = score.strip()
    values = {
        "assessment_type": type_id,
        "answers": parsed,
        "completed_date": _date(completed_date, "--date"),
        "comments": comments,
    }
    with app.session(as_user) as s:
        row = run_action(s, "Contact.record_assessment", values, record_id=client_id)
    echo_json(row) if as_json else click.echo(
        f"{row['id']} total {row['total_score']}, tier {row['tier'] or '-'}"
    )


@assessments.command("history")
@click.argument("client_id")
@as_user_option
@json_option
@pass_app
def assessments_history(app, client_id, as_user, as_json):
    with app.session(as_user) as s:
        history = run_action(s, "Contact.assessment_history", record_id=client_id)
    if as_json:
        echo_json(history)
        return
    for name, rows in history.items():
        _section(name)
        echo_table(rows, ["completed_date", "total_score", "tier"])


# -- incidents ------------------------------------------------------------------------------------------


@casemgmt.group()
def incidents():
    """Incidents involving clients."""


@incidents.command("report")
@click.option("--subject", required=True)
@click.option(
    "--when",
    "incident_datetime",
    required=True,
    help="Date and time, your local time: 2026-03-01T14:30 (or with an offset, 2026-03-01T14:30+01:00)",
)
@click.option("--severity", type=click.Choice(["Low", "Medium", "High"]), default="Low", show_default=True)
@click.option("--type", "incident_type")
@click.option("--client", "clients", multiple=True, required=True, help="A client involved; repeat for more")
@click.option("--branch", help="Account id of the service location")
@click.option("--location-notes")
@click.option("--description")
@as_user_option
@json_option
@pass_app
def incidents_report(app, clients, as_user, as_json, **values):
    from missionbase.core import parse_user_datetime

    values = {k: v for k, v in values.items() if v is not None}
    with app.session(as_user) as s:
        when = parse_user_datetime(s, values["incident_datetime"], what="--when")
        values["incident_datetime"] = when.isoformat()
        incident = run_action(s, "Incident.report", {**values, "clients": list(clients)})
    echo_json(incident) if as_json else click.echo(
        f"{incident['id']} {incident['severity']}: {incident['subject']}"
    )


@incidents.command("open")
@as_user_option
@json_option
@pass_app
def incidents_open(app, as_user, as_json):
    """Open incidents, High severity first."""
    with app.session(as_user) as s:
        rows = run_action(s, "Incident.list_open")
        zone = s.user.time_zone
    echo_json(rows) if as_json else echo_table(
        rows, ["severity", "incident_datetime", "subject", "status", "contact.name", "id"], time_zone=zone
    )


# -- search (a top-level command) --------------------------------------------------------------------------


@click.command("search")
@click.argument("text")
@click.option(
    "--clients", "clients_only", is_flag=True, help="Only clients (every text field of the contact)"
)
@click.option("--object", "objects", multiple=True, help="Only this object; repeat for more")
@click.option("--limit", type=int, default=None, help="Results (per object for global search)")
@as_user_option
@json_option
@pass_app
def search_command(app, text, clients_only, objects, limit, as_user, as_json):
    """Find records by any word's beginning: clients first by name and client ID."""
    values = {"text": text, "clients": clients_only, "objects": list(objects), "limit": limit}
    with app.session(as_user) as s:
        grouped = run_action(s, "casemgmt.search", values)
    if as_json:
        echo_json(grouped)
        return
    if not any(grouped.values()):
        click.echo(f"nothing found for {text!r}")
        return
    for object_name, rows in grouped.items():
        _section(object_name)
        columns = (
            ["name", "client_id", "matched", "value", "alerts", "id"]
            if clients_only
            else ["name", "matched", "value", "id"]
        )
        echo_table([{**r, "value": display(r.get("value"))} for r in rows], columns)
