"""Search across objects, through the RecordService: you find only records you
can read, by fields you can see."""

from __future__ import annotations

from . import fields as f
from .errors import AccessDenied, ValidationError

SEARCH_KINDS = (f.Email, f.Phone)


def searchable_fields(obj) -> list[str]:
    names = [obj.name_field] if obj.name_field else []
    names += [fld.name for fld in obj.fields if isinstance(fld, SEARCH_KINDS) and fld.name not in names]
    return names


def search(session, text: str, *, objects: list[str] | None = None, limit: int = 10) -> list[dict]:
    """Records whose name, email or phone contains ``text`` (case-insensitive), per object."""
    text = text.strip()
    if len(text) < 2:
        raise ValidationError("search needs at least 2 characters")
    names = objects or sorted(session.registry.objects)
    results = []
    for name in names:
        obj = session.object(name)
        fields = [n for n in searchable_fields(obj) if session.field_access(obj, n) != "hidden"]
        if not fields:
            continue
        try:
            page = session.query(
                name,
                {"or": [{n: {"contains": text}} for n in fields]},
                fields=fields,
                order_by="-modified_at",
                limit=limit,
            )
        except AccessDenied:
            if objects:
                raise
            continue  # objects you cannot read at all are simply not searched
        for record in page.records:
            matched = next((n for n in fields if text.lower() in str(record.get(n) or "").lower()), fields[0])
            results.append(
                {
                    "object": name,
                    "id": record["id"],
                    "name": record.get(obj.name_field) if obj.name_field else None,
                    "matched": matched,
                    "value": record.get(matched),
                }
            )
    return results
