"""What every route needs: the org, the caller behind the token or session cookie, and a
session as them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request, Security
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ..auth.credentials import Caller, confirm
from ..auth.requests import authenticate
from ..auth.sessions import COOKIE_NAME, CSRF_FIELD, CSRF_HEADER, SAFE_METHODS
from ..errors import AccessDenied
from .http import DEFAULT_MAX_BODY

API_PREFIX = "/api/v1"

# auto_error=False: missing credentials are reported by authenticate() as problem+json, not by
# FastAPI's own bodies; the schemes are declared so that OpenAPI and /api/docs know them.
bearer_scheme = HTTPBearer(auto_error=False, description="An API token: `missionbase tokens create`.")
cookie_scheme = APIKeyCookie(
    name=COOKIE_NAME,
    auto_error=False,
    description=f"A login session (`POST {API_PREFIX}/auth/login`); changes also need the {CSRF_HEADER} header.",
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
    csrf_token = request.headers.get(CSRF_HEADER) or await _csrf_form_field(request)
    return await run_in_threadpool(
        lambda: authenticate(
            org,
            authorization=request.headers.get("authorization"),
            session_cookie=request.cookies.get(COOKIE_NAME),
            method=request.method,
            csrf_token=csrf_token,
        )
    )


# An HTML form's fields fit in this; a larger urlencoded body is not looked into for the token.
CSRF_FORM_MAX = 64 * 1024


async def _csrf_form_field(request: Request) -> str | None:
    """The ``csrf_token`` field of a urlencoded form posted with the session cookie.

    The body is read with ``request.body()``, which keeps it for the route; a multipart
    body (an upload) is never read here, as its route streams it: it needs the header.
    """
    if request.method in SAFE_METHODS or COOKIE_NAME not in request.cookies:
        return None
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return None
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > CSRF_FORM_MAX:
        return None
    values = parse_qs((await request.body()).decode("latin-1"), max_num_fields=100)
    return (values.get(CSRF_FIELD) or [None])[0]
