"""What every route needs: the org, the caller behind the token, and a session as them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ..errors import AccessDenied
from .http import DEFAULT_MAX_BODY
from .tokens import TokenUser, authenticate

API_PREFIX = "/api/v1"

# auto_error=False: a missing header is reported by authenticate() as problem+json, not by
# FastAPI's own 403 body; the scheme is declared so that OpenAPI and /api/docs know it.
bearer_scheme = HTTPBearer(auto_error=False, description="An API token: `missionbase tokens create`.")


@dataclass
class ApiContext:
    org: Any  # missionbase.core.app.App
    max_body: int = DEFAULT_MAX_BODY

    async def run(self, caller: TokenUser, work: Callable[..., Any], *args: Any, write: bool = False) -> Any:
        """``work(session, *args)`` in one transaction as the caller, off the event loop
        (core and its database drivers are synchronous)."""
        if write and not caller.can_write:
            raise AccessDenied("this API token is read-only; create a read_write token to change records")

        def in_session() -> Any:
            with self.org.session(caller.user_id) as session:
                return work(session, *args)

        return await run_in_threadpool(in_session)


def context_of(request: Request) -> ApiContext:
    return request.app.state.missionbase


async def current_caller(
    request: Request, _credentials: HTTPAuthorizationCredentials | None = Security(bearer_scheme)
) -> TokenUser:
    """The route dependency that authenticates: 401 problem unless a valid token is sent."""
    org = context_of(request).org
    return await run_in_threadpool(authenticate, org, request.headers.get("authorization"))
