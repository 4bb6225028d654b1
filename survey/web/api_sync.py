"""``POST /api/v1/forms/{form_id}/submissions``: the sync endpoint tablets and scripts post batches to."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, RawBody
from sqlalchemy.orm import Session as DbSession

from survey.domain import sync
from survey.web.deps import identify, in_thread, require
from survey.web.openapi import errors


class SyncResponse(msgspec.Struct):
    """One result per record, in the order sent."""

    results: list[sync.Result]


@post(
    "/api/v1/forms/{form_id:str}/submissions",
    guards=[require("fieldworker")],
    responses=errors(404),
    status_code=200,
)
async def submit(request: Request[Any, Any, Any], form_id: FromPath[str], body: RawBody) -> SyncResponse:
    """Store a batch of records: created, duplicate, conflict or invalid, per record.

    No dependencies: the guard has found who is asking, and the batch is parsed and stored in one
    worker thread on one session (resolving a session dependency cost more than a small batch).
    """
    principal = identify(request)
    collector = principal.user_id if principal else None
    try:
        results = await in_thread(request, _accept, form_id, body, collector, write=True)
    except sync.BatchError as err:
        raise HTTPException(status_code=err.status, detail=str(err)) from None
    return SyncResponse(results)


def _accept(db: DbSession, form_id: str, body: bytes, collector: int | None) -> list[sync.Result]:
    return sync.accept(db, form_id, sync.parse_batch(body), collector)


ROUTES = [submit]
