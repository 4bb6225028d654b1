"""The planner's pages: which forms have data, and the analysis report of one form's records.

:func:`home` lists the questionnaires with records (per site). :func:`page` analyses the stored
records of one form — every version merged by question name — optionally of one site, by the
form's segments or by one chosen segment (a question marked ``segment``, any other non-personal
one-choice or number question, or the site), and returns the report's view with the filters.

Personal data never reaches a planner: answers to questions marked ``pii`` (in any version) are
replaced by a mark before the data are read — so relevance that only asks "was it answered?"
still holds, but no name, phone number or address enters the analysis — a repeat marked ``pii`` is
dropped, and such a question cannot be a segment. Small counts are suppressed as in
``survey analyze``. Results are cached per form, filters, language and data (a hash of the records'
content hashes), so a second visit is immediate.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from analysis.dataset import DataError, Dataset
from analysis.report import Options, analyze
from analysis.report_labels import Labels
from analysis.report_variables import segment
from analysis.report_view import View, view
from forms.compiler import Compiled
from forms.model import Calculate, Consent, Decimal, Integer, Likert, Repeat, SelectOne, text_in
from survey.domain import publishing
from survey.store.models import FormRecord, FormVersion, Site, Submission

__all__ = ["SITE", "Choice", "FormSummary", "Page", "PlanError", "home", "load", "page"]

SITE = "_site"  # the data column holding each record's site code
MASK = "•"  # what a personal answer becomes before analysis
SEGMENT_TYPES = (SelectOne, Likert, Consent, Integer, Decimal)
CACHE_SIZE = 16
_CACHE: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_LOCK = threading.Lock()


def N_(msgid: str) -> str:  # the name gettext tools look for: the page translates the message
    """Mark ``msgid`` for extraction."""
    return msgid


NO_FORM = N_("There is no questionnaire named %(form)s.")
NO_SITE = N_("There is no site with the code %(site)s.")
NO_SEGMENT = N_("%(by)s cannot split these records into groups: choose one of the questions listed.")
NO_RECORDS = N_("No records match these filters.")
BAD_DATA = N_("The records could not be read: %(problem)s")


class PlanError(ValueError):
    """A request the planner pages cannot answer: a message id with its values, and the HTTP status."""

    def __init__(self, msgid: str, status: int = 400, **params: str) -> None:
        super().__init__(msgid % params)
        self.msgid, self.params, self.status = msgid, params, status


@dataclass(frozen=True, slots=True)
class FormSummary:
    """A questionnaire with records: its title, versions, records, and records per site name."""

    form_id: str
    title: dict[str, str]
    versions: int
    records: int
    sites: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class Choice:
    """An option of a filter: its value, label, and whether it is the one in use."""

    value: str
    label: str
    selected: bool


@dataclass(frozen=True, slots=True)
class Page:
    """What a planner's report page shows: the view, the filters, and what was chosen."""

    form_id: str
    view: View
    records: int
    sites: tuple[Choice, ...]
    segments: tuple[Choice, ...]
    site: str
    by: str


def home(db: DbSession) -> list[FormSummary]:
    """Every questionnaire with at least one record, most records first."""
    counts = dict(db.execute(select(Submission.form_id, func.count()).group_by(Submission.form_id)).all())
    by_site: dict[str, list[tuple[str, int]]] = {}
    rows = db.execute(
        select(Submission.form_id, Site.name, func.count())
        .join(Site, Submission.site_id == Site.id)
        .group_by(Submission.form_id, Site.name)
        .order_by(Site.name)
    )
    for form_id, name, n in rows:
        by_site.setdefault(form_id, []).append((name, n))
    versions = dict(db.execute(select(FormVersion.form_id, func.count()).group_by(FormVersion.form_id)).all())
    out = []
    for record in db.scalars(select(FormRecord).where(FormRecord.kind == "questionnaire")):
        if counts.get(record.id):
            out.append(
                FormSummary(
                    record.id,
                    dict(record.title),
                    versions.get(record.id, 0),
                    counts[record.id],
                    tuple(by_site.get(record.id, ())),
                )
            )
    return sorted(out, key=lambda f: (-f.records, f.form_id))


@dataclass(slots=True)
class Loaded:
    """What the database gives for one request: versions (newest first), records, sites, cache key."""

    versions: list[Compiled]
    records: list[dict[str, Any]]
    sites: dict[str, str]
    counts: dict[str, int]
    key: tuple[Any, ...]


