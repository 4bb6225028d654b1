"""Coding sessions: what a coder sees, what they confirm, and the coded segments summaries read.

A coder (admin, planner or designer) opens a session and marks segments with codebook codes.
Codes a keyword suggests are shown as suggestions (:func:`analysis.qualitative.suggest`) and stay
suggestions until the coder ticks them; saving replaces that coder's coding of the session. Two
coders' codings of one session make it double-coded, for Cohen's κ. Summaries count the first
coder's codes (the primary coding); a later coder's pass is the check, used for agreement only.

Text is always shown de-identified (:func:`analysis.qualitative.deidentify`), with the names the
session itself holds (:func:`roster_names`) masked too; suggestions are made on the raw text,
which never leaves this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.orm import Session as DbSession

from analysis.qualitative import Agreement, Segment, agreement, deidentify, suggest
from forms.compiler import walk
from forms.model import Form, Localized
from survey.domain import sessions
from survey.domain.accounts import Principal
from survey.store.models import CodedSegment, Coding, User


class CodeOption(msgspec.Struct, frozen=True):
    """A code a coder may give: its label, its theme (parent) and need domain."""

    code: str
    label: Localized
    definition: Localized
    parent: str
    domain: str
    theme: bool  # other codes name it as their parent: a heading, not applied itself


class SegmentRow(msgspec.Struct, frozen=True):
    """One segment on the coding page: de-identified text, suggestions and this coder's codes."""

    key: str
    text: str
    participant: str
    topic: str
    suggested: dict[str, str]  # code → the keyword that suggested it
    mine: tuple[str, ...]


class CodingPage(msgspec.Struct, frozen=True):
    """A session to code, for one coder."""

    uuid: str
    form_id: str
    title: Localized
    method: str
    site: str
    date: str
    group: str
    participants: tuple[str, ...]
    removed: tuple[str, ...]
    topics: dict[str, Localized]
    codes: tuple[CodeOption, ...]
    segments: tuple[SegmentRow, ...]
    coders: tuple[str, ...]
    coded_by_me: bool


class SessionRow(msgspec.Struct, frozen=True):
    """A session in the coding list."""

    uuid: str
    site: str
    date: str
    group: str
    participants: int
    segments: int
    coders: tuple[str, ...]


class Pass(msgspec.Struct, frozen=True):
    """One coder's coding of a session: segment key → the codes confirmed (still-valid ones only)."""

    coder: str
    coded_at: datetime
    marks: dict[str, tuple[str, ...]]


def code_options(form: Form) -> tuple[CodeOption, ...]:
    """The codebook as coders see it, in its own order."""
    parents = {c.parent for c in form.codebook if c.parent}
    return tuple(
        CodeOption(c.code, c.label, c.definition, c.parent or "", c.domain or "", c.code in parents)
        for c in form.codebook
    )


def keywords(form: Form) -> dict[str, tuple[str, ...]]:
    """Code → its keywords, for suggestions."""
    return {c.code: c.keywords for c in form.codebook if c.keywords}


def roster_names(s: sessions.Session) -> tuple[str, ...]:
    """The names session ``s`` holds (:func:`names_held`), to mask wherever its text says them."""
    return names_held(s.compiled.form, s.answers)


def names_held(form: Form, answers: Mapping[str, Any]) -> tuple[str, ...]:
    """The text answers to questions marked ``pii`` in a record of ``form``: the names it holds.

    The facilitator's, a respondent's, every roster row's — a participant removed, or who did not
    consent, included: others in the session may still name them.
    """
    personal = {q.name for q, *_ in walk(form.questions) if q.pii}
    personal |= {q.name for q, *_ in walk(form.roster) if q.pii}
    return tuple(sorted({v.strip() for v in _held(answers, personal) if v.strip()}))


def _held(value: Any, personal: set[str]) -> Iterator[str]:
    """The text answers to ``personal`` questions in ``value``, at any depth (repeats, the roster)."""
    if isinstance(value, Mapping):
        for name, answer in value.items():
            if name in personal and isinstance(answer, str):
                yield answer
            elif isinstance(answer, Mapping | list):
                yield from _held(answer, personal)
    elif isinstance(value, list):
        for item in value:
            yield from _held(item, personal)


