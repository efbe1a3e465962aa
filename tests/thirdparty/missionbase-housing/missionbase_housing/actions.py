"""The plugin's actions: declared once, run by ``missionbase housing place``, by
``missionbase actions run HousingUnit.place``, by the REST API and the web UI alike."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from missionbase.core import Action, ValidationError


class Placement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contact: str = Field(description="The Contact id of the new tenant")


def place_tenant(session, unit_id: str, data: Placement) -> dict:
    """Move a contact into an available unit; the trigger in rules.py dates the move-in."""
    unit = session.get(unit_id, fields=["status", "tenant"])
    if unit["status"] != "Available":
        raise ValidationError(
            f"unit is {unit['status']}, not Available", object_name="HousingUnit", field="status"
        )
    session.get(data.contact, fields=["id"])  # a contact the user cannot see is "not found"
    return session.update(unit_id, {"tenant": data.contact, "status": "Occupied"})


ACTIONS = [
    Action(
        "place",
        run=place_tenant,
        object="HousingUnit",
        on_record=True,
        input=Placement,
        permission="edit",
        description="Place a contact in an available housing unit.",
    )
]
