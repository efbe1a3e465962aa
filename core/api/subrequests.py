"""The operations a composite request may run: one table of method, path and work function.

Each entry calls the same plain functions the HTTP routes call, in the session the whole
composite request shares, so security and messages are the routes' (and the CLI's).
Another operation (a plugin action, say) is one more ``Operation`` in ``OPERATIONS``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ..actions import find_action
from ..errors import UnknownName
from ..registry import ObjectType
from .actions import run_as_caller
from .batch import parse_items, run_all_or_none, run_each
from .context import API_PREFIX
from .problems import NotFoundObject, Problem
from .records import (
    MAX_LIMIT,
    PageParams,
    create_record,
    delete_record,
    get_record,
    query_records,
    record_history,
    undelete_record,
    update_record,
)
from .related import related_records, upsert


@dataclass
class Call:
    """One sub-request once its references are resolved: what a work function gets."""

    obj: ObjectType | None
    params: dict[str, str]
    query: dict[str, list[str]]
    body: Any

    def one(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def values(self) -> dict:
        """The body as field values: a create, an update or an upsert needs an object."""
        if not isinstance(self.body, dict):
            raise Problem(422, "the body must be an object of field names to values", code="invalid")
        return self.body

    def page(self) -> PageParams:
        """The list parameters of a records query, checked as the route's are."""
        text = self.one("limit") or "50"
        if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
            raise Problem(
                422, f"limit must be a whole number from 1 to {MAX_LIMIT} (got {text!r})", code="invalid"
            )
        count = (self.one("count") or "false").lower()
        if count not in ("true", "false", "1", "0"):
            raise Problem(422, f"count must be true or false (got {count!r})", code="invalid")
        return PageParams(
            where=self.query.get("where", []),
            fields=self.one("fields"),
            order_by=self.one("order_by"),
            limit=int(text),
            cursor=self.one("cursor"),
            count=count in ("true", "1"),
        )


# A work function: (session, call) -> (HTTP status, answer body)
Work = Callable[[Any, Call], tuple[int, Any]]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # below /api/v1; {obj} is an object of the registry, {name} any one segment
    work: Work
    regex: re.Pattern = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path))
        object.__setattr__(self, "regex", re.compile(f"^{pattern}$"))

    @property
    def writes(self) -> bool:
        return self.method != "GET"


def _records_page(session, call: Call) -> tuple[int, Any]:
    return 200, query_records(session, call.obj, *call.page().args())


def _create(session, call: Call) -> tuple[int, Any]:
    return 201, create_record(session, call.obj, call.values())


def _read(session, call: Call) -> tuple[int, Any]:
    return 200, get_record(session, call.obj, call.params["record_id"], call.one("fields"))


def _update(session, call: Call) -> tuple[int, Any]:
    return 200, update_record(session, call.obj, call.params["record_id"], call.values(), None)


def _delete(session, call: Call) -> tuple[int, Any]:
    delete_record(session, call.obj, call.params["record_id"])
    return 204, None


def _undelete(session, call: Call) -> tuple[int, Any]:
    return 200, undelete_record(session, call.obj, call.params["record_id"])


def _history(session, call: Call) -> tuple[int, Any]:
    return 200, {"history": record_history(session, call.obj, call.params["record_id"])}


def _related(session, call: Call) -> tuple[int, Any]:
    page = related_records(
        session, call.obj, call.params["record_id"], call.params["child"], call.one("field"), call.page()
    )
    return 200, page


def _upsert(session, call: Call) -> tuple[int, Any]:
    record, created = upsert(
        session, call.obj, call.params["field"], call.params["value"], call.values(), None
    )
    return (201 if created else 200), record


def _action(session, call: Call) -> tuple[int, Any]:
    """A declared action, as ``POST .../actions/{name}`` runs it (on a record, an object, the org)."""
    object_name = call.obj.name if call.obj else None
    try:
        action = find_action(session.registry, call.params["name"], object_name=object_name)
    except UnknownName as exc:
        raise NotFoundObject(exc) from None
    record_id = call.params.get("record_id")
    if action.on_record != (record_id is not None):
        where = "one record" if action.on_record else "the object, not one record"
        raise Problem(404, f"action {action.key} acts on {where}", code="no_route")
    values = call.body if call.body is not None else {}
    return 200, run_as_caller(session, action, record_id, values)


def _batch(session, call: Call) -> tuple[int, Any]:
    if not isinstance(call.body, dict):
        raise Problem(422, "the body must be a batch: {items: [...], all_or_none}", code="invalid")
    items, all_or_none = parse_items(call.body)
    work = run_all_or_none if all_or_none else run_each
    return 200, {"results": work(session, call.obj, items)}


RECORDS = "/objects/{obj}/records"
OPERATIONS: list[Operation] = [
    Operation("GET", RECORDS, _records_page),
    Operation("POST", RECORDS, _create),
    Operation("POST", RECORDS + ":batch", _batch),
    Operation("PUT", RECORDS + "/by/{field}/{value}", _upsert),
    Operation("GET", RECORDS + "/{record_id}", _read),
    Operation("PATCH", RECORDS + "/{record_id}", _update),
    Operation("DELETE", RECORDS + "/{record_id}", _delete),
    Operation("POST", RECORDS + "/{record_id}/undelete", _undelete),
    Operation("GET", RECORDS + "/{record_id}/history", _history),
    Operation("GET", RECORDS + "/{record_id}/related/{child}", _related),
    Operation("POST", RECORDS + "/{record_id}/actions/{name}", _action),
    Operation("POST", "/objects/{obj}/actions/{name}", _action),
    Operation("POST", "/actions/{name}", _action),
]


def split_url(url: str) -> tuple[str, dict[str, list[str]]]:
    """(path below /api/v1, query parameters) of a sub-request's url, absolute or relative."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        raise Problem(422, f"url must be a path like /objects/Contact/records (got {url!r})", code="invalid")
    path = parts.path.removeprefix(API_PREFIX)
    if not path.startswith("/"):
        path = "/" + path
    return path.rstrip("/") or "/", parse_qs(parts.query, keep_blank_values=True)


def find_operation(registry, method: str, path: str) -> tuple[Operation, dict[str, str], ObjectType | None]:
    """The operation serving ``method path``: 404 for no such path or object, 422 for a method
    the path does not take (naming those it does)."""
    methods = []
    for operation in OPERATIONS:
        found = operation.regex.match(path)
        if found is None:
            continue
        if operation.method != method:
            methods.append(operation.method)
            continue
        params = {k: unquote(v) for k, v in found.groupdict().items()}
        obj = None
        if "obj" in params:
            try:
                obj = registry.object(params["obj"])
            except UnknownName as exc:
                raise NotFoundObject(exc) from None
        return operation, params, obj
    if methods:
        raise Problem(
            422, f"{method} is not allowed on {path}; use {', '.join(sorted(set(methods)))}", code="invalid"
        )
    supported = ", ".join(f"{op.method} {op.path}" for op in OPERATIONS)
    raise Problem(
        404, f"no such endpoint: {method} {path}; a composite request runs {supported}", code="no_route"
    )


def run_operation(session, method: str, url: str, body: Any) -> tuple[int, Any]:
    path, query = split_url(url)
    operation, params, obj = find_operation(session.registry, method, path)
    return operation.work(session, Call(obj, params, query, body))
