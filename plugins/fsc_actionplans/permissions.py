"""Permission sets of the action plans plugin."""

from missionbase.core import PermissionSet

REVIEW_DOCUMENTS = "actionplans_review_documents"
TEMPLATE_OBJECTS = (
    "ActionPlanTemplate",
    "ActionPlanTemplateVersion",
    "ActionPlanTemplateItem",
    "ActionPlanTemplateItemValue",
)

MANAGE_TEMPLATES = PermissionSet(
    "Action Plans: Manage Templates",
    objects={
        **dict.fromkeys(TEMPLATE_OBJECTS, "CREDVM"),
        "DocumentType": "CRED",
        "ActionPlan": "RV",
        "ActionPlanItem": "RV",
        "DocumentChecklistItem": "RV",
    },
    system=[REVIEW_DOCUMENTS],
    description="Create, version, publish, export and import action plan templates and document types; "
    "see every plan for compliance reporting.",
)

USE = PermissionSet(
    "Action Plans: Use",
    objects={
        **dict.fromkeys(TEMPLATE_OBJECTS, "R"),
        "DocumentType": "R",
        "ActionPlan": "CRED",
        "ActionPlanItem": "CRE",
        "DocumentChecklistItem": "CRE",
        "RecordTeamMember": "CRED",
        "Task": "CRE",
        "File": "CR",
        "User": "R",
        "Queue": "R",
        "BusinessHours": "R",
        "Holiday": "R",
    },
    description="Create action plans from published templates, work their tasks and upload their documents.",
)

REVIEW = PermissionSet(
    "Action Plans: Review Documents",
    objects={"DocumentChecklistItem": "RE", "ActionPlan": "R", "ActionPlanItem": "R", "File": "R"},
    system=[REVIEW_DOCUMENTS],
    description="Accept or reject the documents received for the checklist items the reviewer can edit.",
)

PERMISSION_SETS = [MANAGE_TEMPLATES, USE, REVIEW]
