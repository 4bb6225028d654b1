"""Interview and focus-group sessions as stored records, cut into the segments coders code.

A session is a record of an outline (``kind`` interview or focus_group) whose answers carry the
roster, the notes per topic and the quotes (``forms.outline_answers``, ``docs/forms.md``). Here a
stored session becomes a :class:`Session`: its participants (the roster without anyone removed
after the fact or who did not consent), and its :class:`analysis.qualitative.Segment` s —

* each sentence of a topic's notes: ``n:TOPIC:K`` (K from 1). A sentence that opens with a
  participant's code (``P03：…``) is that participant's; in an interview an unattributed sentence
  is the respondent's (the only participant, else ``R``);
* each quote: ``q:K``, attributed to its participant and topic.

A participant removed from a session (:func:`remove_participant`) takes their segments with them,
from coding pages, summaries and exports alike; so does a participant who did not consent.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.orm import Session as DbSession

from analysis.qualitative import Segment, Unit
from forms import outline_answers
from forms.compiler import Compiled
from forms.model import Date, Form, text_in
from survey.domain import publishing
from survey.store.models import CodedSegment, Coding, FormRecord, SessionExclusion, Site, Submission

OUTLINES = ("interview", "focus_group")
RESPONDENT = "R"
"""The participant an interview's notes belong to when its roster is empty."""
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*")


class SessionError(LookupError):
    """No such session (404), or not one of an outline (404)."""


class Participant(msgspec.Struct, frozen=True):
    """A participant as summaries see them: pseudonymous code and roster answers (no names)."""

    code: str
    answers: dict[str, Any]


class Session(msgspec.Struct, frozen=True, kw_only=True):
    """A stored session, ready for coding and summaries."""

    uuid: str
    form_id: str
    version: str
    compiled: Compiled
    method: str
    site: str
    date: str
    group: str
    answers: dict[str, Any]
    participants: tuple[Participant, ...]
    removed: tuple[str, ...]
    segments: tuple[Segment, ...]

    @property
    def units(self) -> tuple[Unit, ...]:
        """What this session counts as: one group, or each interview participant."""
        if self.method == "focus_group":
            return (Unit(key=self.uuid, method="focus_group", group=self.group, site=self.site),)
        roster = self.answers.get(outline_answers.ROSTER)
        codes = [p.code for p in self.participants] or ([] if roster else [RESPONDENT])
        return tuple(
            Unit(key=f"{self.uuid}/{c}", method="interview", group=self.group, site=self.site) for c in codes
        )


def is_outline(form: Form) -> bool:
    """True for interview and focus-group outlines, whose records are sessions."""
    return form.kind in OUTLINES


def digest(text: str) -> str:
    """A short hash of a segment's text: a coded segment whose text changed is no longer counted."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def sentences(text: str) -> list[str]:
    """The sentences of a note: split after 。！？; and at line ends, trimmed, blanks left out."""
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def outline_forms(db: DbSession) -> list[tuple[str, dict[str, Any], str]]:
    """Every outline form: (id, title, kind), by id."""
    rows = db.execute(
        select(FormRecord.id, FormRecord.title, FormRecord.kind).where(FormRecord.kind.in_(OUTLINES))
    )
    return sorted((i, dict(t), k) for i, t, k in rows)


def outline_title(db: DbSession, form_id: str) -> dict[str, Any]:
    """The title of the outline ``form_id``; SessionError when it is not an outline."""
    record = db.get(FormRecord, form_id)
    if record is None or record.kind not in OUTLINES:
        raise SessionError(f"no interview or focus-group outline {form_id!r}")
    return dict(record.title)


def load(db: DbSession, form_id: str | None = None, uuid: str | None = None) -> list[Session]:
    """The stored sessions of ``form_id`` (or the one with ``uuid``), oldest first."""
    query = (
        select(
            Submission.uuid,
            Submission.form_id,
            Submission.form_version,
            Submission.answers,
            Site.code,
            Submission.collected_at,
        )
        .join(FormRecord, FormRecord.id == Submission.form_id)
        .outerjoin(Site, Site.id == Submission.site_id)
        .where(FormRecord.kind.in_(OUTLINES))
        .order_by(Submission.id)
    )
    if form_id is not None:
        query = query.where(Submission.form_id == form_id)
    if uuid is not None:
        query = query.where(Submission.uuid == uuid)
    rows = db.execute(query).all()
    removed = _removed(db, [r[0] for r in rows])
    versions: dict[tuple[str, str], Compiled] = {}
    out = []
    for uuid_, fid, version, answers, site, collected in rows:
        if (fid, version) not in versions:
            found = publishing.version_of(db, fid, version)
            if found is None:
                continue
            versions[fid, version] = publishing.compiled(found)
        out.append(
            build(uuid_, versions[fid, version], version, answers, site, collected, removed.get(uuid_, ()))
        )
    return out


def one(db: DbSession, uuid: str) -> Session:
    """The session with ``uuid``; SessionError when there is none."""
    found = load(db, uuid=uuid)
    if not found:
        raise SessionError(f"no interview or focus-group session {uuid!r}")
    return found[0]


def _removed(db: DbSession, uuids: list[str]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for start in range(0, len(uuids), 500):
        query = select(SessionExclusion.session_uuid, SessionExclusion.participant).where(
            SessionExclusion.session_uuid.in_(uuids[start : start + 500])
        )
        for uuid, code in db.execute(query):
            found.setdefault(uuid, []).append(code)
    return {k: tuple(sorted(v)) for k, v in found.items()}


def build(
    uuid: str,
    compiled: Compiled,
    version: str,
    answers: dict[str, Any],
    site: str | None,
    collected: datetime | None,
    removed: Iterable[str] = (),
) -> Session:
    """A :class:`Session` from a stored record's parts (``removed``: participant codes taken out)."""
    form = compiled.form
    parts = outline_answers.outline(form)
    removed = tuple(removed)
    participants = tuple(
        Participant(str(p.get(parts.code, "")), p)
        for p in answers.get(outline_answers.ROSTER, [])
        if p.get(parts.consent) == "yes" and p.get(parts.code) not in removed
    )
    hidden = {str(p.get(parts.code)) for p in answers.get(outline_answers.ROSTER, [])} - {
        p.code for p in participants
    }
    method = form.kind
    where = _label(form, "site", str(answers.get("site") or site or ""))
    when = next(
        (str(answers[q.name]) for q in form.questions if isinstance(q, Date) and q.name in answers), ""
    )
    when = when or (collected.date().isoformat() if collected else "")
    meta = {"session": uuid, "method": method, "group": _group(form, answers), "site": where, "date": when}
    found = _note_segments(form, answers, participants, hidden, meta)
    speakers = {p.code for p in participants}
    for k, quote in enumerate(answers.get(outline_answers.QUOTES, []), 1):
        if quote.get("participant") in speakers:
            found.append(
                Segment(
                    key=f"q:{k}",
                    text=quote["text"],
                    participant=quote["participant"],
                    topic=quote.get("topic", ""),
                    **meta,
                )
            )
    return Session(
        uuid=uuid,
        form_id=form.id,
        version=version,
        compiled=compiled,
        method=method,
        site=where,
        date=when,
        group=meta["group"],
        answers=answers,
        participants=participants,
        removed=removed,
        segments=tuple(found),
    )


