"""PMM's permission sets: View, Deliver and Manage.

None grants View All or Modify All, nor the session's omitted_contact_ids
(a system field). Contact access itself comes from core's sets (Standard
User); these only open ``Contact.is_client`` to those who may edit contacts.
"""

from __future__ import annotations

from missionbase.core import PermissionSet

from .objects import OBJECT_NAMES

DELIVERY_WORK = ("ProgramEngagement", "ServiceParticipant", "ServiceDelivery")
PLANNING = ("Program", "ProgramCohort", "Service", "ServiceSchedule")

VIEW = PermissionSet(
    "PMM: View",
    objects={**dict.fromkeys(OBJECT_NAMES, "R"), "Contact": "R"},
    fields={"Contact.is_client": "read"},
    description="Read programs, services, schedules, sessions, engagements and deliveries; change nothing.",
)

DELIVER = PermissionSet(
    "PMM: Deliver",
    objects={
        **dict.fromkeys(PLANNING, "R"),
        **dict.fromkeys(DELIVERY_WORK, "CRE"),
        "ServiceSession": "RE",
        "Contact": "R",
    },
    fields={"Contact.is_client": "edit"},
    description="Enrol clients, add participants, take attendance and record deliveries.",
)

MANAGE = PermissionSet(
    "PMM: Manage",
    objects={**dict.fromkeys(OBJECT_NAMES, "CRED"), "Contact": "R"},
    fields={"Contact.is_client": "edit"},
    description="Set up programs, cohorts, services and schedules, and everything Deliver does.",
)

PERMISSION_SETS = [VIEW, DELIVER, MANAGE]
