"""The admin pages (admins only): forms, users and roles, assignments, conflicts.

    GET  /admin                                    overview: forms, submissions, conflicts, users, audit
    GET  /admin/forms                              published forms and the upload form
    POST /admin/forms                              multipart field ``file`` (.toml, .json or .xlsx)
    GET  /admin/forms/{form_id}                    a form's versions (``?published=<version>&new=1``)
    GET  /admin/users                              users with their roles, the new-user form
    POST /admin/users                              fields ``username``, ``password``, ``role``
    POST /admin/users/{user_id}/grant              field ``role``
    POST /admin/users/{user_id}/revoke             field ``role``
    POST /admin/users/{user_id}/active             field ``active``: ``1`` or ``0``
    GET  /admin/assignments                        assignments and the form to add them
    POST /admin/assignments                        fields ``user_id``, ``form_id`` (one or more), ``site_id``
    POST /admin/assignments/{assignment_id}/remove
    GET  /admin/conflicts                          open conflicts beside the stored records
    POST /admin/conflicts/{conflict_id}/resolve    field ``choice``: ``keep_stored`` or ``use_new``

A change that is made answers 303 back to its page with ``?done=<what>`` (a published form: to the
form's page); a refused one shows the page again with every problem in place, status 422
(409 for a published version number reused with other content).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, PathParameter, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session as DbSession

from survey.domain import admin
from survey.domain.accounts import Principal
from survey.web.deps import in_thread, require
from survey.web.i18n import N_

Req = Request[Any, Any, Any]
Who = NamedDependency[Principal | None]
MAX_ID = 2**31 - 1  # ids are INTEGER columns: larger numbers name nothing, and say so with 400
Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
Done = Annotated[str | None, QueryParameter(name="done")]

ISSUES = {  # admin.Issue and admin.Upload codes → what the page says
    "no_file": N_("Choose the form file to upload."),
    "file_type": N_("Upload a .toml, .json or .xlsx file."),
    "not_utf8": N_("The file is not UTF-8 text: save it as UTF-8 and upload it again."),
    "username_required": N_("Enter a username."),
    "username_taken": N_("This username is taken."),
    "username_long": N_("A username has at most 100 characters."),
    "password_short": N_("The password needs at least 8 characters."),
    "role_unknown": N_("Choose a role."),
    "user_unknown": N_("There is no such user."),
    "role_held": N_("The user already holds this role."),
    "role_not_held": N_("The user does not hold this role."),
    "own_admin": N_("You cannot revoke your own admin role."),
    "self_deactivate": N_("You cannot deactivate your own account."),
    "not_fieldworker": N_("Choose an active fieldworker."),
    "choose_form": N_("Choose at least one form."),
    "site_unknown": N_("There is no such site."),
    "assignment_unknown": N_("This assignment no longer exists."),
    "conflict_gone": N_("This conflict is already resolved (perhaps by another admin)."),
    "choice_unknown": N_("Choose to keep the stored record or to use the new one."),
}
DONE = {  # ?done=<code> → the notice
    "user_created": N_("The user is created."),
    "role_granted": N_("The role is granted."),
    "role_revoked": N_("The role is revoked."),
    "user_deactivated": N_("The user is deactivated."),
    "user_activated": N_("The user is active again."),
    "assigned": N_("Assigned."),
    "unassigned": N_("The assignment is removed."),
    "kept_stored": N_("The stored record stands; the new one is kept aside."),
    "used_new": N_("The new record stands; the old content is kept aside."),
}
ROLE_NAMES = {  # role → its name on the pages
    "admin": N_("Admin"),
    "planner": N_("Planner"),
    "designer": N_("Designer"),
    "fieldworker": N_("Fieldworker"),
}


def _page(name: str, status: int = 200, **context: Any) -> Template:
    context = {"issues": (), "done": "", "issue_text": ISSUES, "role_names": ROLE_NAMES, **context}
    return Template(f"admin_{name}.html", context=context, status_code=status)


def _done(value: str | None) -> str:
    """The msgid of the ``done`` notice from the query string, when it is one we have words for."""
    return DONE.get(value or "", "")


def _by(principal: Principal | None) -> int | None:
    return principal.user_id if principal else None


def _id(raw: Any) -> int | None:
    """A numeric id from a form field: None when empty, 0 (which matches nothing) when not a number."""
    text = str(raw or "").strip()
    if not text:
        return None
    return int(text) if text.isdigit() and int(text) <= MAX_ID else 0


async def _show(request: Req, page: Callable[..., Template], **context: Any) -> Template:
    """``page(db, **context)`` on a read-only session in a worker thread."""
    return await in_thread(request, _render, page, context)


def _render(db: DbSession, page: Callable[..., Template], context: dict[str, Any]) -> Template:
    return page(db, **context)


async def _outcome(
    request: Req,
    change: Callable[..., tuple[admin.Issue, ...]],
    args: tuple[Any, ...],
    path: str,
    done: str,
    page: Callable[..., Template],
    **kw: Any,
) -> Response[Any]:
    """303 to ``path`` with the notice when ``change(db, *args)`` made the change; else ``page``, 422.

    Both run in one worker thread on one write session (:func:`survey.web.deps.in_thread`): the page
    shown with the issues is read on the session that refused the change.
    """
    refused = await in_thread(request, _apply, change, args, page, kw, write=True)
    return Redirect(f"{path}?done={done}", status_code=303) if refused is None else refused


def _apply(
    db: DbSession,
    change: Callable[..., tuple[admin.Issue, ...]],
    args: tuple[Any, ...],
    page: Callable[..., Template],
    context: dict[str, Any],
) -> Template | None:
    """Make the change; None when it is made, else ``page`` with its issues, read on the same session."""
    issues = change(db, *args)
    return page(db, status=422, issues=issues, **context) if issues else None


# --- overview and forms -------------------------------------------------------------------------


def _overview(db: DbSession) -> Template:
    return _page("overview", data=admin.overview(db))


@get("/")
async def overview(request: Req) -> Template:
    """Forms with versions and submissions, open conflicts, users and recent audit entries."""
    return await _show(request, _overview)


def _forms(db: DbSession, status: int = 200, upload: admin.Upload | None = None) -> Template:
    return _page("forms", status, forms=admin.form_list(db), upload=upload)


@get("/forms")
async def forms_page(request: Req) -> Template:
    """The published forms and the upload form."""
    return await _show(request, _forms)


def _publish(db: DbSession, name: str, data: bytes, by: int | None) -> admin.Upload | Template:
    """The published upload, or the forms page with every problem in place."""
    result = admin.publish_upload(db, name, data, by)
    return result if result.ok else _forms(db, result.status, upload=result)


@post("/forms", status_code=303)
async def publish(request: Req, principal: Who) -> Response[Any]:
    """Publish the uploaded file; on to the form's page, or every problem in place."""
    upload = (await request.form()).get("file")
    name, data = (upload.filename, await upload.read()) if isinstance(upload, UploadFile) else ("", b"")
    result = await in_thread(request, _publish, name, data, _by(principal), write=True)
    if isinstance(result, Template):
        return result
    query = urlencode({"published": result.version, "new": int(result.created)})
    return Redirect(f"/admin/forms/{quote(result.form_id)}?{query}", status_code=303)


