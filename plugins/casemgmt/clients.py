"""The client record: derived Contact fields, alerts, the client card and its tabs.

Derived on every write of a contact (a before trigger, so the values are
stored with the record): age and age category from the birthdate, the
watch-list date, "Client" in the roles <-> PMM's is_client, and a client ID
for a new client that has none. Ages move with the calendar: the daily job
``casemgmt.refresh_ages`` rewrites the ones that changed, and the card always
computes the age of the day.
"""

from __future__ import annotations

import datetime as dt

from missionbase.core import AccessDenied, RecordNotFound, ValidationError, query_all, query_pages

from .clientids import generate_client_ids
from .settings import AGE_BOUNDS

CLIENT_ROLE = "Client"
TIMELINE_PAGE = 20


def age_on(birthdate: dt.date | None, today: dt.date) -> int | None:
    if birthdate is None:
        return None
    years = today.year - birthdate.year - ((today.month, today.day) < (birthdate.month, birthdate.day))
    return max(years, 0)


def age_category(age: int | None, bounds: dict[str, int]) -> str | None:
    """The category with the highest lower bound the age reaches."""
    if age is None:
        return None
    reached = [(low, name) for name, low in bounds.items() if age >= low]
    return max(reached)[1] if reached else None


def _roles(value) -> list[str]:
    if isinstance(value, list):
        return value
    return [v for v in (value or "").split(";") if v]


def derive_contact_fields(ctx, rows) -> None:
    """Contact before_insert / before_update: the derived client fields, then client IDs."""
    session = ctx.session
    today = dt.date.today()
    bounds = session.get_setting(AGE_BOUNDS)
    needs_id = []
    for row in rows:
        new, old = row.new, row.old or {}
        roles = _roles(new.get("roles"))
        became_client = new.get("is_client") and not old.get("is_client")
        if became_client and CLIENT_ROLE not in roles:
            roles = [CLIENT_ROLE, *roles]
        elif (
            CLIENT_ROLE in roles and not new.get("is_client") and CLIENT_ROLE not in _roles(old.get("roles"))
        ):
            new["is_client"] = True  # Client just added to the roles
        elif not new.get("is_client") and old.get("is_client") and CLIENT_ROLE in roles:
            roles = [r for r in roles if r != CLIENT_ROLE]  # no longer a client
        new["roles"] = ";".join(roles) or None
        age = age_on(new.get("birthdate"), today)
        new["age"], new["age_category"] = age, age_category(age, bounds)
        if new.get("watch_list") and not old.get("watch_list"):
            new["watch_list_date"] = today
        elif not new.get("watch_list"):
            new["watch_list_date"] = None
        if new.get("is_client") and not new.get("client_id"):
            needs_id.append(new)
    if needs_id:
        for new, value in zip(needs_id, generate_client_ids(session, needs_id), strict=True):
            new["client_id"] = value


def refresh_ages_job(app) -> str:
    """Daily: store today's age and category where a birthday (or a bound) changed them."""
    with app.system_session() as s:
        today = dt.date.today()
        bounds = s.get_setting(AGE_BOUNDS)
        changes = []
        pages = query_pages(
            s,
            "Contact",
            {"birthdate": {"is_null": False}},
            fields=["birthdate", "age", "age_category"],
            page_size=5000,
        )
        for page in pages:
            for c in page:
                age = age_on(c["birthdate"], today)
                category = age_category(age, bounds)
                if (age, category) != (c["age"], c["age_category"]):
                    changes.append({"id": c["id"]})  # the trigger derives the values
        for start in range(0, len(changes), 1000):
            s.update_many(changes[start : start + 1000])
    return f"refreshed the age of {len(changes)} contact(s)"


# -- alerts ------------------------------------------------------------------------------


def is_alert_active(alert: dict, today: dt.date) -> bool:
    expires = alert.get("expires_on")
    return bool(alert.get("active")) and (expires is None or expires >= today)


def client_alerts(session, contact_ids: list[str], today: dt.date | None = None) -> dict[str, list[dict]]:
    """Each client's alerts, active ones first (then newest first)."""
    today = today or dt.date.today()
    out: dict[str, list[dict]] = {c: [] for c in contact_ids}
    for start in range(0, len(contact_ids), 500):
        chunk = contact_ids[start : start + 500]
        for alert in session.query("ClientAlert", {"contact": {"in": chunk}}, order_by="-id").records:
            alert["is_active"] = is_alert_active(alert, today)
            out[alert["contact"]].append(alert)
    for alerts in out.values():
        alerts.sort(key=lambda a: not a["is_active"])  # stable: newest first within each group
    return out


# -- the client card and its tabs ------------------------------------------------------------

CARD_FIELDS = (
    "name",
    "pronouns",
    "preferred_name",
    "legal_name",
    "client_id",
    "roles",
    "watch_list",
    "watch_list_date",
    "birthdate",
    "age",
    "age_category",
    "email",
    "phone",
    "mobile_phone",
    "preferred_communication_method",
    "preferred_phone_field",
    "preferred_phone_number",
    "mailing_street",
    "mailing_city",
    "mailing_postal_code",
    "mailing_country",
    "emergency_contact",
    "emergency_contact_role",
    "photo",
)


