"""Declarations of the housing plugin: the HousingUnit object and its permission set."""

from missionbase.core import ObjectType, PermissionSet
from missionbase.core import fields as f

HOUSING_UNIT = ObjectType(
    "HousingUnit",
    label="Housing unit",
    prefix="hsu",
    sharing="private",
    description="A flat, room or bed the organisation can place a client in.",
    fields=[
        f.Text("name", max_length=80, required=True),
        f.Picklist("status", ["Available", "Occupied", "Maintenance"], default="Available", indexed=True),
        f.Lookup("tenant", "Contact", on_delete="clear"),
        f.Date("move_in_date"),
        f.Currency("monthly_rent"),
        # Was max_length=500 in 0.0.x; migrations/a1c3e5f70001_narrow_notes.py
        # truncates longer notes and narrows the column to match.
        f.Text("notes", max_length=200),
    ],
)

# Fields this plugin adds to core's Contact.
CONTACT_FIELDS = [
    f.Boolean("needs_housing", default=False, help="Looking for a place to live"),
]

MANAGE = PermissionSet(
    "Housing: Manage",
    objects={"HousingUnit": "CRED", "Contact": "R"},
    description="Create, edit and delete housing units; read the contacts placed in them.",
)
