"""The planner's pages (planners, designers, admins): which forms have data, and their analysis.

    GET  /plan              the questionnaires with records, how many, and where
    GET  /plan/{form_id}    the analysis report of a form's records (all versions merged);
                            ``?site=CODE`` one site's records, ``?by=NAME`` one segment (a question,
                            or ``_site``) instead of the form's segment questions

Planners see analysis, not names: questions marked ``pii`` never reach these pages, and small
counts are suppressed (survey/domain/plan.py). The database is read in a worker thread on a
session opened and closed there, and the analysis runs in that thread too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from litestar import Request, get
from litestar.concurrency import sync_to_thread
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from survey.domain import plan
from survey.web import i18n
from survey.web.deps import require
from survey.web.i18n import N_

T = TypeVar("T")
Site = Annotated[str, QueryParameter(name="site", max_length=100)]
By = Annotated[str, QueryParameter(name="by", max_length=200)]
READERS = require("planner", "designer")
SITE_LABEL = N_("Site")


async def _in_thread(
    request: Request[Any, Any, Any], work: Callable[..., T], *args: Any
) -> T | plan.PlanError:
    """``work(*args)`` in a worker thread (it opens its read session there and closes it), or the
    PlanError that says why the request cannot be answered."""

    def run() -> T | plan.PlanError:
        try:
            return work(request.app.state.read_sessions, *args)
        except plan.PlanError as err:
            return err

    return await sync_to_thread(run)


def _refused(request: Request[Any, Any, Any], err: plan.PlanError, form_id: str = "") -> Template:
    """The reason in the page's language, with the way back."""
    message = i18n.gettext(i18n.language_of(request), err.msgid, **err.params)
    return Template(
        "plan_error.html", context={"message": message, "form_id": form_id}, status_code=err.status
    )


def _home(sessions: Any) -> list[plan.FormSummary]:
    with sessions() as db, db.begin():
        return plan.home(db)


def _report(sessions: Any, form_id: str, site: str, by: str, language: str) -> plan.Page:
    with sessions() as db, db.begin():
        loaded = plan.load(db, form_id, site)
    names = {plan.SITE: i18n.gettext(language, SITE_LABEL)}  # the analysis runs after the session closed
    return plan.page(loaded, site, by, language, names)


@get("/plan", guards=[READERS], include_in_schema=False)
async def home(request: Request[Any, Any, Any]) -> Template:
    """The questionnaires with records."""
    found = await _in_thread(request, _home)
    if isinstance(found, plan.PlanError):
        return _refused(request, found)
    return Template("plan_home.html", context={"forms": found})


@get("/plan/{form_id:str}", guards=[READERS], include_in_schema=False)
async def report(
    request: Request[Any, Any, Any], form_id: FromPath[str], site: Site = "", by: By = ""
) -> Template:
    """The analysis report of one form's records, for one site or all, by one segment or the form's."""
    found = await _in_thread(request, _report, form_id, site, by, i18n.language_of(request))
    if isinstance(found, plan.PlanError):
        return _refused(request, found, form_id if found.status != 404 else "")
    return Template("plan_form.html", context={"page": found, "view": found.view})


ROUTES = [home, report]
