"""The answers of an interview or focus-group session, and their validation.

A session of an outline is one record. Its answers hold the outline's ``questions`` (date, site,
facilitator…) as any record does, plus four reserved keys (the shape is in ``docs/forms.md``)::

    {"session_date": "2026-09-12", "site": "nangui", ...,
     "roster": [{"p_code": "P01", "p_age_band": "a60_79", "p_consent": "yes"}, ...],
     "notes": {"community_life": "…", "daily_difficulties": "…"},
     "quotes": [{"participant": "P01", "topic": "community_life", "text": "…"}],
     "timing": {"community_life": 640}}

* ``roster`` — one entry per participant: the answers to the outline's roster questions, checked
  per participant exactly as a record's questions are. The **first** roster question holds the
  participant's pseudonymous code (an outline without a roster gets ``p_code``, ``P1``, ``P2``…);
  codes are unique in a session. Consent is per participant: the roster's ``consent`` question,
  else ``p_consent`` (yes or no), always required.
* ``notes`` — topic name → the notes taken on that topic; the topic must exist.
* ``quotes`` — what a participant said: ``participant`` (a code in the roster, who consented),
  ``topic`` (optional, a topic of the outline) and ``text``.
* ``timing`` — topic name → seconds spent on it (the facilitator's clock), optional.

:func:`validate_session` is what :func:`forms.validation.validate` calls for outline kinds. It
accepts JSON values or an HTML post (``roster[2].p_code``, ``notes.community_life``,
``quotes[3].text``: lists of strings); empty roster rows and empty quote rows are ignored, as a
blank row on a page is not a participant.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import msgspec

from forms import validation
from forms.model import Consent, Form, Localized, Repeat, Text, text_in
from forms.validation_read import empty, unflatten

ROSTER, NOTES, QUOTES, TIMING = "roster", "notes", "quotes", "timing"
RESERVED = frozenset({ROSTER, NOTES, QUOTES, TIMING})
"""Answer keys a session adds to its questions' answers."""
CODE, CONSENT = "p_code", "p_consent"
"""The code and consent questions added to a roster that lacks them."""
QUOTE_FIELDS = ("participant", "topic", "text")

MESSAGES: dict[str, Localized] = {
    "list": {"zh": "应为一组记录", "en": "Expected a list of entries."},
    "mapping": {"zh": "应为按主题填写的内容", "en": "Expected text for each topic."},
    "text": {"zh": "请填写文字", "en": "Enter text."},
    "topic": {"zh": "提纲中没有主题“{value}”", "en": "The outline has no topic '{value}'."},
    "duplicate_code": {"zh": "代号“{value}”重复", "en": "The code '{value}' is used twice."},
    "participant": {"zh": "名单中没有参与者“{value}”", "en": "No participant '{value}' in the roster."},
    "no_consent": {
        "zh": "参与者“{value}”未同意，不能记录其原话",
        "en": "Participant '{value}' did not consent; their words cannot be recorded.",
    },
    "quote_text": {"zh": "请填写原话", "en": "Enter what was said."},
    "seconds": {"zh": "应为秒数", "en": "Expected a number of seconds."},
    "unknown": {"zh": "原话记录中没有这一项", "en": "A quote has no such field."},
}
_DEFAULT_CODE = Text(
    name=CODE,
    label={"zh": "参与者代号", "en": "Participant code"},
    hint={"zh": "如P1、P2；不写姓名", "en": "e.g. P1, P2; no names"},
    required=True,
    constraint="regex(., '^P[0-9]{1,3}$')",
    constraint_message={"zh": "代号格式为P加数字，如P3", "en": "Use P and a number, e.g. P3"},
)
_CONSENT = Consent(
    name=CONSENT,
    label={"zh": "本人同意参与并被记录", "en": "Agrees to take part and to notes being taken"},
    required=True,
)


class Outline(msgspec.Struct, frozen=True):
    """An outline split for validation: its session questions and its roster, each a questionnaire."""

    form: Form
    session: Form
    roster: Form
    code: str
    consent: str


_CACHE: dict[int, Outline] = {}


def outline(form: Form) -> Outline:
    """The outline's two questionnaires (made once per form): the session's and one participant's."""
    hit = _CACHE.get(id(form))
    if hit is None or hit.form is not form:
        if len(_CACHE) > 64:
            _CACHE.clear()
        blank = {"kind": "questionnaire", "topics": (), "roster": (), "codebook": (), "indicators": ()}
        roster = form.roster or (_DEFAULT_CODE,)
        consent = next((q.name for q in roster if isinstance(q, Consent)), None)
        if consent is None:
            roster, consent = (*roster, _CONSENT), CONSENT
        hit = Outline(
            form,
            msgspec.structs.replace(form, **blank),
            msgspec.structs.replace(form, **{**blank, "id": f"{form.id}.roster", "questions": roster}),
            roster[0].name,
            consent,
        )
        _CACHE[id(form)] = hit
    return hit


def roster_repeat(form: Form) -> Repeat:
    """The roster as one repeat named ``roster``, for pages that render it as a record's repeat."""
    parts = outline(form)
    return Repeat(name=ROSTER, label={"zh": "参与者", "en": "Participant"}, questions=parts.roster.questions)


