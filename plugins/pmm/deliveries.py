"""Bulk service delivery entry outside sessions.

A row for a client names the contact, one of their program engagements and
a service of that engagement's program. An anonymous row (no contact: 40
meals served at a drop-in) names the service and a quantity.

Not copied from upstream: its bulk tool saves with partial success; here a
bulk entry is one operation, so a bad row fails the whole entry with an
error naming the row, and nothing is written.
"""

from __future__ import annotations

from missionbase.core import ValidationError

from . import settings as cfg

OBJECT = "ServiceDelivery"
BULK_FIELDS = (
    "contact",
    "program_engagement",
    "service",
    "delivery_date",
    "quantity",
    "attendance_status",
    "service_provider",
    "account",
    "service_session",
)


def check_bulk_rows(
    rows: list[dict], engagements: dict[str, dict], services: dict[str, dict], buckets: cfg.Buckets | None
) -> None:
    """Raise for the first row that breaks the bulk entry's rules.

    ``buckets`` is given when the org filters the tool to active engagements
    and services (``pmm.bulk_delivery_active_filter``).
    """
    for index, row in enumerate(rows):

        def fail(field: str, message: str, index=index):
            raise ValidationError(message, object_name=OBJECT, row=index, field=field)

        if not isinstance(row, dict):
            raise ValidationError("each delivery must be a mapping of field names to values", row=index)
        unknown = sorted(set(row) - set(BULK_FIELDS))
        if unknown:
            fail(unknown[0], f"is not a bulk delivery field; use {', '.join(BULK_FIELDS)}")
        if not row.get("service"):
            fail("service", "is required")
        if row.get("contact"):
            if not row.get("program_engagement"):
                fail(
                    "program_engagement",
                    "is required for a client's delivery (pick one of their engagements)",
                )
        elif row.get("quantity") in (None, ""):
            fail("quantity", "is required for an anonymous delivery (no contact), e.g. 40 meals")
        if buckets is not None:
            engagement = engagements.get(row.get("program_engagement") or "")
            if engagement and engagement.get("stage") not in buckets.active_stages:
                fail(
                    "program_engagement",
                    f"engagement {engagement['id']} is in stage {engagement.get('stage')!r}, "
                    f"not an active one ({', '.join(sorted(buckets.active_stages))})",
                )
            service = services.get(row["service"])
            if service and service.get("status") not in buckets.active_service_statuses:
                fail("service", f"service {service['id']} is {service.get('status')!r}, not active")


def bulk_deliveries(session, rows: list[dict]) -> list[dict]:
    """Create deliveries from bulk entry rows, all or nothing."""
    active_only = session.get_setting(cfg.BULK_ACTIVE_FILTER)
    engagements, services = {}, {}
    if active_only:
        ids = {
            r.get(k)
            for r in rows
            if isinstance(r, dict)
            for k in ("program_engagement", "service")
            if r.get(k)
        }
        found = session.get_many(sorted(ids))
        engagements = {k: v for k, v in found.items() if k.startswith("pen_")}
        services = {k: v for k, v in found.items() if k.startswith("svc_")}
    check_bulk_rows(rows, engagements, services, cfg.buckets(session) if active_only else None)
    return session.create_many(OBJECT, rows)
