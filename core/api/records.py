"""Record routes, generated for every object of the registry when the API is built.

Each object gets its own paths (``/objects/Contact/records``...) so that the
OpenAPI document names its fields; the work itself is plain functions over a
RecordService opened as the caller, so permissions, field-level security and
sharing are exactly the CLI's.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import Response

from ..errors import AccessDenied, RecordNotFound, UnknownName, ValidationError
from ..history import field_history
from ..query import parse_where
from ..registry import ObjectType
from .context import API_PREFIX, context_of, current_caller
from .http import etag_of, json_response, none_match, read_json_object, version_from_if_match, with_query
from .problems import NotFoundObject, Problem, problem_responses
from .tokens import TokenUser

MAX_LIMIT = 1000


# -- the work, one function per operation (session first, as the CLI's commands do) ---------


def own_record(session, obj: ObjectType, record_id: str) -> None:
    """404 unless ``record_id`` is an id of this object (readability is checked by the read)."""
    try:
        other = session.object_of(record_id)
    except (ValidationError, RecordNotFound):
        other = None
    if other is None or other.name != obj.name:
        raise RecordNotFound(record_id, obj.name)


def check_writable(session, obj: ObjectType, values: dict) -> None:
    """403 for a field the caller may not write because field-level security hides it.

    Core would call a hidden field unknown (it never names what a user cannot see); the API
    answers 403 as it does for a read-only one, since its OpenAPI document lists every field.
    """
    for name in values:
        fld = obj.field(name)
        if fld is not None and not fld.read_only and session.field_access(obj, name) == "hidden":
            raise AccessDenied(f"{obj.name} field {name!r}: field-level security does not let you write it")


def split_list(text: str | None) -> list[str] | None:
    return [p.strip() for p in text.split(",") if p.strip()] if text else None


def query_records(
    session, obj: ObjectType, wheres, fields, order_by, limit, cursor, count, *, also: dict | None = None
) -> dict:
    """A page of records; ``also`` is a condition the API adds (a related list's parent)."""
    # The CLI's --where language, each condition ANDed, parsed by the CLI's own function.
    # An empty ?where= is no condition (a form that left the filter blank).
    where = [parse_where(w) for w in wheres if w.strip()] + ([also] if also else []) or None
    page = session.query(
        obj.name, where, fields=split_list(fields), order_by=order_by, limit=limit, cursor=cursor
    )
    out: dict = {"records": page.records, "next_cursor": page.next_cursor}
    if count:
        out["count"] = session.count(obj.name, where)
    return out


def create_record(session, obj: ObjectType, values: dict) -> dict:
    check_writable(session, obj, values)
    return session.create(obj.name, values)


def get_record(session, obj: ObjectType, record_id: str, fields: str | None) -> dict:
    own_record(session, obj, record_id)
    return session.get(record_id, fields=split_list(fields))


def update_record(session, obj: ObjectType, record_id: str, values: dict, version: int | None) -> dict:
    own_record(session, obj, record_id)
    if values.get("id", record_id) != record_id:
        raise ValidationError(
            "is read-only (the record changed is the one in the URL)", object_name=obj.name, field="id"
        )
    values = {k: v for k, v in values.items() if k != "id" and not (k == "version" and version is not None)}
    if not isinstance(values.get("version", 0), int) or isinstance(values.get("version"), bool):
        raise ValidationError(
            "must be a whole number: the version you read", object_name=obj.name, field="version"
        )
    if not {k for k in values if k != "version"}:
        raise ValidationError("nothing to change: send at least one field", object_name=obj.name)
    check_writable(session, obj, values)
    return session.update(record_id, values, version=version)


def delete_record(session, obj: ObjectType, record_id: str) -> None:
    own_record(session, obj, record_id)
    session.delete(record_id)


def undelete_record(session, obj: ObjectType, record_id: str) -> dict:
    own_record(session, obj, record_id)
    return session.undelete(record_id)


def record_history(session, obj: ObjectType, record_id: str) -> list[dict]:
    own_record(session, obj, record_id)
    return field_history(session, record_id)


# -- routes -----------------------------------------------------------------------------------


def json_content(ref: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ref}}}}


