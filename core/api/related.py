"""Routes across records: a record's related lists, and upsert by a unique field."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Path, Query, Request

from ..errors import UnknownName, ValidationError
from ..registry import ObjectType
from .context import API_PREFIX, context_of, current_caller
from .http import read_json_object, version_from_if_match
from .problems import NotFoundObject, problem_responses
from .records import (
    PageParams,
    check_writable,
    json_body,
    json_content,
    own_record,
    page_response,
    page_schema,
    query_records,
    record_response,
    update_record,
)
from .tokens import TokenUser


def child_lookup(session, parent: ObjectType, child_name: str, field: str | None) -> tuple[ObjectType, str]:
    """The child object and the lookup of it that points at ``parent``."""
    try:
        child = session.registry.object(child_name)
    except UnknownName as exc:
        raise NotFoundObject(exc) from None
    # A lookup to any object ("*", like Task.what) can point at this parent too.
    lookups = [lk.name for lk in child.lookups() if parent.name in lk.targets or "*" in lk.targets]
    if field is not None:
        if field not in lookups:
            raise UnknownName(f"lookup from {child.name} to {parent.name}", field, lookups)
        return child, field
    if len(lookups) != 1:
        which = f"several ({', '.join(lookups)}): choose one with ?field=" if lookups else "none"
        raise ValidationError(f"{child.name} lookups to {parent.name}: {which}", object_name=child.name)
    return child, lookups[0]


def related_records(session, parent: ObjectType, record_id: str, child_name: str, field: str | None, params):
    own_record(session, parent, record_id)
    session.get(record_id, fields=["id"])  # the parent must be readable: else 404, as for the record
    child, lookup = child_lookup(session, parent, child_name, field)
    return query_records(session, child, *params.args(), also={lookup: {"eq": record_id}})


def upsert(session, obj: ObjectType, field: str, value: str, values: dict, version: int | None):
    """Update the record whose unique ``field`` is ``value``, or create it: (record, created)."""
    fld = obj.field(field)
    if fld is None or not fld.unique:
        unique = [f.name for f in obj.fields if f.unique]
        raise UnknownName("unique field", field, unique, where=obj.name)
    if values.get(field, value) != value:
        raise ValidationError("differs from the value in the URL", object_name=obj.name, field=field)
    found = session.query(obj.name, {field: {"eq": value}}, fields=["id"], limit=1).records
    if found:
        return update_record(session, obj, found[0]["id"], {**values, field: value}, version), False
    values = {k: v for k, v in values.items() if k != "version"}
    check_writable(session, obj, values)
    return session.create(obj.name, {**values, field: value}), True


def add_object_routes(api: FastAPI, obj: ObjectType) -> None:
    base = f"{API_PREFIX}/objects/{obj.name}/records"
    ref = f"#/components/schemas/{obj.name}"

    @api.get(
        base + "/{record_id}/related/{child_object}",
        tags=[obj.name],
        operation_id=f"related_{obj.name}",
        summary=f"Records of another object whose lookup points at this {obj.label.lower()}",
        responses={
            200: {"description": "A page", "content": {"application/json": {"schema": page_schema(None)}}},
            **problem_responses(401, 403, 404, 422),
        },
    )
    async def related(
        request: Request,
        record_id: str,
        child_object: str,
        field: str | None = Query(
            None, description="The child's lookup, when it has several to this object."
        ),
        params: PageParams = Depends(),
        caller: TokenUser = Depends(current_caller),
    ):
        page = await context_of(request).run(
            caller, related_records, obj, record_id, child_object, field, params
        )
        return page_response(request, page)

    unique = [fld.name for fld in obj.fields if fld.unique]
    if not unique:
        return  # upsert needs a unique field to find the record by

    @api.put(
        base + "/by/{field}/{value}",
        tags=[obj.name],
        operation_id=f"upsert_{obj.name}",
        summary=f"Create or update the {obj.label.lower()} whose unique field has this value",
        openapi_extra=json_body(f"#/components/schemas/{obj.name}Update"),
        responses={
            200: json_content(ref, "Updated"),
            201: json_content(ref, "Created"),
            **problem_responses(400, 401, 403, 409, 412, 413, 415, 422),
        },
    )
    async def put_by(
        request: Request,
        value: str,
        field: str = Path(description="A unique field.", json_schema_extra={"enum": unique}),
        caller: TokenUser = Depends(current_caller),
    ):
        ctx = context_of(request)
        version = version_from_if_match(request.headers.get("if-match"))
        values = await read_json_object(request, ctx.max_body)
        record, created = await ctx.run(caller, upsert, obj, field, value, values, version, write=True)
        if created:
            return record_response(record, 201, {"Location": f"{base}/{record['id']}"})
        return record_response(record)