def _form(db: DbSession, form_id: str, published: str, new: bool) -> Template:
    row = admin.form_versions(db, form_id)
    if row is None:
        raise NotFoundException(f"no form named {form_id!r}")
    return _page("form", form=row, published=published, new=new)


@get("/forms/{form_id:str}")
async def form_page(
    request: Req,
    form_id: FromPath[str],
    published: FromQuery[str | None] = None,
    new: FromQuery[str | None] = None,
) -> Template:
    """One form's versions, with the notice of a version just published."""
    return await in_thread(request, _form, form_id, published or "", new == "1")


# --- users and roles ----------------------------------------------------------------------------


def _users(
    db: DbSession, status: int = 200, values: dict[str, str] | None = None, **context: Any
) -> Template:
    values = values or {"username": "", "role": "fieldworker"}
    return _page("users", status, users=admin.users(db), roles=admin.ROLE_OPTIONS, values=values, **context)


@get("/users")
async def users_page(request: Req, done: Done = None) -> Template:
    """Users with their roles, and the form to create one."""
    return await _show(request, _users, done=_done(done))


@post("/users", status_code=303)
async def create_user(request: Req, principal: Who) -> Response[Any]:
    """Create a user with a role; the form again with its problems when refused."""
    form = await request.form()
    values = {key: str(form.get(key, "")) for key in ("username", "role")}
    args = (values["username"], str(form.get("password", "")), values["role"], _by(principal))
    return await _outcome(
        request, admin.create_user, args, "/admin/users", "user_created", _users, values=values
    )


