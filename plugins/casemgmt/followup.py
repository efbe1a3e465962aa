"""Contacts that may need follow-up: exactly the three rules of PMM's reports.

Every list is scoped to the user's clients: contacts with an engagement in an
active stage (PMM's ``pmm.active_stages``: Enrolled, Active) owned by the user.

1. ``absent``: such a contact also has an active-stage engagement with
   consecutive absences >= 1 (it may be another engagement than the user's);
   every engagement of the contact is listed.
2. ``absences``: the same with >= ``casemgmt.followup_consecutive_absences`` (3).
3. ``no-service``: the contact's last service date is blank or before the
   window of ``casemgmt.followup_window_days`` (14) days before today plus today
   (LAST_N_DAYS:14, so "before" is <= today - 15), and the user's engagement
   started before that window too.

The work grows with the user's clients, not with the organisation: the
user's engagements come from the owner index, the rest by contact id, and
consecutive absences / last service date are PMM's stored rollups.
"""

from __future__ import annotations

import datetime as dt

from missionbase.core import query_all
from missionbase.plugins.pmm import settings as pmm_settings

from .settings import ABSENCE_THRESHOLD, NO_SERVICE_WINDOW

LISTS = ("absent", "absences", "no-service")
CHUNK = 500


def _by_contacts(session, object_name, contacts, where, fields, order_by=None) -> list[dict]:
    """Records of these contacts (the contacts themselves for Contact), a chunk of ids at a time."""
    key = "id" if object_name == "Contact" else "contact"
    out = []
    for start in range(0, len(contacts), CHUNK):
        out += query_all(
            session,
            object_name,
            {**where, key: {"in": contacts[start : start + CHUNK]}},
            fields=fields,
            order_by=order_by,
        )
    return out


def my_active_engagements(session) -> list[dict]:
    active = sorted(pmm_settings.buckets(session).active_stages)
    return query_all(
        session,
        "ProgramEngagement",
        {"owner_id": session.user.id, "stage": {"in": active}, "contact": {"is_null": False}},
        fields=["contact", "start_date", "name"],
    )


ENGAGEMENT_FIELDS = [
    "contact",
    "contact.name",
    "name",
    "program.name",
    "stage",
    "consecutive_absences",
    "last_service_date",
]


def engagements_of_my_clients(session, mine: list[dict]) -> list[dict]:
    """Every engagement (anyone's) of the contacts the user's engagements are with.

    Read by contact only, and narrowed by stage and absences here: a filter on the stage
    too would let the database pick the stage index, which grows with the organisation.
    """
    return _by_contacts(
        session, "ProgramEngagement", sorted({e["contact"] for e in mine}), {}, ENGAGEMENT_FIELDS
    )


def _absence_list(
    session, minimum: int, mine: list[dict], engagements: list[dict] | None = None
) -> list[dict]:
    active = pmm_settings.buckets(session).active_stages
    rows = engagements_of_my_clients(session, mine) if engagements is None else engagements
    flagged = {
        r["contact"] for r in rows if r["stage"] in active and (r["consecutive_absences"] or 0) >= minimum
    }
    listed = sorted(
        (r for r in rows if r["contact"] in flagged),
        key=lambda r: (-(r["consecutive_absences"] or 0), r["contact.name"] or "", r["id"]),
    )
    return [
        {
            "contact": r["contact"],
            "name": r["contact.name"],
            "engagement": r["id"],
            "engagement_name": r["name"],
            "program": r["program.name"],
            "stage": r["stage"],
            "consecutive_absences": r["consecutive_absences"],
            "last_service_date": r["last_service_date"],
        }
        for r in listed
    ]


def absent_at_last_delivery(session, today=None, mine=None, engagements=None) -> list[dict]:
    return _absence_list(session, 1, my_active_engagements(session) if mine is None else mine, engagements)


def consecutive_absences(session, today=None, mine=None, engagements=None) -> list[dict]:
    return _absence_list(
        session,
        session.get_setting(ABSENCE_THRESHOLD),
        my_active_engagements(session) if mine is None else mine,
        engagements,
    )


def window_cutoff(today: dt.date, window_days: int) -> dt.date:
    """The latest date *before* LAST_N_DAYS:window (today and the window's days before it)."""
    return today - dt.timedelta(days=window_days + 1)


def no_recent_service(session, today: dt.date | None = None, mine=None, engagements=None) -> list[dict]:
    today = today or dt.date.today()
    cutoff = window_cutoff(today, session.get_setting(NO_SERVICE_WINDOW))
    mine = my_active_engagements(session) if mine is None else mine
    contacts = sorted(
        {e["contact"] for e in mine if e["start_date"] is not None and e["start_date"] <= cutoff}
    )
    rows = _by_contacts(
        session,
        "Contact",
        contacts,
        {"or": [{"last_service_date": {"le": cutoff}}, {"last_service_date": {"is_null": True}}]},
        ["name", "client_id", "last_service_date"],
    )
    rows.sort(key=lambda r: (r["last_service_date"] or dt.date.min, r["name"] or "", r["id"]))
    return [
        {
            "contact": r["id"],
            "name": r["name"],
            "client_id": r["client_id"],
            "last_service_date": r["last_service_date"],
        }
        for r in rows
    ]


RULES = {"absent": absent_at_last_delivery, "absences": consecutive_absences, "no-service": no_recent_service}


def _with_alerts(session, lists: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Each row gets its client's active alerts, as every listing of a client shows them."""
    from .clients import client_alerts

    contacts = sorted({row["contact"] for rows in lists.values() for row in rows})
    alerts = client_alerts(session, contacts) if contacts else {}
    for rows in lists.values():
        for row in rows:
            row["alerts"] = [a["name"] for a in alerts.get(row["contact"], []) if a["is_active"]]
    return lists


def follow_up(session, which: str, today: dt.date | None = None, mine=None) -> list[dict]:
    from missionbase.core import UnknownName

    if which not in RULES:
        raise UnknownName("follow-up list", which, RULES)
    return _with_alerts(session, {which: RULES[which](session, today, mine)})[which]


def all_follow_ups(
    session, today: dt.date | None = None, mine: list[dict] | None = None
) -> dict[str, list[dict]]:
    """The three lists, reading the user's engagements and their clients' engagements once."""
    mine = my_active_engagements(session) if mine is None else mine
    engagements = engagements_of_my_clients(session, mine)
    return _with_alerts(
        session, {name: rule(session, today, mine, engagements) for name, rule in RULES.items()}
    )
