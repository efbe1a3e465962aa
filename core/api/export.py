"""``GET /objects/{obj}/export?format=csv|jsonl``: every record the caller can see, streamed.

The text is core's export (``dataio.export_chunks``), so a CSV is byte for byte what
``missionbase export`` writes for the same user, fields and filter. Pages are read one
at a time, each in a short transaction, as the client takes them: memory stays at one
page however many records there are, and a slow download holds no lock.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..dataio import export_chunks
from ..query import parse_where
from ..registry import ObjectType
from .context import API_PREFIX, context_of, current_caller
from .problems import problem_responses
from .records import split_list
from .tokens import TokenUser

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


def _texts(chunks: Iterator[tuple[str, int]], first: str) -> Iterator[bytes]:
    yield first.encode()
    for text, _ in chunks:
        yield text.encode()


def add_object_routes(api: FastAPI, obj: ObjectType) -> None:
    @api.get(
        f"{API_PREFIX}/objects/{obj.name}/export",
        tags=[obj.name],
        operation_id=f"export_{obj.name}",
        summary=f"Every {obj.label.lower()} you can see, as CSV or JSON lines (streamed)",
        responses={
            200: {
                "description": "The records, page by page",
                "content": {media: {"schema": {"type": "string"}} for media in MEDIA_TYPES.values()},
            },
            **problem_responses(401, 403, 422),
        },
    )
    async def export(
        request: Request,
        format: str = Query("csv", pattern="^(csv|jsonl)$"),
        fields: str | None = Query(None, description="Comma-separated (default: every field you can read)."),
        where: list[str] = Query([], description="The CLI's --where; repeat to AND."),
        caller: TokenUser = Depends(current_caller),
    ):
        org = context_of(request).org
        conditions = [parse_where(w) for w in where if w.strip()] or None
        chunks = export_chunks(
            org,
            obj.name,
            fmt=format,
            as_user=caller.user_id,
            where=conditions,
            fields=split_list(fields),
            objects=caller.objects,
        )
        # The first page is read before answering: a field or filter the caller may not use is
        # a problem+json, not a 200 that breaks off.
        first, _ = await run_in_threadpool(next, chunks)
        extension = "csv" if format == "csv" else "jsonl"
        return StreamingResponse(
            _texts(chunks, first),
            media_type=MEDIA_TYPES[format],
            headers={
                "Content-Disposition": f'attachment; filename="{obj.name}.{extension}"',
                "Cache-Control": "private, no-cache",
            },
        )
