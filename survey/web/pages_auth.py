"""Signing in and out in the browser, the language switch, and the HTML face of errors.

    GET  /login         the sign-in form (already signed in: on to ``next`` or the role's home)
    POST /login         fields ``username``, ``password``, ``next``; 303 on success, 400 in place on failure
    POST /logout        ends the session, 303 to /login
    GET  /lang/{code}   remembers ``zh`` or ``en`` in a cookie, 303 back to ``next``

Sessions live in the database (``accounts.open_session``), so any worker can serve any request.
:func:`error_page` is what the app's error handler returns for pages: 401 becomes a redirect to
the sign-in form, anything else ``error.html`` with its status.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from litestar import Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session as DbSession

from survey.domain import accounts
from survey.domain.accounts import Principal
from survey.web import i18n
from survey.web.deps import SESSION_COOKIE
from survey.web.i18n import N_

HOMES = (("admin", "/admin"), ("planner", "/plan"), ("designer", "/plan"), ("fieldworker", "/collect"))
CSRF_FAILED = "CSRF token verification failed"  # litestar's CSRFMiddleware detail
ERROR_MESSAGES = {
    400: N_("The request was not valid. Please check it and try again."),
    403: N_("You do not have permission to see this page."),
    404: N_("This page does not exist."),
    405: N_("This page does not accept that action."),
    413: N_("What you sent is too large."),
    500: N_("The server failed. Please try again later."),
}
CSRF_MESSAGE = N_("This form has expired. Go back, reload the page and send it again.")
NextPath = Annotated[str | None, QueryParameter(name="next")]


def home_for(roles: frozenset[str]) -> str:
    """The start page for someone with ``roles``: the most capable role decides."""
    return next((path for role, path in HOMES if role in roles), "/collect")


def safe_next(value: str | None) -> str | None:
    """``value`` when it is a path on this site (``/collect?x=1``), else None: no open redirects."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return None
    if any(ch == "\\" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return None  # browsers read "/\evil" and "/\t/evil" as other hosts
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else None


def current_user(context: Mapping[str, Any]) -> Principal | None:
    """Template callable ``current_user()``: who the guards found, or None (never queries)."""
    return context["request"].scope.get("state", {}).get("principal")


def _cookie(
    response: Response[Any], request: Request[Any, Any, Any], key: str, value: str, max_age: int
) -> None:
    """Set an HttpOnly, SameSite=Lax cookie, Secure when the request came over https."""
    secure = request.url.scheme == "https"
    response.set_cookie(key, value, max_age=max_age, httponly=True, samesite="lax", secure=secure)


def _login_form(next_path: str | None, username: str = "", failed: bool = False, locked: int = 0) -> Template:
    """The sign-in form; 400 with the warning after a wrong username or password, 429 when locked."""
    context = {"next": next_path or "", "username": username, "failed": failed, "locked": locked}
    return Template("login.html", context=context, status_code=429 if locked else 400 if failed else 200)


@get("/login", sync_to_thread=False, include_in_schema=False)
def login_page(principal: NamedDependency[Principal | None], next_path: NextPath = None) -> Response[Any]:
    """The sign-in form; someone already signed in goes straight on."""
    if principal is not None and principal.via == "session":
        return Redirect(safe_next(next_path) or home_for(principal.roles), status_code=303)
    return _login_form(safe_next(next_path))


@post("/login", status_code=303, include_in_schema=False)
async def login(request: Request[Any, Any, Any], db: NamedDependency[DbSession]) -> Response[Any]:
    """Check the password, open a session, set its cookie and go on; 400 with the form on failure."""
    form = await request.form()
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    next_path, hours = safe_next(str(form.get("next", ""))), request.app.state.settings.session_hours
    old = request.cookies.get(SESSION_COOKIE)
    try:
        found = await sync_to_thread(accounts.sign_in, db, username, password, hours, replaces=old)
    except accounts.TooManyFailures as locked:
        return _login_form(next_path, username, failed=True, locked=locked.minutes)
    if found is None:
        return _login_form(next_path, username, failed=True)
    response = Redirect(next_path or home_for(found.principal.roles), status_code=303)
    _cookie(response, request, SESSION_COOKIE, found.cookie, max_age=hours * 3600)
    return response


@post("/logout", status_code=303, sync_to_thread=True, include_in_schema=False)
def logout(request: Request[Any, Any, Any], db: NamedDependency[DbSession]) -> Redirect:
    """End this browser's session and forget its cookie."""
    if value := request.cookies.get(SESSION_COOKIE):
        accounts.close_session(db, value)
    response = Redirect("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@get("/lang/{code:str}", sync_to_thread=False, include_in_schema=False)
def set_language(
    request: Request[Any, Any, Any], code: FromPath[str], next_path: NextPath = None
) -> Redirect:
    """Remember the interface language for a year and go back."""
    if code not in i18n.LANGUAGES:
        raise NotFoundException(f"no language {code!r}")
    response = Redirect(safe_next(next_path) or "/login", status_code=303)
    _cookie(response, request, i18n.LANGUAGE_COOKIE, code, max_age=365 * 86400)
    return response


def error_page(request: Request[Any, Any, Any], status: int, detail: str) -> Response[Any]:
    """The HTML answer to an error on a page: sign in for 401, else ``error.html`` with its status."""
    if status == 401:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(f"/login?{urlencode({'next': here})}", status_code=303)
    if detail == CSRF_FAILED:
        msgid = CSRF_MESSAGE
    else:
        msgid = ERROR_MESSAGES.get(status) or ERROR_MESSAGES[500 if status >= 500 else 400]
    message = i18n.gettext(i18n.language_of(request), msgid)
    return Template("error.html", context={"status": status, "message": message}, status_code=status)


ROUTES = [login_page, login, logout, set_language]
