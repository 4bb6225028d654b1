"""OpenRosa, the protocol of ODK Collect, KoboCollect and Enketo, under ``/openrosa/key/{token}``.

    GET  /openrosa/key/{token}/formList                             ?formID=…&listAllVersions=true
    GET  /openrosa/key/{token}/forms/{form_id}/{version}/form.xml   the XForm
    GET  /openrosa/key/{token}/forms/{form_id}/{version}/manifest   its media files (none)
    HEAD /openrosa/key/{token}/submission                           204: what size of post is taken
    POST /openrosa/key/{token}/submission                           multipart ``xml_submission_file``
                                                                    + attachments (+ ``*isIncomplete*``)

``http(s)://HOST/openrosa/key/{token}`` is the server URL typed into (or scanned by) the app,
which appends ``/formList`` and ``/submission`` itself. The token is an API token (``survey tokens
create``, or the QR code page), looked up by its hash as bearer tokens are; its user needs the
fieldworker role (admins pass).

The same routes answer under ``https://HOST/openrosa`` for a device that signs in as Collect does
with a username and password: HTTP Basic, over HTTPS only (a password never crosses the network
in the clear), or a bearer token. Digest is not offered: it needs a password-equivalent hash kept
for it, and we keep only argon2 hashes.

Every response, errors included, is XML (an ``OpenRosaResponse`` with the message Collect shows)
with ``X-OpenRosa-Version: 1.0`` and ``X-OpenRosa-Accept-Content-Length`` (the largest body
taken, ``SURVEY_MAX_BODY_BYTES``: Collect splits bigger submissions to fit). ``Date`` is on every
response too: the HTTP server adds it (uvicorn does), so the app does not, which would send it
twice.
"""

from __future__ import annotations

import base64
import logging
from typing import Annotated, Any

from litestar import Request, Response, Router, get, head, post
from litestar.concurrency import sync_to_thread
from litestar.connection import ASGIConnection
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    TooManyRequestsException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, QueryParameter
from sqlalchemy.orm import Session as DbSession

from survey.domain import accounts, openrosa, openrosa_submission
from survey.domain.accounts import Principal
from survey.domain.openrosa import OpenRosaError
from survey.web import openrosa_xml

Req = Request[Any, Any, Any]
Db = NamedDependency[DbSession]
Who = NamedDependency[Principal | None]
XML = "text/xml"  # litestar adds "; charset=utf-8"
XML_PART = "xml_submission_file"
INCOMPLETE_PART = "*isIncomplete*"
REALM = 'Basic realm="Tanfang", charset="UTF-8"'
log = logging.getLogger("survey.openrosa")