@post("/users/{user_id:int}/grant", status_code=303)
async def grant(request: Req, principal: Who, user_id: Id) -> Response[Any]:
    """Give the user the posted role."""
    role = str((await request.form()).get("role", ""))
    args = (user_id, role, _by(principal))
    return await _outcome(request, admin.grant_role, args, "/admin/users", "role_granted", _users)


@post("/users/{user_id:int}/revoke", status_code=303)
async def revoke(request: Req, principal: Who, user_id: Id) -> Response[Any]:
    """Take the posted role away from the user."""
    role = str((await request.form()).get("role", ""))
    args = (user_id, role, _by(principal))
    return await _outcome(request, admin.revoke_role, args, "/admin/users", "role_revoked", _users)


@post("/users/{user_id:int}/active", status_code=303)
async def set_active(request: Req, principal: Who, user_id: Id) -> Response[Any]:
    """Deactivate the user (``active=0``) or let them back in (``active=1``)."""
    active = (await request.form()).get("active") == "1"
    done = "user_activated" if active else "user_deactivated"
    args = (user_id, active, _by(principal))
    return await _outcome(request, admin.set_active, args, "/admin/users", done, _users)


# --- assignments --------------------------------------------------------------------------------


def _assignments(
    db: DbSession, status: int = 200, values: dict[str, Any] | None = None, **context: Any
) -> Template:
    values = values or {"user_id": "", "form_ids": [], "site_id": ""}
    return _page("assignments", status, view=admin.assignment_page(db), values=values, **context)


@get("/assignments")
async def assignments_page(request: Req, done: Done = None) -> Template:
    """Who fills which form where, and the form to add assignments."""
    return await _show(request, _assignments, done=_done(done))


@post("/assignments", status_code=303)
async def assign(request: Req, principal: Who) -> Response[Any]:
    """Assign the ticked forms (at the chosen site, or any) to the chosen fieldworker."""
    form = await request.form()
    values = {
        "user_id": str(form.get("user_id", "")),
        "form_ids": [str(f) for f in form.getall("form_id", [])],
        "site_id": str(form.get("site_id", "")),
    }
    args = (_id(values["user_id"]), values["form_ids"], _id(values["site_id"]), _by(principal))
    return await _outcome(
        request, admin.assign, args, "/admin/assignments", "assigned", _assignments, values=values
    )


@post("/assignments/{assignment_id:int}/remove", status_code=303)
async def unassign(request: Req, principal: Who, assignment_id: Id) -> Response[Any]:
    """Remove an assignment."""
    args = (assignment_id, _by(principal))
    return await _outcome(request, admin.unassign, args, "/admin/assignments", "unassigned", _assignments)


# --- conflicts ----------------------------------------------------------------------------------


def _conflicts(db: DbSession, status: int = 200, **context: Any) -> Template:
    return _page("conflicts", status, conflicts=admin.open_conflicts(db), **context)


@get("/conflicts")
async def conflicts_page(request: Req, done: Done = None) -> Template:
    """Open conflicts beside the stored records, with the answers that differ."""
    return await _show(request, _conflicts, done=_done(done))


@post("/conflicts/{conflict_id:int}/resolve", status_code=303)
async def resolve(request: Req, principal: Who, conflict_id: Id) -> Response[Any]:
    """Keep the stored record or use the new one."""
    choice = str((await request.form()).get("choice", ""))
    done = "kept_stored" if choice == "keep_stored" else "used_new"
    args = (conflict_id, choice, _by(principal))
    return await _outcome(request, admin.resolve_conflict, args, "/admin/conflicts", done, _conflicts)


ROUTES = [
    Router(
        path="/admin",
        guards=[require("admin")],
        include_in_schema=False,  # HTML pages: the OpenAPI document describes the JSON API
        route_handlers=[
            overview,
            forms_page,
            publish,
            form_page,
            users_page,
            create_user,
            grant,
            revoke,
            set_active,
            assignments_page,
            assign,
            unassign,
            conflicts_page,
            resolve,
        ],
    )
]
