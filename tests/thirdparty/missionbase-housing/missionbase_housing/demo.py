"""Demo data: three housing units, one with a tenant from core's demo contacts."""

from __future__ import annotations

from missionbase.core import assign_permission_set


def load_demo(ctx) -> None:
    session = ctx.session
    if "sam" in ctx.users:
        assign_permission_set(session, ctx.users["sam"], "Housing: Manage")
    contacts = ctx.records.get("contacts", [])
    session.create_many(
        "HousingUnit",
        [
            {"name": "Flat 1A", "monthly_rent": "450.00", "tenant": contacts[0] if contacts else None},
            {"name": "Flat 1B", "monthly_rent": "430.00"},
            {"name": "Room 7", "status": "Maintenance"},
        ],
    )
    ctx.records["housing_units"] = [u["id"] for u in session.query("HousingUnit", fields=["id"]).records]
