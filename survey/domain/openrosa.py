"""OpenRosa for ODK Collect, KoboCollect and Enketo: which forms a device sees, and their XForms.

    listed(db, principal, form_id, all_versions)  the versions a device's form list shows
    downloadable(db, principal, form_id, version)  one version, if the principal may download it
    xform(version)                                 the XForm served for a version: bytes and md5
    for_collect(form)                              the form with the text boxes Collect needs

A token's user sees the forms assigned to them (admins see every form), each at its latest
version, and only forms with questions (an outline without any has nothing to fill). XForms are
made from our definitions the way anyone else would make them — our XLSForm export, converted by
pyxform — and cached per version content, so the bytes, and the ``md5:`` hash the form list
promises for them, are the same on every request and every worker.

Submissions are in :mod:`survey.domain.openrosa_submission`. Errors::

    OpenRosaError(status, message)     a request that cannot be served: 403, 404, 422
"""

from __future__ import annotations

import hashlib
import logging
from functools import lru_cache

import msgspec
from msgspec import Struct
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

import forms
from forms.formats import FORM_JSON
from forms.model import CHOICE_TYPES, AnyQuestion, Form, Group, Repeat, Text, text_in
from survey.domain import publishing
from survey.domain.accounts import Principal
from survey.store.models import Assignment, FormVersion

log = logging.getLogger("survey.openrosa")

SPECIFY = {"zh": "请注明", "en": "Please specify"}
"""The label of the "other, specify" text box added for Collect (English for other languages)."""


class OpenRosaError(Exception):
    """A request a device made that cannot be served, with the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


class XForm(Struct, frozen=True):
    """An XForm as served: its exact bytes and their md5 (hex), which the form list announces."""

    data: bytes
    md5: str


class Listed(Struct, frozen=True):
    """One entry of a device's form list."""

    form_id: str
    version: str
    name: str
    xform: XForm


def may_fill(db: DbSession, principal: Principal) -> set[str] | None:
    """The ids of the forms assigned to ``principal``; None for admins, who may fill every form."""
    if "admin" in principal.roles:
        return None
    return set(db.scalars(select(Assignment.form_id).where(Assignment.user_id == principal.user_id)))


def listed(
    db: DbSession, principal: Principal, form_id: str | None = None, all_versions: bool = False
) -> list[Listed]:
    """The form list: each form the principal may fill at its latest version (or at every version).

    A form pyxform cannot convert is left out and logged rather than breaking the whole list.
    """
    allowed = may_fill(db, principal)
    entries = []
    for found_id, versions in sorted(publishing.versions(db).items()):
        if (allowed is not None and found_id not in allowed) or (form_id and found_id != form_id):
            continue
        for version in versions if all_versions else versions[-1:]:
            form = publishing.compiled(version).form
            if not form.questions:
                continue
            try:
                made = xform(version)
            except OpenRosaError as err:
                log.warning("form %s@%s left out of the form list: %s", found_id, version.version, err)
                continue
            name = text_in(form.title, form.default_language, form.default_language) or form.id
            entries.append(Listed(found_id, version.version, name, made))
    return entries


def downloadable(db: DbSession, principal: Principal, form_id: str, version: str) -> FormVersion:
    """The published ``version`` of ``form_id`` when the principal may fill it; OpenRosaError otherwise."""
    found = None if "\x00" in form_id + version else publishing.version_of(db, form_id, version)
    if found is None:
        raise OpenRosaError(404, f"form {form_id!r} has no published version {version!r}")
    allowed = may_fill(db, principal)
    if allowed is not None and form_id not in allowed:
        raise OpenRosaError(403, f"the form {form_id!r} is not assigned to you")
    return found


def xform(version: FormVersion) -> XForm:
    """The XForm of a published version (made once per content; OpenRosaError 422 if pyxform refuses)."""
    return _convert(version.hash, version.definition)


@lru_cache(maxsize=128)
def _convert(content_hash: str, definition: str) -> XForm:
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    form = FORM_JSON.decode(definition)
    try:
        text = convert(xlsform=forms.write_xlsform(for_collect(form)), file_type=".xlsx").xform
    except PyXFormError as err:
        raise OpenRosaError(422, f"form {form.id!r} cannot be made into an XForm: {err}") from None
    data = text.encode("utf-8")
    return XForm(data, hashlib.md5(data).hexdigest())  # the md5 OpenRosa asks for, not a security hash


def for_collect(form: Form) -> Form:
    """The form with a text box ``<name>_other`` after each question whose list has "other" options.

    Our forms answer "other, specify" as ``<name>_other`` without declaring it as a question (the
    browser client draws the box itself); Collect only shows what the XForm declares, so the box
    is added here, shown when an "other" option is chosen and required then, as validation wants.
    """
    others = {name: [c.name for c in options if c.other] for name, options in form.choices.items()}
    if not any(others.values()):
        return form
    return msgspec.structs.replace(form, questions=_with_other(form.questions, others, form))


def _with_other(
    questions: tuple[AnyQuestion, ...], others: dict[str, list[str]], form: Form
) -> tuple[AnyQuestion, ...]:
    out: list[AnyQuestion] = []
    for q in questions:
        if isinstance(q, Group | Repeat):
            out.append(msgspec.structs.replace(q, questions=_with_other(q.questions, others, form)))
            continue
        out.append(q)
        names = others.get(q.choices, []) if isinstance(q, CHOICE_TYPES) else []
        if names:
            label = {code: SPECIFY.get(code, SPECIFY["en"]) for code in form.languages}
            shown = " or ".join(f"selected(${{{q.name}}}, {_quoted(n)})" for n in names)
            out.append(Text(name=f"{q.name}_other", label=label, relevant=shown, required=True))
    return tuple(out)


def _quoted(name: str) -> str:
    return f'"{name}"' if "'" in name else f"'{name}'"
