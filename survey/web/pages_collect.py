"""The fieldwork pages: a fieldworker's home, one record of a form, and the records they sent.

    GET  /collect                  assigned forms; drafts, outbox and last sync are filled in by app.js
    GET  /collect/records          the records this fieldworker sent (from the server)
    GET  /collect/{form_id}        a new record (``?version=`` renders the version a draft was begun on)
    POST /collect/{form_id}        the same page without JavaScript: ``@action`` says what was pressed
    GET  /sw.js                    the service worker (scope /: it must see /collect itself), served to anyone

Without JavaScript the form is one page: ``@action=review`` checks every answer (errors in place,
400) and shows the answers to confirm; ``submit`` stores the record (303 to my records: Post/
Redirect/Get); ``edit`` goes back to the form with what was typed; ``add:PATH``/``remove:PATH``
change the instances of a repeat; ``lang:CODE`` switches language and keeps what was typed. With
JavaScript, survey/static/js/app.js takes the same page over: one section per screen, logic in the
browser, drafts and the outbox in IndexedDB, and the sync API.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session as DbSession

from survey.domain import collect
from survey.domain.accounts import Principal
from survey.web import i18n, pages_session, static
from survey.web.deps import in_thread, require
from survey.web.questions import FormView

Version = Annotated[str | None, QueryParameter(name="version")]
_REPEAT_ACTION = re.compile(r"^(add|remove):(.+)$")


def _entry(db: DbSession, principal: Principal, form_id: str, version: str | None) -> collect.Entry:
    try:
        return collect.open_form(db, principal, form_id, version)
    except collect.CollectError as err:
        raise HTTPException(status_code=err.status, detail=str(err)) from None


@get("/collect", guards=[require("fieldworker")], include_in_schema=False)
async def home(request: Request[Any, Any, Any], principal: NamedDependency[Principal]) -> Template:
    """The fieldworker's start page."""
    return Template("collect_home.html", context={"home": await in_thread(request, collect.home, principal)})


@get("/collect/records", guards=[require("fieldworker")], include_in_schema=False)
async def records(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    saved: Annotated[str | None, QueryParameter(name="saved")] = None,
) -> Template:
    """The records this fieldworker has sent, newest first; ``saved`` names one just stored."""
    rows = await in_thread(request, collect.my_records, principal)
    return Template("collect_records.html", context={"rows": rows, "saved": saved or ""})


@get("/sw.js", sync_to_thread=False, include_in_schema=False)
def service_worker() -> Response[str]:
    """The service worker script: public (it holds no data), never cached by HTTP so updates arrive."""
    headers = {"Cache-Control": "no-cache"}
    return Response(static.script("sw.js"), media_type="text/javascript; charset=utf-8", headers=headers)


def _page(
    request: Request[Any, Any, Any], entry: collect.Entry, view: FormView, status: int = 200
) -> Template:
    if pages_session.is_session(entry):  # an interview or focus-group outline: the facilitator's guide
        return pages_session.page(entry, view, logic_script(entry), status)
    context = {"entry": entry, "view": view, "logic": logic_script(entry)}
    return Template("collect_form.html", context=context, status_code=status)


@get("/collect/{form_id:str}", guards=[require("fieldworker")], include_in_schema=False)
async def new_record(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    form_id: FromPath[str],
    version: Version = None,
) -> Template:
    """A blank record of the form, under a fresh UUID."""
    entry = await in_thread(request, _entry, principal, form_id, version)
    view = FormView(entry.compiled, i18n.language_of(request), collect.new_uuid())
    view.site = entry.sites[0].code if len(entry.sites) == 1 else ""
    return _page(request, entry, view)


@post("/collect/{form_id:str}", guards=[require("fieldworker")], include_in_schema=False)
async def post_record(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    form_id: FromPath[str],
) -> Response[Any]:
    """The form page without JavaScript: review, submit, edit, repeat instances, language."""
    fields = (await request.form()).dict()
    meta = {key: values[-1] for key, values in fields.items() if key.startswith(collect.META_PREFIX)}
    version = meta.get("@version") or None
    entry = await in_thread(request, _entry, principal, form_id, version)
    language = i18n.language_of(request)
    answers = collect.answers_of(fields)
    record_uuid = meta.get("@uuid") or collect.new_uuid()
    view = FormView(entry.compiled, language, record_uuid, answers)
    view.site = meta.get("@site", "")
    action = meta.get("@action", "review")

    if action.startswith("lang:"):
        code = action.removeprefix("lang:")
        if code in i18n.LANGUAGES:
            view.language = code
            request.state.language = code  # this page already in the new language
            response = _page(request, entry, view)
            secure = request.url.scheme == "https"
            response.set_cookie(
                i18n.LANGUAGE_COOKIE, code, max_age=365 * 86400, httponly=True, samesite="lax", secure=secure
            )
            return response
    if repeat := _REPEAT_ACTION.match(action):
        verb, path = repeat.groups()
        view.add_instance(path) if verb == "add" else view.remove_instance(path)
        return _page(request, entry, view)
    if action == "edit":
        return _page(request, entry, view)

    form_language = view.form_language
    if action == "submit":
        outcome = await in_thread(
            request,
            collect.submit,
            principal,
            entry,
            record_uuid,
            view.site or None,
            answers,
            form_language,
            write=True,
        )
        if outcome.status in ("created", "duplicate", "conflict"):
            return Redirect(f"/collect/records?saved={outcome.uuid}", status_code=303)
        view.errors = collect.errors_by_path(outcome.errors)
        return _page(request, entry, view, status=400)
    problems = await sync_to_thread(collect.check, entry, answers, form_language)
    if problems:
        view.errors = collect.errors_by_path(problems)
        return _page(request, entry, view, status=400)
    view.reviewing = True
    return _page(request, entry, view)


def logic_script(entry: collect.Entry) -> str:
    """The compiled logic for the browser as JSON safe inside a ``<script type="application/json">``."""
    raw = msgspec.json.encode(entry.compiled.logic_json(browser=True)).decode()
    return raw.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


ROUTES = [home, records, service_worker, new_record, post_record]
