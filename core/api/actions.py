"""Action routes: every declared action as ``POST .../actions/{name}``, from the registry.

Each action gets its own path so the OpenAPI document carries its input model;
the work is ``core.actions.run_action`` as the caller, exactly what the CLI runs.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request

from ..actions import Action, actions_for, find_action, run_action
from ..errors import UnknownName
from .context import API_PREFIX, context_of, current_caller
from .http import json_response, read_json_object
from .meta import action_url, object_named
from .problems import NotFoundObject, Problem, problem_responses
from .tokens import TokenUser

RESULT_SCHEMA = {
    "type": "object",
    "required": ["action", "result"],
    "properties": {"action": {"type": "string"}, "result": {}},
}


def input_component(action: Action) -> str:
    """The name of the action's input schema among the OpenAPI components."""
    owner = action.object or action.name.split(".")[0].capitalize()
    short = action.name.rsplit(".", 1)[-1]
    return f"{owner}_{''.join(part.capitalize() for part in short.split('_'))}Input"


def input_schemas(registry) -> dict[str, dict]:
    """Components for every action's input, and the models those refer to."""
    out: dict[str, dict] = {}
    for action in registry.actions.values():
        if action.input is None:
            out[input_component(action)] = {"type": "object", "properties": {}, "additionalProperties": False}
            continue
        schema = action.input.model_json_schema(ref_template="#/components/schemas/{model}")
        out.update(schema.pop("$defs", {}))
        out[input_component(action)] = schema
    return out


def list_actions(session, object_name: str | None) -> list[dict]:
    if object_name is not None:
        obj = object_named(session, object_name)
        session.access_view.check_object(obj, "read")
    return [described(action) for action in actions_for(session.registry, object_name)]


def described(action: Action) -> dict:
    out = action.describe()
    out["url"] = action_url(action)
    return out


def run_as_caller(session, action: Action, record_id: str | None, values: dict) -> dict:
    result = run_action(session, action.key, values, record_id=record_id)
    return {"action": action.key, "result": result}


def unknown_action(session, object_name: str | None, name: str, on_record: bool) -> None:
    """404 naming the closest actions (the object's, or the org-level ones), or the URL of
    an action posted to the wrong kind of path (a record action without its record...)."""
    if object_name is not None:
        object_named(session, object_name)
    action = find_action(session.registry, name, object_name=object_name)  # or UnknownName
    where = "one record" if action.on_record else "the object, not one record"
    raise Problem(404, f"action {action.key} acts on {where}: POST {action_url(action)}", code="no_route")


def add_routes(api: FastAPI, registry) -> None:
    for action in sorted(registry.actions.values(), key=lambda a: a.key):
        add_action_route(api, action)
    for object_name in sorted({a.object for a in registry.actions.values() if a.object}):
        _add_listing(api, object_name)
    _add_listing(api, None)
    _add_unknown_action_routes(api)


def add_action_route(api: FastAPI, action: Action) -> None:
    body = {
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{input_component(action)}"}}
            },
        }
    }
    options = {
        "tags": [action.object or "actions"],
        "operation_id": f"action_{action.key.replace('.', '_')}",
        "summary": action.label,
        "description": action.description or None,
        "openapi_extra": body,
        "responses": {
            200: {"description": "Done", "content": {"application/json": {"schema": RESULT_SCHEMA}}},
            **problem_responses(400, 401, 403, 404, 409, 413, 415, 422),
        },
    }

    async def read_values(request: Request) -> dict:
        headers = request.headers
        if "content-type" not in headers and headers.get("content-length", "0") == "0":
            return {}  # an action without options may be posted with no body
        return await read_json_object(request, context_of(request).max_body)

    if action.on_record:

        @api.post(action_url(action), **options)
        async def run_on_record(
            request: Request, record_id: str, caller: TokenUser = Depends(current_caller)
        ):
            values = await read_values(request)
            ctx = context_of(request)
            answer = await ctx.run(caller, run_as_caller, action, record_id, values, write=action.writes)
            return json_response(answer)

    else:

        @api.post(action_url(action), **options)
        async def run_on_object(request: Request, caller: TokenUser = Depends(current_caller)):
            values = await read_values(request)
            ctx = context_of(request)
            answer = await ctx.run(caller, run_as_caller, action, None, values, write=action.writes)
            return json_response(answer)


def _add_listing(api: FastAPI, object_name: str | None) -> None:
    path = f"{API_PREFIX}/objects/{object_name}/actions" if object_name else f"{API_PREFIX}/actions"
    summary = f"Actions on {object_name} records" if object_name else "Org-level actions"

    @api.get(path, tags=[object_name or "actions"], summary=summary, responses=problem_responses(401, 403))
    async def listing(request: Request, caller: TokenUser = Depends(current_caller)):
        rows = await context_of(request).run(caller, list_actions, object_name)
        return json_response({"actions": rows})


def _add_unknown_action_routes(api: FastAPI) -> None:
    """An unknown action is 404 naming the closest ones; an object without actions lists none."""

    @api.get(f"{API_PREFIX}/objects/{{object_name}}/actions", include_in_schema=False)
    async def no_actions(request: Request, object_name: str, caller: TokenUser = Depends(current_caller)):
        return json_response({"actions": await context_of(request).run(caller, list_actions, object_name)})

    async def unknown(
        request: Request, caller: TokenUser, object_name: str | None, name: str, on_record: bool = False
    ):
        try:
            await context_of(request).run(caller, unknown_action, object_name, name, on_record)
        except UnknownName as exc:
            raise NotFoundObject(exc) from None

    @api.post(f"{API_PREFIX}/objects/{{object_name}}/actions/{{name}}", include_in_schema=False)
    async def unknown_object_action(
        request: Request, object_name: str, name: str, caller: TokenUser = Depends(current_caller)
    ):
        await unknown(request, caller, object_name, name)

    @api.post(
        f"{API_PREFIX}/objects/{{object_name}}/records/{{record_id}}/actions/{{name}}",
        include_in_schema=False,
    )
    async def unknown_record_action(
        request: Request,
        object_name: str,
        record_id: str,
        name: str,
        caller: TokenUser = Depends(current_caller),
    ):
        await unknown(request, caller, object_name, name, on_record=True)

    @api.post(f"{API_PREFIX}/actions/{{name}}", include_in_schema=False)
    async def unknown_org_action(request: Request, name: str, caller: TokenUser = Depends(current_caller)):
        await unknown(request, caller, None, name)
