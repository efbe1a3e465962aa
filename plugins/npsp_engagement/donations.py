"""Donations and the gift rollups on Contact and Account that Levels read.

Only won donations count. The rollups are read-only fields the system keeps
(``as_system()`` in the caller's transaction): a fundraiser entering a gift
may not be allowed to edit the donor record itself.
"""

from __future__ import annotations

import decimal
from collections import defaultdict

from missionbase.core import chunks

from .objects import WON_STAGE

ROLLUP_FIELDS = ("total_gifts", "last_gift_date", "last_gift_amount", "number_of_gifts")
DONOR_LOOKUPS = (("contact", "Contact"), ("account", "Account"))


def name_donations(ctx, rows) -> None:
    """A blank donation name becomes "Donation <amount> <date>"."""
    for row in rows:
        if not row.new.get("name"):
            row.new["name"] = f"Donation {row.new.get('amount')} {row.new.get('close_date')}"[:120]


def gift_rollups(donations: list[dict]) -> dict:
    """Rollup values from one donor's won donations (pure)."""
    won = [d for d in donations if d.get("stage") == WON_STAGE]
    if not won:
        return {
            "total_gifts": decimal.Decimal("0"),
            "last_gift_date": None,
            "last_gift_amount": None,
            "number_of_gifts": 0,
        }
    last = max(won, key=lambda d: (d["close_date"], d["id"]))
    return {
        "total_gifts": sum((decimal.Decimal(d["amount"] or 0) for d in won), decimal.Decimal("0")),
        "last_gift_date": last["close_date"],
        "last_gift_amount": last["amount"],
        "number_of_gifts": len(won),
    }


def recompute_donors(session, donor_ids_by_lookup: dict[str, set[str]]) -> None:
    system = session.as_system()
    for lookup, object_name in DONOR_LOOKUPS:
        ids = sorted(donor_ids_by_lookup.get(lookup, ()))
        for chunk in chunks(ids):
            gifts: dict[str, list[dict]] = defaultdict(list)
            for donation in system.query(
                "Donation",
                where={lookup: {"in": chunk}, "stage": WON_STAGE},
                fields=[lookup, "amount", "close_date", "stage"],
            ).records:
                gifts[donation[lookup]].append(donation)
            donors = system.query(
                object_name, where={"id": {"in": chunk}}, fields=list(ROLLUP_FIELDS)
            ).records
            changes, computed = [], {}
            for donor in donors:
                values = gift_rollups(gifts.get(donor["id"], []))
                if any(_differs(donor.get(k), v) for k, v in values.items()):
                    changes.append({"id": donor["id"]})
                    computed[donor["id"]] = values
            if changes:
                system.update_many(changes, computed=computed)


def _differs(stored, value) -> bool:
    if isinstance(value, decimal.Decimal) and stored is not None:
        return decimal.Decimal(stored) != value
    return stored != value


def roll_up_after_change(ctx, rows) -> None:
    """After insert, update, delete or undelete of donations."""
    affected: dict[str, set[str]] = defaultdict(set)
    watched = ("amount", "close_date", "stage", "contact", "account", "is_deleted")
    for row in rows:
        if row.old is not None and row.new is not None and not any(row.changed(f) for f in watched):
            continue
        for values in (row.new, row.old):
            for lookup, _ in DONOR_LOOKUPS:
                if values and values.get(lookup):
                    affected[lookup].add(values[lookup])
    if affected:
        recompute_donors(ctx.session, affected)
