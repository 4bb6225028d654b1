"""Rulebooks per assessment: published versions that never change, the latest one in use.

A form's rulebook is the version most recently published for its assessment; for a form in no
assessment, or in one with none of its own, the version most recently published for every
assessment (published without one); failing both, the seed rulebook shipped with Tanfang.

Versions work as forms' do: a rulebook's own ``id`` and ``version`` name it (``ID@VERSION``, the
label proposals print), and one label names one content everywhere — publishing the same content
again changes nothing, other content under a published label (or the seed's) is refused with 409.
The content hash is of the rulebook as read, so a changed comment is the same content. A rulebook
with errors, or one that would rank a safety indicator of the forms it is for, is refused with
every problem and where (422); what was in use stays in use. Publishing is audited.

    publish, publish_upload          check and store a version (the CLI; the admin page's upload)
    in_use, for_form                 the rulebook an assessment or a form uses, and where it is from
    page                             what the admin page shows
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache
from typing import Literal

import msgspec
from msgspec import Struct
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session as DbSession

from analysis import rulebook
from analysis.rulebook import Rulebook, RulebookError
from forms.errors import Problem
from forms.model import Form
from survey.domain import publishing
from survey.store.models import Assessment, AuditLog, FormRecord, RulebookVersion, User

Scope = Literal["assessment", "all", "seed"]


class RulesError(ValueError):
    """A rulebook that cannot be published, with every problem found (``status``: 422 or 409)."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...], status: int = 422) -> None:
        self.problems = tuple(problems)
        self.status = status
        super().__init__("\n".join(str(p) for p in self.problems))


class Origin(Struct, frozen=True, kw_only=True):
    """Which rulebook is in use and where it comes from: ``scope`` ``assessment`` (published for the
    assessment named), ``all`` (published for every assessment) or ``seed`` (shipped with Tanfang)."""

    label: str
    hash: str
    scope: Scope
    assessment: str = ""
    published_at: datetime | None = None
    version_id: int | None = None


class InUse(Struct, frozen=True, kw_only=True):
    """A rulebook with where it comes from."""

    book: Rulebook
    origin: Origin


def digest(book: Rulebook) -> str:
    """The SHA-256 of the rulebook as read: the same for texts that differ only in comments or layout."""
    return hashlib.sha256(msgspec.json.encode(book)).hexdigest()


@lru_cache(maxsize=1)
def _seed() -> InUse:
    book = rulebook.seed()
    return InUse(book=book, origin=Origin(label=book.label, hash=digest(book), scope="seed"))


@lru_cache(maxsize=64)
def _read(content_hash: str, text: str) -> Rulebook:
    return rulebook.loads(text, f"rulebook {content_hash[:12]}")


def book_of(version: RulebookVersion) -> Rulebook:
    """The rulebook of a stored version (read once per content)."""
    return _read(version.hash, version.text)


# --------------------------------------------------------------------------------------- in use


def _scope(assessment_id: int | None) -> ColumnElement[bool]:
    column = RulebookVersion.assessment_id
    return column.is_(None) if assessment_id is None else column == assessment_id


def latest(db: DbSession, assessment_id: int | None) -> RulebookVersion | None:
    """The version most recently published for ``assessment_id`` (None: for every assessment)."""
    query = select(RulebookVersion).where(_scope(assessment_id)).order_by(RulebookVersion.id.desc())
    return db.scalar(query.limit(1))


def in_use(db: DbSession, assessment_id: int | None) -> InUse:
    """The rulebook ``assessment_id`` uses: its own latest, else the latest for all, else the seed."""
    scopes = [assessment_id, None] if assessment_id is not None else [None]
    for scope in scopes:
        row = latest(db, scope)
        if row is not None:
            name = db.scalar(select(Assessment.name).where(Assessment.id == scope)) if scope else ""
            origin = Origin(
                label=f"{row.rulebook_id}@{row.version}",
                hash=row.hash,
                scope="assessment" if scope is not None else "all",
                assessment=name or "",
                published_at=row.published_at,
                version_id=row.id,
            )
            return InUse(book=book_of(row), origin=origin)
    return _seed()


