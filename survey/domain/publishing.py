"""Publishing forms: immutable versions, stored as the JSON of the checked definition with its hash.

Publishing the same version twice with the same content is harmless; a different definition
under a published version number is refused — published versions never change, because
submissions pin them. Loading a version back compiles it once per content hash.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

import forms
from forms.compiler import Compiled
from forms.errors import Problem
from forms.formats import FORM_JSON
from survey.store.models import AuditLog, FormRecord, FormVersion


class PublishError(ValueError):
    """A definition that cannot be published, with every problem found."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...], status: int = 422) -> None:
        self.problems = tuple(problems)
        self.status = status
        super().__init__("; ".join(str(p) for p in self.problems))


def publish(
    db: DbSession, data: bytes, fmt: forms.formats.Format, source: str, by: int | None = None
) -> tuple[FormVersion, list[Problem], bool]:
    """Check and store a definition; (the version, import warnings, whether it is new)."""
    try:
        compiled, warnings = forms.compile_text(data, fmt, source)
    except forms.DefinitionError as err:
        raise PublishError(err.problems) from None
    form = compiled.form
    definition = msgspec.json.encode(form).decode()
    content_hash = hashlib.sha256(definition.encode()).hexdigest()
    existing = db.scalar(
        select(FormVersion).where(FormVersion.form_id == form.id, FormVersion.version == form.version)
    )
    if existing is not None:
        if existing.hash != content_hash:
            problem = Problem(
                "version",
                f"version {form.version!r} of form {form.id!r} is already published with other content; "
                "give the changed form a new version",
                source,
            )
            raise PublishError([problem], status=409)
        return existing, warnings, False
    record = db.get(FormRecord, form.id)
    if record is None:
        db.add(FormRecord(id=form.id, title=dict(form.title), kind=form.kind))
    else:
        record.title, record.kind = dict(form.title), form.kind
    version = FormVersion(
        form_id=form.id, version=form.version, definition=definition, hash=content_hash, published_by=by
    )
    db.add(version)
    db.add(
        AuditLog(
            user_id=by,
            action="form.publish",
            target=f"form:{form.id}@{form.version}",
            detail={"hash": content_hash},
        )
    )
    db.flush()
    return version, warnings, True


def latest(db: DbSession, form_id: str) -> FormVersion | None:
    """The most recently published version of a form."""
    if "\x00" in form_id:
        return None
    return db.scalar(
        select(FormVersion).where(FormVersion.form_id == form_id).order_by(FormVersion.id.desc()).limit(1)
    )


def version_of(db: DbSession, form_id: str, version: str) -> FormVersion | None:
    """One published version."""
    return db.scalar(
        select(FormVersion).where(FormVersion.form_id == form_id, FormVersion.version == version)
    )


def versions(db: DbSession) -> dict[str, list[FormVersion]]:
    """Every form's versions, oldest first."""
    out: dict[str, list[FormVersion]] = {}
    for version in db.scalars(select(FormVersion).order_by(FormVersion.form_id, FormVersion.id)):
        out.setdefault(version.form_id, []).append(version)
    return out


def compiled(version: FormVersion) -> Compiled:
    """The checked, compiled form of a stored version (compiled once per content)."""
    return _compile(version.hash, version.definition)


@lru_cache(maxsize=256)
def _compile(content_hash: str, definition: str) -> Compiled:
    form = FORM_JSON.decode(definition)
    return forms.compile_form(form, f"{form.id}@{form.version}")
