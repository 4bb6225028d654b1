"""The admin's rulebook page (admins only): upload a rulebook, see its versions and what each uses.

    GET  /admin/rules          the rulebook in use per assessment, every version (``?version=<id>``
                               opens one: its TOML and how it fits the forms; ``&new=0|1`` after publishing)
    POST /admin/rules          multipart fields ``file`` (.toml) and ``assessment`` (an id; empty: every one)

A published rulebook answers 303 to its version; a refused one shows the page again with every
problem and where, status 422 (409 for a published version reused with other content).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.concurrency import sync_to_thread
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session as DbSession

from survey.domain import rules
from survey.domain.accounts import Principal
from survey.web.deps import require
from survey.web.i18n import N_

Db = NamedDependency[DbSession]
Who = NamedDependency[Principal | None]
MAX_ID = 2**31 - 1

ISSUES = {  # rules.Upload issue codes → what the page says
    "no_file": N_("Choose the rulebook file to upload."),
    "rules_file_type": N_("Upload a rulebook as a .toml file."),
    "not_utf8": N_("The file is not UTF-8 text: save it as UTF-8 and upload it again."),
    "assessment_unknown": N_("There is no such assessment."),
}


def _page(db: DbSession, status: int = 200, show: int | None = None, **context: Any) -> Template:
    context = {"issues": (), "done": "", "issue_text": ISSUES, "upload": None, "new": None, **context}
    return Template("admin_rules.html", context={"view": rules.page(db, show), **context}, status_code=status)


@get("/", sync_to_thread=True)
def rules_page(db: Db, version: FromQuery[str | None] = None, new: FromQuery[str | None] = None) -> Template:
    """The rulebook each assessment uses, every version, and one version opened."""
    show = int(version) if version and version.isdigit() and int(version) <= MAX_ID else None
    return _page(db, show=show, new=None if new is None else new == "1")


@post("/", status_code=303)
async def publish(request: Request[Any, Any, Any], db: Db, principal: Who) -> Response[Any]:
    """Publish the uploaded rulebook; on to its version, or every problem in place."""
    form = await request.form()
    upload, assessment = form.get("file"), str(form.get("assessment", "")).strip()
    name, data = (upload.filename, await upload.read()) if isinstance(upload, UploadFile) else ("", b"")
    by = principal.user_id if principal else None
    result = await sync_to_thread(rules.publish_upload, db, name, data, assessment, by)
    if not result.ok:
        return await sync_to_thread(_page, db, result.status, upload=result)
    return Redirect(f"/admin/rules?version={result.version_id}&new={int(result.created)}", status_code=303)


ROUTES = [
    Router(
        path="/admin/rules",
        guards=[require("admin")],
        include_in_schema=False,  # HTML pages: the OpenAPI document describes the JSON API
        route_handlers=[rules_page, publish],
    )
]