def device(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The guard: the path's token must be a valid API token of a fieldworker (or an admin)."""
    with connection.app.state.read_sessions() as db:
        principal = accounts.principal_from_token(db, connection.path_params.get("token", ""))
    _admit(connection, principal, "this server URL's key is unknown or revoked: scan a new QR code", {})


def account(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The guard under ``/openrosa``: Basic over HTTPS, or a bearer token; the role as for a key."""
    scheme, _, value = connection.headers.get("authorization", "").partition(" ")
    principal = None
    with connection.app.state.read_sessions() as db:
        if scheme.lower() == "bearer":
            principal = accounts.principal_from_token(db, value.strip())
        elif scheme.lower() == "basic":
            if connection.url.scheme != "https":
                raise PermissionDeniedException(
                    "a password is only taken over HTTPS: use https:// or a key URL"
                )
            principal = _basic(connection, db, value)
    _admit(connection, principal, "sign in with a username and password", {"WWW-Authenticate": REALM})


def _admit(
    connection: ASGIConnection[Any, Any, Any, Any],
    principal: Principal | None,
    unknown: str,
    challenge: dict[str, str],
) -> None:
    """401 for no one, 403 for a user who may not collect; else the principal for the handler."""
    if principal is None:
        raise NotAuthorizedException(unknown, headers=challenge)
    if not principal.has("fieldworker"):
        raise PermissionDeniedException("this user needs the role fieldworker or admin")
    connection.scope.setdefault("state", {})["principal"] = principal  # the `principal` dependency


def _basic(connection: ASGIConnection[Any, Any, Any, Any], db: DbSession, value: str) -> Principal | None:
    """The user a Basic header names, its password checked under the sign-in page's limit on failures."""
    try:
        username, _, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    try:
        user = accounts.authenticate_limited(db, username, password, connection.app.state.sessions)
    except accounts.TooManyFailures as locked:
        wait = {"Retry-After": str(locked.minutes * 60)}
        raise TooManyRequestsException(str(locked), headers=wait) from None
    return (
        None if user is None else Principal(user.id, user.username, accounts.roles_of(db, user.id), "basic")
    )


def headers(request: Req) -> dict[str, str]:
    """The OpenRosa headers every response carries."""
    return {
        "X-OpenRosa-Version": "1.0",
        "X-OpenRosa-Accept-Content-Length": str(request.app.state.settings.max_body_bytes),
    }


def reply(request: Req, body: bytes | None, status: int = 200) -> Response[Any]:
    """An XML response with the OpenRosa headers."""
    return Response(body, status_code=status, media_type=XML, headers=headers(request))


def error_reply(request: Req, exc: Exception) -> Response[Any]:
    """Every error as an ``OpenRosaResponse`` with its status; unexpected ones logged, never detailed."""
    if isinstance(exc, OpenRosaError):
        status, detail = exc.status, str(exc)
    elif isinstance(exc, HTTPException) and exc.status_code == 413:
        limit = request.app.state.settings.max_body_bytes
        status, detail = 413, f"the post is larger than the {limit} bytes this server takes in one post"
    elif isinstance(exc, HTTPException):
        status, detail = exc.status_code, exc.detail
    else:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        status, detail = 500, "internal error"
    response = reply(request, openrosa_xml.response(detail, "error"), status)
    if isinstance(exc, HTTPException) and exc.headers:  # WWW-Authenticate on a 401
        response.headers.update(exc.headers)
    return response


def server_url(request: Req) -> str:
    """The server URL the device was given: this request's URL up to ``/formList`` or ``/forms/``."""
    prefix = request.url.path.split("/formList")[0].split("/forms/")[0]
    return f"{request.url.scheme}://{request.url.netloc}{prefix}"


@get("/formList", sync_to_thread=True)
def form_list(
    request: Req,
    db: Db,
    principal: Who,
    form_id: Annotated[str | None, QueryParameter(name="formID")] = None,
    all_versions: Annotated[str | None, QueryParameter(name="listAllVersions")] = None,
) -> Response[Any]:
    """The forms this device's user may fill, each with the md5 of the XForm it downloads."""
    assert principal is not None  # the guard saw to it
    entries = openrosa.listed(db, principal, form_id, all_versions == "true")
    return reply(request, openrosa_xml.form_list(entries, server_url(request)))


@get("/forms/{form_id:str}/{version:str}/form.xml", sync_to_thread=True)
def download(
    request: Req, db: Db, principal: Who, form_id: FromPath[str], version: FromPath[str]
) -> Response[Any]:
    """One version's XForm, exactly the bytes whose md5 the form list gave."""
    assert principal is not None
    return reply(request, openrosa.xform(openrosa.downloadable(db, principal, form_id, version)).data)


@get("/forms/{form_id:str}/{version:str}/manifest", sync_to_thread=True)
def manifest(
    request: Req, db: Db, principal: Who, form_id: FromPath[str], version: FromPath[str]
) -> Response[Any]:
    """The media files of a version: none, since our forms carry no media."""
    assert principal is not None
    openrosa.downloadable(db, principal, form_id, version)
    return reply(request, openrosa_xml.manifest())


@head("/submission", status_code=204, sync_to_thread=False)
def submission_head(request: Req) -> Response[None]:
    """Collect asks first: 204, with the largest body it may post."""
    return Response(None, status_code=204, headers=headers(request))


@post("/submission")
async def submission(request: Req, db: Db, principal: Who) -> Response[Any]:
    """Store a posted instance and its files; 201 (also for a resend), 409, 422, or 400/404/413."""
    assert principal is not None
    xml, attachments, incomplete = await _parts(request)
    receipt = await sync_to_thread(
        openrosa_submission.receive, db, principal.user_id, xml, attachments, incomplete
    )
    nature = "submit_success" if receipt.status == 201 else "error"
    return reply(request, openrosa_xml.response(receipt.message, nature), receipt.status)


async def _parts(request: Req) -> tuple[bytes, list[openrosa_submission.Attachment], bool]:
    """The XML, the file parts and the incomplete flag of a multipart post; OpenRosaError 400 without XML."""
    form = await request.form()
    xml = form.get(XML_PART)
    if isinstance(xml, UploadFile):
        xml = await xml.read()
    if not xml:
        raise OpenRosaError(400, f"expected a multipart/form-data post with an {XML_PART} part")
    attachments = [
        openrosa_submission.Attachment(part.filename or name, part.content_type, await part.read())
        for name, part in form.multi_items()
        if name not in (XML_PART, INCOMPLETE_PART) and isinstance(part, UploadFile)
    ]
    incomplete = str(form.get(INCOMPLETE_PART, "")).strip().lower() == "yes"
    return (xml.encode() if isinstance(xml, str) else xml), attachments, incomplete


HANDLERS = [form_list, download, manifest, submission_head, submission]
ROUTES = [
    Router(
        path=path,
        guards=[guard],
        exception_handlers={Exception: error_reply},
        include_in_schema=False,  # an XML protocol of its own: the OpenAPI document describes the JSON API
        route_handlers=HANDLERS,
    )
    for path, guard in (("/openrosa/key/{token:str}", device), ("/openrosa", account))
]
