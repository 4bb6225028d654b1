"""The form model: msgspec Structs for questionnaires, interview outlines and focus-group outlines.

A form is data. Every type here is frozen (definitions are shared and cached) and rejects unknown
keys (a typo fails loudly with its path, e.g. ``$.questions[3].choises``). Cross-references —
choice lists, expressions, calculation cycles — are checked later by :mod:`forms.compiler`, which
knows the whole form; the checks here are the ones a single Struct can make about itself.

Text shown to people is a :data:`Localized`: a mapping from language code to string,
``{zh = "年龄", en = "Age"}``; the form's ``default_language`` is the one used when a translation
is missing.
"""

from __future__ import annotations

import re
from typing import Literal

from msgspec import Struct, field

Localized = dict[str, str]
"""Text in several languages, keyed by language code (``zh``, ``en``…)."""

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
"""A question, choice-list, indicator or code name: an XML name, so XLSForm and XForm accept it."""

Kind = Literal["questionnaire", "interview", "focus_group"]
Bradshaw = Literal["normative", "felt", "expressed", "comparative"]


class Base(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Frozen so definitions can be shared and cached; unknown keys rejected so a typo fails loudly."""


def _check_name(name: str) -> None:
    if not NAME.match(name):
        raise ValueError(f"{name!r} is not a valid name (letters, digits, _ . -; not starting with a digit)")


# --------------------------------------------------------------------------------------------
# Choices


class Choice(Base):
    """One option of a choice list.

    ``value`` scores a likert point; ``exclusive`` marks "none", "don't know" or "refused", which
    cannot be combined with other options; ``other`` marks "other, specify", whose text is answered
    as ``<question>_other``; ``filters`` holds the columns a ``choice_filter`` reads (cascades).
    """

    name: str
    label: Localized = field(default_factory=dict)
    value: float | None = None
    exclusive: bool = False
    other: bool = False
    filters: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("a choice needs a name")


# --------------------------------------------------------------------------------------------
# Questions


class Question(Base, tag_field="type"):
    """Fields every question, group and repeat has.

    Expressions (``relevant``, ``constraint``, ``calculation``, ``choice_filter``,
    ``repeat_count``, and ``required`` when it is a string) are written in the XLSForm syntax and
    compiled by :mod:`forms.compiler`; see ``docs/expressions.md``.

    Analysis metadata: ``segment`` marks a disaggregation variable (population group, community,
    sex, age band); ``scale`` names the composite scale the item belongs to and ``reverse`` flags a
    reverse-scored item; ``pii`` marks personal data (names, phone numbers, ID numbers, addresses),
    which never reaches planners or exports without the right role; ``weight`` marks the survey
    weight.
    """

    name: str
    label: Localized = field(default_factory=dict)
    hint: Localized = field(default_factory=dict)
    relevant: str | None = None
    required: bool | str = False
    required_message: Localized = field(default_factory=dict)
    constraint: str | None = None
    constraint_message: Localized = field(default_factory=dict)
    appearance: str | None = None
    default: str | None = None
    segment: bool = False
    scale: str | None = None
    reverse: bool = False
    pii: bool = False
    weight: bool = False

    def __post_init__(self) -> None:
        _check_name(self.name)
        if self.reverse and self.scale is None:
            raise ValueError("reverse is set but the question belongs to no scale")


class Text(Question, tag="text"):
    """Free text."""


class Integer(Question, tag="integer"):
    """A whole number, optionally within ``minimum``..``maximum``."""

    minimum: int | None = None
    maximum: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError("minimum is larger than maximum")


class Decimal(Question, tag="decimal"):
    """A number, optionally within ``minimum``..``maximum``."""

    minimum: float | None = None
    maximum: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError("minimum is larger than maximum")


class SelectOne(Question, tag="select_one", kw_only=True):
    """One option of the list ``choices``, optionally filtered by ``choice_filter`` (cascades)."""

    choices: str
    choice_filter: str | None = None


class SelectMultiple(Question, tag="select_multiple", kw_only=True):
    """Any options of the list ``choices``; options marked ``exclusive`` stand alone."""

    choices: str
    choice_filter: str | None = None


class Likert(Question, tag="likert", kw_only=True):
    """One point of a named scale: a choice list whose every option carries a ``value``."""

    choices: str


class Rank(Question, tag="rank", kw_only=True):
    """The ``top`` most important options of ``choices``, in order (all of them when unset)."""

    choices: str
    top: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.top is not None and self.top < 1:
            raise ValueError("top must be at least 1")


class Date(Question, tag="date"):
    """A calendar date, ``YYYY-MM-DD``."""


class Time(Question, tag="time"):
    """A time of day, ``HH:MM``."""


class Geopoint(Question, tag="geopoint"):
    """A location: ``latitude longitude [altitude [accuracy]]``."""


class Note(Question, tag="note"):
    """Text shown to the fieldworker; no answer."""


class Calculate(Question, tag="calculate", kw_only=True):
    """A value computed from other answers by ``calculation``; never typed in."""

    calculation: str


class Consent(Question, tag="consent"):
    """Informed consent: ``yes`` or ``no``. Questions after it usually depend on ``${consent} = 'yes'``."""


class Group(Question, tag="group"):
    """A section of the form (one screen on a tablet)."""

    questions: tuple[AnyQuestion, ...] = ()


class Repeat(Question, tag="repeat"):
    """Questions asked once per instance — a household roster. ``repeat_count`` fixes how many."""

    questions: tuple[AnyQuestion, ...] = ()
    repeat_count: str | None = None


AnyQuestion = (
    Text
    | Integer
    | Decimal
    | SelectOne
    | SelectMultiple
    | Likert
    | Rank
    | Date
    | Time
    | Geopoint
    | Note
    | Calculate
    | Consent
    | Group
    | Repeat
)
"""Every question type, told apart by its ``type`` key."""

CHOICE_TYPES = (SelectOne, SelectMultiple, Likert, Rank)
CONTAINER_TYPES = (Group, Repeat)
NO_ANSWER_TYPES = (Note, Group, Repeat)


# --------------------------------------------------------------------------------------------
# Indicators


class Severity(Base):
    """A severity class (1 minimal … 5 catastrophic) reached when ``when`` is true."""

    level: int
    when: str
    label: Localized = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= self.level <= 5:
            raise ValueError("severity level must be between 1 and 5")


class Indicator(Base):
    """A named need flag computed per respondent.

    ``flag`` is true when the respondent has the need (e.g. ``${ucla3_total} >= 6``); ``population``
    limits who is counted at all (e.g. ``${age} >= 60``); ``severity`` classes are tried from the
    highest level down. ``safety`` marks a critical indicator (self-harm, violence, child
    protection): it yields an individual follow-up, never a ranked need.
    """

    name: str
    flag: str
    label: Localized = field(default_factory=dict)
    domain: str | None = None
    bradshaw: tuple[Bradshaw, ...] = ()
    population: str | None = None
    severity: tuple[Severity, ...] = ()
    safety: bool = False

    def __post_init__(self) -> None:
        _check_name(self.name)
        levels = [s.level for s in self.severity]
        if len(set(levels)) != len(levels):
            raise ValueError("severity levels must be distinct")


# --------------------------------------------------------------------------------------------
# Interview and focus-group outlines


class Topic(Base):
    """A topic of an outline: prompts to ask, probes to follow up, suggested minutes, notes."""

    name: str
    label: Localized = field(default_factory=dict)
    prompts: tuple[Localized, ...] = ()
    probes: tuple[Localized, ...] = ()
    minutes: int | None = None
    notes: Localized = field(default_factory=dict)
    codes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_name(self.name)
        if self.minutes is not None and self.minutes < 0:
            raise ValueError("minutes cannot be negative")


class Code(Base):
    """A codebook entry. ``keywords`` only suggest the code; a coder confirms it."""

    code: str
    label: Localized = field(default_factory=dict)
    definition: Localized = field(default_factory=dict)
    parent: str | None = None
    domain: str | None = None
    keywords: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_name(self.code)


# --------------------------------------------------------------------------------------------
# The form


class Form(Base):
    """A questionnaire, an interview outline or a focus-group outline.

    ``languages`` maps each language code to its display name (``{zh = "中文", en = "English"}``);
    ``choices`` maps list names to their options. Outlines add ``topics``, a participant ``roster``
    (pseudonymous code plus segment attributes, written as questions) and a ``codebook``.
    """

    id: str
    title: Localized
    version: str = "1"
    kind: Kind = "questionnaire"
    default_language: str = "zh"
    languages: dict[str, str] = field(default_factory=lambda: {"zh": "中文", "en": "English"})
    population: str | None = None
    description: Localized = field(default_factory=dict)
    questions: tuple[AnyQuestion, ...] = ()
    choices: dict[str, tuple[Choice, ...]] = field(default_factory=dict)
    indicators: tuple[Indicator, ...] = ()
    topics: tuple[Topic, ...] = ()
    roster: tuple[AnyQuestion, ...] = ()
    codebook: tuple[Code, ...] = ()

    def __post_init__(self) -> None:
        _check_name(self.id)
        if len(self.id) > 200:  # the length the database keeps
            raise ValueError(f"id {self.id[:20]!r}…: at most 200 characters")
        version = self.version
        unprintable = any(c in "/\\" or not c.isprintable() for c in version)
        if not version.strip() or len(version) > 100 or unprintable:
            raise ValueError(
                f"version {version!r}: 1 to 100 printable characters without '/' or '\\' "
                "(it is part of the address a tablet downloads the form from)"
            )
        if self.default_language not in self.languages:
            raise ValueError(f"default_language {self.default_language!r} is not one of languages")
        if self.kind == "questionnaire" and (self.topics or self.roster or self.codebook):
            raise ValueError("topics, roster and codebook belong to interview and focus_group outlines")


def text_in(text: Localized, language: str, default: str) -> str:
    """The text in ``language``, else in ``default``, else any, else ``""``."""
    if language in text:
        return text[language]
    if default in text:
        return text[default]
    return next(iter(text.values()), "")
