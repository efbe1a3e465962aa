"""What the registry says about objects, as JSON Schema (OpenAPI 3.1) and as ``describe``.

Schemas are written straight from the field declarations rather than through
pydantic models: core validates every write itself (with the CLI's messages),
so the schemas only document; building them as dicts keeps one source of truth
(the field) and no second validation layer whose messages would differ.
"""

from __future__ import annotations

from typing import Any

from .. import fields as f
from ..registry import ObjectType

SYSTEM_PROPERTIES = {
    "id": {"type": "string", "readOnly": True},
    "owner_id": {"type": "string"},
    "created_at": {"type": "string", "format": "date-time", "readOnly": True},
    "created_by": {"type": "string", "readOnly": True},
    "modified_at": {"type": "string", "format": "date-time", "readOnly": True},
    "modified_by": {"type": "string", "readOnly": True},
    "version": {"type": "integer", "description": "Send it back on update: a stale one is refused (412)."},
}


def field_schema(fld: f.Field) -> dict[str, Any]:
    """One field's JSON Schema; null is always allowed (an empty value)."""
    if isinstance(fld, f.Formula):
        schema = field_schema(fld.result)
        schema["readOnly"] = True
        return schema
    schema: dict[str, Any]
    if isinstance(fld, f.MultiPicklist):
        item: dict[str, Any] = {"type": "string"}
        if fld.restricted:
            item["enum"] = list(fld.values)
        schema = {"type": ["array", "null"], "items": item}
    elif isinstance(fld, f.Picklist):
        schema = {"type": ["string", "null"]}
        if fld.restricted:
            schema["enum"] = [*fld.values, None]
    elif isinstance(fld, f.StringField):
        schema = {"type": ["string", "null"], "maxLength": fld.max_length}
        if fld.kind == "email":
            schema["format"] = "email"
        elif fld.kind == "url":
            schema["format"] = "uri"
    elif isinstance(fld, f.Integer):
        schema = {"type": ["integer", "null"]}
        if fld.min_value is not None:
            schema["minimum"] = fld.min_value
        if fld.max_value is not None:
            schema["maximum"] = fld.max_value
    elif isinstance(fld, f.Decimal):
        # Read back as a string (every digit kept); a number or a string is accepted.
        schema = {"type": ["string", "number", "null"], "format": "decimal"}
    elif isinstance(fld, f.Boolean):
        schema = {"type": ["boolean", "null"]}
    elif isinstance(fld, f.Datetime):
        schema = {"type": ["string", "null"], "format": "date-time"}
    elif isinstance(fld, f.Date):
        schema = {"type": ["string", "null"], "format": "date"}
    elif isinstance(fld, f.Lookup):
        schema = {"type": ["string", "null"], "description": f"id of a {' or '.join(fld.targets)}"}
    else:  # auto numbers and kinds added later: a string is the safe description
        schema = {"type": ["string", "null"]}
    if fld.label:
        schema["title"] = fld.label
    if fld.help and "description" not in schema:
        schema["description"] = fld.help
    if fld.read_only or isinstance(fld, f.AutoNumber):
        schema["readOnly"] = True
    return schema


def _without_null(schema: dict) -> Any:
    kinds = schema.get("type")
    if isinstance(kinds, list):
        kept = [k for k in kinds if k != "null"]
        return kept[0] if len(kept) == 1 else kept
    return kinds


def record_schema(obj: ObjectType) -> dict[str, Any]:
    """A record as read: every field may be absent (field-level security hides some)."""
    properties = dict(SYSTEM_PROPERTIES)
    properties.update({fld.name: field_schema(fld) for fld in obj.fields})
    return {"type": "object", "title": obj.label, "description": obj.description, "properties": properties}


def write_schema(obj: ObjectType, *, create: bool) -> dict[str, Any]:
    """A create or update body: writable fields; required ones on create."""
    properties: dict[str, Any] = {"owner_id": {"type": "string"}}
    if not create:
        properties["version"] = SYSTEM_PROPERTIES["version"]
    required = []
    for fld in obj.fields:
        if fld.read_only or isinstance(fld, f.Formula | f.AutoNumber):
            continue
        properties[fld.name] = field_schema(fld)
        if fld.required:
            # core takes "" (and null) for "missing": a required field needs a value, always
            properties[fld.name] = {**properties[fld.name], "type": _without_null(properties[fld.name])}
            if isinstance(fld, f.StringField):
                properties[fld.name]["minLength"] = 1
            if "enum" in properties[fld.name]:
                properties[fld.name]["enum"] = [v for v in properties[fld.name]["enum"] if v is not None]
            if create and fld.default is None:
                required.append(fld.name)
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def components(registry) -> dict[str, Any]:
    """``components.schemas`` for every object: ``Contact``, ``ContactCreate``, ``ContactUpdate``."""
    out: dict[str, Any] = {}
    for obj in registry.objects.values():
        out[obj.name] = record_schema(obj)
        out[f"{obj.name}Create"] = write_schema(obj, create=True)
        out[f"{obj.name}Update"] = write_schema(obj, create=False)
    return out


# -- describe: what one caller may do with an object ---------------------------------------


def describe_field(fld: f.Field, access: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": fld.name,
        "label": fld.label,
        "kind": fld.kind,
        "required": fld.required,
        "unique": fld.unique,
        "read_only": fld.read_only or isinstance(fld, f.Formula | f.AutoNumber),
        "access": access,
    }
    source = fld.result if isinstance(fld, f.Formula) else fld
    if isinstance(fld, f.Formula):
        out["result"] = fld.result.kind
    if isinstance(source, f.StringField):
        out["max_length"] = source.max_length
    if isinstance(source, f.Picklist):
        out["values"] = list(source.values)
        out["restricted"] = source.restricted
    if isinstance(source, f.Lookup):
        out["targets"] = list(source.targets)
    if isinstance(fld, f.Lookup):
        out["on_delete"] = fld.on_delete
    if fld.default is not None:
        out["default"] = (
            fld.default if isinstance(fld.default, str | int | float | bool) else str(fld.default)
        )
    if fld.help:
        out["help"] = fld.help
    return out


def child_relationships(registry, obj: ObjectType) -> list[dict[str, str]]:
    """Lookups on other objects that point at this one (what ``related`` will list)."""
    out = []
    for other in registry.objects.values():
        for lookup in other.lookups():
            if obj.name in lookup.targets:
                out.append({"object": other.name, "field": lookup.name})
    return out
