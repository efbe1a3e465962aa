"""Core's standard objects: people and organisations, activities, files and calendars.

Every plugin builds on these (PMM extends Contact, plans create Tasks), so
they are declared by core itself through the same hook a plugin uses.
"""

from __future__ import annotations

from .. import fields as f
from ..registry import ObjectType

TIME_HINT = dict(pattern=r"([01]\d|2[0-3]):[0-5]\d", pattern_hint="HH:MM, 24-hour", max_length=5)
TASK_STATUSES = ["Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred"]
CLOSED_TASK_STATUSES = ("Completed",)
OUTBOUND_EMAIL_STATUSES = ["Queued", "Sent", "Failed"]

USER = ObjectType(
    "User",
    prefix="usr",
    sharing="public_read",
    description="A person who signs in. Owns records; permission sets say what they may do.",
    match_fields=["email"],
    fields=[
        f.Text("username", max_length=80, required=True, unique=True),
        f.Text("name", max_length=121, required=True),
        f.Email("email"),
        f.TimeZone("time_zone", help="IANA zone, e.g. Europe/Paris; empty: the org's time zone"),
        f.Boolean("is_active", default=True),
        f.Lookup("role", "Role", on_delete="clear"),
        f.Lookup("manager", "User", on_delete="clear"),
    ],
)

ROLE = ObjectType(
    "Role",
    prefix="rol",
    sharing="public_read",
    description="A place in the role hierarchy: managers see what their reports own.",
    fields=[
        f.Text("name", max_length=80, required=True, unique=True),
        f.Lookup("parent", "Role", on_delete="restrict", help="The role above this one"),
        f.Text("description", max_length=255),
    ],
)

GROUP = ObjectType(
    "Group",
    prefix="grp",
    sharing="public_read",
    description="A public group of users, roles and other groups, used for sharing.",
    fields=[
        f.Text("name", max_length=80, required=True, unique=True),
        f.Text("description", max_length=255),
    ],
)

QUEUE = ObjectType(
    "Queue",
    prefix="que",
    sharing="public_read",
    description="A shared owner for records (tasks, cases) that its members work from.",
    fields=[
        f.Text("name", max_length=80, required=True, unique=True),
        f.Email("email"),
        f.Text("objects", max_length=1000, help="Comma-separated object names the queue may own"),
    ],
)

GROUP_MEMBER = ObjectType(
    "GroupMember",
    prefix="gme",
    sharing="public_read",
    name_field=None,
    description="Membership of a user, role (optionally with subordinates) or group in a group or queue.",
    fields=[
        f.Lookup("group", ["Group", "Queue"], required=True, on_delete="cascade"),
        f.Lookup("member", ["User", "Role", "Group"], required=True, on_delete="cascade"),
        f.Boolean("include_subordinates", help="For a role member: also the roles below it"),
    ],
    indexes=[("group", "member")],
)

ACCOUNT = ObjectType(
    "Account",
    prefix="acc",
    sharing="private",
    feed=True,
    description="An organisation or household.",
    fields=[
        f.Text("name", max_length=255, required=True),
        f.Picklist(
            "type", ["Household", "Organization", "Foundation", "Government", "Other"], restricted=False
        ),
        f.Phone("phone"),
        f.Url("website"),
        f.Text("billing_street", max_length=255),
        f.Text("billing_city", max_length=40),
        f.Text("billing_state", max_length=80),
        f.Text("billing_postal_code", max_length=20),
        f.Text("billing_country", max_length=80),
        f.Lookup("parent", "Account", on_delete="clear"),
        f.LongText("description", max_length=32000),
    ],
)

CONTACT = ObjectType(
    "Contact",
    prefix="con",
    sharing="private",
    feed=True,
    description="A person the organisation works with: client, donor, volunteer.",
    fields=[
        f.Text("salutation", max_length=40),
        f.Text("first_name", max_length=40),
        f.Text("last_name", max_length=80, required=True),
        f.Text("name", max_length=121, read_only=True, help="First and last name, kept up to date"),
        f.Date("birthdate"),
        f.Email("email", indexed=True),
        f.Phone("phone"),
        f.Phone("mobile_phone"),
        f.Text("mailing_street", max_length=255),
        f.Text("mailing_city", max_length=40),
        f.Text("mailing_state", max_length=80),
        f.Text("mailing_postal_code", max_length=20),
        f.Text("mailing_country", max_length=80),
        f.Lookup("account", "Account", on_delete="clear"),
        f.Text("title", max_length=128),
        f.LongText("description", max_length=32000),
    ],
    indexes=[("last_name", "first_name")],
)

