"""Validate a submission against its form and return every problem, never only the first.

:func:`validate` takes answers as JSON values (``{"age": 67, "needs": ["care"], "household":
[{"age": 3}]}``) or as an HTML post (lists of strings, repeats keyed ``household[2].age``), and
works in this order:

1. **relevance first** — questions are visited in dependency order; answers to questions that are
   not relevant are removed and listed in ``dropped`` (they were not asked, so they are not kept);
2. **types** — each answer is read as its question's type (whole numbers, choice names, dates…);
3. **calculations** are recomputed from the answers (the server's value is the one kept);
4. once every value is known: **required** (only when relevant), **ranges**, **constraints**
   (with the question's message in the chosen language), **choice membership and filters**,
   **exclusive options**, "other, specify", **repeat counts**. A range or a constraint that reads
   nothing but the answer itself is tried at once, and only an answer that fails it waits.

Paths name repeat instances from 1, as people count: ``household[2].age``. The per-question plans
and the scopes expressions read are in `forms.validation_plans`; the function each scope runs as,
generated from its plans, in `forms.validation_code`; reading an answer as its type is in
`forms.validation_read`. The answers given are read, never changed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

from msgspec import Struct

from forms import compiler, outline_answers
from forms.evaluate import to_number
from forms.model import Form, text_in
from forms.validation_code import scope_function
from forms.validation_plans import ANSWER, CHECK_NOW, MULTI, Plan, Plans, Scope
from forms.validation_read import (
    HUGE,
    MAX_INSTANCES,
    MESSAGES,
    Invalid,
    empty,
    plain_choices,
    read_choices,
    single,
    unflatten,
)
from forms.validation_shortcuts import passes


class AnswerProblem(Struct, frozen=True):
    """A problem with one answer: where (``household[2].age``), what kind, and a message for people."""

    path: str
    code: str
    message: str


class Validation(Struct, frozen=True):
    """The outcome: the cleaned answers, every problem, and the paths dropped as not relevant."""

    answers: dict[str, Any]
    errors: tuple[AnswerProblem, ...]
    dropped: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when the submission has no errors."""
        return not self.errors


_CACHE: dict[int, tuple[object, Plans]] = {}


def _plans_for(form: Form | compiler.Compiled) -> Plans:
    hit = _CACHE.get(id(form))
    if hit is None or hit[0] is not form:
        if len(_CACHE) > 64:
            _CACHE.clear()
        compiled = form if isinstance(form, compiler.Compiled) else compiler.compile_form(form)
        hit = (form, Plans(compiled))
        _CACHE[id(form)] = hit
    return hit[1]


def validate(
    form: Form | compiler.Compiled,
    answers: Mapping[str, Any],
    language: str | None = None,
    today: date | None = None,
) -> Validation:
    """Check ``answers`` against ``form``; return the cleaned answers and every problem."""
    plans = _plans_for(form)
    if plans.form.kind != "questionnaire":  # an outline's session: roster, notes, quotes too
        return outline_answers.validate_session(plans.form, answers, language, today)
    run = _Run(plans, language, today)
    cleaned = run.scope(None, unflatten(answers), Scope(plans, None, None, 0, today))
    run.finish()
    for scope in run.nests:  # a repeat's instances point back at their scope: let refcounts free them
        scope.instances.clear()
    return Validation(cleaned, tuple(run.errors), tuple(run.dropped))


_DICT = frozenset({dict})


