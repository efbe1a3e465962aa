"""PMM's packaged reports, and the follow-up filters Case Management uses.

Each report is ``fn(session, today=None)`` returning rows; they read through
the caller's session, so a user only sees what they may see. ``today``
defaults to the user's local date (tests pass one). Run them with
``missionbase pmm report NAME [--json|--csv]`` or ``missionbase reports run``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from missionbase.core import Report, query_all

from . import settings as cfg
from .localtime import local_today

PREFIX = "pmm."
FOLLOW_UP_WINDOW = 14  # LAST_N_DAYS:14 covers today and the 14 days before


def report_name(name: str) -> str:
    return name if name.startswith(PREFIX) else PREFIX + name.replace("-", "_")


def _today(session, today) -> dt.date:
    if today is None:
        return local_today(session)
    return today if isinstance(today, dt.date) else dt.date.fromisoformat(str(today))


def _count_by(rows: list[dict], key: str, label: str, count_label: str) -> list[dict]:
    counts: dict = defaultdict(int)
    for row in rows:
        counts[row.get(key)] += 1
    return [{label: k, count_label: n} for k, n in sorted(counts.items(), key=lambda kv: str(kv[0] or ""))]


def all_active_program_engagements(session, today=None) -> list[dict]:
    """Engagements in stage Active, counted by program."""
    rows = query_all(session, "ProgramEngagement", {"stage": "Active"}, fields=["program.name"])
    return _count_by(rows, "program.name", "program", "engagements")


def clients_missing_phone_number(session, today=None) -> list[dict]:
    """Clients without a phone number, by mailing country."""
    rows = query_all(
        session,
        "Contact",
        {"is_client": True, "phone": {"is_null": True}},
        fields=["mailing_country", "name"],
        order_by=["mailing_country", "name"],
    )
    return [{"mailing_country": r["mailing_country"], "contact": r["id"], "name": r["name"]} for r in rows]


def _enrolled_this_month(session, today) -> list[dict]:
    today = _today(session, today)
    first = today.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return query_all(
        session,
        "ProgramEngagement",
        {"stage": "Enrolled", "start_date": {"ge": first, "lt": following}},
        fields=["name", "program.name", "program_cohort.name", "start_date", "contact"],
        order_by=["program_cohort.name", "start_date"],
    )


def clients_enrolled_this_month(session, today=None) -> list[dict]:
    """Engagements Enrolled with a start date this month, by cohort then start date."""
    return [
        {
            "cohort": r["program_cohort.name"],
            "start_date": r["start_date"],
            "engagement": r["name"],
            "program": r["program.name"],
            "contact": r["contact"],
        }
        for r in _enrolled_this_month(session, today)
    ]


def clients_enrolled_this_month_by_program(session, today=None) -> list[dict]:
    return _count_by(_enrolled_this_month(session, today), "program.name", "program", "engagements")


def _sum_quantity(rows: list[dict], keys: list[str]) -> dict[tuple, object]:
    import decimal

    totals: dict[tuple, decimal.Decimal] = defaultdict(decimal.Decimal)
    for row in rows:
        totals[tuple(row.get(k) for k in keys)] += row.get("quantity") or decimal.Decimal(0)
    return totals


def services_delivered_ytd(session, today=None) -> list[dict]:
    """Quantity delivered this (calendar = fiscal) year by program, service and unit."""
    today = _today(session, today)
    rows = query_all(
        session,
        "ServiceDelivery",
        {"delivery_date": {"ge": dt.date(today.year, 1, 1), "le": dt.date(today.year, 12, 31)}},
        fields=["quantity", "service.name", "service.unit_of_measurement", "service.program"],
    )
    programs = {p["id"]: p["name"] for p in query_all(session, "Program", None, fields=["name"])}
    totals = _sum_quantity(rows, ["service.program", "service.name", "service.unit_of_measurement"])
    out = [
        {"program": programs.get(k[0], k[0]), "service": k[1], "unit": k[2], "quantity": v}
        for k, v in totals.items()
    ]
    return sorted(out, key=lambda r: (str(r["program"]), str(r["service"])))


def units_delivered_last_6_months(session, today=None) -> list[dict]:
    """Quantity by month (the last 5 months and this one), then service."""
    today = _today(session, today)
    month = today.month - 5
    start = dt.date(today.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    end = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    rows = query_all(
        session,
        "ServiceDelivery",
        {"delivery_date": {"ge": start, "lt": end}},
        fields=["quantity", "delivery_date", "service.name", "service.unit_of_measurement"],
    )
    for row in rows:
        row["month"] = row["delivery_date"].strftime("%Y-%m")
    totals = _sum_quantity(rows, ["month", "service.name", "service.unit_of_measurement"])
    return [{"month": k[0], "service": k[1], "unit": k[2], "quantity": v} for k, v in sorted(totals.items())]


def _absence_follow_up(session, minimum: int) -> list[dict]:
    """Follow-up for absences: a contact with an active engagement of >= ``minimum`` consecutive
    absences, and an active engagement owned by the user; every engagement of theirs is listed."""
    active = sorted(cfg.buckets(session).active_stages)
    absent = query_all(
        session,
        "ProgramEngagement",
        {"stage": {"in": active}, "consecutive_absences": {"ge": minimum}},
        fields=["contact"],
    )
    mine = query_all(
        session,
        "ProgramEngagement",
        {"stage": {"in": active}, "owner_id": session.user.id},
        fields=["contact"],
    )
    contacts = {r["contact"] for r in absent if r["contact"]} & {r["contact"] for r in mine if r["contact"]}
    if not contacts:
        return []
    rows = query_all(
        session,
        "ProgramEngagement",
        {"contact": {"in": sorted(contacts)}},
        fields=[
            "contact",
            "contact.first_name",
            "contact.last_name",
            "name",
            "stage",
            "consecutive_absences",
            "program.name",
        ],
    )
    rows.sort(key=lambda r: (-(r["consecutive_absences"] or 0), r.get("contact.last_name") or "", r["id"]))
    return [
        {
            "contact": r["contact"],
            "contact_name": " ".join(
                p for p in (r.get("contact.first_name"), r.get("contact.last_name")) if p
            ),
            "engagement": r["name"],
            "program": r["program.name"],
            "stage": r["stage"],
            "consecutive_absences": r["consecutive_absences"],
        }
        for r in rows
    ]


def contacts_absent_for_last_service_delivery(session, today=None) -> list[dict]:
    return _absence_follow_up(session, 1)


def contacts_with_3_consecutive_absences(session, today=None) -> list[dict]:
    return _absence_follow_up(session, 3)


def contacts_without_recent_service_deliveries(session, today=None) -> list[dict]:
    """Follow-up for no service: no service delivered in the last 14 days (today included), and an active
    engagement owned by the user that started before that window."""
    today = _today(session, today)
    cutoff = today - dt.timedelta(days=FOLLOW_UP_WINDOW + 1)  # "before LAST_N_DAYS:14" is <= D-15
    active = sorted(cfg.buckets(session).active_stages)
    mine = query_all(
        session,
        "ProgramEngagement",
        {
            "stage": {"in": active},
            "owner_id": session.user.id,
            "start_date": {"le": cutoff},
            "contact": {"is_null": False},
        },
        fields=["contact"],
    )
    contacts = sorted({r["contact"] for r in mine})
    out = []
    for start in range(0, len(contacts), 500):
        chunk = contacts[start : start + 500]
        out += query_all(
            session,
            "Contact",
            {
                "id": {"in": chunk},
                "or": [{"last_service_date": {"le": cutoff}}, {"last_service_date": {"is_null": True}}],
            },
            fields=["name", "last_service_date"],
            order_by="name",
        )
    return [{"contact": r["id"], "name": r["name"], "last_service_date": r["last_service_date"]} for r in out]


REPORTS = [
    Report(
        PREFIX + fn.__name__,
        run=fn,
        description=(fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else "",
    )
    for fn in (
        all_active_program_engagements,
        clients_missing_phone_number,
        clients_enrolled_this_month,
        clients_enrolled_this_month_by_program,
        services_delivered_ytd,
        units_delivered_last_6_months,
        contacts_absent_for_last_service_delivery,
        contacts_with_3_consecutive_absences,
        contacts_without_recent_service_deliveries,
    )
]
