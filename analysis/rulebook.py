"""The rulebook: practitioners' rules from need findings to candidate interventions (TOML, versioned).

A rule names a population, a need domain, Bradshaw types, the form indicator it reads, a trigger
on that indicator's row in the results table (its estimate, lower confidence bound and n), the
severity class to assume when the indicator has none, an external benchmark for comparative need,
the qualitative codes that corroborate it, candidate interventions (method, description, evidence
level, references), outcome indicators to reuse at evaluation, a SMART objective template and
PEARL defaults. A rule *suggests*; it never decides (METHODS §5.4).

**Safety rules** (``safety = true``: self-harm, violence, child protection) carry an ``action``
instead of interventions: they produce an individual follow-up list and are never ranked, never
in a proposal (:mod:`analysis.recommend_safety`).

Errors::

    RulebookError        a rulebook that cannot be used; ``problems`` lists every problem found,
                         each as ``SOURCE: rule ID (rules[i]), FIELD: PROBLEM`` (a TOML syntax
                         error as ``SOURCE: line L, column C: PROBLEM``)

:func:`check` lists every problem of a file (and, given forms, how it fits them), as
``survey rules check`` prints them. The seed rulebook ships as package data
(``analysis/rules/seed.toml``): :func:`seed` reads it, :func:`seed_text` is its text.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import msgspec
from msgspec import Struct, field

from forms.errors import Problem
from forms.model import Form, Localized

__all__ = [
    "SMART_FIELDS",
    "Condition",
    "Evidence",
    "Intervention",
    "Outcome",
    "Pearl",
    "Rule",
    "Rulebook",
    "RulebookError",
    "check",
    "check_forms",
    "load",
    "loads",
    "seed",
    "seed_text",
]

Bradshaw = Literal["normative", "felt", "expressed", "comparative"]
Level = Literal["A", "B", "C", "D"]
Method = Literal["casework", "group_work", "community_work"]
Stat = Literal["estimate", "ci_low", "ci_high", "n", "n_total"]
Op = Literal[">=", ">", "<=", "<"]
Population = Literal[
    "older_people", "youth_students", "children", "women_carers", "disability", "migrants", "workforce", "any"
]
SMART_FIELDS = frozenset(
    {"end", "activity", "population", "n", "indicator", "baseline", "target", "instrument"}
)
"""The placeholders a SMART template may use (filled by :mod:`analysis.recommend`)."""
_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class Base(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Frozen and strict: an unknown key is a typo, and fails loudly."""


class Condition(Base):
    """``stat op value`` on a row of the results table, e.g. ``ci_low >= 0.20``."""

    stat: Stat
    op: Op
    value: float

    def holds(self, actual: float | None) -> bool | None:
        """True or False, or None when the row has no value (suppressed or missing)."""
        if actual is None:
            return None
        match self.op:
            case ">=":
                return actual >= self.value
            case ">":
                return actual > self.value
            case "<=":
                return actual <= self.value
            case "<":
                return actual < self.value


class Evidence(Base):
    """How strong the evidence for an intervention is (A meta-analyses … D none yet) and where it is."""

    level: Level
    refs: tuple[str, ...] = ()


class Intervention(Base):
    """A candidate service: casework, group work or community work."""

    id: str
    name: Localized
    method: Method
    evidence: Evidence
    description: Localized = field(default_factory=dict)
    effectiveness: float | None = None  # C on 0–10; when absent, from the evidence level (Settings)
    outputs: tuple[Localized, ...] = ()

    def __post_init__(self) -> None:
        if not _NAME.match(self.id):
            raise ValueError(f"intervention id {self.id!r} is not a valid name")
        if self.effectiveness is not None and not 0 <= self.effectiveness <= 10:
            raise ValueError("effectiveness is a score from 0 to 10")


class Outcome(Base):
    """An outcome indicator measured again at evaluation, with the instrument to reuse."""

    indicator: str
    direction: Literal["decrease", "increase"]
    instrument: Localized
    design: Literal["pre_post", "post_only", "follow_up"] = "pre_post"


class Pearl(Base):
    """The feasibility gate: 1 (yes), 0 (no) or absent (not yet decided) for each of P, E, A, R, L."""

    propriety: int | None = None
    economic: int | None = None
    acceptability: int | None = None
    resources: int | None = None
    legality: int | None = None

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            if getattr(self, name) not in (None, 0, 1):
                raise ValueError(f"PEARL {name} is 0 or 1 (or left out while undecided)")


