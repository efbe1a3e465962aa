"""``POST /composite``: up to 25 sub-requests in one transaction, later ones using earlier results.

A sub-request is ``{method, url, body, reference_id}``; ``@{ref.field}`` in a later url
or body is replaced by that field of the result named ``ref`` (``@{newContact.id}``,
``@{found.records[0].id}``). A body string that is only a reference takes the value as
it is (a number stays a number); inside a longer string it is written as text. The
whole request is one transaction: if one sub-request is refused, every earlier one is
rolled back and the answer is that sub-request's own problem, naming its index.
Everything that can be checked before running (shape, references to earlier results,
methods, paths and objects) is checked first.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request

from ..errors import MissionbaseError
from .batch import BatchItemFailed
from .context import API_PREFIX, context_of, current_caller
from .http import json_response, read_json_object
from .problems import Problem, classify, error_entries, problem_responses
from .subrequests import OPERATIONS, find_operation, run_operation, split_url
from .tokens import TokenUser

MAX_REQUESTS = 25
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
REFERENCE = re.compile(r"@\{([A-Za-z_]\w*)((?:\.\w+|\[\d+\])*)\}")
REFERENCE_ID = re.compile(r"^[A-Za-z_]\w{0,79}$")


class SubRequestFailed(Exception):
    """A sub-request refused while running: its index, reference and the refusal."""

    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(str(error))
        self.index, self.error = index, error


def _invalid(index: int, detail: str, status: int = 422, code: str = "invalid") -> Problem:
    entry = {"field": None, "code": code, "message": detail, "index": index}
    return Problem(status, f"sub-request {index}: {detail}", code=code, errors=[entry])


def _references(value: Any) -> list[str]:
    """The names every ``@{name...}`` in a url or body refers to."""
    if isinstance(value, str):
        return [m.group(1) for m in REFERENCE.finditer(value)]
    if isinstance(value, dict):
        return [name for item in value.values() for name in _references(item)]
    if isinstance(value, list):
        return [name for item in value for name in _references(item)]
    return []


def parse_requests(body: dict, registry) -> list[dict]:
    """The checked sub-requests, or one problem naming the first bad one; nothing has run yet."""
    unknown = sorted(set(body) - {"requests"})
    if unknown:
        raise Problem(422, f"unknown composite option {unknown[0]!r}; valid: requests", code="invalid")
    items = body.get("requests")
    if not isinstance(items, list) or not items:
        raise Problem(
            422, "requests must be a non-empty list of {method, url, body, reference_id}", code="invalid"
        )
    if len(items) > MAX_REQUESTS:
        raise Problem(
            422,
            f"a composite request takes at most {MAX_REQUESTS} sub-requests (got {len(items)})",
            code="too_many_items",
        )
    earlier: set[str] = set()
    for index, item in enumerate(items):
        _check_shape(index, item, earlier)
        for name in _references([item["url"], item.get("body")]):
            if name not in earlier:
                later = any(isinstance(i, dict) and i.get("reference_id") == name for i in items[index:])
                why = "is a later sub-request's" if later else "is no earlier sub-request's reference_id"
                raise _invalid(index, f"@{{{name}...}}: {name!r} {why}; refer only to earlier results")
        try:
            # References stand in as one path segment until they are resolved.
            path, _ = split_url(REFERENCE.sub("ref", item["url"]))
            find_operation(registry, item["method"], path)
        except Problem as exc:
            raise _invalid(index, exc.detail, exc.status, exc.code) from None
        except MissionbaseError as exc:
            status, code = classify(exc)
            raise _invalid(index, str(exc), status, code) from None
        if item.get("reference_id"):
            earlier.add(item["reference_id"])
    return items


def _check_shape(index: int, item: Any, earlier: set[str]) -> None:
    if not isinstance(item, dict):
        raise _invalid(index, 'must be an object like {"method": "POST", "url": "...", "body": {...}}')
    extra = sorted(set(item) - {"method", "url", "body", "reference_id"})
    if extra:
        raise _invalid(index, f"unknown key {extra[0]!r}; valid: method, url, body, reference_id")
    if item.get("method") not in METHODS:
        raise _invalid(index, f"method must be one of {', '.join(METHODS)} (got {item.get('method')!r})")
    if not isinstance(item.get("url"), str) or not item["url"].strip():
        raise _invalid(index, "url must be a path like /objects/Contact/records")
    ref = item.get("reference_id")
    if ref is not None and (not isinstance(ref, str) or not REFERENCE_ID.match(ref)):
        raise _invalid(index, f"reference_id must be a name of letters, digits and _ (got {ref!r})")
    if ref in earlier:
        raise _invalid(index, f"reference_id {ref!r} is already used by an earlier sub-request")
    if item["method"] in ("GET", "DELETE") and item.get("body") is not None:
        raise _invalid(index, f"a {item['method']} takes no body")


def _lookup(results: dict[str, Any], match: re.Match) -> Any:
    """The value ``@{name.path}`` names in an earlier result, or a 422 saying what is there."""
    name, path = match.group(1), match.group(2)
    value: Any = results[name]
    walked = name
    for step in re.findall(r"\.(\w+)|\[(\d+)\]", path):
        key, position = step
        if isinstance(value, dict) and key and key in value:
            value = value[key]
        elif isinstance(value, list) and (position or key.isdigit()):
            number = int(position or key)
            if number >= len(value):
                raise ValueError(f"{walked} has {len(value)} item(s), no [{number}]")
            value = value[number]
        else:
            has = f"; it has {', '.join(sorted(value))}" if isinstance(value, dict) else ""
            raise ValueError(f"{walked} has no {key or '[' + position + ']'!r}{has}")
        walked += f".{key}" if key else f"[{position}]"
    return value


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def resolve(value: Any, results: dict[str, Any], *, in_url: bool = False) -> Any:
    """``value`` with every reference replaced by what it names."""
    if isinstance(value, dict):
        return {k: resolve(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, results) for v in value]
    if not isinstance(value, str):
        return value
    whole = REFERENCE.fullmatch(value)
    if whole and not in_url:
        return _lookup(results, whole)

    def text(match: re.Match) -> str:
        found = _lookup(results, match)
        if in_url:
            if found is None or found == "":
                raise ValueError(f"{match.group(0)} is empty; a url needs a value")
            return quote(_as_text(found), safe="")
        return "" if found is None else _as_text(found)

    return REFERENCE.sub(text, value)


def run_requests(session, items: list[dict]) -> list[dict]:
    results: dict[str, Any] = {}
    answers = []
    for index, item in enumerate(items):
        try:
            url = resolve(item["url"], results, in_url=True)
            body = resolve(item.get("body"), results)
        except ValueError as exc:
            raise SubRequestFailed(index, _invalid(index, str(exc))) from None
        try:
            status, answer = run_operation(session, item["method"], url, body)
        except (MissionbaseError, Problem) as exc:
            raise SubRequestFailed(index, exc) from None
        if item.get("reference_id"):
            results[item["reference_id"]] = answer
        answers.append(
            {"index": index, "reference_id": item.get("reference_id"), "status": status, "body": answer}
        )
    return answers


def failure_problem(failed: SubRequestFailed, items: list[dict]) -> Problem:
    """The problem of the sub-request that failed: its own status and message, and its index."""
    index, error = failed.index, failed.error
    ref = items[index].get("reference_id")
    label = f"sub-request {index}" + (f" ({ref})" if ref else "")
    if isinstance(error, Problem):
        detail = error.detail.removeprefix(f"sub-request {index}: ")
        entries = [{**e, "index": index} for e in error.errors] or [
            {"field": None, "code": error.code, "message": detail, "index": index}
        ]
        return Problem(error.status, f"{label}: {detail}", code=error.code, errors=entries)
    inner = error.error if isinstance(error, BatchItemFailed) else error
    status, code = classify(inner)
    entries = [{**e, "index": index} for e in error_entries(inner, code)]
    return Problem(status, f"{label}: {error}", code=code, errors=entries)


def add_routes(api: FastAPI) -> None:
    @api.post(
        f"{API_PREFIX}/composite",
        tags=["Composite"],
        operation_id="composite",
        summary=f"Up to {MAX_REQUESTS} sub-requests in one transaction, later ones using earlier results",
        description=__doc__,
        openapi_extra={
            "requestBody": {"required": True, "content": {"application/json": {"schema": COMPOSITE_SCHEMA}}}
        },
        responses={
            200: {
                "description": "Every sub-request's answer, in order",
                "content": {"application/json": {"schema": RESULTS_SCHEMA}},
            },
            **problem_responses(400, 401, 403, 404, 409, 412, 413, 415, 422),
        },
    )
    async def composite(request: Request, caller: TokenUser = Depends(current_caller)):
        ctx = context_of(request)
        items = parse_requests(await read_json_object(request, ctx.max_body), ctx.org.registry)
        writes = any(item["method"] != "GET" for item in items)
        try:
            answers = await ctx.run(caller, run_requests, items, write=writes)
        except SubRequestFailed as failed:
            raise failure_problem(failed, items) from None
        return json_response({"results": answers})


COMPOSITE_SCHEMA = {
    "type": "object",
    "required": ["requests"],
    "additionalProperties": False,
    "properties": {
        "requests": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_REQUESTS,
            "items": {
                "type": "object",
                "required": ["method", "url"],
                "additionalProperties": False,
                "properties": {
                    "method": {"enum": list(METHODS)},
                    "url": {
                        "type": "string",
                        "description": "A path below /api/v1 (or starting with it), with its query: "
                        + "; ".join(f"{op.method} {op.path}" for op in OPERATIONS),
                        "examples": ["/objects/Contact/records/@{newContact.id}"],
                    },
                    "body": {"description": "What the route takes as its JSON body; @{ref.field} allowed."},
                    "reference_id": {
                        "type": "string",
                        "pattern": REFERENCE_ID.pattern,
                        "description": "The name later sub-requests use to refer to this result.",
                    },
                },
            },
        }
    },
}

RESULTS_SCHEMA = {
    "type": "object",
    "properties": {
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "index": {"type": "integer"},
                    "reference_id": {"type": ["string", "null"]},
                    "status": {"type": "integer"},
                    "body": {},
                },
            },
        }
    },
}
