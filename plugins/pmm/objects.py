"""PMM's object declarations: programs, cohorts, engagements,
services, schedules, sessions, participants and deliveries, plus the fields
PMM adds to Contact.

Every object is Public Read/Write; what a user may do comes from the
three permission sets in ``permissions.py``. Rollup fields are read-only:
only ``rollups.py`` writes them (system context, ``computed=``).
"""

from __future__ import annotations

import sqlalchemy as sa

from missionbase.core import AccessDenied, NotInFuture, ObjectType
from missionbase.core import fields as f

PROGRAM_STATUSES = ["Planned", "Active", "Completed", "Canceled"]
ISSUE_AREAS = ["Housing", "Employment", "Education", "Legal", "Counseling", "Food and Nutrition", "Advocacy"]
ENGAGEMENT_STAGES = [
    "Applied",
    "Application Denied",
    "Waitlisted",
    "Enrolled",
    "Active",
    "Completed",
    "Withdrawn",
]
ENGAGEMENT_ROLES = ["Client", "Volunteer", "Service Provider"]
FREQUENCIES = ["One Time", "Daily", "Weekly", "Monthly"]
# Days of week as upstream stores them: 1 = Sunday ... 7 = Saturday.
DAYS_OF_WEEK = ["1", "2", "3", "4", "5", "6", "7"]
WEEKDAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
MONTHLY_OPTIONS = ["LastDayOfMonth", *[f"{n}{day}" for n in range(1, 6) for day in WEEKDAY_CODES]]
SCHEDULE_ENDS = ["On", "After"]
SESSION_STATUSES = ["Pending", "Complete", "Canceled"]
PARTICIPANT_STATUSES = ["Waitlisted", "Enrolled", "Withdrawn"]
ATTENDANCE_STATUSES = ["Present", "Unexcused Absence", "Excused Absence"]

NAME = dict(max_length=80)


def attendance_fields() -> list[f.Field]:
    """Present/absent counts with the rate and summary derived from them."""
    return [
        f.Integer(
            "num_present_deliveries",
            read_only=True,
            label="Present service deliveries",
            help="Deliveries whose attendance status is in the Present bucket; blank when none counted",
        ),
        f.Integer(
            "num_absent_deliveries",
            read_only=True,
            label="Absent service deliveries",
            help="Deliveries whose attendance status is in the Absent bucket; blank when none counted",
        ),
        f.Percent(
            "attendance_rate", read_only=True, help="present / (present + absent); blank when both are 0"
        ),
        f.Text("attendance_summary", max_length=40, read_only=True, help='e.g. "67% (2/3)"'),
    ]


def _parent_value(object_name: str, lookup: str, column: str):
    """``sql=`` for a formula that reads ``column`` of the record ``lookup`` points at: a correlated
    subquery that, like the formula's ``lookup.column`` dependency, only opens records the viewer may read."""

    def expression(table, session):
        parent = session.schema.table(object_name).alias(f"f_{lookup}")
        try:
            visible = session.visible_condition(object_name, parent)
        except AccessDenied:
            visible = sa.false()
        return sa.select(parent.c[column]).where(parent.c.id == table.c[lookup], visible).scalar_subquery()

    return expression


# Formula fields are computed when read, never stored (core's f.Formula).
# Unit of measurement and service link read the parent record at read time rather than
# being copies that triggers keep in sync, because that is what upstream's formulas mean:
# the value is always the parent's current one. A stored copy would go stale whenever a
# Service's unit or a schedule's Service changes (a fan-out rewrite of every delivery or
# session, rollups and history included) and when deleting a Service clears a schedule's
# lookup in SQL, which runs no trigger. Each declares sql= so it can be filtered and sorted.
CURRENT_USER_OWNER = f.Formula(
    "current_user_owner",
    f.Boolean,
    label="Current user owner",
    compute=lambda record, session: record["owner_id"] == session.user.id,
    depends_on=["owner_id"],
    sql=lambda table, session: table.c.owner_id == session.user.id,
    help="Checked when you own the engagement (My Program Engagements)",
)
DELIVERY_UNIT_OF_MEASUREMENT = f.Formula(
    "unit_of_measurement",
    f.Text("unit_of_measurement", max_length=255),
    compute=lambda record, session: record["service.unit_of_measurement"],
    depends_on=["service.unit_of_measurement"],
    sql=_parent_value("Service", "service", "unit_of_measurement"),
    help="The service's unit (e.g. Hours)",
)
SESSION_SERVICE_LINK = f.Formula(
    "service_link",
    f.Lookup("service_link", "Service"),
    label="Service",
    compute=lambda record, session: record["service_schedule.service"],
    depends_on=["service_schedule.service"],
    sql=_parent_value("ServiceSchedule", "service_schedule", "service"),
    help="The service of the session's schedule",
)


