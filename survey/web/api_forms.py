"""``/api/v1/forms``: list, read and publish form versions."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, RawBody
from sqlalchemy.orm import Session as DbSession

from survey.domain import publishing
from survey.domain.accounts import Principal
from survey.web.deps import require
from survey.web.openapi import errors

UPLOAD_TYPES = {"application/toml": "toml", "text/toml": "toml", "application/json": "json"}


class FormSummary(msgspec.Struct):
    """A form in the list: its latest version and every version."""

    form_id: str
    title: dict[str, str]
    kind: str
    version: str
    versions: list[str]


class FormDetail(msgspec.Struct):
    """A published version: the definition and its compiled logic (JSON ASTs for the browser)."""

    form_id: str
    version: str
    hash: str
    definition: dict[str, Any]
    logic: dict[str, Any]


class Published(msgspec.Struct):
    """What publishing returns."""

    form_id: str
    version: str
    created: bool
    warnings: list[str]


@get("/api/v1/forms", guards=[require()], sync_to_thread=True, responses=errors())
def list_forms(db: NamedDependency[DbSession]) -> list[FormSummary]:
    """Every published form with its latest version."""
    out = []
    for form_id, found in publishing.versions(db).items():
        last = publishing.compiled(found[-1]).form
        out.append(
            FormSummary(form_id, dict(last.title), last.kind, last.version, [v.version for v in found])
        )
    return out


@get("/api/v1/forms/{form_id:str}", guards=[require()], sync_to_thread=True, responses=errors(404))
def read_form(db: NamedDependency[DbSession], form_id: FromPath[str]) -> FormDetail:
    """The latest version of a form: its definition and compiled logic."""
    version = publishing.latest(db, form_id)
    if version is None:
        raise NotFoundException(f"no form named {form_id!r}")
    compiled = publishing.compiled(version)
    definition = msgspec.to_builtins(compiled.form)
    return FormDetail(form_id, version.version, version.hash, definition, compiled.logic_json())


@post(
    "/api/v1/forms",
    guards=[require("admin")],
    status_code=201,
    responses={
        200: ResponseSpec(Published, description="This version was already published with the same content"),
        **errors(409, 415, 422),
    },
)
async def publish_form(
    request: Request[Any, Any, Any],
    db: NamedDependency[DbSession],
    principal: NamedDependency[Principal | None],
    body: RawBody,
) -> Response[Published]:
    """Publish a version from TOML, JSON, or a multipart upload of an XLSForm in the field ``file``."""
    data, fmt, source = await _upload(request, body)
    try:
        version, warnings, created = publishing.publish(
            db, data, fmt, source, principal.user_id if principal else None
        )
    except publishing.PublishError as err:
        problems = [{"where": p.where, "message": p.message, "severity": p.severity} for p in err.problems]
        raise HTTPException(
            status_code=err.status, detail="the form cannot be published", extra={"problems": problems}
        ) from None
    published = Published(version.form_id, version.version, created, [str(w) for w in warnings])
    return Response(published, status_code=201 if created else 200)


async def _upload(request: Request[Any, Any, Any], body: bytes) -> tuple[bytes, Any, str]:
    """The uploaded definition, its format and a name for messages."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or not hasattr(upload, "read"):
            raise HTTPException(status_code=400, detail="send the XLSForm in the multipart field 'file'")
        name = upload.filename or "upload.xlsx"
        fmt = {"xlsx": "xlsx", "toml": "toml", "json": "json"}.get(name.rsplit(".", 1)[-1].lower(), "xlsx")
        return await upload.read(), fmt, name
    if content_type not in UPLOAD_TYPES:
        raise HTTPException(
            status_code=415,
            detail="send application/toml, application/json, or multipart/form-data with 'file'",
        )
    return body, UPLOAD_TYPES[content_type], "upload"


ROUTES = [list_forms, read_form, publish_form]
