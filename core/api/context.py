"""What every route needs: the org, the caller behind the token or session cookie, and a
session as them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Security
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ..auth.credentials import Caller, confirm
from ..auth.requests import authenticate
from ..auth.sessions import COOKIE_NAME, CSRF_HEADER
from ..errors import AccessDenied
from .http import DEFAULT_MAX_BODY

API_PREFIX = "/api/v1"

# auto_error=False: missing credentials are reported by authenticate() as problem+json, not by
# FastAPI's own bodies; the schemes are declared so that OpenAPI and /api/docs know them.
bearer_scheme = HTTPBearer(auto_error=False, description="An API token: `missionbase tokens create`.")
cookie_scheme = APIKeyCookie(
    name=COOKIE_NAME,
    auto_error=False,
    description=f"A login session (`POST {API_PREFIX}/session`); changes also need the {CSRF_HEADER} header.",
)
csrf_scheme = APIKeyHeader(
    name=CSRF_HEADER,
    auto_error=False,
    description="The csrf_token of the login session, on every POST, PUT, PATCH and DELETE sent with its cookie.",
)


@dataclass
class ApiContext:
    org: Any  # missionbase.core.app.App
    max_body: int = DEFAULT_MAX_BODY

    async def run(self, caller: Caller, work: Callable[..., Any], *args: Any, write: bool = False) -> Any:
        """``work(session, *args)`` in one transaction as the caller, off the event loop
        (core and its database drivers are synchronous).

        The transaction's first statement re-checks the caller's token or session, so one
        revoked or ended since the request was authenticated changes nothing; a token's
        object scope narrows the session before the work sees it.
        """
        if write and not caller.can_write:
            raise AccessDenied("this API token is read-only; create a read_write token to change records")

        def in_session() -> Any:
            with self.org.session(caller.user_id) as session:
                confirm(session.conn, session.schema, caller)
                if caller.objects is not None:
                    session.limit_to_objects(caller.objects)
                return work(session, *args)

        return await run_in_threadpool(in_session)


def context_of(request: Request) -> ApiContext:
    return request.app.state.missionbase


def client_address(request: Request) -> str:
    # uvicorn (proxy_headers) already puts a trusted proxy's X-Forwarded-For here.
    return request.client.host if request.client else "unknown"


async def current_caller(
    request: Request,
    _bearer: HTTPAuthorizationCredentials | None = Security(bearer_scheme),
    _cookie: str | None = Security(cookie_scheme),
    _csrf: str | None = Security(csrf_scheme),
) -> Caller:
    """The route dependency that authenticates: 401 problem without a valid token or session,
    403 for a session cookie on a change without its CSRF token (before anything is read)."""
    org = context_of(request).org
    return await run_in_threadpool(
        lambda: authenticate(
            org,
            authorization=request.headers.get("authorization"),
            session_cookie=request.cookies.get(COOKIE_NAME),
            method=request.method,
            csrf_token=request.headers.get(CSRF_HEADER),
        )
    )
