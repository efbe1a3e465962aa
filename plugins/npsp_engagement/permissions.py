"""Permission sets the engagement plugin ships."""

from missionbase.core import PermissionSet

MANAGE = PermissionSet(
    "Engagement Plans: Manage",
    objects={
        "EngagementPlanTemplate": "CREDVM",
        "EngagementPlanTask": "CREDVM",
        "EngagementPlan": "CREDVM",
        "Level": "CREDVM",
        "Campaign": "CRED",
        "Donation": "CRED",
        "Task": "CRED",
        "User": "R",
    },
    description="Design templates and level ladders, apply and delete plans, run level assignment.",
)

USE = PermissionSet(
    "Engagement Plans: Use",
    objects={
        "EngagementPlanTemplate": "R",
        "EngagementPlanTask": "R",
        "EngagementPlan": "CRE",
        "Level": "R",
        "Campaign": "R",
        "Donation": "CRE",
        "Task": "CRED",
        "User": "R",
    },
    description="Apply templates to the records you can see and work the tasks they create.",
)

PERMISSION_SETS = [MANAGE, USE]