def load(db: DbSession, form_id: str, site: str) -> Loaded:
    """The versions and the records (of ``site``, "" for all) of a form, personal answers masked."""
    statement = select(FormVersion).where(FormVersion.form_id == form_id).order_by(FormVersion.id.desc())
    versions = [publishing.compiled(v) for v in db.scalars(statement)]
    if not versions or versions[0].form.kind != "questionnaire":
        raise PlanError(NO_FORM, status=404, form=form_id)
    sites = dict(db.execute(select(Site.code, Site.name).order_by(Site.name)).all())
    counts = dict(
        db.execute(
            select(Site.code, func.count())
            .join(Submission, Submission.site_id == Site.id)
            .where(Submission.form_id == form_id)
            .group_by(Site.code)
        ).all()
    )
    if site and site not in sites:
        raise PlanError(NO_SITE, site=site)
    query = (
        select(
            Submission.content_hash, Submission.uuid, Submission.form_version, Site.code, Submission.answers
        )
        .outerjoin(Site, Submission.site_id == Site.id)
        .where(Submission.form_id == form_id)
        .order_by(Submission.id)
    )
    if site:
        query = query.where(Site.code == site)
    personal = _personal(versions)
    records, contents = [], hashlib.sha256()
    for content, uuid, version, code, answers in db.execute(query):
        contents.update(content.encode())
        records.append(
            {"uuid": uuid, "form_version": version, "site": code or "", "answers": _mask(answers, personal)}
        )
    key = (
        db.get_bind().url.render_as_string(hide_password=True),
        form_id,
        len(versions),
        site,
        contents.hexdigest(),  # any record added, replaced or removed changes it
    )
    return Loaded(versions, records, sites, counts, key)


def _personal(versions: list[Compiled]) -> dict[str, bool]:
    """Question name → True for a repeat marked ``pii`` (dropped whole), False for a question (masked)."""
    return {
        slot.name: isinstance(slot.question, Repeat)
        for compiled in versions
        for slot in compiled.slots.values()
        if slot.question.pii
    }


def _mask(answers: Any, personal: dict[str, bool]) -> Any:
    """The answers with every personal answer replaced by :data:`MASK` (a personal repeat dropped)."""
    if isinstance(answers, list):
        return [_mask(a, personal) for a in answers]
    if not isinstance(answers, dict):
        return answers
    out = {}
    for name, value in answers.items():
        if name in personal:
            if personal[name] or value in (None, "", []):
                continue
            out[name] = MASK
        else:
            out[name] = _mask(value, personal)
    return out


def page(loaded: Loaded, site: str, by: str, language: str, names: dict[str, str]) -> Page:
    """The report page of ``loaded`` for ``site`` ("" for all) by ``by`` ("" for the form's segments)."""
    newest = loaded.versions[0]
    choices = _segment_choices(newest, language)
    if by and by not in {c.value for c in choices}:
        raise PlanError(NO_SEGMENT, by=by)
    key = (*loaded.key, by, language)
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
    if found is None:
        found = _analyse(loaded, by, language, names)
        with _LOCK:
            _CACHE[key] = found
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
    site_choices = tuple(
        Choice(code, f"{name} ({loaded.counts.get(code, 0)})", code == site)
        for code, name in loaded.sites.items()
        if loaded.counts.get(code)
    )
    segments = tuple(Choice(c.value, c.label, c.value == by) for c in choices)
    return Page(newest.form.id, found, len(loaded.records), site_choices, segments, site, by)


def _segment_choices(compiled: Compiled, language: str) -> list[Choice]:
    """The form's segment questions first, then other one-choice questions, then the site."""
    default = compiled.form.default_language
    found = [
        s
        for s in compiled.slots.values()
        if (
            isinstance(s.question, SEGMENT_TYPES)
            or (isinstance(s.question, Calculate) and s.question.segment)
        )
        and not s.question.pii
        and not s.repeats
    ]
    found.sort(key=lambda s: not s.question.segment)
    out = [Choice(s.name, text_in(s.question.label, language, default) or s.name, False) for s in found]
    return [*out, Choice(SITE, "", False)]


def _analyse(loaded: Loaded, by: str, language: str, names: dict[str, str]) -> View:
    versions = {c.form.version: c for c in loaded.versions}
    if not loaded.records:
        raise PlanError(NO_RECORDS, status=404)
    try:
        dataset = Dataset.from_records(versions, loaded.records, loaded.versions[0].form.id)
        if by:
            segment(dataset, by)  # a clear error before the work when it cannot split these records
    except DataError as err:
        raise PlanError(BAD_DATA, status=409, problem=str(err.problems[0])) from None
    except (KeyError, ValueError):
        raise PlanError(NO_SEGMENT, by=by) from None
    report = analyze(dataset, Options(by=(by,) if by else ()))
    labels = Labels(dataset.form, language, extra={SITE: loaded.sites}, names=names)
    return view(report, labels)