def for_form(db: DbSession, form_id: str) -> InUse:
    """The rulebook the form's assessment uses (forms in no assessment: the one for every assessment)."""
    found = db.scalar(select(FormRecord.assessment_id).where(FormRecord.id == form_id))
    return in_use(db, found)


# --------------------------------------------------------------------------------------- publishing


def assessment_named(db: DbSession, name_or_id: str) -> Assessment | None:
    """The assessment whose id, slug or name is ``name_or_id``."""
    text = name_or_id.strip()
    if text.isdigit() and int(text) < 2**31:
        found = db.get(Assessment, int(text))
        if found is not None:
            return found
    by_slug = db.scalar(select(Assessment).where(Assessment.slug == text))
    return by_slug or db.scalar(select(Assessment).where(Assessment.name == text).limit(1))


def forms_for(db: DbSession, assessment_id: int | None) -> list[Form]:
    """The latest version of each form a rulebook for ``assessment_id`` is checked against (None: all)."""
    ids = select(FormRecord.id)
    if assessment_id is not None:
        ids = ids.where(FormRecord.assessment_id == assessment_id)
    wanted = set(db.scalars(ids))
    return [publishing.compiled(v[-1]).form for fid, v in publishing.versions(db).items() if fid in wanted]


def publish(
    db: DbSession, data: bytes | str, source: str, assessment_id: int | None = None, by: int | None = None
) -> tuple[RulebookVersion, list[Problem], bool]:
    """Check and store a rulebook for ``assessment_id`` (None: every assessment); (the version, the
    warnings, whether it is new). RulesError lists every problem when it cannot be published."""
    try:
        book = rulebook.loads(data, source)
    except RulebookError as err:
        raise RulesError(err.problems) from None
    content = digest(book)
    _one_content_per_label(db, book, content, source)
    against = forms_for(db, assessment_id)
    problems = rulebook.check_forms(book, against, source) if against else []
    if any(p.severity == "error" for p in problems):
        raise RulesError(problems)
    scope = select(RulebookVersion).where(
        _scope(assessment_id), RulebookVersion.rulebook_id == book.id, RulebookVersion.version == book.version
    )
    existing = db.scalar(scope)
    if existing is not None:
        return existing, problems, False
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    row = RulebookVersion(
        assessment_id=assessment_id,
        rulebook_id=book.id,
        version=book.version,
        title=dict(book.title),
        text=text,
        hash=content,
        published_by=by,
    )
    db.add(row)
    slug = db.scalar(select(Assessment.slug).where(Assessment.id == assessment_id)) if assessment_id else None
    detail = {"hash": content, "assessment": slug}
    db.add(AuditLog(user_id=by, action="rulebook.publish", target=f"rulebook:{book.label}", detail=detail))
    db.flush()
    return row, problems, True


def _one_content_per_label(db: DbSession, book: Rulebook, content: str, source: str) -> None:
    """409 when ``book``'s label already names other content: the seed's, or a published version's."""
    seed = _seed()
    taken = book.label == seed.origin.label and content != seed.origin.hash
    taken = taken or db.scalar(
        select(RulebookVersion.id)
        .where(
            RulebookVersion.rulebook_id == book.id,
            RulebookVersion.version == book.version,
            RulebookVersion.hash != content,
        )
        .limit(1)
    ) is not None
    if taken:
        message = (
            f"version {book.version!r} of rulebook {book.id!r} is already published with other content; "
            "give the changed rulebook a new version"
        )
        raise RulesError([Problem("version", message, source)], status=409)


# ------------------------------------------------------------------------------------ the admin page


class Option(Struct, frozen=True):
    """An assessment to publish for: its id (as text) and name."""

    value: str
    label: str


class VersionRow(Struct, frozen=True, kw_only=True):
    """A published version, for whom, by whom, and whether it is in use there."""

    id: int
    label: str
    title: dict[str, str]
    assessment: str  # "" for every assessment
    hash: str
    published_at: datetime
    published_by: str
    in_use: bool


