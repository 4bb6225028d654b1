"""Hypothesis strategies for valid forms, shared by the round-trip and validation tests.

``forms()`` draws a :class:`~forms.model.Form` the model admits and the compiler would accept in
spirit: unique question names, choice lists that exist, simple expressions that reference earlier
questions, labels in a few languages (Chinese, Arabic, quotes, punctuation).
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from forms.model import (
    AnyQuestion,
    Calculate,
    Choice,
    Code,
    Consent,
    Date,
    Decimal,
    Form,
    Geopoint,
    Group,
    Indicator,
    Integer,
    Likert,
    Note,
    Rank,
    Repeat,
    SelectMultiple,
    SelectOne,
    Severity,
    Text,
    Time,
    Topic,
)

LANGUAGES = {"zh": "中文", "en": "English", "fr": "Français", "ar": "العربية"}
ALPHABET = string.ascii_letters + string.digits + " '\"?!.,:;()=-_/年龄孤独同意家庭长者社工，。？“”éàالعربية"
APPEARANCES = (None, "minimal", "field-list", "likert", "horizontal-compact", "likert minimal")
FILTERS = ("district", "age_band")
BRADSHAW = ("normative", "felt", "expressed", "comparative")

words = st.text(ALPHABET, min_size=1, max_size=24).filter(lambda s: s.strip() != "")
"""Text shown to people: never blank (a blank cell is an absent translation)."""

names = st.from_regex(r"[a-z][a-z_]{0,5}", fullmatch=True)
keywords = st.text(ALPHABET.replace(";", ""), min_size=1, max_size=12).map(str.strip).filter(bool)
numbers = st.floats(allow_nan=False, allow_infinity=False)
integers = st.integers(min_value=-(2**53), max_value=2**53)


def localized(codes: list[str]) -> st.SearchStrategy[dict[str, str]]:
    """Text in some of the form's languages (possibly none)."""
    return st.dictionaries(st.sampled_from(codes), words, max_size=len(codes))