def client_history_fields() -> list[f.Field]:
    """Consecutive absences and last service date (Contact and Program Engagement only)."""
    return [
        f.Integer(
            "consecutive_absences", read_only=True, help="Absences dated after the latest present delivery"
        ),
        f.Date("last_service_date", read_only=True, help="Latest delivery date with a quantity above 0"),
    ]


PROGRAM = ObjectType(
    "Program",
    prefix="prg",
    sharing="public_read_write",
    feed=True,
    description="An area of the mission (housing, literacy...) that ties services and engagements together.",
    fields=[
        f.Text("name", required=True, **NAME),
        f.Picklist("status", PROGRAM_STATUSES, required=True),
        f.Picklist("program_issue_area", ISSUE_AREAS),
        f.Date("start_date"),
        f.Date("end_date"),
        f.Text("short_summary", max_length=255, help="Shown in search results"),
        f.LongText("description", max_length=32768),
        f.LongText("target_population", max_length=32768),
    ],
)

PROGRAM_COHORT = ObjectType(
    "ProgramCohort",
    prefix="pco",
    sharing="public_read_write",
    feed=True,
    description="A group of engagements that start together or meet in one place.",
    fields=[
        f.Text("name", required=True, **NAME),
        f.Lookup("program", "Program", required=True, on_delete="restrict"),
        f.Picklist("status", PROGRAM_STATUSES, required=True),
        f.Date("start_date"),
        f.Date("end_date"),
        f.LongText("description", max_length=32768),
    ],
)

PROGRAM_ENGAGEMENT = ObjectType(
    "ProgramEngagement",
    prefix="pen",
    sharing="public_read_write",
    feed=True,
    history=["stage"],
    description="A client's relationship with a program over time.",
    fields=[
        f.Text(
            "name", help="Auto-named '<client> <date>: <program>' unless auto_name_override is set", **NAME
        ),
        f.Lookup("program", "Program", required=True, on_delete="restrict"),
        f.Lookup("contact", "Contact", on_delete="restrict", label="Client"),
        f.Lookup("program_cohort", "ProgramCohort", on_delete="clear"),
        f.Lookup("account", "Account", on_delete="clear", label="Household account"),
        f.Picklist("stage", ENGAGEMENT_STAGES, indexed=True),
        f.Picklist("role", ENGAGEMENT_ROLES),
        f.Date("application_date"),
        f.Date("start_date"),
        f.Date("end_date"),
        f.Boolean("auto_name_override", help="Checked: the name is yours, not generated"),
        *attendance_fields(),
        *client_history_fields(),
        CURRENT_USER_OWNER,
    ],
)

SERVICE = ObjectType(
    "Service",
    prefix="svc",
    sharing="public_read_write",
    feed=True,
    description="An activity of a program, measured in a unit (hours of tutoring, meals).",
    fields=[
        f.Text("name", required=True, **NAME),
        f.Lookup("program", "Program", required=True, on_delete="restrict"),
        f.Picklist("status", PROGRAM_STATUSES, default="Active"),
        f.Text("unit_of_measurement", max_length=255, help='e.g. "Hours"'),
        f.Text("description", max_length=255),
        f.Picklist(
            "attendance_field_set", ["Attendance_Service_Deliveries"], default="Attendance_Service_Deliveries"
        ),
        f.Picklist(
            "service_delivery_field_set", ["Bulk_Service_Deliveries"], default="Bulk_Service_Deliveries"
        ),
        *attendance_fields(),
    ],
)

SERVICE_SCHEDULE = ObjectType(
    "ServiceSchedule",
    prefix="ssh",
    sharing="public_read_write",
    feed=True,
    description="Planned sessions of a service: one time or recurring, with their participants.",
    fields=[
        f.Text("name", required=True, **NAME),
        f.Lookup("service", "Service", on_delete="clear"),
        f.Picklist("frequency", FREQUENCIES, default="One Time"),
        f.Integer("interval", default=1, min_value=1, max_value=9999, help="2 with Weekly = every 2 weeks"),
        f.MultiPicklist("days_of_week", DAYS_OF_WEEK, help="1 = Sunday ... 7 = Saturday"),
        f.Picklist(
            "monthly_recurrence_option",
            MONTHLY_OPTIONS,
            help="LastDayOfMonth, or <n><DD> such as 2MO (second Monday); blank: the start's day",
        ),
        f.Picklist(
            "service_schedule_ends", SCHEDULE_ENDS, help="On: the end date; After: a number of sessions"
        ),
        f.Date("service_schedule_end_date"),
        f.Integer("number_of_service_sessions", min_value=1, max_value=9999),
        f.Datetime("first_session_start"),
        f.Datetime("first_session_end"),
        f.Boolean("all_day"),
        f.Boolean("create_service_session_records", default=True),
        f.Lookup("primary_service_provider", "Contact", on_delete="clear"),
        f.Lookup("other_service_provider", "Contact", on_delete="clear"),
        f.Integer("participant_capacity", min_value=0, help="Exceeding it only warns"),
        f.Decimal("default_service_quantity", 16, 2, help="Pre-fills the attendance quantity"),
        f.Integer("participants_enrolled", read_only=True, help="Participants with status Enrolled"),
        *attendance_fields(),
    ],
)

