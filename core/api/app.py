"""``create_api(org_app)``: the FastAPI application for one org, routes from its registry."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..auth.credentials import BadCredentials, TooManyFailures
from ..errors import MissionbaseError
from . import account, actions, auth, batch, composite, export, files, imports, meta, records, related
from .context import API_PREFIX, ApiContext
from .http import DEFAULT_MAX_BODY, json_response
from .problems import (
    PROBLEM_TYPE,
    TITLES,
    Problem,
    classify,
    error_entries,
    problem_body,
    schema_components,
)
from .schemas import components

log = logging.getLogger("missionbase.api")


def missionbase_version() -> str:
    try:
        return version("missionbase")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def create_api(org_app, *, max_body: int = DEFAULT_MAX_BODY) -> FastAPI:
    """The API of ``org_app`` (an opened ``App``): every object of its registry, built now."""
    api = FastAPI(
        title="missionbase",
        version=missionbase_version(),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        description="Records of every object the org's plugins declare, with the CLI's security.",
    )
    api.state.missionbase = ApiContext(org_app, max_body=max_body)
    meta.add_routes(api)
    account.add_routes(api)
    auth.add_routes(api)
    for obj in sorted(org_app.registry.objects.values(), key=lambda o: o.name):
        records.add_object_routes(api, obj)
        related.add_object_routes(api, obj)
        batch.add_object_routes(api, obj)
        imports.add_object_routes(api, obj)
        export.add_object_routes(api, obj)
    actions.add_routes(api, org_app.registry)
    files.add_routes(api)
    composite.add_routes(api)
    imports.add_routes(api)
    records.add_fallback_routes(api, sorted(org_app.registry.objects))
    _add_error_handlers(api)
    _use_registry_schemas(api, org_app.registry)
    return api


def _problem_response(request: Request, status: int, detail: str, code: str, errors=None, headers=None):
    body = problem_body(status, detail, code, errors, instance=request.url.path)
    headers = dict(headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="missionbase"')
    return json_response(body, status, headers=headers, media_type=PROBLEM_TYPE)


def _add_error_handlers(api: FastAPI) -> None:
    @api.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem):
        errors = exc.errors or [{"field": None, "code": exc.code, "message": exc.detail, "index": None}]
        return _problem_response(request, exc.status, exc.detail, exc.code, errors, exc.headers)

    @api.exception_handler(MissionbaseError)
    async def on_core_error(request: Request, exc: MissionbaseError):
        if isinstance(exc, batch.BatchItemFailed):  # an all-or-none batch: the item's own status
            status, code = classify(exc.error)
            entries = [{**entry, "index": exc.index} for entry in error_entries(exc.error, code)]
            return _problem_response(request, status, str(exc), code, entries)
        status, code = classify(exc)
        if status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc)
        entries = [] if isinstance(exc, BadCredentials | TooManyFailures) else error_entries(exc, code)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyFailures) else None
        return _problem_response(request, status, str(exc), code, entries, headers)

    @api.exception_handler(RequestValidationError)
    async def on_bad_parameters(request: Request, exc: RequestValidationError):
        # Query and path parameters FastAPI checks (limit, count...): 422 like core's own checks.
        entries = []
        for error in exc.errors():
            where = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "header")]
            name = ".".join(where) or None
            entries.append({"field": name, "code": "invalid", "message": error.get("msg", ""), "index": None})
        detail = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in entries)
        return _problem_response(request, 422, detail or "invalid parameters", "invalid", entries)

    @api.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException):
        status = exc.status_code
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail else TITLES.get(status, "Error")
        if status == 404:
            detail = f"no such endpoint: {request.method} {request.url.path}; see {API_PREFIX}/openapi.json"
        code = {404: "no_route", 405: "method_not_allowed"}.get(status, "http_error")
        headers = dict(getattr(exc, "headers", None) or {})
        if status == 405:
            # Starlette names only the first route's methods; list every route's at this path.
            allowed = sorted(records.allowed_methods(api, request.url.path))
            headers["Allow"] = ", ".join(allowed)
            detail = f"{request.method} is not allowed on {request.url.path}; use {', '.join(allowed)}"
        return _problem_response(request, status, detail, code, headers=headers)

    @api.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception):
        import sqlalchemy.exc as sa_exc

        if isinstance(exc, sa_exc.IntegrityError):
            # Two writers racing past core's unique check: the database's unique index decides.
            return _problem_response(
                request, 409, "the change clashes with a record saved meanwhile; retry", "conflict"
            )
        log.exception("%s %s failed", request.method, request.url.path)
        return _problem_response(
            request, 500, "the server failed to answer; its log has the details", "server_error"
        )


def _use_registry_schemas(api: FastAPI, registry) -> None:
    """The OpenAPI document with each object's record and write schemas and the Problem schema
    (routes refer to them by ``$ref``), built on first request and kept."""

    def openapi() -> dict:
        if api.openapi_schema is None:
            schema = get_openapi(
                title=api.title,
                version=api.version,
                description=api.description,
                routes=api.routes,
            )
            named = schema.setdefault("components", {}).setdefault("schemas", {})
            named.update(schema_components())
            named.update(components(registry))
            named.update(actions.input_schemas(registry))
            api.openapi_schema = schema
        return api.openapi_schema

    api.openapi = openapi
