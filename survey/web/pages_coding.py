"""The coding pages (admins, planners, designers): code sessions, read the summaries, export.

    GET  /coding                                   the outlines, their sessions coded; triangulation
    GET  /coding/forms/{form_id}                   one outline's sessions and who coded each
    GET  /coding/forms/{form_id}/summary           code frequency by group, co-occurrence, quotes, κ
    GET  /coding/forms/{form_id}/explore           frequent terms; ``?q=`` a keyword in context
    GET  /coding/forms/{form_id}/segments.csv      coded segments (CSV)
    GET  /coding/forms/{form_id}/matrix.csv        code × group (CSV)
    GET  /coding/sessions/{uuid}                   a session to code, with keyword suggestions
    POST /coding/sessions/{uuid}                   fields ``mark`` = ``SEGMENT|CODE``: this coder's codes
    GET  /coding/sessions/{uuid}/notes.md          the session's notes (Markdown)
    POST /coding/sessions/{uuid}/remove            field ``participant``: take them out (admins only)

Every text on these pages and in these files is de-identified, and no question marked ``pii``
is shown, whoever asks (survey/domain/coding*.py, sessions_export.py).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, Response, Router, get, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session as DbSession

from survey.domain import coding, coding_summary, sessions, sessions_export
from survey.domain.accounts import Principal
from survey.web import i18n
from survey.web.deps import require

Db = NamedDependency[DbSession]
Who = NamedDependency[Principal]
Keyword = Annotated[str, QueryParameter(name="q", max_length=40)]
Done = Annotated[str, QueryParameter(name="done")]


def _page(name: str, **context: Any) -> Template:
    return Template(f"coding_{name}.html", context=context)


def _found(work: Any, *args: Any) -> Any:
    """``work(*args)``, a 404 when the session or outline does not exist."""
    try:
        return work(*args)
    except sessions.SessionError as err:
        raise NotFoundException(str(err)) from None


def _file(content: bytes, media_type: str, name: str) -> Response[bytes]:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@get("/", sync_to_thread=True)
def index(db: Db) -> Template:
    """The outlines with their sessions, and the triangulation of need domains."""
    outlines = [(f, title, kind, coding.session_rows(db, f)) for f, title, kind in sessions.outline_forms(db)]
    rows = coding_summary.triangulation(db, coding_summary.survey_evidence(db))
    return _page("index", outlines=outlines, triangulation=rows)


@get("/forms/{form_id:str}", sync_to_thread=True)
def outline(db: Db, form_id: FromPath[str]) -> Template:
    """One outline's sessions and who has coded each."""
    title = _found(sessions.outline_title, db, form_id)
    return _page("outline", form_id=form_id, title=title, rows=coding.session_rows(db, form_id))


@get("/forms/{form_id:str}/summary", sync_to_thread=True)
def summary(db: Db, form_id: FromPath[str]) -> Template:
    """Code frequency by group, co-occurrence, representative quotes and agreement."""
    return _page("summary", summary=_found(coding_summary.summary, db, form_id))


@get("/forms/{form_id:str}/explore", sync_to_thread=True)
def explore(db: Db, form_id: FromPath[str], keyword: Keyword = "") -> Template:
    """Frequent terms, and a keyword in context."""
    return _page("explore", found=_found(coding_summary.explore, db, form_id, keyword))


@get("/forms/{form_id:str}/segments.csv", sync_to_thread=True)
def segments_csv(db: Db, form_id: FromPath[str]) -> Response[bytes]:
    """The coded segments, one row per segment and code."""
    _found(sessions.outline_title, db, form_id)
    found = sessions.load(db, form_id)
    content = sessions_export.segments_csv(coding.coded(found, coding.passes(db, found)))
    return _file(content, "text/csv; charset=utf-8", sessions_export.filename(form_id, "segments.csv"))


@get("/forms/{form_id:str}/matrix.csv", sync_to_thread=True)
def matrix_csv(db: Db, form_id: FromPath[str]) -> Response[bytes]:
    """Codes × groups, counted in units."""
    content = sessions_export.matrix_csv(_found(coding_summary.summary, db, form_id))
    return _file(content, "text/csv; charset=utf-8", sessions_export.filename(form_id, "matrix.csv"))


@get("/sessions/{uuid:str}", sync_to_thread=True)
def session_page(db: Db, principal: Who, uuid: FromPath[str], done: Done = "") -> Template:
    """A session to code: its segments, suggestions, and this coder's codes so far."""
    return _page("session", page=_found(coding.page, db, principal, uuid), done=done)


@post("/sessions/{uuid:str}", status_code=303)
async def save(request: Request[Any, Any, Any], db: Db, principal: Who, uuid: FromPath[str]) -> Redirect:
    """Store this coder's codes for the session (replacing their earlier ones)."""
    marks = [str(m) for m in (await request.form()).getall("mark", [])]
    await sync_to_thread(_found, coding.save, db, principal, uuid, marks)
    return Redirect(f"/coding/sessions/{quote(uuid)}?done=saved", status_code=303)


@get("/sessions/{uuid:str}/notes.md", sync_to_thread=True)
def notes(request: Request[Any, Any, Any], db: Db, uuid: FromPath[str]) -> Response[bytes]:
    """The session's notes and quotes as Markdown, de-identified."""
    found = _found(sessions.one, db, uuid)
    content = sessions_export.notes_markdown(found, i18n.language_of(request)).encode("utf-8")
    return _file(
        content, "text/markdown; charset=utf-8", sessions_export.filename(found.form_id, uuid, "notes.md")
    )


@post("/sessions/{uuid:str}/remove", guards=[require("admin")], status_code=303)
async def remove(request: Request[Any, Any, Any], db: Db, principal: Who, uuid: FromPath[str]) -> Redirect:
    """Take a participant out of a session: gone from every summary and export."""
    code = str((await request.form()).get("participant", ""))
    removed = await sync_to_thread(_found, sessions.remove_participant, db, uuid, code, principal.user_id)
    return Redirect(f"/coding/sessions/{quote(uuid)}?done={'removed' if removed else ''}", status_code=303)


ROUTES = [
    Router(
        path="/coding",
        guards=[require("admin", "planner", "designer")],
        include_in_schema=False,
        route_handlers=[
            index,
            outline,
            summary,
            explore,
            segments_csv,
            matrix_csv,
            session_page,
            save,
            notes,
            remove,
        ],
    )
]
