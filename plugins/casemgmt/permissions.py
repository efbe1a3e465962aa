"""Case Management's permission sets.

- Caseworker: works their clients' records (which clients: Contact sharing,
  e.g. ownership) and reads the sensitive fields of those records.
- Supervisor: everything a caseworker does, View All on the plugin's client
  records (their team's notes, plans, assessments, incidents), Modify All on
  case notes (the one who may correct a completed note) and the templates.
  Which *clients* they see stays with Contact sharing: the role hierarchy
  shows a supervisor what their caseworkers own.
- Read Only: reads the records, never the sensitive fields.

Drafts stay with their author for every set (the ClientNote restriction).
"""

from __future__ import annotations

from missionbase.core import PermissionSet

from .objects import CLIENT_WORK_OBJECTS, OBJECT_NAMES, TEMPLATE_OBJECTS

SENSITIVE_FIELDS = ("Contact.legal_name", "ClientNote.content", "Incident.description", "Assessment.comments")
ACTIVITIES = {"Task": "CRE", "Event": "CRE", "Note": "CRE", "File": "CR", "Account": "R", "User": "R"}

CASEWORKER = PermissionSet(
    "Case Management: Caseworker",
    objects={
        **dict.fromkeys(CLIENT_WORK_OBJECTS, "CRED"),
        **dict.fromkeys(TEMPLATE_OBJECTS, "R"),
        "Contact": "CRE",
        **ACTIVITIES,
    },
    fields={**dict.fromkeys(SENSITIVE_FIELDS, "edit"), "Contact.is_client": "edit"},
    description="Work with your clients: card, alerts, case notes, plans, assessments and incidents.",
)

SUPERVISOR = PermissionSet(
    "Case Management: Supervisor",
    objects={
        **dict.fromkeys(CLIENT_WORK_OBJECTS, "CREDV"),
        "ClientNote": "CREDVM",
        **dict.fromkeys(TEMPLATE_OBJECTS, "CRED"),
        "Contact": "CRE",
        **ACTIVITIES,
    },
    fields={**dict.fromkeys(SENSITIVE_FIELDS, "edit"), "Contact.is_client": "edit"},
    description="Everything a caseworker does, plus View All on the team's client records, corrections "
    "to completed case notes, and goal, action item and assessment templates.",
)

READ_ONLY = PermissionSet(
    "Case Management: Read Only",
    objects={**dict.fromkeys(OBJECT_NAMES, "R"), "Contact": "R", "Account": "R", "User": "R"},
    description="Read case records your access opens, without the sensitive fields.",
)

PERMISSION_SETS = [CASEWORKER, SUPERVISOR, READ_ONLY]
