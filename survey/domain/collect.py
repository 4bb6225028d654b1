"""What a fieldworker sees and sends from the browser: assigned forms, one record, my records.

The pages (``survey/web/pages_collect.py``) stay thin: they call these functions and render.
A record posted from a page without JavaScript goes through the same :func:`sync.accept` as a
batch from the offline outbox, under the UUID the page was rendered with, so a page sent twice
(a double tap, the back button, a retry) is a harmless duplicate, never a second record.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from msgspec import Struct
from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from forms.compiler import Compiled
from forms.model import Localized
from forms.validation import AnswerProblem, validate
from survey.domain import publishing, sync
from survey.domain.accounts import Principal
from survey.store.models import Assignment, FormRecord, FormVersion, Site, Submission

META_PREFIX = "@"
"""Page fields that are not answers (``@uuid``, ``@version``, ``@site``, ``@action``): a question
name cannot start with ``@``, so they never clash with one."""

IGNORED_FIELDS = frozenset({"_csrf_token"})


class CollectError(Exception):
    """The request cannot be served: 404 (no such form or version) or 403 (not assigned)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


class SiteOption(Struct, frozen=True):
    """A place a record can be collected at."""

    code: str
    name: str


class FormCard(Struct, frozen=True):
    """One assigned form on the fieldworker's home page."""

    form_id: str
    title: Localized
    kind: str
    version: str
    sites: tuple[SiteOption, ...]


class Home(Struct, frozen=True):
    """The fieldworker's start page: what to fill, and how much has reached the server."""

    forms: tuple[FormCard, ...]
    submitted: int
    last_received: datetime | None


class Entry(Struct, frozen=True):
    """One form, ready to render: its compiled definition and where it may be collected."""

    form_id: str
    version: str
    latest: str
    compiled: Compiled
    sites: tuple[SiteOption, ...]


class Outcome(Struct, frozen=True):
    """What became of a posted page: stored (``status`` created or duplicate) or sent back with errors."""

    status: str
    uuid: str
    errors: tuple[AnswerProblem, ...] = ()


class RecordRow(Struct, frozen=True):
    """A record the fieldworker sent, as their records page lists it (no answers: only what and when)."""

    uuid: str
    form_id: str
    title: Localized
    version: str
    site: str
    collected_at: datetime | None
    received_at: datetime


def new_uuid() -> str:
    """A fresh record UUID, made when the page is rendered."""
    return str(uuidlib.uuid4())


def _assigned(db: DbSession, principal: Principal) -> dict[str, set[int | None]]:
    """Form id → the site ids it is assigned at (None: any site). Admins may fill every form."""
    if "admin" in principal.roles:
        return {form_id: {None} for form_id in db.scalars(select(FormRecord.id))}
    rows = db.execute(
        select(Assignment.form_id, Assignment.site_id).where(Assignment.user_id == principal.user_id)
    )
    found: dict[str, set[int | None]] = {}
    for form_id, site_id in rows:
        found.setdefault(form_id, set()).add(site_id)
    return found


def _site_options(db: DbSession, site_ids: set[int | None]) -> tuple[SiteOption, ...]:
    """The sites a form may be filled at: the assigned ones, or every site when any site will do."""
    query = select(Site.code, Site.name).order_by(Site.name)
    if None not in site_ids:
        query = query.where(Site.id.in_([s for s in site_ids if s is not None]))
    return tuple(SiteOption(code, name) for code, name in db.execute(query))


def home(db: DbSession, principal: Principal) -> Home:
    """The forms assigned to ``principal`` (latest versions) and a count of what they have sent."""
    assigned = _assigned(db, principal)
    cards = []
    for form_id in sorted(assigned):
        record, latest = db.get(FormRecord, form_id), publishing.latest(db, form_id)
        if record is None or latest is None:
            continue
        sites = _site_options(db, assigned[form_id])
        cards.append(FormCard(form_id, dict(record.title), record.kind, latest.version, sites))
    count, last = db.execute(
        select(func.count(Submission.id), func.max(Submission.received_at)).where(
            Submission.collector_id == principal.user_id
        )
    ).one()
    return Home(tuple(cards), int(count or 0), last)