TASK = ObjectType(
    "Task",
    prefix="tsk",
    sharing="private",
    name_field="subject",
    description="Something to do, owned by a user or a queue, about a person (who) and a record (what).",
    fields=[
        f.Text("subject", max_length=255, required=True),
        f.Picklist("status", TASK_STATUSES, default="Not Started", required=True),
        f.Picklist("priority", ["High", "Normal", "Low"], default="Normal", required=True),
        f.Date("due_date", indexed=True),
        f.Datetime("reminder_at"),
        f.Boolean("is_reminder_set"),
        f.Lookup("who", "Contact", on_delete="clear", help="The person the task is about"),
        f.Lookup("what", "*", on_delete="clear", help="The record the task is about"),
        f.Date("completed_date", read_only=True),
        f.Boolean("is_closed", read_only=True),
        f.Picklist("type", ["Call", "Email", "Meeting", "Other"], restricted=False),
        f.LongText("description", max_length=32000),
    ],
    indexes=[("owner_id", "is_closed", "due_date")],
)

EVENT = ObjectType(
    "Event",
    prefix="evt",
    sharing="private",
    name_field="subject",
    description="A calendar entry: a meeting, a visit, an appointment.",
    fields=[
        f.Text("subject", max_length=255, required=True),
        f.Datetime("start", required=True, indexed=True),
        f.Datetime("end", required=True),
        f.Boolean("is_all_day"),
        f.Lookup("who", "Contact", on_delete="clear"),
        f.Lookup("what", "*", on_delete="clear"),
        f.Text("location", max_length=255),
        f.LongText("description", max_length=32000),
    ],
)

NOTE = ObjectType(
    "Note",
    prefix="not",
    sharing="controlled_by_parent",
    parent_field="parent",
    name_field="title",
    description="A note on any record.",
    fields=[
        f.Text("title", max_length=255, required=True),
        f.LongText("body", max_length=131072),
        f.Lookup("parent", "*", required=True, on_delete="cascade"),
    ],
)

FILE = ObjectType(
    "File",
    prefix="fil",
    sharing="private",
    description="A stored file. Its bytes live under files_dir, addressed by their sha256; never in a table.",
    fields=[
        f.Text("name", max_length=255, required=True),
        f.Text("content_type", max_length=120, default="application/octet-stream"),
        f.Integer("size", read_only=True, min_value=0),
        f.Text("sha256", max_length=64, read_only=True, indexed=True),
        f.Lookup("parent", "*", on_delete="clear"),
    ],
)

_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

BUSINESS_HOURS = ObjectType(
    "BusinessHours",
    prefix="bhr",
    sharing="public_read",
    plural="Business Hours",
    description="Working days and hours in a time zone; due dates that skip non-working days use it.",
    fields=[
        f.Text("name", max_length=80, required=True, unique=True),
        f.TimeZone("time_zone", default="UTC"),
        f.Boolean("is_default"),
        *[
            field
            for day in _DAYS
            for field in (f.Text(f"{day}_start", **TIME_HINT), f.Text(f"{day}_end", **TIME_HINT))
        ],
    ],
)

HOLIDAY = ObjectType(
    "Holiday",
    prefix="hol",
    sharing="public_read",
    description="A non-working day for a set of business hours.",
    fields=[
        f.Text("name", max_length=80, required=True),
        f.Date("date", required=True),
        f.Boolean("is_recurring", help="Every year on the same day"),
        f.Lookup("business_hours", "BusinessHours", on_delete="cascade"),
    ],
)

OUTBOUND_EMAIL = ObjectType(
    "OutboundEmail",
    prefix="obe",
    sharing="private",
    name_field="subject",
    description="An email to a user, queued by any plugin and sent by the job core.send_outbound_email.",
    fields=[
        f.Lookup("recipient", "User", required=True, on_delete="cascade"),
        f.Text("subject", max_length=255, required=True),
        f.LongText("body", max_length=32000),
        f.Lookup("related", "*", on_delete="clear", help="The record the email is about"),
        f.Picklist("status", OUTBOUND_EMAIL_STATUSES, default="Queued", required=True),
        f.Datetime("sent_at", read_only=True),
        f.Text("error", max_length=255, read_only=True, help="Why it could not be sent"),
    ],
    indexes=[("status", "created_at")],
)

STANDARD_OBJECTS = [
    USER,
    ROLE,
    GROUP,
    QUEUE,
    GROUP_MEMBER,
    ACCOUNT,
    CONTACT,
    TASK,
    EVENT,
    NOTE,
    FILE,
    BUSINESS_HOURS,
    HOLIDAY,
    OUTBOUND_EMAIL,
]