def _note_segments(
    form: Form,
    answers: dict[str, Any],
    participants: tuple[Participant, ...],
    hidden: set[str],
    meta: dict[str, Any],
) -> list[Segment]:
    """The sentences of the notes, each attributed to the participant it opens with, if any.

    In an interview an unattributed sentence is the respondent's: the one participant, or ``R``
    when the roster is empty; when every participant is gone, so are such sentences.
    """
    speakers = {p.code for p in participants}
    respondent = ""
    if form.kind == "interview":
        respondent = (
            participants[0].code if len(participants) == 1 else "" if participants or hidden else RESPONDENT
        )
    notes = answers.get(outline_answers.NOTES, {})
    found = []
    for topic in form.topics:
        for k, sentence in enumerate(sentences(notes.get(topic.name, "")), 1):
            opener = _opener(sentence)
            if opener in hidden or (form.kind == "interview" and not speakers and hidden):
                continue
            who = opener if opener in speakers else respondent
            found.append(
                Segment(key=f"n:{topic.name}:{k}", text=sentence, participant=who, topic=topic.name, **meta)
            )
    return found


def _group(form: Form, answers: dict[str, Any]) -> str:
    """The session's population group: its first segment question other than the site, as a label."""
    for q in form.questions:
        if q.segment and q.name != "site" and isinstance(answers.get(q.name), str):
            return _label(form, q.name, answers[q.name])
    return ""


def _label(form: Form, question: str, value: str) -> str:
    """The label of the choice ``value`` of ``question``, in the form's language; else the value."""
    q = next((q for q in form.questions if q.name == question), None)
    options = {c.name: c for c in form.choices.get(getattr(q, "choices", ""), ())}
    return text_in(options[value].label, form.default_language, "en") if value in options else value


def _opener(sentence: str) -> str:
    """The participant code a sentence opens with (``P03：…``), or ""."""
    m = re.match(r"^\s*([A-Za-z]+[0-9]+)\s*[：:]", sentence)
    return m.group(1) if m else ""


def units(found: Iterable[Session]) -> list[Unit]:
    """Every unit of the sessions: the denominators of code frequencies."""
    return [u for s in found for u in s.units]


def remove_participant(db: DbSession, uuid: str, code: str, by: int | None) -> bool:
    """Take ``code`` out of session ``uuid``: their coded segments go; False when already removed."""
    session = one(db, uuid)
    if code in session.removed or code not in {p.code for p in session.participants}:
        return False
    gone = [s.key for s in session.segments if s.participant == code]
    db.add(SessionExclusion(session_uuid=uuid, participant=code, removed_by=by))
    codings = select(Coding.id).where(Coding.session_uuid == uuid)
    if gone:
        db.execute(
            delete(CodedSegment).where(CodedSegment.coding_id.in_(codings), CodedSegment.segment.in_(gone))
        )
    db.flush()
    return True