class ScopeRow(Struct, frozen=True, kw_only=True):
    """What one assessment (or, ``assessment_id`` None, every assessment without its own) uses."""

    assessment_id: int | None
    name: str
    origin: Origin


class Shown(Struct, frozen=True, kw_only=True):
    """One version opened: its text, and how it fits the forms it is for now (warnings)."""

    row: VersionRow
    text: str
    problems: tuple[Problem, ...]


class RulesPage(Struct, frozen=True, kw_only=True):
    """Everything the admin's rulebook page shows."""

    scopes: tuple[ScopeRow, ...]
    versions: tuple[VersionRow, ...]
    assessments: tuple[Option, ...]
    shown: Shown | None
    seed: str


class Upload(Struct, frozen=True, kw_only=True):
    """The outcome of publishing an uploaded rulebook: the version, or the issue and every problem."""

    filename: str
    assessment: str = ""  # the field as posted
    version_id: int = 0
    created: bool = False
    issue: str = ""  # no_file, rules_file_type, not_utf8, assessment_unknown
    problems: tuple[Problem, ...] = ()
    status: int = 200

    @property
    def ok(self) -> bool:
        """True when the version is published (now or before, with the same content)."""
        return not self.issue and not self.problems


def page(db: DbSession, show: int | None = None) -> RulesPage:
    """The scopes with the rulebook each uses, every version (newest first), and version ``show``."""
    names = dict(db.execute(select(Assessment.id, Assessment.name).order_by(Assessment.name)).all())
    scopes = [ScopeRow(assessment_id=None, name="", origin=in_use(db, None).origin)]
    scopes += [ScopeRow(assessment_id=i, name=n, origin=in_use(db, i).origin) for i, n in names.items()]
    used = {s.origin.version_id for s in scopes}
    users = dict(db.execute(select(User.id, User.username)).all())
    rows = tuple(
        VersionRow(
            id=v.id,
            label=f"{v.rulebook_id}@{v.version}",
            title=v.title,
            assessment=names.get(v.assessment_id, "") if v.assessment_id else "",
            hash=v.hash,
            published_at=v.published_at,
            published_by=users.get(v.published_by, "") if v.published_by else "",
            in_use=v.id in used,
        )
        for v in db.scalars(select(RulebookVersion).order_by(RulebookVersion.id.desc()))
    )
    shown = next((r for r in rows if r.id == show), None)
    return RulesPage(
        scopes=tuple(scopes),
        versions=rows,
        assessments=tuple(Option(str(i), n) for i, n in names.items()),
        shown=_shown(db, shown) if shown else None,
        seed=_seed().origin.label,
    )


def _shown(db: DbSession, row: VersionRow) -> Shown:
    version = db.get_one(RulebookVersion, row.id)
    against = forms_for(db, version.assessment_id)
    found = rulebook.check_forms(book_of(version), against, row.label) if against else []
    return Shown(row=row, text=version.text, problems=tuple(found))


def publish_upload(db: DbSession, filename: str, data: bytes, assessment: str, by: int | None) -> Upload:
    """Publish an uploaded .toml rulebook for the posted assessment ("": every assessment)."""
    if not filename or not data:
        return Upload(filename=filename, assessment=assessment, issue="no_file", status=422)
    if not filename.lower().endswith(".toml"):
        return Upload(filename=filename, assessment=assessment, issue="rules_file_type", status=422)
    scope = None
    if assessment:
        found = assessment_named(db, assessment)
        if found is None:
            return Upload(filename=filename, assessment=assessment, issue="assessment_unknown", status=422)
        scope = found.id
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return Upload(filename=filename, assessment=assessment, issue="not_utf8", status=422)
    try:
        row, _warnings, created = publish(db, data, filename, scope, by)
    except RulesError as err:
        return Upload(filename=filename, assessment=assessment, problems=err.problems, status=err.status)
    return Upload(filename=filename, assessment=assessment, version_id=row.id, created=created)