class _Run:
    """One validation: walks the scopes, then checks what needs every value known."""

    def __init__(self, plans: Plans, language: str | None, today: date | None) -> None:
        self.plans = plans
        self.form = plans.form
        self.language = language or self.form.default_language
        self.today = today
        self.errors: list[AnswerProblem] = []
        self.dropped: list[str] = []
        self.pending: list[tuple[Plan, Scope, Any, Any]] = []  # (plan, scope, clean, XPath value)
        self.nests: list[Scope] = []  # the scopes that hold repeat instances

    def fail(self, path: str, code: str, plan: Plan | None = None, **params: object) -> None:
        self.errors.append(AnswerProblem(path, code, self.message(code, plan, params)))

    def message(self, code: str, plan: Plan | None, params: Mapping[str, object]) -> str:
        q = plan.slot.question if plan else None
        custom = {
            "required": q.required_message if q else {},
            "constraint": q.constraint_message if q else {},
        }
        text = custom.get(code) or {}
        if text:
            return text_in(text, self.language, self.form.default_language)
        return text_in(MESSAGES[code], self.language, "en").format(**params)

    def scope(self, owner: str | None, raw: Mapping[str, Any], scope: Scope) -> dict[str, Any]:
        """Evaluate one scope's questions in dependency order; return its cleaned answers.

        This runs for every question of every submission, so each scope runs as a function written
        for it (`forms.validation_code`): its questions one after another, the common answers (a
        calculation, a valid choice name, a whole number, text) taken inline, no path string built
        unless something is wrong, a group's relevance decided once per scope instance. What is off
        that path calls the methods below.
        """
        walk = self.plans.walks.get(owner) or scope_function(self.plans, owner)
        return walk(self, raw, scope)

    def general(
        self, plan: Plan, value: Any, raw: Mapping[str, Any], scope: Scope, out: dict[str, Any]
    ) -> None:
        """An answer off the inline steps: none, the general fast path, or read by its type."""
        other = raw.get(plan.other_key) if plan.other_key else None
        if value is None or value == "":
            if plan.required or plan.required_if:
                self.pending.append((plan, scope, None, ""))
            if other is not None:
                self.other(plan, None, other, scope, out)
            return
        fast_type, accepted = plan.fast or (None, None)
        if (
            type(value) is fast_type
            and (fast_type is not int or -HUGE < value < HUGE)
            and (
                accepted is None
                or (value in accepted if plan.kind == ANSWER else plain_choices(value, accepted, plan.top))
            )
        ):
            xpath = value if fast_type is str else float(value) if fast_type is int else " ".join(value)
            scope.values[plan.name] = xpath
            out[plan.name] = value
            if other is not None:
                self.other(plan, value, other, scope, out)
            if plan.checks:
                self.check(plan, scope, value, xpath)
        else:
            self.answer(plan, value, other, scope, out)

    def check(self, plan: Plan, scope: Scope, clean: Any, xpath: Any) -> None:
        """Ranges and constraints: at once when they read only the answer, else once all is known."""
        if plan.checks != CHECK_NOW or not passes(plan, scope, clean, xpath):
            self.pending.append((plan, scope, clean, xpath))

    def not_relevant(self, plan: Plan, raw: Mapping[str, Any], scope: Scope) -> None:
        """Answers to a question that was not asked are dropped, and listed."""
        if not empty(raw.get(plan.name)):
            self.dropped.append(scope.path(plan.name))
        if plan.other_key and not empty(raw.get(plan.other_key)):
            self.dropped.append(f"{scope.path(plan.name)}_other")

    def unknown(self, known: frozenset[str], raw: Mapping[str, Any], scope: Scope) -> None:
        for key in raw:
            if key not in known and not empty(raw[key]):
                self.fail(scope.path(key), "unknown")

    def answer(self, plan: Plan, value: Any, other: Any, scope: Scope, out: dict[str, Any]) -> None:
        """An answer off the inline path: read by its type, with its "other" text and checks."""
        try:
            clean, xpath = _read(plan, value)
        except Invalid as bad:
            self.fail(scope.path(plan.name), bad.code, plan, **bad.params)
            return
        if clean is not None:
            scope.values[plan.name] = xpath
            out[plan.name] = clean
        if plan.other_key:
            self.other(plan, clean, other, scope, out)
        if clean is None:
            if plan.required or plan.required_if:
                self.pending.append((plan, scope, None, ""))
        elif plan.checks:
            self.check(plan, scope, clean, xpath)

    def other(self, plan: Plan, clean: Any, other: Any, scope: Scope, out: dict[str, Any]) -> None:
        """The "other, specify" text: required when "other" is chosen, dropped otherwise."""
        chosen = [] if clean is None else clean if isinstance(clean, list) else [clean]
        path = f"{scope.path(plan.name)}_other"
        if any(plan.options[v].other for v in chosen):  # type: ignore[index]
            try:
                text = single(other) if isinstance(other, list) else other
            except Invalid as bad:
                self.fail(path, bad.code, plan)
                return
            if empty(text) or not isinstance(text, str):
                self.fail(path, "other", plan)
            else:
                out[plan.other_key] = text.strip()  # type: ignore[index]
        elif not empty(other):
            self.dropped.append(path)

    def repeat(self, plan: Plan, value: Any, scope: Scope, out: dict[str, Any]) -> None:
        name = plan.name
        instances: list[Scope] = []
        scope.instances[name] = instances
        self.nests.append(scope)
        items = [] if value is None else value
        if not isinstance(items, list) or (
            not _DICT.issuperset(map(type, items)) and any(not isinstance(i, Mapping) for i in items)
        ):
            self.fail(scope.path(name), "repeat", plan)
            return
        if len(items) > MAX_INSTANCES:  # no roster is that long; checking it would hold a worker for long
            self.fail(scope.path(name), "repeat_many", plan, limit=MAX_INSTANCES)
            return
        if plan.compute is not None:
            expected = to_number(plan.compute(scope))
            if math.isfinite(expected) and int(expected) != len(items):  # NaN or ∞ checks nothing
                self.fail(scope.path(name), "repeat_count", plan, expected=int(expected), actual=len(items))
        cleaned = []
        walk = self.plans.walks.get(name) or scope_function(self.plans, name)  # self.scope, looked up once
        for i, item in enumerate(items, 1):
            child = Scope(self.plans, scope, name, i, self.today)
            instances.append(child)
            cleaned.append(walk(self, item, child))
        if cleaned:
            out[name] = cleaned

    def finish(self) -> None:
        """Required, ranges, constraints, choices: checks that need every value known.

        ``.`` is the answer being checked (``""`` when there is none), as in the browser.
        """
        for plan, scope, clean, xpath in self.pending:  # the path is built only for a failure
            scope.current_value = xpath
            if clean is None:
                required = plan.required_if(scope) if plan.required_if else plan.required
                if required:
                    self.fail(scope.path(plan.name), "required", plan)
                continue
            if plan.minimum is not None and clean < plan.minimum:
                self.fail(scope.path(plan.name), "minimum", plan, limit=plan.minimum)
            if plan.maximum is not None and clean > plan.maximum:
                self.fail(scope.path(plan.name), "maximum", plan, limit=plan.maximum)
            if plan.choice_filter is not None:
                self.check_filter(plan, scope, clean)
            if plan.constraint is not None and not plan.constraint(scope):
                self.fail(scope.path(plan.name), "constraint", plan)

    def check_filter(self, plan: Plan, scope: Scope, clean: Any) -> None:
        fields = scope.fields
        for chosen in clean if isinstance(clean, list) else [clean]:
            scope.fields = {"name": chosen, **plan.options[chosen].filters}  # type: ignore[index]
            if not plan.choice_filter(scope):  # type: ignore[misc]
                self.fail(scope.path(plan.name), "filtered", plan, value=chosen)
        scope.fields = fields


def _read(plan: Plan, value: Any) -> tuple[Any, Any]:
    """The cleaned answer and its XPath value; (None, "") when unanswered."""
    if plan.kind == MULTI:
        return read_choices(plan.options, value, plan.exclusive, plan.top)  # type: ignore[arg-type]
    if type(value) is not str and isinstance(value, list | tuple):
        value = single(value)
    if value is None or (type(value) is str and (not value or value.isspace())):
        return None, ""
    return plan.reader(plan.options, value)  # type: ignore[misc]

