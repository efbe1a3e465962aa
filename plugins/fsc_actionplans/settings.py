"""Action plan settings (an admin changes them with ``missionbase settings set``)."""

from missionbase.core import Setting

MAX_ITEMS = Setting(
    "actionplans.max_items_per_template", 100, description="Most items one template version may have."
)
MAX_OFFSET = Setting(
    "actionplans.max_due_offset_days",
    1000,
    description="Largest due offset (days after the plan's start) an item may have.",
)
RECURRING_HOLIDAYS = Setting(
    "actionplans.recurring_holidays_are_nonworking",
    False,
    description="Whether recurring holidays are days off too when plans skip non-working days "
    "(off by default, as in Industries action plans: only dated holidays are).",
)
SETTINGS = [MAX_ITEMS, MAX_OFFSET, RECURRING_HOLIDAYS]