class _Names:
    """Unique names: a drawn stem and a counter."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, draw: Any) -> str:
        self.count += 1
        return f"{draw(names)}{self.count}"


@st.composite
def choice_lists(draw: Any, codes: list[str]) -> dict[str, tuple[Choice, ...]]:
    """One to three lists; the first scores every option (a likert scale); any may be empty."""
    lists: dict[str, tuple[Choice, ...]] = {}
    for i in range(draw(st.integers(1, 3))):
        options = []
        size = draw(st.integers(1 if i == 0 else 0, 4))
        for j in range(size):
            value = draw(numbers) if i == 0 else draw(st.none() | numbers)
            filters = draw(st.dictionaries(st.sampled_from(FILTERS), words, max_size=2))
            options.append(
                Choice(
                    name=draw(st.sampled_from([f"c{j}", str(j + 1), f"opt_{j}"])),
                    label=draw(localized(codes)),
                    value=value,
                    exclusive=draw(st.booleans()),
                    other=draw(st.booleans()),
                    filters=filters,
                )
            )
        lists[f"{draw(names)}_{i}"] = tuple(options)
    return lists


def _expression(draw: Any, earlier: list[str], *, current: bool = False) -> str:
    """A small expression over earlier questions (or ``.`` in a constraint)."""
    number = draw(st.integers(-5, 99))
    templates = ["1 < 2", f"{number} >= 0"]
    if current:
        templates += [f". >= {number}", f"string-length(.) < {abs(number) + 1}"]
    if earlier:
        a = draw(st.sampled_from(earlier))
        templates += [
            f"${{{a}}} > {number}",
            f"${{{a}}} = 'x' or not(${{{a}}} != {number})",
            f"${{{a}}} + 1 > 2",
        ]
    return draw(st.sampled_from(templates))


def _maybe(draw: Any, make: Callable[[], str]) -> str | None:
    return make() if draw(st.booleans()) else None


class _Questions:
    """Draws questions, remembering names so expressions refer only to earlier questions."""

    def __init__(
        self, draw: Any, codes: list[str], choices: dict[str, tuple[Choice, ...]], names: _Names
    ) -> None:
        self.draw = draw
        self.codes = codes
        self.choices = choices
        self.names = names
        self.earlier: list[str] = []

    def many(self, depth: int, most: int) -> tuple[AnyQuestion, ...]:
        return tuple(self.one(depth) for _ in range(self.draw(st.integers(0, most))))

    def one(self, depth: int) -> AnyQuestion:
        draw = self.draw
        kinds = [
            "text",
            "integer",
            "decimal",
            "select_one",
            "select_multiple",
            "likert",
            "rank",
            "date",
            "time",
            "geopoint",
            "note",
            "calculate",
            "consent",
        ]
        kind = draw(st.sampled_from(kinds + (["group", "repeat"] if depth < 2 else [])))
        common = self._common(kind)
        name = common["name"]
        if kind in ("note", "group", "repeat") and common["required"] is True:
            common["required"] = False  # nothing to answer: the compiler rejects it, the importer drops it
        question = self._typed(kind, common, depth)
        self.earlier.append(name)
        return question

    def _common(self, kind: str) -> dict[str, Any]:
        draw, codes = self.draw, self.codes
        scale = draw(st.none() | names)
        fields: dict[str, Any] = {
            "name": self.names(draw),
            "label": draw(localized(codes)),
            "hint": draw(localized(codes)),
            "relevant": _maybe(draw, lambda: _expression(draw, self.earlier)),
            "required": draw(st.booleans()) if draw(st.booleans()) else _expression(draw, self.earlier),
            "required_message": draw(localized(codes)),
            "constraint": _maybe(draw, lambda: _expression(draw, self.earlier, current=True)),
            "constraint_message": draw(localized(codes)),
            "appearance": draw(st.sampled_from(APPEARANCES)),
            "default": draw(st.none() | words),
            "segment": draw(st.booleans()),
            "scale": scale,
            "reverse": scale is not None and draw(st.booleans()),
            "pii": draw(st.booleans()),
            "weight": draw(st.booleans()),
        }
        return fields

    def _typed(self, kind: str, common: dict[str, Any], depth: int) -> AnyQuestion:
        draw = self.draw
        lists = list(self.choices)
        match kind:
            case "integer" | "decimal":
                pair = sorted(
                    draw(st.lists(integers if kind == "integer" else numbers, min_size=2, max_size=2))
                )
                low, high = draw(st.sampled_from([pair[0], None])), draw(st.sampled_from([pair[1], None]))
                cls = Integer if kind == "integer" else Decimal
                return cls(**common, minimum=low, maximum=high)
            case "select_one" | "select_multiple":
                cls = SelectOne if kind == "select_one" else SelectMultiple
                choice_filter = draw(st.sampled_from([None, "name != 'c0'"]))
                return cls(**common, choices=draw(st.sampled_from(lists)), choice_filter=choice_filter)
            case "likert":
                return Likert(**common, choices=draw(st.sampled_from(lists)))
            case "rank":
                return Rank(
                    **common, choices=draw(st.sampled_from(lists)), top=draw(st.none() | st.integers(1, 9))
                )
            case "calculate":
                return Calculate(**common, calculation=_expression(draw, self.earlier))
            case "group":
                return Group(**common, questions=self.many(depth + 1, 3))
            case "repeat":
                count = _maybe(draw, lambda: _expression(draw, self.earlier))
                return Repeat(**common, questions=self.many(depth + 1, 3), repeat_count=count)
        simple = {
            "text": Text,
            "date": Date,
            "time": Time,
            "geopoint": Geopoint,
            "note": Note,
            "consent": Consent,
        }
        return simple[kind](**common)


@st.composite
def indicators(draw: Any, codes: list[str], earlier: list[str], unique: _Names) -> Indicator:
    """An indicator over earlier questions with up to three severity classes."""
    levels = draw(st.lists(st.integers(1, 5), unique=True, max_size=3))
    severity = tuple(
        Severity(level=level, when=_expression(draw, earlier), label=draw(localized(codes)))
        for level in levels
    )
    return Indicator(
        name=unique(draw),
        flag=_expression(draw, earlier),
        label=draw(localized(codes)),
        domain=draw(st.none() | words),
        bradshaw=tuple(draw(st.lists(st.sampled_from(BRADSHAW), unique=True))),
        population=_maybe(draw, lambda: _expression(draw, earlier)),
        severity=severity,
        safety=draw(st.booleans()),
    )


@st.composite
def topics(draw: Any, codes: list[str], unique: _Names) -> Topic:
    """An outline topic with prompts, probes, minutes and notes."""
    return Topic(
        name=unique(draw),
        label=draw(localized(codes)),
        prompts=tuple(draw(st.lists(localized(codes), max_size=3))),
        probes=tuple(draw(st.lists(localized(codes), max_size=3))),
        minutes=draw(st.none() | st.integers(0, 600)),
        notes=draw(localized(codes)),
        codes=tuple(draw(st.lists(names, max_size=3))),
    )


@st.composite
def codes_(draw: Any, codes: list[str], unique: _Names) -> Code:
    """A codebook entry."""
    return Code(
        code=unique(draw),
        label=draw(localized(codes)),
        definition=draw(localized(codes)),
        parent=draw(st.none() | names),
        domain=draw(st.none() | words),
        keywords=tuple(draw(st.lists(keywords, max_size=3))),
    )


@st.composite
def forms(draw: Any) -> Form:
    """A valid form: a questionnaire, or an interview or focus-group outline."""
    codes = draw(st.lists(st.sampled_from(list(LANGUAGES)), min_size=1, max_size=3, unique=True))
    unique = _Names()
    choices = draw(choice_lists(codes))
    survey = _Questions(draw, codes, choices, unique)
    questions = survey.many(0, 6)
    kind = draw(st.sampled_from(["questionnaire", "interview", "focus_group"]))
    outline = kind != "questionnaire"
    roster = _Questions(draw, codes, choices, _Names()).many(0, 3) if outline else ()
    return Form(
        id=draw(st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,12}", fullmatch=True)),
        title=draw(localized(codes)),
        version=draw(st.sampled_from(["1", "2024-06", "v3"])),
        kind=kind,
        default_language=draw(st.sampled_from(codes)),
        languages={code: LANGUAGES[code] for code in codes},
        population=draw(st.none() | words),
        description=draw(localized(codes)),
        questions=questions,
        choices=choices,
        indicators=tuple(draw(st.lists(indicators(codes, survey.earlier, unique), max_size=2))),
        topics=tuple(draw(st.lists(topics(codes, unique), max_size=3))) if outline else (),
        roster=roster,
        codebook=tuple(draw(st.lists(codes_(codes, unique), max_size=3))) if outline else (),
    )
