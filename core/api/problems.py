"""Errors as RFC 9457 ``application/problem+json``, with the CLI's one-line messages.

Core raises the same exceptions whichever surface called it; this module only
decides the HTTP status of each. ``detail`` is exactly what the CLI prints after
``error:``; ``errors`` locates it (field, record index) for a program.
"""

from __future__ import annotations

from typing import Any

from ..auth.credentials import BadCredentials, CsrfRefused, TooManyFailures
from ..errors import (
    AccessDenied,
    ConfigError,
    DeleteBlocked,
    MissionbaseError,
    RecordNotFound,
    StaleVersion,
    UnknownName,
    ValidationError,
)

PROBLEM_TYPE = "application/problem+json"
TYPE_BASE = "https://missionbase.org/problems/"

TITLES = {
    400: "Malformed request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Changed by someone else",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many failed logins",
    500: "Server error",
}


class Problem(Exception):
    """An API-level refusal (bad JSON, wrong content type...) that core never sees."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str,
        errors: list[dict] | None = None,
        headers: dict | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.code = status, detail, code
        self.errors = errors or []
        self.headers = headers or {}


class NotFoundObject(MissionbaseError):
    """An unknown object named in the URL (404, unlike an unknown name in a filter: 422)."""

    def __init__(self, error: UnknownName) -> None:
        super().__init__(str(error))


def is_unique_clash(error: ValidationError) -> bool:
    # Core reports a unique clash as a validation error whose reason says so
    # (records.py _unique_problems); it is a conflict with stored data, hence 409.
    return error.reason.endswith("it must be unique")


def classify(error: MissionbaseError) -> tuple[int, str]:
    """(HTTP status, machine code) of a core error."""
    if isinstance(error, BadCredentials):
        return 401, "bad_credentials"
    if isinstance(error, TooManyFailures):
        return 429, "too_many_failures"
    if isinstance(error, CsrfRefused):
        return 403, "csrf"
    if isinstance(error, NotFoundObject):
        return 404, "unknown_object"
    if isinstance(error, RecordNotFound):
        return 404, "not_found"
    if isinstance(error, StaleVersion):
        return 412, "stale_version"
    if isinstance(error, AccessDenied):
        return 403, "access_denied"
    if isinstance(error, DeleteBlocked):
        return 409, "delete_blocked"
    if isinstance(error, UnknownName):
        return 422, "unknown_name"
    if isinstance(error, ValidationError):
        if is_unique_clash(error):
            return 409, "unique"
        if error.reason.endswith("read-only for you"):
            return 403, "field_read_only"
        return 422, "invalid"
    if isinstance(error, ConfigError):
        return 500, "configuration"
    return 422, "refused"


def problem_body(
    status: int, detail: str, code: str, errors: list[dict] | None = None, instance: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "errors": errors if errors is not None else [],
    }
    if instance:
        body["instance"] = instance
    return body


def error_entries(error: MissionbaseError, code: str) -> list[dict]:
    """The ``errors`` list: one entry naming the field and batch index when core gave them."""
    field = getattr(error, "field", None)
    index = getattr(error, "row", None)
    message = getattr(error, "reason", None) or str(error)
    if isinstance(error, UnknownName):
        field = error.name if error.what == "field" else None
    problems = getattr(error, "problems", None)  # an action's input: one entry per bad field
    if problems:
        return [{"field": name, "code": code, "message": text, "index": index} for name, text in problems]
    return [{"field": field, "code": code, "message": message, "index": index}]


def schema_components() -> dict[str, Any]:
    """The Problem schema, for the OpenAPI document."""
    return {
        "Problem": {
            "type": "object",
            "required": ["type", "title", "status", "detail", "errors"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "instance": {"type": "string"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "field": {"type": ["string", "null"]},
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                            "index": {"type": ["integer", "null"]},
                        },
                    },
                },
            },
        }
    }


def problem_responses(*statuses: int) -> dict[int, dict]:
    """``responses=`` for a route: each status documented as a Problem."""
    ref = {"$ref": "#/components/schemas/Problem"}
    # Any call may lack credentials (401) or carry a malformed parameter (422).
    statuses = tuple(sorted({*statuses, 401, 422}))
    return {s: {"description": TITLES[s], "content": {PROBLEM_TYPE: {"schema": ref}}} for s in statuses}
