"""The planner's dashboard, the designer's workspace, the proposal draft and the follow-up list.

    GET  /dashboard                         the questionnaires with needs to read (planners, designers)
    GET  /dashboard/{form_id}               heat map, ranked needs, triangulation, drill-down (?by=SEGMENT)
    GET  /dashboard/{form_id}/results.csv   the results table the dashboard read, every analysis_key in it
    GET  /design/{form_id}                  the workspace: needs, services, PEARL, targets (designers)
    POST /design/{form_id}                  store the choices (fields in survey/domain/design_form.py)
    GET  /design/{form_id}/proposal         the proposal draft, print-ready HTML (?lang=zh|en)
    GET  /design/{form_id}/proposal.md      … as Markdown
    GET  /design/{form_id}/proposal.docx    … as Word
    GET  /followup                          safety follow-ups: admins all, a fieldworker their own visits

Admins pass every guard. Planners and designers never see the follow-up list; nobody sees names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session as DbSession

from analysis.proposal_render import to_docx, to_markdown
from analysis.results import to_csv
from survey.domain import design, design_followup, design_form, design_view
from survey.domain.accounts import Principal
from survey.web import i18n
from survey.web.deps import in_thread, require

T = TypeVar("T")
By = Annotated[str | None, QueryParameter(name="by", max_length=100)]
Lang = Annotated[str | None, QueryParameter(name="lang", max_length=5)]
Saved = Annotated[str, QueryParameter(name="saved", max_length=10)]
READERS = require("planner", "designer")
DESIGNERS = require("designer")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _found(db: DbSession, work: Callable[..., T], *args: Any) -> T:
    """``work(db, *args)``; a missing form is a 404, a form with no records a 409."""
    try:
        return work(db, *args)
    except design.DesignError as err:
        raise HTTPException(status_code=err.status, detail=str(err)) from None


def _file(content: bytes, media_type: str, name: str) -> Response[bytes]:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@get("/dashboard", guards=[READERS], include_in_schema=False)
async def index(request: Request[Any, Any, Any]) -> Template:
    """The questionnaires whose needs can be read."""
    return Template(
        "dashboard_index.html", context={"forms": await in_thread(request, design.questionnaires)}
    )


@get("/dashboard/{form_id:str}", guards=[READERS], include_in_schema=False)
async def dashboard(request: Request[Any, Any, Any], form_id: FromPath[str], by: By = None) -> Template:
    """The planner's dashboard of one questionnaire."""
    view = await in_thread(request, _found, design_view.dashboard, form_id, by, i18n.language_of(request))
    return Template("dashboard.html", context={"d": view, "domains": design_view.DOMAINS})


@get("/dashboard/{form_id:str}/results.csv", guards=[READERS], include_in_schema=False)
async def results_csv(request: Request[Any, Any, Any], form_id: FromPath[str]) -> Response[bytes]:
    """The results table behind the dashboard and the proposal (CSV)."""
    done = await in_thread(request, _found, design.assess, form_id)
    return _file(to_csv(done.analysis.report.results), "text/csv; charset=utf-8", f"{form_id}-results.csv")


@get("/design/{form_id:str}", guards=[DESIGNERS], include_in_schema=False)
async def workspace(request: Request[Any, Any, Any], form_id: FromPath[str], saved: Saved = "") -> Template:
    """The designer's workspace."""
    found = await in_thread(
        request, _found, design_view.workspace, form_id, i18n.language_of(request), design_form.settings_toml
    )
    return Template("design.html", context={"w": found, "errors": {}, "saved": saved == "1"})


@post("/design/{form_id:str}", guards=[DESIGNERS], include_in_schema=False, status_code=303)
async def save(
    request: Request[Any, Any, Any], principal: NamedDependency[Principal], form_id: FromPath[str]
) -> Redirect | Template:
    """Store the designer's choices (303 back to the workspace), or show what is wrong (422)."""
    form = await request.form()
    fields = {k: [str(v) for v in form.getall(k)] for k in form}
    return await in_thread(request, _save, principal, form_id, fields, i18n.language_of(request), write=True)


def _save(
    db: DbSession, principal: Principal, form_id: str, fields: dict[str, list[str]], language: str
) -> Any:
    rules = [n.rule for n in _found(db, design.assess, form_id).priorities.needs]
    try:
        choices = design_form.parse(fields, rules)
    except design_form.DesignInputError as err:
        found = design_view.workspace(db, form_id, language, design_form.settings_toml)
        return Template(
            "design.html", context={"w": found, "errors": err.problems, "saved": False}, status_code=422
        )
    design.save_choices(db, principal, form_id, choices)
    return Redirect(f"/design/{quote(form_id)}?saved=1", status_code=303)


@get("/design/{form_id:str}/proposal", guards=[DESIGNERS], include_in_schema=False)
async def proposal(request: Request[Any, Any, Any], form_id: FromPath[str], lang: Lang = None) -> Template:
    """The proposal draft as a print-ready page."""
    doc = await in_thread(request, _found, design.proposal, form_id, lang)
    return Template("proposal.html", context={"doc": doc, "form_id": form_id})


@get("/design/{form_id:str}/proposal.md", guards=[DESIGNERS], include_in_schema=False)
async def proposal_md(
    request: Request[Any, Any, Any], form_id: FromPath[str], lang: Lang = None
) -> Response[bytes]:
    """The proposal draft as Markdown."""
    doc = await in_thread(request, _found, design.proposal, form_id, lang)
    return _file(
        to_markdown(doc).encode(), "text/markdown; charset=utf-8", f"{form_id}-proposal-{doc.language}.md"
    )


@get("/design/{form_id:str}/proposal.docx", guards=[DESIGNERS], include_in_schema=False)
async def proposal_docx(
    request: Request[Any, Any, Any], form_id: FromPath[str], lang: Lang = None
) -> Response[bytes]:
    """The proposal draft as a Word document."""
    doc = await in_thread(request, _found, design.proposal, form_id, lang)
    return _file(to_docx(doc), DOCX, f"{form_id}-proposal-{doc.language}.docx")


@get("/followup", guards=[require("fieldworker")], include_in_schema=False)
async def followup(request: Request[Any, Any, Any], principal: NamedDependency[Principal]) -> Template:
    """The individual follow-ups this person may see (never planners or designers)."""
    rows = await in_thread(request, design_followup.follow_ups, principal)
    return Template("design_followup.html", context={"rows": rows})


ROUTES = [index, dashboard, results_csv, workspace, save, proposal, proposal_md, proposal_docx, followup]
