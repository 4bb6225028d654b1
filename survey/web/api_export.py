"""``GET /api/v1/forms/{form_id}/submissions``: a form's records as JSON, CSV or XLSX.

The layout (columns, repeats, labels, personal data) is documented in :mod:`survey.domain.exports`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, QueryParameter
from sqlalchemy.orm import Session as DbSession

from survey.domain import exports
from survey.domain.accounts import Principal
from survey.web.deps import require
from survey.web.openapi import errors

Format = Literal["json", "csv", "xlsx"]


@get(
    "/api/v1/forms/{form_id:str}/submissions",
    guards=[require("admin", "planner", "designer")],
    sync_to_thread=True,
    responses={
        200: ResponseSpec(
            None,
            media_type="*/*",
            description="format=json: a JSON array of records; csv: text/csv (UTF-8, BOM); xlsx: a workbook",
        ),
        **errors(404),
    },
)
def export_submissions(
    db: NamedDependency[DbSession],
    principal: NamedDependency[Principal | None],
    form_id: FromPath[str],
    fmt: Annotated[Format, QueryParameter(name="format")] = "json",
    labels: FromQuery[str | None] = None,
    repeat: FromQuery[str | None] = None,
) -> Response[bytes]:
    """A form's records across its versions; personal data only for admins, and their export is logged."""
    try:
        found = exports.export(db, form_id, exports.Query(fmt, labels, repeat), principal)
    except exports.ExportError as err:
        raise HTTPException(status_code=err.status, detail=str(err)) from None
    headers = {} if fmt == "json" else {"Content-Disposition": f'attachment; filename="{found.filename}"'}
    return Response(found.content, media_type=found.media_type, headers=headers)


ROUTES = [export_submissions]
