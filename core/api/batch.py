"""``POST /objects/{obj}/records:batch``: up to 200 creates, updates and deletes in one request.

``all_or_none`` (the default) runs every item in the request's one transaction:
the first refusal rolls all back and is answered as a problem naming the item's
index. Consecutive items of the same kind go to core in one call
(``create_many``/``update_many``/``delete_many``), so a batch of creates costs
what one ``create_many`` does. With ``all_or_none: false`` each item is its own
unit of work (core makes every call atomic) and the answer has a result per item.
"""

from __future__ import annotations

from itertools import groupby

from fastapi import Depends, FastAPI, Request

from ..errors import MissionbaseError, ValidationError
from ..registry import ObjectType
from .context import API_PREFIX, context_of, current_caller
from .http import json_response, read_json_object
from .problems import Problem, classify, error_entries, problem_responses
from .records import check_writable, own_record
from .tokens import TokenUser

MAX_ITEMS = 200
OPS = ("create", "update", "delete")


class BatchItemFailed(MissionbaseError):
    """One item refused in an all-or-none batch: its index and core's error."""

    def __init__(self, index: int, error: MissionbaseError) -> None:
        super().__init__(f"item {index}: {error}")
        self.index, self.error = index, error


def parse_items(body: dict) -> tuple[list[dict], bool]:
    """The checked items and all_or_none, or a 422 naming the first bad item."""
    unknown = sorted(set(body) - {"items", "all_or_none"})
    if unknown:
        raise Problem(422, f"unknown batch option {unknown[0]!r}; valid: all_or_none, items", code="invalid")
    all_or_none = body.get("all_or_none", True)
    if not isinstance(all_or_none, bool):
        raise Problem(422, "all_or_none must be true or false", code="invalid")
    items = body.get("items")
    if not isinstance(items, list) or not items:
        raise Problem(422, "items must be a non-empty list of {op, id, version, values}", code="invalid")
    if len(items) > MAX_ITEMS:
        raise Problem(
            422, f"a batch takes at most {MAX_ITEMS} items (got {len(items)})", code="too_many_items"
        )
    for index, item in enumerate(items):
        problem = _item_problem(item)
        if problem:
            entry = {"field": None, "code": "invalid", "message": problem, "index": index}
            raise Problem(422, f"item {index}: {problem}", code="invalid", errors=[entry])
    return items, all_or_none


def _item_problem(item) -> str | None:
    if not isinstance(item, dict):
        return 'must be an object like {"op": "create", "values": {...}}'
    extra = sorted(set(item) - {"op", "id", "version", "values"})
    if extra:
        return f"unknown key {extra[0]!r}; valid: op, id, version, values"
    op = item.get("op")
    if op not in OPS:
        return f"op must be one of {', '.join(OPS)} (got {op!r})"
    if op != "create" and not isinstance(item.get("id"), str):
        return f"a {op} needs the record 'id'"
    if op == "create" and "id" in item:
        return "a create cannot choose its id"
    if op != "delete" and not isinstance(item.get("values", {}), dict):
        return "values must be an object of field names to values"
    if op == "update" and not item.get("values"):
        return "an update needs values to change"
    if op == "delete" and "version" in item:
        return "a delete takes no version"
    version = item.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        return "version must be a whole number"
    return None


def _run_group(session, obj: ObjectType, op: str, group: list[tuple[int, dict]]) -> list[dict]:
    """One core call for consecutive items of the same op; their results in order."""
    if op == "create":
        rows = [item.get("values", {}) for _, item in group]
        for row in rows:
            check_writable(session, obj, row)
        return [{"status": 201, "id": r["id"], "record": r} for r in session.create_many(obj.name, rows)]
    for _, item in group:
        own_record(session, obj, item["id"])
    if op == "update":
        changes = []
        for _, item in group:
            check_writable(session, obj, item["values"])
            change = {**item["values"], "id": item["id"]}
            if item.get("version") is not None:
                change["version"] = item["version"]
            changes.append(change)
        return [{"status": 200, "id": r["id"], "record": r} for r in session.update_many(changes)]
    session.delete_many([item["id"] for _, item in group])
    return [{"status": 204, "id": item["id"]} for _, item in group]


def _failed_index(error: MissionbaseError, group: list[tuple[int, dict]]) -> int:
    """Which item of the group core refused: by its row, else by the record id it names."""
    row = getattr(error, "row", None)
    if isinstance(error, ValidationError) and row is not None and 0 <= row < len(group):
        return group[row][0]
    text = str(error)
    for index, item in group:
        if item.get("id") and item["id"] in text:
            return index
    return group[0][0]


def run_all_or_none(session, obj: ObjectType, items: list[dict]) -> list[dict]:
    results: list[dict] = []
    indexed = list(enumerate(items))
    for op, run in groupby(indexed, key=lambda pair: pair[1]["op"]):
        group = list(run)
        try:
            done = _run_group(session, obj, op, group)
        except MissionbaseError as exc:
            raise BatchItemFailed(_failed_index(exc, group), exc) from None
        results += [{"index": index, **result} for (index, _), result in zip(group, done, strict=True)]
    return results


def run_each(session, obj: ObjectType, items: list[dict]) -> list[dict]:
    results = []
    for index, item in enumerate(items):
        try:
            (result,) = _run_group(session, obj, item["op"], [(index, item)])
            results.append({"index": index, **result})
        except MissionbaseError as exc:
            status, code = classify(exc)
            (entry,) = error_entries(exc, code)
            results.append(
                {"index": index, "status": status, "id": item.get("id"), "error": {**entry, "index": index}}
            )
    return results


def add_object_routes(api: FastAPI, obj: ObjectType) -> None:
    @api.post(
        f"{API_PREFIX}/objects/{obj.name}/records:batch",
        tags=[obj.name],
        operation_id=f"batch_{obj.name}",
        summary=f"Up to {MAX_ITEMS} creates, updates and deletes of {obj.plural.lower()}",
        openapi_extra={
            "requestBody": {"required": True, "content": {"application/json": {"schema": BATCH_SCHEMA}}}
        },
        responses=problem_responses(400, 401, 403, 404, 409, 412, 413, 415, 422),
    )
    async def batch(request: Request, caller: TokenUser = Depends(current_caller)):
        ctx = context_of(request)
        items, all_or_none = parse_items(await read_json_object(request, ctx.max_body))
        work = run_all_or_none if all_or_none else run_each
        results = await ctx.run(caller, work, obj, items, write=True)
        return json_response({"results": results})


def _item_schema(op: str, *keys: str, required: tuple[str, ...] = ()) -> dict:
    properties = {"op": {"const": op}, "id": {"type": "string"}, "version": {"type": "integer"}}
    properties["values"] = {"type": "object", "minProperties": 1} if op == "update" else {"type": "object"}
    return {
        "type": "object",
        "required": ["op", *required],
        "properties": {k: v for k, v in properties.items() if k in ("op", *keys)},
        "additionalProperties": False,
    }


BATCH_SCHEMA = {
    "type": "object",
    "required": ["items"],
    "properties": {
        "all_or_none": {"type": "boolean", "default": True},
        "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_ITEMS,
            "items": {
                "oneOf": [
                    _item_schema("create", "values"),
                    _item_schema("update", "id", "version", "values", required=("id", "values")),
                    _item_schema("delete", "id", required=("id",)),
                ]
            },
        },
    },
    "additionalProperties": False,
}
