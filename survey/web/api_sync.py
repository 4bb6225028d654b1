"""``POST /api/v1/forms/{form_id}/submissions``: the sync endpoint tablets and scripts post batches to."""

from __future__ import annotations

import msgspec
from litestar import post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath, RawBody
from sqlalchemy.orm import Session as DbSession

from survey.domain import sync
from survey.domain.accounts import Principal
from survey.web.deps import require
from survey.web.openapi import errors


class SyncResponse(msgspec.Struct):
    """One result per record, in the order sent."""

    results: list[sync.Result]


@post(
    "/api/v1/forms/{form_id:str}/submissions",
    guards=[require("fieldworker")],
    responses=errors(404),
    status_code=200,
    sync_to_thread=True,
)
def submit(
    db: NamedDependency[DbSession],
    principal: NamedDependency[Principal | None],
    form_id: FromPath[str],
    body: RawBody,
) -> SyncResponse:
    """Store a batch of records: created, duplicate, conflict or invalid, per record."""
    try:
        items = sync.parse_batch(body)
        results = sync.accept(db, form_id, items, principal.user_id if principal else None)
    except sync.BatchError as err:
        raise HTTPException(status_code=err.status, detail=str(err)) from None
    return SyncResponse(results)


ROUTES = [submit]
