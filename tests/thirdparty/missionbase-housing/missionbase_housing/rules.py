"""What happens when a housing unit is written: plain functions over the batch's rows.

Registered as before-insert and before-update triggers, so they run for
every surface (CLI, import, API) and inside the writer's transaction.
"""

from __future__ import annotations

import datetime as dt

from missionbase.core import ValidationError


def place_tenants(ctx, rows) -> None:
    """A unit under maintenance takes no tenant; placing one without a date moves them in today."""
    for index, row in enumerate(rows):
        new, old = row.new, row.old or {}
        status = new.get("status", old.get("status"))
        tenant = new.get("tenant", old.get("tenant"))
        if tenant and status == "Maintenance":
            raise ValidationError(
                "a unit under maintenance cannot have a tenant; set status to Available or Occupied first",
                object_name="HousingUnit",
                row=index if len(rows) > 1 else None,
                field="tenant",
            )
        if row.changed("tenant"):
            if tenant and not new.get("move_in_date"):
                new["move_in_date"] = dt.date.today()
            elif not tenant:
                new["move_in_date"] = None
