"""The admin's rulebook page (admins only): upload a rulebook, see its versions and what each uses.

    GET  /admin/rules            the rulebook in use per assessment, every version (``?version=<id>``
                                 opens one: its TOML and how it fits the forms; ``&new=0|1`` after publishing)
    POST /admin/rules            multipart ``file`` (.toml) and ``assessment`` (an id; empty: every one)
    GET  /admin/rules/seed.toml  the seed rulebook, comments and all, to start a centre's own from

Database work runs in a worker thread on a session of its own (:func:`survey.web.deps.in_thread`).

A published rulebook answers 303 to its version; a refused one shows the page again with every
problem and where, status 422 (409 for a published version reused with other content).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session as DbSession

from analysis import rulebook
from survey.domain import rules
from survey.domain.accounts import Principal
from survey.web.deps import in_thread, require
from survey.web.i18n import N_

Req = Request[Any, Any, Any]
Who = NamedDependency[Principal | None]
MAX_ID = 2**31 - 1

ISSUES = {  # rules.Upload issue codes → what the page says
    "no_file": N_("Choose the rulebook file to upload."),
    "rules_file_type": N_("Upload a rulebook as a .toml file."),
    "not_utf8": N_("The file is not UTF-8 text: save it as UTF-8 and upload it again."),
    "assessment_unknown": N_("There is no such assessment."),
}


def _page(
    db: DbSession,
    status: int = 200,
    show: int | None = None,
    new: bool | None = None,
    upload: rules.Upload | None = None,
) -> Template:
    context = {"issues": (), "done": "", "issue_text": ISSUES, "upload": upload, "new": new}
    return Template("admin_rules.html", context={"view": rules.page(db, show), **context}, status_code=status)


@get("/")
async def rules_page(
    request: Req, version: FromQuery[str | None] = None, new: FromQuery[str | None] = None
) -> Template:
    """The rulebook each assessment uses, every version, and one version opened."""
    show = int(version) if version and version.isdigit() and int(version) <= MAX_ID else None
    return await in_thread(request, _page, 200, show, None if new is None else new == "1")


@post("/", status_code=303)
async def publish(request: Req, principal: Who) -> Response[Any]:
    """Publish the uploaded rulebook; on to its version, or every problem in place."""
    form = await request.form()
    upload, assessment = form.get("file"), str(form.get("assessment", "")).strip()
    name, data = (upload.filename, await upload.read()) if isinstance(upload, UploadFile) else ("", b"")
    by = principal.user_id if principal else None
    done = await in_thread(request, _publish, name, data, assessment, by, write=True)
    if isinstance(done, Template):
        return done
    return Redirect(f"/admin/rules?version={done.version_id}&new={int(done.created)}", status_code=303)


def _publish(
    db: DbSession, name: str, data: bytes, assessment: str, by: int | None
) -> rules.Upload | Template:
    """The published upload, or the page with its problems, read on the session that refused it."""
    result = rules.publish_upload(db, name, data, assessment, by)
    return result if result.ok else _page(db, result.status, upload=result)


@get("/seed.toml", media_type="application/toml")
async def seed(request: Req) -> Response[str]:
    """The seed rulebook as shipped, to download and start from."""
    return Response(
        rulebook.seed_text(),
        media_type="application/toml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="tanfang-seed-rules.toml"'},
    )


ROUTES = [
    Router(
        path="/admin/rules",
        guards=[require("admin")],
        include_in_schema=False,  # HTML pages: the OpenAPI document describes the JSON API
        route_handlers=[rules_page, publish, seed],
    )
]