def passes(db: DbSession, found: Iterable[sessions.Session]) -> dict[str, list[Pass]]:
    """Every session's codings, oldest first, keeping marks whose segment is still there unchanged."""
    by_uuid = {s.uuid: {seg.key: sessions.digest(seg.text) for seg in s.segments} for s in found}
    if not by_uuid:
        return {}
    rows = db.execute(
        select(Coding.id, Coding.session_uuid, User.username, Coding.coded_at)
        .join(User, User.id == Coding.coder_id)
        .where(Coding.session_uuid.in_(list(by_uuid)))
        .order_by(Coding.coded_at, Coding.id)
    ).all()
    marks: dict[int, dict[str, list[tuple[str, str]]]] = {}
    query = select(CodedSegment.coding_id, CodedSegment.segment, CodedSegment.code, CodedSegment.digest)
    for coding_id, segment, code, digest in db.execute(
        query.where(CodedSegment.coding_id.in_([r[0] for r in rows]))
    ):
        marks.setdefault(coding_id, {}).setdefault(segment, []).append((code, digest))
    out: dict[str, list[Pass]] = {}
    for coding_id, uuid, coder, coded_at in rows:
        current = by_uuid[uuid]
        kept = {
            seg: tuple(sorted(code for code, digest in pairs if current.get(seg) == digest))
            for seg, pairs in marks.get(coding_id, {}).items()
        }
        out.setdefault(uuid, []).append(Pass(coder, coded_at, {k: v for k, v in kept.items() if v}))
    return out


def coded(found: Iterable[sessions.Session], done: dict[str, list[Pass]]) -> list[Segment]:
    """Every segment with the primary (first) coder's codes; segments of uncoded sessions have none.

    A session that holds names (:func:`roster_names`) gives its segments already de-identified with
    them: quotes, proposals and exports read segments without knowing any roster.
    """
    out = []
    for s in found:
        primary = done.get(s.uuid, [])
        marks = primary[0].marks if primary else {}
        names = roster_names(s)
        out.extend(
            msgspec.structs.replace(
                seg,
                codes=marks.get(seg.key, ()),
                text=deidentify(seg.text, names) if names else seg.text,
            )
            for seg in s.segments
        )
    return out


def double_coded(
    found: Iterable[sessions.Session], done: dict[str, list[Pass]], codes: Iterable[str]
) -> Agreement:
    """Cohen's κ between the first two coders of every session coded twice, per code and overall."""
    first: dict[str, tuple[str, ...]] = {}
    second: dict[str, tuple[str, ...]] = {}
    for s in found:
        both = done.get(s.uuid, [])
        if len(both) >= 2:
            for seg in s.segments:
                first[f"{s.uuid}#{seg.key}"] = both[0].marks.get(seg.key, ())
                second[f"{s.uuid}#{seg.key}"] = both[1].marks.get(seg.key, ())
    return agreement(first, second, list(codes))


def session_rows(db: DbSession, form_id: str) -> list[SessionRow]:
    """The sessions of an outline with who has coded each."""
    found = sessions.load(db, form_id)
    done = passes(db, found)
    return [
        SessionRow(
            s.uuid,
            s.site,
            s.date,
            s.group,
            len(s.participants),
            len(s.segments),
            tuple(p.coder for p in done.get(s.uuid, [])),
        )
        for s in found
    ]


def page(db: DbSession, principal: Principal, uuid: str) -> CodingPage:
    """The coding page of session ``uuid`` for ``principal``."""
    s = sessions.one(db, uuid)
    form = s.compiled.form
    done = passes(db, [s]).get(uuid, [])
    mine = next((p for p in done if p.coder == principal.username), None)
    words = keywords(form)
    names = roster_names(s)
    rows = tuple(
        SegmentRow(
            seg.key,
            deidentify(seg.text, names),
            seg.participant,
            seg.topic,
            {x.code: x.keyword for x in suggest(seg.text, words)},
            mine.marks.get(seg.key, ()) if mine else (),
        )
        for seg in s.segments
    )
    return CodingPage(
        uuid,
        s.form_id,
        dict(form.title),
        s.method,
        s.site,
        s.date,
        s.group,
        tuple(p.code for p in s.participants),
        s.removed,
        {t.name: t.label for t in form.topics},
        code_options(form),
        rows,
        tuple(p.coder for p in done),
        mine is not None,
    )


def save(db: DbSession, principal: Principal, uuid: str, marks: Iterable[str]) -> int:
    """Replace ``principal``'s coding of session ``uuid`` with ``marks`` (``SEGMENT|CODE``); how many kept.

    Marks naming a segment the session does not have, or a code the codebook lacks, are ignored.
    """
    s = sessions.one(db, uuid)
    texts = {seg.key: seg.text for seg in s.segments}
    known = {c.code for c in s.compiled.form.codebook}
    chosen = set()
    for mark in marks:
        segment, _, code = mark.partition("|")
        if segment in texts and code in known:
            chosen.add((segment, code))
    coding = db.scalar(
        select(Coding).where(Coding.session_uuid == uuid, Coding.coder_id == principal.user_id)
    )
    if coding is None:
        coding = Coding(session_uuid=uuid, coder_id=principal.user_id)
        db.add(coding)
        db.flush()
    else:  # coded_at stays: the first coder of a session remains its primary coder
        db.execute(delete(CodedSegment).where(CodedSegment.coding_id == coding.id))
    for segment, code in sorted(chosen):
        db.add(
            CodedSegment(
                coding_id=coding.id, segment=segment, code=code, digest=sessions.digest(texts[segment])
            )
        )
    db.flush()
    return len(chosen)