SERVICE_SESSION = ObjectType(
    "ServiceSession",
    prefix="sse",
    sharing="public_read_write",
    feed=True,
    description="One meeting of a service schedule; attendance is taken per session.",
    fields=[
        f.Text("name", **NAME),
        f.Lookup("service_schedule", "ServiceSchedule", on_delete="clear"),
        f.Datetime("session_start", indexed=True),
        f.Datetime("session_end"),
        f.Picklist("status", SESSION_STATUSES, default="Pending"),
        f.Lookup("primary_service_provider", "Contact", on_delete="clear"),
        f.Lookup("other_service_provider", "Contact", on_delete="clear"),
        SESSION_SERVICE_LINK,
        *attendance_fields(),
        # A system field: the contacts skipped when attendance was taken.
        # No permission set grants it; the attendance code writes it as the system.
        f.LongText(
            "omitted_contact_ids",
            read_only=True,
            sensitive=True,
            help="JSON array of Contact ids skipped in attendance",
        ),
    ],
)

SERVICE_PARTICIPANT = ObjectType(
    "ServiceParticipant",
    prefix="spt",
    sharing="public_read_write",
    feed=True,
    description="A client enrolled on a service schedule (or on a service directly).",
    fields=[
        f.Text("name", **NAME),
        f.Lookup("contact", "Contact", on_delete="clear"),
        f.Lookup("program_engagement", "ProgramEngagement", on_delete="clear"),
        f.Lookup("service_schedule", "ServiceSchedule", on_delete="clear"),
        f.Lookup("service", "Service", on_delete="clear"),
        f.Picklist("status", PARTICIPANT_STATUSES, default="Enrolled"),
        f.Date("sign_up_date", help="Defaults to today"),
    ],
)

SERVICE_DELIVERY = ObjectType(
    "ServiceDelivery",
    prefix="sdv",
    sharing="public_read_write",
    feed=True,
    history=["attendance_status"],
    description="One instance of a service given: how much, when, to whom (or anonymously).",
    # Attendance says the session happened: none is taken before the session starts.
    rules=[
        NotInFuture(
            "service_session.session_start",
            when="attendance_status",
            message="attendance cannot be taken before the session starts",
        )
    ],
    fields=[
        f.Text(
            "name", help="Auto-named '<client> <date>: <service>' unless autoname_override is set", **NAME
        ),
        f.Lookup("service", "Service", required=True, on_delete="restrict"),
        f.Lookup("contact", "Contact", on_delete="restrict", label="Client"),
        f.Lookup("program_engagement", "ProgramEngagement", on_delete="restrict"),
        f.Lookup("service_session", "ServiceSession", on_delete="clear"),
        f.Lookup("service_provider", "Contact", on_delete="clear"),
        f.Lookup("account", "Account", on_delete="clear", label="Household account"),
        f.Date("delivery_date", indexed=True, help="Defaults to today"),
        f.Decimal("quantity", 16, 2),
        f.Picklist("attendance_status", ATTENDANCE_STATUSES),
        f.Boolean("autoname_override", help="Checked: the name is yours, not generated"),
        f.Boolean("household_benefit", read_only=True, help="True when a household account is set"),
        DELIVERY_UNIT_OF_MEASUREMENT,
    ],
)

OBJECTS = [
    PROGRAM,
    PROGRAM_COHORT,
    PROGRAM_ENGAGEMENT,
    SERVICE,
    SERVICE_SCHEDULE,
    SERVICE_SESSION,
    SERVICE_PARTICIPANT,
    SERVICE_DELIVERY,
]
OBJECT_NAMES = [obj.name for obj in OBJECTS]

CONTACT_FIELDS = [
    f.Boolean("is_client", label="Client", default=False),
    *attendance_fields(),
    *client_history_fields(),
]