def open_form(db: DbSession, principal: Principal, form_id: str, version: str | None = None) -> Entry:
    """The form to fill: ``version`` when given (a draft keeps its own), else the latest one."""
    assigned = _assigned(db, principal)
    latest = publishing.latest(db, form_id)
    if latest is None:
        raise CollectError(404, f"no published form {form_id!r}")
    if form_id not in assigned:
        raise CollectError(403, f"the form {form_id!r} is not assigned to you")
    chosen: FormVersion | None = latest if version in (None, "", latest.version) else None
    if chosen is None:
        chosen = publishing.version_of(db, form_id, version or "")
        if chosen is None:
            raise CollectError(404, f"the form {form_id!r} has no version {version!r}")
    sites = _site_options(db, assigned[form_id])
    return Entry(form_id, chosen.version, latest.version, publishing.compiled(chosen), sites)


def answers_of(fields: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The answers in a posted page: every field but the page's own (``@…``, the CSRF token).

    Values stay lists of strings, as the browser sent them; :func:`forms.validation.validate`
    reads each as its question's type and folds ``roster[2].age`` keys into repeats.
    """
    return {
        key: values
        for key, values in fields.items()
        if not key.startswith(META_PREFIX) and key not in IGNORED_FIELDS
    }


def check(entry: Entry, answers: Mapping[str, Any], language: str | None) -> tuple[AnswerProblem, ...]:
    """Every problem with the answers of a page, messages in ``language``."""
    return validate(entry.compiled, answers, language=language).errors


def submit(
    db: DbSession,
    principal: Principal,
    entry: Entry,
    record_uuid: str,
    site: str | None,
    answers: Mapping[str, Any],
    language: str | None,
) -> Outcome:
    """Store a page's record through the sync contract, or return its errors (nothing stored)."""
    result = validate(entry.compiled, answers, language=language)
    if result.errors:
        return Outcome("invalid", record_uuid, result.errors)
    if site and site not in {s.code for s in entry.sites}:
        return Outcome("invalid", record_uuid, (AnswerProblem("@site", "site", "unknown site"),))
    item = {
        "uuid": record_uuid,
        "form_version": entry.version,
        "answers": result.answers,
        "collected_at": datetime.now(UTC).isoformat(),
        "site": site or None,
    }
    (outcome,) = sync.accept(db, entry.form_id, [item], principal.user_id)
    problems = tuple(AnswerProblem(e.path, "sync", e.message) for e in outcome.errors)
    return Outcome(outcome.status, outcome.uuid, problems)


def my_records(db: DbSession, principal: Principal, limit: int = 500) -> tuple[RecordRow, ...]:
    """The latest records ``principal`` sent, newest first."""
    rows = db.execute(
        select(
            Submission.uuid,
            Submission.form_id,
            FormRecord.title,
            Submission.form_version,
            Site.name,
            Submission.collected_at,
            Submission.received_at,
        )
        .join(FormRecord, FormRecord.id == Submission.form_id)
        .outerjoin(Site, Site.id == Submission.site_id)
        .where(Submission.collector_id == principal.user_id)
        .order_by(Submission.received_at.desc(), Submission.id.desc())
        .limit(limit)
    )
    return tuple(
        RecordRow(u, f, dict(title), v, site or "", collected, received)
        for u, f, title, v, site, collected, received in rows
    )


def errors_by_path(problems: Iterable[AnswerProblem]) -> dict[str, list[str]]:
    """Problems grouped under the path of the field they belong to, for showing them in place."""
    found: dict[str, list[str]] = {}
    for p in problems:
        found.setdefault(p.path, []).append(p.message)
    return found
