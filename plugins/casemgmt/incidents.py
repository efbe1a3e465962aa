"""Incidents: something that happened involving one or more clients, by severity."""

from __future__ import annotations

from missionbase.core import ValidationError

from .objects import CLOSED_INCIDENT_STATUSES, SEVERITIES

SEVERITY_RANK = {name: rank for rank, name in enumerate(reversed(SEVERITIES))}  # High first


def report_incident(session, values: dict, clients: list[str]) -> dict:
    """Create an incident and link every client involved; the first is the primary client."""
    clients = list(dict.fromkeys(clients))
    if not clients:
        raise ValidationError(
            "an incident needs at least one client involved", object_name="Incident", field="contact"
        )
    incident = session.create("Incident", {"contact": clients[0], **values})
    session.create_many("IncidentClient", [{"incident": incident["id"], "contact": c} for c in clients])
    incident["clients"] = clients
    return incident


def open_incidents(session, *, contacts: list[str] | None = None, limit: int | None = None) -> list[dict]:
    """Open incidents the user can read, High severity first, then the most recent.

    ``contacts`` narrows them to incidents involving those clients.
    """
    where: dict = {"and": [{"status": {"ne": s}} for s in CLOSED_INCIDENT_STATUSES]}
    if contacts is not None:
        ids = set()
        for start in range(0, len(contacts), 500):
            links = session.query(
                "IncidentClient", {"contact": {"in": contacts[start : start + 500]}}, fields=["incident"]
            ).records
            ids |= {link["incident"] for link in links}
        if not ids:
            return []
        where = {"and": [where, {"id": {"in": sorted(ids)}}]}
    rows = session.query(
        "Incident",
        where,
        fields=[
            "subject",
            "incident_datetime",
            "incident_type",
            "severity",
            "status",
            "contact",
            "contact.name",
            "branch",
        ],
    ).records
    rows.sort(key=lambda r: (SEVERITY_RANK.get(r["severity"], 99), -r["incident_datetime"].timestamp()))
    return rows[:limit] if limit else rows
