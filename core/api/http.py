"""Request and response plumbing shared by the routes: JSON bodies, ETags, links."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .problems import Problem

DEFAULT_MAX_BODY = 2 * 1024 * 1024


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        # A string keeps every digit (a JSON number would go through a float in most clients).
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(data: Any) -> bytes:
    return json.dumps(data, default=_default, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(
    data: Any, status: int = 200, headers: dict | None = None, media_type: str = "application/json"
) -> Response:
    return Response(dumps(data), status_code=status, headers=headers, media_type=media_type)


async def read_json_object(request: Request, max_bytes: int) -> dict:
    """The body as a JSON object, or a Problem: 415 not JSON, 413 too large, 400 malformed."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise Problem(
            415,
            f"send the body as application/json (got {media_type or 'no Content-Type'})",
            code="unsupported_media_type",
        )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    chunks, size = [], 0
    # Counted while streaming too: a chunked body has no Content-Length to trust.
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        data = json.loads(raw, parse_constant=_not_json)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Problem(400, f"the body is not valid JSON ({exc})", code="malformed_json") from None
    if not isinstance(data, dict):
        raise Problem(400, "the body must be a JSON object of field names to values", code="not_an_object")
    return data


def _not_json(name: str):
    # Python's json reads NaN and Infinity; JSON has neither, and no other client would send them.
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def _too_large(max_bytes: int) -> Problem:
    return Problem(413, f"the body is larger than {max_bytes} bytes", code="too_large")


def etag_of(version: Any) -> str:
    return f'"{version}"'


def version_from_if_match(header: str | None) -> int | None:
    """The version an ``If-Match: "3"`` header names (None without one, or for ``*``)."""
    if header is None or header.strip() == "*":
        return None
    text = header.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    if not text.isdigit():
        raise Problem(
            400, f'If-Match must be an ETag this API returned, like "3" (got {header!r})', code="bad_if_match"
        )
    return int(text)


def none_match(header: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` already names this ETag (then the answer is 304)."""
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return etag in tags or "*" in tags


def with_query(request: Request, **params: Any) -> str:
    """This request's URL with some query parameters replaced (None drops one)."""
    url = request.url.remove_query_params(list(params))
    kept = {k: v for k, v in params.items() if v is not None}
    return str(url.include_query_params(**kept) if kept else url)
