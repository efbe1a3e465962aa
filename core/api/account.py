"""The caller's own API tokens (``/tokens``) and global search (``/search``)."""

from __future__ import annotations

from functools import partial

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import Response

from ..search import search
from .context import API_PREFIX, context_of, current_caller
from .http import json_response, read_json_object
from .problems import Problem, problem_responses
from .tokens import DEFAULT_DAYS, TokenUser, create_token, list_tokens, revoke_token

TOKEN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "maxLength": 120},
                        "scope": {"enum": ["read", "read_write"], "default": "read_write"},
                        "days": {"type": "integer", "minimum": 1, "maximum": 3650, "default": DEFAULT_DAYS},
                        "objects": {
                            "type": ["array", "null"],
                            "items": {"type": "string"},
                            "description": "Only these objects (names); every other is refused. Null: all.",
                        },
                    },
                    "additionalProperties": False,
                }
            }
        },
    }
}


def _token_options(body: dict) -> dict:
    unknown = sorted(set(body) - {"name", "scope", "days", "objects"})
    if unknown:
        raise Problem(
            422, f"unknown token option {unknown[0]!r}; valid: days, name, objects, scope", code="invalid"
        )
    if not isinstance(body.get("name"), str):
        raise Problem(422, "a token needs a name: a string saying what uses it", code="invalid")
    days = body.get("days", DEFAULT_DAYS)
    if not isinstance(days, int) or isinstance(days, bool):
        raise Problem(422, "days must be a whole number of days", code="invalid")
    objects = body.get("objects")
    if objects is not None and (
        not isinstance(objects, list) or not all(isinstance(n, str) for n in objects)
    ):
        raise Problem(422, 'objects must be a list of object names, like ["Contact"]', code="invalid")
    return {"scope": body.get("scope", "read_write"), "days": days, "objects": objects}


def add_routes(api: FastAPI) -> None:
    @api.get(
        f"{API_PREFIX}/tokens",
        tags=["tokens"],
        summary="Your API tokens (never their secrets)",
        responses=problem_responses(401),
    )
    async def my_tokens(request: Request, caller: TokenUser = Depends(current_caller)):
        return json_response({"tokens": await context_of(request).run(caller, list_tokens)})

    @api.post(
        f"{API_PREFIX}/tokens",
        tags=["tokens"],
        status_code=201,
        summary="Create a token for yourself; its secret is in this answer only",
        openapi_extra=TOKEN_BODY,
        responses=problem_responses(400, 401, 403, 413, 415, 422),
    )
    async def new_token(request: Request, caller: TokenUser = Depends(current_caller)):
        ctx = context_of(request)
        body = await read_json_object(request, ctx.max_body)
        options = _token_options(body)
        if options["scope"] == "read_write" and not caller.can_write:
            # A read-only token must not mint itself a stronger one.
            raise Problem(403, "a read-only token can only create read-only tokens", code="access_denied")
        wanted = options["objects"]
        if caller.objects is not None and (wanted is None or not set(wanted) <= caller.objects):
            # Nor may an object-scoped token mint one for more objects.
            allowed = ", ".join(sorted(caller.objects))
            raise Problem(
                403, f"this token may only create tokens limited to {allowed}", code="access_denied"
            )
        secret, row = await ctx.run(caller, partial(create_token, **options), body["name"])
        return json_response({**row, "token": secret}, 201, headers={"Cache-Control": "no-store"})

    @api.delete(
        f"{API_PREFIX}/tokens/{{token_id}}",
        tags=["tokens"],
        status_code=204,
        summary="Revoke one of your tokens",
        responses=problem_responses(401, 403, 404),
    )
    async def drop_token(request: Request, token_id: str, caller: TokenUser = Depends(current_caller)):
        await context_of(request).run(caller, revoke_token, token_id, write=True)
        return Response(status_code=204)

    @api.get(
        f"{API_PREFIX}/search",
        tags=["search"],
        summary="Records whose name, email or phone contains q, among those you can read",
        responses=problem_responses(401, 403, 422),
    )
    async def search_records(
        request: Request,
        q: str = Query(..., description="At least 2 characters."),
        object: list[str] = Query([], description="Only these objects; repeat for more."),
        limit: int = Query(10, ge=1, le=200, description="Per object."),
        caller: TokenUser = Depends(current_caller),
    ):
        rows = await context_of(request).run(caller, _search, q, object, limit)
        return json_response({"results": rows})


def _search(session, text: str, objects: list[str], limit: int) -> list[dict]:
    return search(session, text, objects=objects or None, limit=limit)