def client_card(session, contact_id: str, today: dt.date | None = None) -> dict:
    """What the top of the client record shows: the fields the user may see, age of the day, alerts."""
    today = today or dt.date.today()
    contact = session.get(contact_id)
    if not contact.get("is_client"):
        raise ValidationError(f"{contact_id} is not a client (is_client is not set)", object_name="Contact")
    card = {name: contact[name] for name in CARD_FIELDS if name in contact}  # hidden fields are absent
    card["id"] = contact_id
    if "birthdate" in contact:
        card["age"] = age_on(contact["birthdate"], today)
    photo = contact.get("photo")
    if photo:
        try:
            stored = session.get(photo, fields=["name", "content_type", "size"])
            card["photo"] = {"id": photo, "name": stored["name"], "content_type": stored["content_type"]}
        except RecordNotFound:
            card["photo"] = None
    if contact.get("emergency_contact"):
        try:
            card["emergency_contact"] = {
                "id": contact["emergency_contact"],
                "name": session.get(contact["emergency_contact"], fields=["name"])["name"],
            }
        except RecordNotFound:
            card["emergency_contact"] = None
    alerts = client_alerts(session, [contact_id], today)[contact_id]
    card["alerts"] = [
        {"id": a["id"], "alert": a["name"], "expires_on": a.get("expires_on")}
        for a in alerts
        if a["is_active"]
    ]
    return card


def _readable(session, object_name: str) -> bool:
    """May the user read this object at all? (A tab they cannot read is simply not shown.)"""
    try:
        session.visible_condition(object_name)
        return True
    except AccessDenied:
        return False


def client_tabs(session, contact_id: str) -> dict[str, list[dict]]:
    """The related lists under the card; a tab the user cannot read is left out."""
    tabs: dict[str, list[dict]] = {}
    specs = {
        "engagements": (
            "ProgramEngagement",
            {"contact": contact_id},
            "-start_date",
            ["name", "program.name", "stage", "start_date", "consecutive_absences", "last_service_date"],
        ),
        "case_notes": (
            "ClientNote",
            {"client": contact_id},
            "-interaction_date",
            ["subject", "status", "interaction_date", "minutes_spent", "owner_id"],
        ),
        "case_plans": (
            "CasePlan",
            {"contact": contact_id},
            "-created_at",
            ["name", "status", "in_progress_date"],
        ),
        "assessments": (
            "Assessment",
            {"client": contact_id},
            "-completed_date",
            ["name", "assessment_type.name", "completed_date", "total_score", "tier"],
        ),
        "files": ("File", {"parent": contact_id}, "-created_at", ["name", "content_type", "size"]),
    }
    for tab, (object_name, where, order, fields) in specs.items():
        if _readable(session, object_name):
            tabs[tab] = query_all(session, object_name, where, order_by=order, fields=fields)
    if _readable(session, "IncidentClient"):
        links = query_all(session, "IncidentClient", {"contact": contact_id}, fields=["incident"])
        incidents = session.get_many(sorted({link["incident"] for link in links})) if links else {}
        tabs["incidents"] = sorted(
            (
                {k: i.get(k) for k in ("id", "subject", "incident_datetime", "severity", "status")}
                for i in incidents.values()
            ),
            key=lambda i: i["incident_datetime"],
            reverse=True,
        )
    return tabs


def _moment(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    return dt.datetime.min.replace(tzinfo=dt.UTC)


def activity_timeline(session, contact_id: str, *, page: int = 1, per_page: int = TIMELINE_PAGE) -> dict:
    """Tasks, events, notes and service deliveries about the client, newest first, one page."""
    if page < 1 or per_page < 1:
        raise ValidationError(f"page and page size must be at least 1 (got {page}, {per_page})")
    needed = page * per_page + 1  # each source's newest ``needed`` suffice for this page
    sources = [
        ("Task", {"who": contact_id}, "-due_date", ["subject", "status", "due_date"], "due_date", "subject"),
        ("Event", {"who": contact_id}, "-start", ["subject", "start"], "start", "subject"),
        ("Note", {"parent": contact_id}, "-created_at", ["title", "created_at"], "created_at", "title"),
        (
            "ServiceDelivery",
            {"contact": contact_id},
            "-delivery_date",
            ["name", "delivery_date", "attendance_status", "quantity"],
            "delivery_date",
            "name",
        ),
    ]
    items = []
    for object_name, where, order, fields, when, title in sources:
        if not _readable(session, object_name):
            continue
        for record in session.query(
            object_name, where, fields=[*fields, "created_at"], order_by=[order, "-created_at"], limit=needed
        ).records:
            items.append(
                {
                    "kind": object_name,
                    "id": record["id"],
                    "when": record.get(when) or record["created_at"],
                    "title": record.get(title),
                    "detail": record.get("status") or record.get("attendance_status"),
                }
            )
    items.sort(key=lambda i: (_moment(i["when"]), i["id"]), reverse=True)
    start = (page - 1) * per_page
    return {"page": page, "items": items[start : start + per_page], "has_more": len(items) > start + per_page}


def client_record(session, contact_id: str, *, page: int = 1, today: dt.date | None = None) -> dict:
    """The whole client record: the card, its tabs and one page of the activity timeline."""
    return {
        "card": client_card(session, contact_id, today),
        "tabs": client_tabs(session, contact_id),
        "timeline": activity_timeline(session, contact_id, page=page),
    }
