"""``/auth``: logging in and out with a password, one's login sessions, the audit trail.

A login answers with the session cookie (HttpOnly, SameSite=Lax, Secure over HTTPS) and
the session's CSRF token, which every POST, PUT, PATCH and DELETE sent with the cookie
must carry in ``X-CSRF-Token``. Scripts use API tokens (``/tokens``) instead.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..auth import audit, sessions
from ..auth.login import log_in
from ..auth.sessions import CSRF_HEADER
from .context import API_PREFIX, client_address, context_of, current_caller
from .http import json_response, read_json_object
from .problems import Problem, problem_responses
from .tokens import TokenUser

NO_STORE = {"Cache-Control": "no-store"}
LOGIN_FIELDS = ("username", "password")
LOGIN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": list(LOGIN_FIELDS),
                    "properties": {
                        "username": {"type": "string", "minLength": 1, "maxLength": 80},
                        "password": {"type": "string", "minLength": 1, "maxLength": 1024},
                    },
                    "additionalProperties": False,
                }
            }
        },
    }
}


def _credentials(body: dict) -> tuple[str, str]:
    unknown = sorted(set(body) - set(LOGIN_FIELDS))
    if unknown:
        raise Problem(422, f"unknown login field {unknown[0]!r}; valid: password, username", code="invalid")
    for name in LOGIN_FIELDS:
        if not isinstance(body.get(name), str) or not body[name]:
            raise Problem(
                422,
                f"{name} is required: a non-empty string",
                code="invalid",
                errors=[{"field": name, "code": "invalid", "message": "required", "index": None}],
            )
    return body["username"], body["password"]


def _is_https(request: Request) -> bool:
    # uvicorn (proxy_headers) sets the scheme from a trusted proxy's X-Forwarded-Proto.
    return request.url.scheme == "https"


def _sessions_of(session, user: str | None, everyone: bool, current: str | None) -> list[dict]:
    return sessions.list_sessions(session, user, everyone=everyone, current=current)


def add_routes(api: FastAPI) -> None:
    @api.post(
        f"{API_PREFIX}/auth/login",
        tags=["auth"],
        summary="Log in with a username and password: sets the session cookie, returns its CSRF token",
        openapi_extra=LOGIN_BODY,
        responses=problem_responses(400, 401, 413, 415, 422, 429),
    )
    async def login(request: Request):
        ctx = context_of(request)
        username, password = _credentials(await read_json_object(request, ctx.max_body))
        result = await run_in_threadpool(
            partial(
                log_in,
                ctx.org,
                username,
                password,
                address=client_address(request),
                user_agent=request.headers.get("user-agent", ""),
            )
        )
        response = json_response(
            {
                "user": result.user,
                "session": result.session,
                "csrf_token": result.csrf_token,
                "csrf_header": CSRF_HEADER,
            },
            headers=NO_STORE,
        )
        response.set_cookie(value=result.secret, **result.cookie(secure=_is_https(request)))
        return response

    @api.post(
        f"{API_PREFIX}/auth/logout",
        tags=["auth"],
        status_code=204,
        summary="End the login session this request came with, and clear its cookie",
        responses=problem_responses(400, 401, 403),
    )
    async def logout(request: Request, caller: TokenUser = Depends(current_caller)):
        if caller.session_id is None:
            raise Problem(
                400,
                f"logout ends a login session; an API token is revoked with DELETE {API_PREFIX}/tokens/{{id}}",
                code="not_a_session",
            )
        address = client_address(request)
        await context_of(request).run(
            caller, partial(sessions.end_own_session, address=address), caller.session_id
        )
        response = Response(status_code=204)
        response.delete_cookie(**_cookie_key(request))
        return response

    @api.get(
        f"{API_PREFIX}/auth/sessions",
        tags=["auth"],
        summary="Your live login sessions (another user's or everyone's with manage_users)",
        responses=problem_responses(401, 403),
    )
    async def my_sessions(
        request: Request,
        user: str | None = Query(None, description="Another user's sessions (manage_users)."),
        everyone: bool = Query(False, alias="all", description="Everyone's sessions (manage_users)."),
        caller: TokenUser = Depends(current_caller),
    ):
        rows = await context_of(request).run(caller, _sessions_of, user, everyone, caller.session_id)
        return json_response({"sessions": rows}, headers=NO_STORE)

    @api.delete(
        f"{API_PREFIX}/auth/sessions/{{session_id}}",
        tags=["auth"],
        status_code=204,
        summary="End one of your login sessions (anyone's with manage_users)",
        responses=problem_responses(401, 403, 404),
    )
    async def drop_session(request: Request, session_id: str, caller: TokenUser = Depends(current_caller)):
        address = client_address(request)
        await context_of(request).run(
            caller, partial(sessions.revoke_session, address=address), session_id, write=True
        )
        response = Response(status_code=204)
        if session_id == caller.session_id:
            response.delete_cookie(**_cookie_key(request))
        return response

    @api.get(
        f"{API_PREFIX}/auth/audit",
        tags=["auth"],
        summary="Logins, failed logins, logouts, sessions, tokens and passwords set (manage_users)",
        responses=problem_responses(401, 403),
    )
    async def audit_trail(
        request: Request,
        user: str | None = Query(None, description="Only rows about this user (as actor or subject)."),
        event: str | None = Query(None, description=f"Only this kind: {', '.join(audit.EVENTS)}."),
        since: dt.datetime | None = Query(None, description="Only rows at or after this ISO date-time."),
        limit: int = Query(100, ge=1, le=audit.MAX_ROWS),
        caller: TokenUser = Depends(current_caller),
    ):
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        work = partial(audit.list_events, user=user, event=event, since=since, limit=limit)
        return json_response({"events": await context_of(request).run(caller, work)}, headers=NO_STORE)


def _cookie_key(request: Request) -> dict:
    options = sessions.cookie_options(secure=_is_https(request))
    options.pop("max_age", None)
    return options
