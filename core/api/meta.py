"""``/api/v1/``, ``/me``, ``/objects`` and ``/objects/{obj}/describe``: what the caller may do."""

from __future__ import annotations

import hashlib

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response

from ..actions import Action, actions_for
from ..errors import UnknownName
from .context import API_PREFIX, context_of, current_caller
from .http import dumps, json_response, none_match
from .problems import NotFoundObject, problem_responses
from .schemas import child_relationships, describe_field
from .tokens import TokenUser

ACTIONS = {"create": "create", "read": "read", "update": "edit", "delete": "delete"}


def object_permissions(session, object_name: str) -> dict[str, bool]:
    """The caller's create/read/update/delete on an object, asked of the access policy."""
    return {flag: session.may(object_name, action) for flag, action in ACTIONS.items()}


def me(session, caller: TokenUser) -> dict:
    # Who one is is never hidden from oneself, whatever the token's object scope.
    user = session.as_system().get(session.user.id, fields=["username", "name", "email", "time_zone"])
    # permission sets and system permissions come from core's SecurityPolicy; another
    # policy (a plugin's) may not have them, and then they are left out.
    access = getattr(session.policy, "access", None)
    rights = access(session) if access else None
    return {
        "id": user["id"],
        "username": user.get("username"),
        "name": user.get("name"),
        "email": user.get("email"),
        # The zone typed date-times are read in: the user's own, else the org's.
        "time_zone": session.user.time_zone,
        "locale": getattr(session.app.settings, "locale", None),  # until localisation lands
        "permission_sets": sorted(p.name for p in rights.permission_sets) if rights else None,
        "system_permissions": sorted(rights.system) if rights else None,
        "token": (
            {
                "id": caller.token_id,
                "scope": caller.scope,
                "objects": sorted(caller.objects) if caller.objects else None,
            }
            if caller.token_id
            else None
        ),
        # The CSRF token a login session's changes must send (a page reloaded since the login
        # asks here again; the cookie itself is out of reach of scripts).
        "session": {"id": caller.session_id, "csrf_token": caller.csrf_token} if caller.session_id else None,
    }


def list_objects(session) -> list[dict]:
    rows = []
    for obj in sorted(session.registry.objects.values(), key=lambda o: o.name):
        permissions = object_permissions(session, obj.name)
        if permissions["read"]:
            rows.append(
                {
                    "name": obj.name,
                    "label": obj.label,
                    "plural": obj.plural,
                    "prefix": obj.prefix,
                    "plugin": obj.plugin,
                    **permissions,
                    "links": {
                        "describe": f"{API_PREFIX}/objects/{obj.name}/describe",
                        "records": f"{API_PREFIX}/objects/{obj.name}/records",
                    },
                }
            )
    return rows


def action_url(action: Action) -> str:
    if action.object is None:
        return f"{API_PREFIX}/actions/{action.name}"
    if action.on_record:
        return f"{API_PREFIX}/objects/{action.object}/records/{{record_id}}/actions/{action.name}"
    return f"{API_PREFIX}/objects/{action.object}/actions/{action.name}"


def object_named(session, name: str):
    """The object in a URL: unknown is 404 (with the closest names), unreadable is 403."""
    try:
        obj = session.registry.object(name)
    except UnknownName as exc:
        raise NotFoundObject(exc) from None
    return obj


def describe(session, name: str) -> dict:
    obj = object_named(session, name)
    permissions = object_permissions(session, obj.name)
    if not permissions["read"]:
        session.access_view.check_object(obj, "read")  # raises with the CLI's message
    fields = []
    for fld in obj.fields:
        access = session.field_access(obj, fld.name)
        if access != "hidden":  # a hidden field is not described: it does not exist for this caller
            fields.append(describe_field(fld, access))
    return {
        "name": obj.name,
        "label": obj.label,
        "plural": obj.plural,
        "prefix": obj.prefix,
        "plugin": obj.plugin,
        "description": obj.description,
        "name_field": obj.name_field,
        "sharing": obj.sharing,
        **permissions,
        "fields": fields,
        "child_relationships": child_relationships(session.registry, obj),
        "actions": [
            {"name": a.name, "label": a.label, "on_record": a.on_record, "url": action_url(a)}
            for a in actions_for(session.registry, obj.name)
        ],
    }


def add_routes(api: FastAPI) -> None:
    @api.get(f"{API_PREFIX}/", tags=["meta"], summary="Version and where to start")
    async def root(request: Request):
        return json_response(
            {
                "name": "missionbase",
                "version": api.version,
                "api": "v1",
                "links": {
                    "self": f"{API_PREFIX}/",
                    "openapi": f"{API_PREFIX}/openapi.json",
                    "docs": "/api/docs",
                    "me": f"{API_PREFIX}/me",
                    "objects": f"{API_PREFIX}/objects",
                },
            }
        )

    @api.get(
        f"{API_PREFIX}/me",
        tags=["meta"],
        summary="Who the token or login session acts as",
        responses=problem_responses(401),
    )
    async def who_am_i(request: Request, caller: TokenUser = Depends(current_caller)):
        # A session's answer carries its CSRF token: for this browser only, never a cache.
        headers = {"Cache-Control": "no-store"} if caller.session_id else None
        return json_response(await context_of(request).run(caller, me, caller), headers=headers)

    @api.get(
        f"{API_PREFIX}/objects",
        tags=["meta"],
        summary="Objects the caller can read, with create/read/update/delete flags",
        responses=problem_responses(401),
    )
    async def objects(request: Request, caller: TokenUser = Depends(current_caller)):
        return json_response({"objects": await context_of(request).run(caller, list_objects)})

    @api.get(
        f"{API_PREFIX}/objects/{{object_name}}/describe",
        tags=["meta"],
        summary="An object's fields as the caller sees them",
        responses={304: {"description": "Not modified"}, **problem_responses(401, 403, 404)},
    )
    async def describe_object(
        request: Request, object_name: str, caller: TokenUser = Depends(current_caller)
    ):
        body = dumps(await context_of(request).run(caller, describe, object_name))
        # The description depends on the caller's access too, so the tag is of the whole body.
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if none_match(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="application/json", headers=headers)