class Rule(Base):
    """One rule: a need finding → candidate interventions (or, for a safety rule, an action)."""

    id: str
    title: Localized
    population: Population
    domain: str
    indicator: str
    bradshaw: tuple[Bradshaw, ...] = ()
    segments: tuple[str, ...] = ()  # segments whose groups may be the rule's target; () = every one
    trigger: tuple[Condition, ...] = ()
    severity: int = 3  # the class to assume when the indicator has no severity classes
    reference: float | None = None  # an external benchmark (district rate): comparative need above it
    codes: tuple[str, ...] = ()
    interventions: tuple[Intervention, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    smart: Localized = field(default_factory=dict)
    pearl: Pearl = field(default_factory=Pearl)
    safety: bool = False
    action: Localized = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise ValueError(f"id {self.id!r}: capitals, digits and hyphens, e.g. ELD-LON-01")
        if not 1 <= self.severity <= 5:
            raise ValueError("severity is a class from 1 to 5")
        if self.safety:
            if not self.action or self.interventions or self.trigger:
                raise ValueError("a safety rule has an action, and neither a trigger nor interventions")
            return
        if not self.trigger or not self.interventions:
            raise ValueError("a rule needs a trigger and at least one intervention")
        ids = [i.id for i in self.interventions]
        if len(set(ids)) != len(ids):
            raise ValueError("intervention ids repeat")
        for language, template in self.smart.items():
            unknown = {f for _, f, _, _ in string.Formatter().parse(template) if f} - SMART_FIELDS
            if unknown:
                raise ValueError(f"smart.{language} uses unknown fields {sorted(unknown)}")

    def text(self, what: Localized, language: str) -> str:
        """``what`` in ``language``, else Chinese, else any."""
        return what.get(language) or what.get("zh") or next(iter(what.values()), "")


class Rulebook(Base):
    """A named, versioned set of rules."""

    id: str
    version: str
    title: Localized
    rules: tuple[Rule, ...]

    def __post_init__(self) -> None:
        if not _NAME.match(self.id) or len(self.id) > 200:
            raise ValueError(f"id {self.id!r}: letters, digits, '_', '.' and '-', at most 200")
        if not self.version.strip() or len(self.version) > 100:
            raise ValueError("version: 1 to 100 characters, e.g. \"2027.1\"")

    @property
    def label(self) -> str:
        """``ID@VERSION``: how proposals and pages name the rulebook."""
        return f"{self.id}@{self.version}"

    def rule(self, rule_id: str) -> Rule:
        """The rule with ``rule_id`` (KeyError when there is none)."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


msgspec.json.Decoder(Rulebook)  # its decoding information built at import: see forms.formats.FORM_JSON


class RulebookError(ValueError):
    """A rulebook that cannot be used; ``problems`` lists every problem, each saying where."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# -------------------------------------------------------------------------------------------- reading

_AT = re.compile(r"^(?P<msg>.*?) - at `\$(?P<path>[^`]*)`$", re.S)
_TOML_AT = re.compile(
    r"^(?P<msg>.*) \(at (?:line (?P<line>\d+), column (?P<col>\d+)|end of document)\)$", re.S
)


def loads(data: bytes | str, source: str = "<rulebook>") -> Rulebook:
    """Read a rulebook from TOML text; RulebookError lists every problem, rule by rule."""
    text = _text(data, source)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise RulebookError([_syntax(err, text, source)]) from None
    rules = raw.get("rules")
    if not isinstance(rules, list) or not rules:
        raise RulebookError([Problem("rules", "a rulebook needs a [[rules]] list", source)])
    problems: list[Problem] = []
    head = {k: v for k, v in raw.items() if k != "rules"}
    try:
        msgspec.convert({**head, "rules": []}, Rulebook)
    except msgspec.ValidationError as err:
        problems.append(_problem(err, source, "rulebook"))
    found: list[Rule] = []
    for i, item in enumerate(rules):
        where = _rule_place(item, i)
        try:
            found.append(msgspec.convert(item, Rule))
        except msgspec.ValidationError as err:
            problems.append(_problem(err, source, where))
    problems += _duplicates(rules, source)
    if problems:
        raise RulebookError(problems)
    return msgspec.structs.replace(msgspec.convert({**head, "rules": []}, Rulebook), rules=tuple(found))


def load(path: str | Any) -> Rulebook:
    """Read the rulebook at ``path`` (a file name in its errors)."""
    with open(path, "rb") as handle:
        return loads(handle.read(), str(path))


def check(path: str | Any, forms: Iterable[Form] = ()) -> list[Problem]:
    """Every problem with the rulebook file at ``path``, and how it fits ``forms`` when given."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        return [Problem("file", err.strerror or str(err), str(path))]
    try:
        book = loads(data, str(path))
    except RulebookError as err:
        return list(err.problems)
    forms = list(forms)
    return check_forms(book, forms, str(path)) if forms else []


def seed_text() -> str:
    """The seed rulebook's TOML, comments and all: where a centre starts its own."""
    return (resources.files("analysis") / "rules" / "seed.toml").read_text("utf-8")


def seed() -> Rulebook:
    """The seed rulebook shipped with Tanfang (中文 and English)."""
    return loads(seed_text(), "analysis/rules/seed.toml")


def _text(data: bytes | str, source: str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        problem = Problem(f"line {line}, byte {err.start}", "the file is not UTF-8 text", source)
        raise RulebookError([problem]) from None


def _syntax(err: tomllib.TOMLDecodeError, text: str, source: str) -> Problem:
    """A TOML syntax error at its line and column (the last one for "end of document")."""
    m = _TOML_AT.match(str(err))
    if m is None:
        return Problem("document", str(err), source)
    if m["line"]:
        return Problem(f"line {m['line']}, column {m['col']}", m["msg"], source)
    lines = text.split("\n")
    return Problem(f"line {len(lines)}, column {len(lines[-1]) + 1}", m["msg"], source)


def _rule_place(item: Any, i: int) -> str:
    rule_id = item.get("id") if isinstance(item, dict) else None
    return f"rule {rule_id} (rules[{i}])" if isinstance(rule_id, str) else f"rules[{i}]"


def _problem(err: msgspec.ValidationError, source: str, where: str) -> Problem:
    text = str(err)
    m = _AT.match(text)
    if m is None:
        return Problem(where, text, source)
    path = m["path"].lstrip(".")
    return Problem(f"{where}, {path}" if path else where, m["msg"], source)


def _duplicates(rules: list[Any], source: str) -> list[Problem]:
    seen: dict[str, int] = {}
    out = []
    for i, item in enumerate(rules):
        rule_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(rule_id, str):
            continue
        if rule_id in seen:
            out.append(Problem(f"rule {rule_id} (rules[{i}]), id", f"repeats rules[{seen[rule_id]}]", source))
        seen.setdefault(rule_id, i)
    return out


# ------------------------------------------------------------------------------------ against forms


def check_forms(book: Rulebook, forms: Iterable[Form], source: str = "<rulebook>") -> list[Problem]:
    """What does not fit the forms: unknown indicators, segments, outcomes and codes.

    A rule whose indicator no form has is a warning (a rulebook spans populations); a ranked rule
    that reads a *safety* indicator, or a safety rule that reads a ranked one, is an error: a
    safety flag must never be ranked.
    """
    forms = list(forms)
    indicators = {i.name: i for f in forms for i in f.indicators}
    questions = {q.name for f in forms for q in _questions(f.questions)}
    codes = {c.code for f in forms for c in f.codebook}
    out: list[Problem] = []
    for i, rule in enumerate(book.rules):
        where = f"rule {rule.id} (rules[{i}])"
        found = indicators.get(rule.indicator)
        if found is None:
            out.append(
                Problem(f"{where}, indicator", f"no form has indicator {rule.indicator!r}", source, "warning")
            )
        elif found.safety != rule.safety:
            kind = "a safety indicator" if found.safety else "an indicator that is not a safety one"
            out.append(Problem(f"{where}, indicator", f"{rule.indicator!r} is {kind}", source))
        out += [
            Problem(f"{where}, segments", f"no form has a question {s!r}", source, "warning")
            for s in rule.segments
            if s not in questions
        ]
        out += [
            Problem(f"{where}, outcomes", f"no form has indicator {o.indicator!r}", source, "warning")
            for o in rule.outcomes
            if o.indicator not in indicators
        ]
        if codes:
            out += [
                Problem(f"{where}, codes", f"no codebook has code {c!r}", source, "warning")
                for c in rule.codes
                if c not in codes
            ]
    return out


def _questions(questions: Iterable[Any]) -> Iterable[Any]:
    for q in questions:
        yield q
        yield from _questions(getattr(q, "questions", ()))
