"""Taking attendance for a session: the roster and saving it.

The roster is the session's deliveries that have a contact, plus one new row
for each participant of the schedule whose contact has no delivery in the
session yet. A new row starts Present, dated the session's (local) start date,
with the schedule's default quantity, its service and the session's primary
provider. Saving creates and updates the deliveries in one transaction and
moves a pending session to the status configured for after attendance.
Contacts skipped on a save are remembered on the session (a system field).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from missionbase.core import ValidationError

from . import settings as cfg
from .localtime import local_date

PRESENT = "Present"


@dataclass
class RosterRow:
    contact: str
    contact_name: str
    first_name: str
    last_name: str
    attendance_status: str | None
    quantity: object
    delivery_date: object
    program_engagement: str | None
    service: str | None
    service_provider: str | None
    delivery: str | None = None  # the existing delivery's id; None for a new row
    skipped: bool = False  # a new row whose contact was skipped before

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Roster:
    session: dict
    schedule: dict | None
    rows: list[RosterRow] = field(default_factory=list)

    def by_contact(self) -> dict[str, RosterRow]:
        return {row.contact: row for row in self.rows}


def _omitted(session, session_id: str) -> set[str]:
    stored = session.as_system().get(session_id, fields=["omitted_contact_ids"]).get("omitted_contact_ids")
    return set(json.loads(stored)) if stored else set()


def _matches(value: str | None, excluded: set[str]) -> bool:
    return bool(value) and value.strip().lower() in excluded


def build_roster(
    session,
    session_id: str,
    *,
    exclude_participant_statuses: tuple[str, ...] = (),
    exclude_roles: tuple[str, ...] = (),
    exclude_stages: tuple[str, ...] = (),
    sort_by: str = "first_name",
) -> Roster:
    """The attendance rows for a session, sorted by contact first (or last) name."""
    service_session = session.get(session_id)
    schedule = (
        session.get(service_session["service_schedule"]) if service_session.get("service_schedule") else None
    )
    names = [
        "contact",
        "contact.first_name",
        "contact.last_name",
        "attendance_status",
        "quantity",
        "delivery_date",
        "program_engagement",
        "service",
        "service_provider",
    ]
    deliveries = session.query(
        "ServiceDelivery", where={"service_session": session_id, "contact": {"is_null": False}}, fields=names
    )
    rows = [
        RosterRow(
            d["contact"],
            _full(d),
            d.get("contact.first_name") or "",
            d.get("contact.last_name") or "",
            d["attendance_status"],
            d["quantity"],
            d["delivery_date"],
            d["program_engagement"],
            d["service"],
            d["service_provider"],
            delivery=d["id"],
        )
        for d in deliveries
    ]
    if schedule is not None:
        excluded = [
            {v.strip().lower() for v in values if v.strip()}
            for values in (exclude_participant_statuses, exclude_roles, exclude_stages)
        ]
        have = {row.contact for row in rows}
        omitted = _omitted(session, session_id)
        participants = session.query(
            "ServiceParticipant",
            where={"service_schedule": schedule["id"], "contact": {"is_null": False}},
            fields=[
                "contact",
                "contact.first_name",
                "contact.last_name",
                "status",
                "program_engagement",
                "program_engagement.role",
                "program_engagement.stage",
            ],
            order_by="created_at",
        )
        date = local_date(session, service_session.get("session_start"))
        for p in participants:
            if p["contact"] in have:
                continue
            if (
                _matches(p["status"], excluded[0])
                or _matches(p.get("program_engagement.role"), excluded[1])
                or _matches(p.get("program_engagement.stage"), excluded[2])
            ):
                continue
            have.add(p["contact"])
            rows.append(
                RosterRow(
                    p["contact"],
                    _full(p),
                    p.get("contact.first_name") or "",
                    p.get("contact.last_name") or "",
                    PRESENT,
                    schedule.get("default_service_quantity"),
                    date,
                    p["program_engagement"],
                    schedule.get("service"),
                    service_session.get("primary_service_provider"),
                    skipped=p["contact"] in omitted,
                )
            )
    key = (
        (lambda r: (r.last_name.lower(), r.first_name.lower()))
        if sort_by == "last_name"
        else (lambda r: (r.first_name.lower(), r.last_name.lower()))
    )
    rows.sort(key=key)
    return Roster(service_session, schedule, rows)


def _full(record: dict) -> str:
    return " ".join(p for p in (record.get("contact.first_name"), record.get("contact.last_name")) if p)


@dataclass
class Saved:
    created: int
    updated: int
    skipped: list[str]
    session_status: str | None

    @property
    def message(self) -> str:
        total = self.created + self.updated
        return (
            f"Saved {total} Service Delivery records."
            if total
            else "There are no Service Delivery records to update."
        )


def save_roster(
    session,
    session_id: str,
    marks: dict[str, dict | str],
    *,
    skip: tuple[str, ...] | list[str] = (),
    rest: str | None = None,
) -> Saved:
    """Save attendance: ``marks`` maps contact ids to a status or ``{"attendance_status", "quantity"}``.

    New roster rows not in ``marks`` are created with status ``rest`` when it
    is given, else left out and remembered as omitted, like those in ``skip``.
    A status other than Present without a quantity records quantity 0.
    All or nothing; a pending session becomes the configured status (Complete).
    """
    roster = build_roster(session, session_id)
    rows = roster.by_contact()
    for contact in [*marks, *skip]:
        if contact not in rows:
            raise ValidationError(
                f"contact {contact} is not on the roster of session {session_id} "
                "(add them as a participant of its schedule first)",
                object_name="ServiceDelivery",
                field="contact",
            )
    creates, updates, skipped = [], [], []
    for contact, row in rows.items():
        mark = marks.get(contact)
        if isinstance(mark, str):
            mark = {"attendance_status": mark}
        if row.delivery is not None:
            if mark:
                change = _change(row, mark)
                if change:
                    updates.append({"id": row.delivery, **change})
            continue
        if contact in skip or (mark is None and rest is None):
            skipped.append(contact)
            continue
        values = {"attendance_status": rest} if mark is None else dict(mark)
        status = values.get("attendance_status", PRESENT)
        quantity = values.get("quantity", row.quantity if status == PRESENT else 0)
        creates.append(
            {
                "contact": contact,
                "program_engagement": row.program_engagement,
                "service": row.service,
                "service_session": session_id,
                "service_provider": row.service_provider,
                "delivery_date": row.delivery_date,
                "attendance_status": status,
                "quantity": quantity,
            }
        )
    if creates and not roster.session.get("service_schedule"):
        raise ValidationError(
            f"session {session_id} has no schedule, so its deliveries have no service",
            object_name="ServiceSession",
            field="service_schedule",
        )
    with session.conn.begin_nested():
        if creates:
            session.create_many("ServiceDelivery", creates)
        if updates:
            session.update_many(updates)
        status = roster.session.get("status")
        if status in cfg.buckets(session).pending_session_statuses:
            status = session.get_setting(cfg.STATUS_AFTER_ATTENDANCE)
            session.update(session_id, {"status": status})
        omitted = (_omitted(session, session_id) | set(skipped)) - {c["contact"] for c in creates}
        session.as_system().update(
            session_id, {}, computed={"omitted_contact_ids": json.dumps(sorted(omitted)) if omitted else None}
        )
    return Saved(len(creates), len(updates), sorted(skipped), status)


def _change(row: RosterRow, mark: dict) -> dict:
    change = {}
    status = mark.get("attendance_status", row.attendance_status)
    if status != row.attendance_status:
        change["attendance_status"] = status
        if row.attendance_status == PRESENT and "quantity" not in mark:
            change["quantity"] = 0  # leaving Present zeroes the quantity
    if "quantity" in mark and mark["quantity"] != row.quantity:
        change["quantity"] = mark["quantity"]
    return change