def json_body(ref: str) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": ref}}}}}


def record_response(record: dict, status: int = 200, headers: dict | None = None) -> Response:
    return json_response(record, status, headers={"ETag": etag_of(record.get("version")), **(headers or {})})


class PageParams:
    """The query parameters of a list of records (a route dependency: FastAPI reads and documents them)."""

    def __init__(
        self,
        where: list[str] = Query(
            [],
            description="The CLI's --where: 'field = value', 'field in a,b', 'field is null'...; repeat to AND.",
        ),
        fields: str | None = Query(
            None, description="Comma-separated fields (lookup.field follows a lookup)."
        ),
        order_by: str | None = Query(None, description="Comma-separated fields, '-' for descending."),
        limit: int = Query(50, ge=1, le=MAX_LIMIT),
        cursor: str | None = Query(None, description="The next_cursor of the previous page."),
        count: bool = Query(False, description="Also count every matching record (costs a second query)."),
    ) -> None:
        self.where, self.fields, self.order_by = where, fields, order_by
        self.limit, self.cursor, self.count = limit, cursor, count

    def args(self) -> tuple:
        return self.where, self.fields, self.order_by, self.limit, self.cursor, self.count


def page_schema(object_name: str | None) -> dict:
    """A page of one object's records (any object's, for None: a related list)."""
    item = {"$ref": f"#/components/schemas/{object_name}"} if object_name else {"type": "object"}
    return {
        "type": "object",
        "properties": {
            "records": {"type": "array", "items": item},
            "next_cursor": {"type": ["string", "null"]},
            "next": {"type": ["string", "null"]},
            "count": {"type": "integer"},
        },
    }


def page_response(request: Request, page: dict) -> Response:
    """A page with its ``next`` link, also as ``Link: <...>; rel="next"``."""
    headers = {}
    page["next"] = None
    if page["next_cursor"]:
        page["next"] = with_query(request, cursor=page["next_cursor"])
        headers["Link"] = f'<{page["next"]}>; rel="next"'
    return json_response(page, headers=headers)