def validate_session(
    form: Form, answers: Mapping[str, Any], language: str | None = None, today: date | None = None
) -> validation.Validation:
    """Check a session's answers: questions, then each participant, notes, quotes and timing."""
    parts = outline(form)
    check = _Check(parts, language or form.default_language)
    raw = unflatten(answers)
    questions = {k: v for k, v in raw.items() if k.split(".", 1)[0] not in RESERVED}
    result = validation.validate(parts.session, questions, language, today)
    check.errors.extend(result.errors)
    dropped = list(result.dropped)
    cleaned = dict(result.answers)
    roster = check.roster(raw.get(ROSTER), today, dropped)
    notes = check.notes(_by_topic(raw, NOTES))
    quotes = check.quotes(raw.get(QUOTES), roster)
    timing = check.timing(_by_topic(raw, TIMING))
    for key, value in ((ROSTER, roster), (NOTES, notes), (QUOTES, quotes), (TIMING, timing)):
        if value:
            cleaned[key] = value
    return validation.Validation(cleaned, tuple(check.errors), tuple(dropped))


def _by_topic(raw: Mapping[str, Any], key: str) -> Any:
    """``notes`` or ``timing`` as sent: a mapping, or an HTML post's ``notes.TOPIC`` fields."""
    flat = {k.removeprefix(key + "."): v for k, v in raw.items() if k.startswith(key + ".")}
    if not flat:
        return raw.get(key)
    given = raw.get(key)
    return {**flat, **given} if isinstance(given, Mapping) else flat


def _one(value: Any) -> Any:
    """An HTML post's list of strings as its one value (the last non-blank), a JSON value as it is."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        filled = [v for v in value if v.strip()]
        return filled[-1] if filled else ""
    return value


class _Check:
    """The problems found in the parts of a session that are not its questions."""

    def __init__(self, parts: Outline, language: str) -> None:
        self.parts = parts
        self.language = language
        self.topics = {t.name for t in parts.form.topics}
        self.errors: list[validation.AnswerProblem] = []

    def fail(self, path: str, code: str, **params: object) -> None:
        text = text_in(MESSAGES[code], self.language, "en").format(**params)
        self.errors.append(validation.AnswerProblem(path, code, text))

    def roster(self, value: Any, today: date | None, dropped: list[str]) -> list[dict[str, Any]]:
        """Each participant checked against the roster questions; codes unique."""
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(p, Mapping) for p in value):
            self.fail(ROSTER, "list")
            return []
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for n, entry in enumerate(value, 1):
            if all(empty(v) for v in entry.values()):
                continue
            result = validation.validate(self.parts.roster, entry, self.language, today)
            prefix = f"{ROSTER}[{n}]."
            self.errors.extend(msgspec.structs.replace(e, path=prefix + e.path) for e in result.errors)
            dropped.extend(prefix + d for d in result.dropped)
            code = result.answers.get(self.parts.code)
            if isinstance(code, str) and code in seen:
                self.fail(prefix + self.parts.code, "duplicate_code", value=code)
            if isinstance(code, str):
                seen.add(code)
            out.append(result.answers)
        return out

    def notes(self, value: Any) -> dict[str, str]:
        """Notes per topic: the topic must exist; blank notes are left out."""
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.fail(NOTES, "mapping")
            return {}
        out = {}
        for topic, text in value.items():
            text = _one(text)
            if topic not in self.topics:
                if not empty(text):
                    self.fail(f"{NOTES}.{topic}", "topic", value=topic)
            elif not isinstance(text, str):
                self.fail(f"{NOTES}.{topic}", "text")
            elif text.strip():
                out[topic] = text.strip()
        return out

    def quotes(self, value: Any, roster: list[dict[str, Any]]) -> list[dict[str, str]]:
        """Quotes name a participant of the roster who consented, and an existing topic if any."""
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(q, Mapping) for q in value):
            self.fail(QUOTES, "list")
            return []
        consent = {p.get(self.parts.code): p.get(self.parts.consent) for p in roster}
        out = []
        for n, raw in enumerate(value, 1):
            quote = {k: _one(v) for k, v in raw.items()}
            if all(empty(v) for v in quote.values()):
                continue
            path = f"{QUOTES}[{n}]"
            for key in quote.keys() - set(QUOTE_FIELDS):
                self.fail(f"{path}.{key}", "unknown")
            who, topic, text = (quote.get(k) or "" for k in QUOTE_FIELDS)
            if not all(isinstance(v, str) for v in (who, topic, text)):
                self.fail(path, "text")
                continue
            if who not in consent:
                self.fail(f"{path}.participant", "participant", value=who)
            elif consent[who] != "yes":
                self.fail(f"{path}.participant", "no_consent", value=who)
            if topic and topic not in self.topics:
                self.fail(f"{path}.topic", "topic", value=topic)
            if not text.strip():
                self.fail(f"{path}.text", "quote_text")
            out.append({"participant": who, **({"topic": topic} if topic else {}), "text": text.strip()})
        return out

    def timing(self, value: Any) -> dict[str, int]:
        """Seconds per topic from the facilitator's clock (whole, not negative)."""
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.fail(TIMING, "mapping")
            return {}
        out = {}
        for topic, seconds in value.items():
            seconds = _one(seconds)
            if isinstance(seconds, str) and seconds.strip().isdigit():
                seconds = int(seconds)
            if topic not in self.topics:
                self.fail(f"{TIMING}.{topic}", "topic", value=topic)
            elif isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
                self.fail(f"{TIMING}.{topic}", "seconds")
            elif seconds:
                out[topic] = seconds
        return out