def add_object_routes(api: FastAPI, obj: ObjectType) -> None:
    """The record routes of one object."""
    base = f"{API_PREFIX}/objects/{obj.name}/records"
    tag = obj.name
    ref = f"#/components/schemas/{obj.name}"

    @api.get(
        base,
        tags=[tag],
        operation_id=f"list_{obj.name}",
        summary=f"Find {obj.plural.lower()}",
        responses={
            200: {
                "description": "A page",
                "content": {"application/json": {"schema": page_schema(obj.name)}},
            },
            **problem_responses(401, 403, 422),
        },
    )
    async def list_records(
        request: Request, params: PageParams = Depends(), caller: TokenUser = Depends(current_caller)
    ):
        page = await context_of(request).run(caller, query_records, obj, *params.args())
        return page_response(request, page)

    @api.post(
        base,
        tags=[tag],
        operation_id=f"create_{obj.name}",
        summary=f"Create a {obj.label.lower()}",
        status_code=201,
        openapi_extra=json_body(f"#/components/schemas/{obj.name}Create"),
        responses={201: json_content(ref, "Created"), **problem_responses(400, 401, 403, 409, 413, 415, 422)},
    )
    async def create(request: Request, caller: TokenUser = Depends(current_caller)):
        ctx = context_of(request)
        values = await read_json_object(request, ctx.max_body)
        record = await ctx.run(caller, create_record, obj, values, write=True)
        return record_response(record, 201, {"Location": f"{base}/{record['id']}"})

    @api.get(
        base + "/{record_id}",
        tags=[tag],
        operation_id=f"get_{obj.name}",
        summary=f"Read one {obj.label.lower()}",
        responses={
            200: json_content(ref, "The record"),
            304: {"description": "Not modified"},
            **problem_responses(401, 403, 404),
        },
    )
    async def read(
        request: Request,
        record_id: str,
        fields: str | None = Query(None, description="Comma-separated fields."),
        caller: TokenUser = Depends(current_caller),
    ):
        record = await context_of(request).run(caller, get_record, obj, record_id, fields)
        etag = etag_of(record.get("version"))
        if none_match(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers={"ETag": etag})
        return record_response(record)

    @api.patch(
        base + "/{record_id}",
        tags=[tag],
        operation_id=f"update_{obj.name}",
        summary=f"Change fields of one {obj.label.lower()} (If-Match: its ETag, or 'version' in the body)",
        openapi_extra=json_body(f"#/components/schemas/{obj.name}Update"),
        responses={
            200: json_content(ref, "The changed record"),
            **problem_responses(400, 401, 403, 404, 409, 412, 413, 415, 422),
        },
    )
    async def update(request: Request, record_id: str, caller: TokenUser = Depends(current_caller)):
        ctx = context_of(request)
        version = version_from_if_match(request.headers.get("if-match"))
        values = await read_json_object(request, ctx.max_body)
        record = await ctx.run(caller, update_record, obj, record_id, values, version, write=True)
        return record_response(record)

    @api.delete(
        base + "/{record_id}",
        tags=[tag],
        operation_id=f"delete_{obj.name}",
        summary=f"Move one {obj.label.lower()} to the recycle bin",
        status_code=204,
        responses=problem_responses(401, 403, 404, 409),
    )
    async def delete(request: Request, record_id: str, caller: TokenUser = Depends(current_caller)):
        await context_of(request).run(caller, delete_record, obj, record_id, write=True)
        return Response(status_code=204)

    @api.post(
        base + "/{record_id}/undelete",
        tags=[tag],
        operation_id=f"undelete_{obj.name}",
        summary=f"Restore a deleted {obj.label.lower()}",
        responses={200: json_content(ref, "The restored record"), **problem_responses(401, 403, 404, 422)},
    )
    async def undelete(request: Request, record_id: str, caller: TokenUser = Depends(current_caller)):
        record = await context_of(request).run(caller, undelete_record, obj, record_id, write=True)
        return record_response(record)

    @api.get(
        base + "/{record_id}/history",
        tags=[tag],
        operation_id=f"history_{obj.name}",
        summary="Changes to the record's tracked fields (fields you cannot see are left out)",
        responses=problem_responses(401, 403, 404),
    )
    async def history(request: Request, record_id: str, caller: TokenUser = Depends(current_caller)):
        rows = await context_of(request).run(caller, record_history, obj, record_id)
        return json_response({"history": rows})


def allowed_methods(api: FastAPI, path: str) -> set[str]:
    """The methods the API's documented routes serve at this path (for 405 and its Allow)."""
    methods: set[str] = set()
    for route in api.routes:
        regex = getattr(route, "path_regex", None)
        if getattr(route, "include_in_schema", False) and regex is not None and regex.match(path):
            methods |= set(getattr(route, "methods", ()) or ())
    return methods - {"HEAD"}


def add_fallback_routes(api: FastAPI, object_names: list[str]) -> None:
    """Anything else under ``/objects/{obj}/``: 404 naming the closest objects, or 405."""

    @api.api_route(
        f"{API_PREFIX}/objects/{{object_name}}/{{rest:path}}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        include_in_schema=False,
    )
    async def unknown(request: Request, object_name: str, rest: str):
        if object_name not in object_names:
            raise NotFoundObject(UnknownName("object", object_name, object_names))
        allowed = allowed_methods(api, request.url.path)
        if allowed:
            raise Problem(
                405,
                f"{request.method} is not allowed on {request.url.path}; use {', '.join(sorted(allowed))}",
                code="method_not_allowed",
                headers={"Allow": ", ".join(sorted(allowed))},
            )
        raise Problem(404, f"no such endpoint: {request.method} {request.url.path}", code="no_route")
