"""Each scope's questions as one generated Python function, for `forms.validation`.

Validation visits every question of every submission. A loop over a scope's rows (see
`forms.validation_plans`) pays for unpacking each row, dispatching on its step and looking up each
relevance condition; here each scope (the form, or a repeat) instead gets a function written out
for it, once per compiled form and on first use: its rows one after another, each as its step's
template (`_STEPS`), what is decided per form (whether an expression reads the value, whether the
answer has checks or an "other" text) decided while writing. What a row needs at run time (its
plan, accepted choice names, calculation, conditions) is passed in through the namespace the code
runs in. Nothing from a form enters the source except question names, each the ``repr()`` of a
``str`` (`_literal`): forms are uploaded by administrators. Everything off the common path calls
back into `forms.validation._Run` (``general``, ``repeat``, ``not_relevant``…), which keeps the one
implementation of the rare cases.

Relevance is decided as a loop over the rows decided it: each distinct condition of the scope is
computed at its first use — never earlier, as it may read values set by the rows before it — at
most once per scope instance (kept in a local when used again), conditions joined by ``and`` so
that one after a failing condition is not computed there; consecutive questions with the same
conditions share one decision. A consent question, a note shown on refusal, and a group asked on
consent holding an age and a question asked from 16 become::

    def walk(run, raw, scope):
        out = {}
        values = scope.values
        get = raw.get
        value = get('consent')
        if type(value) is str and value in extra_0:
            out['consent'] = value
            values['consent'] = value
        else:
            run.general(plan_0, value, raw, scope, out)
        if condition_0(scope):
            value = get('refused')
            if value is not None and not empty(value):
                run.fail(scope.path('refused'), "no_answer", plan_1)
        else:
            if get('refused') is not None:
                run.not_relevant(plan_1, raw, scope)
        if (c1 := condition_1(scope)):
            value = get('age')
            if type(value) is int and value in extra_2:
                out['age'] = value
                values['age'] = float(value)
            else:
                run.general(plan_2, value, raw, scope, out)
        else:
            if get('age') is not None:
                run.not_relevant(plan_2, raw, scope)
        if c1 and condition_2(scope):
            ...  # 'work', as 'age'
        if not known.issuperset(raw):
            run.unknown(known, raw, scope)
        return out

This is the one place the project compiles source it writes, and it is not the ``eval`` the style
guide rules out: a form's expressions never become source here — they stay the closures compiled
from their AST (`forms.evaluate`), passed in like any other value — and the text compiled is only
this module's templates with question names as literals, as `dataclasses` writes ``__init__``.

The file name it is compiled under, ``<validation household_visit@2026.1 repeat members>``, makes a
traceback say which form and scope it went through; `scope_source` gives the text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from forms.validation_plans import (
    STEP_CALCULATE,
    STEP_CHOICE,
    STEP_CHOICES,
    STEP_GENERAL,
    STEP_INTEGER,
    STEP_NOTE,
    STEP_REPEAT,
    STEP_TEXT,
    Check,
    Plan,
    Plans,
    Scope,
)
from forms.validation_read import empty, plain_choices
from forms.validation_shortcuts import CHECK_NOW, passes

Walk = Callable[[Any, Mapping[str, Any], Scope], dict[str, Any]]
"""A scope's function: (the validation run, the scope's answers, the scope instance) → cleaned answers."""

_EXACT = 2.0**53  # floats below this in size are whole numbers JSON can carry exactly
_WHOLE = {float(n): n for n in range(-16, 1025)}  # the common results of calculations, looked up


def _json_number(result: float) -> float | int:
    """A calculation's float as JSON keeps it: a whole number as an int."""
    return int(result) if result.is_integer() and -_EXACT < result < _EXACT else result


_HELPERS = {  # what the templates call, by the names they use
    "WHOLE": _WHOLE,
    "json_number": _json_number,
    "empty": empty,
    "plain_choices": plain_choices,
    "passes": passes,
}


def scope_function(plans: Plans, owner: str | None) -> Walk:
    """The function validating one instance of scope ``owner``: made on first use, kept on ``plans``.

    Two threads validating at once may both make it; either is kept, and they are the same.
    """
    found = plans.walks.get(owner)
    if found is None:
        text, namespace = scope_source(plans, owner)
        where = "top level" if owner is None else f"repeat {owner}"
        exec(compile(text, f"<validation {plans.form.id}@{plans.form.version} {where}>", "exec"), namespace)
        found = plans.walks[owner] = namespace["walk"]
    return found


def scope_source(plans: Plans, owner: str | None) -> tuple[str, dict[str, Any]]:
    """The source of scope ``owner``'s function and the namespace it runs in."""
    namespace: dict[str, Any] = {**_HELPERS, "known": plans.known[owner]}
    written = []  # per row: its conditions, its code when relevant, its code when not
    for i, (plan, name, step, conditions, extra, read) in enumerate(plans.rows[owner]):
        namespace[f"plan_{i}"], namespace[f"extra_{i}"] = plan, extra
        row = _Row(plan, _literal(name), f"plan_{i}", f"extra_{i}", extra, read)
        written.append((conditions, _STEPS[step](row), _skipped(row)))
    # consecutive rows with the identical conditions share one decision
    groups = [list(group) for _, group in groupby(written, key=lambda row: id(row[0]))]
    gates = _Gates(namespace, [group[0][0] for group in groups])
    body: list[str] = []
    for group in groups:
        conditions = group[0][0]
        asked = [line for _, lines, _ in group for line in lines]
        if not conditions:
            body += asked
            continue
        skipped = [line for _, _, lines in group for line in lines]
        body += [f"if {gates.decide(conditions)}:", *_indent(asked), "else:", *_indent(skipped)]
    head = ["out = {}", "values = scope.values", "get = raw.get"]
    head += [f"c{number} = None" for number in sorted(gates.unsure)]  # see _Gates
    tail = ["if not known.issuperset(raw):", "    run.unknown(known, raw, scope)", "return out"]
    return "\n".join(["def walk(run, raw, scope):", *_indent([*head, *body, *tail])]) + "\n", namespace


def _literal(name: object) -> str:
    """A question name as a string literal: the only text from a form that enters the source."""
    if type(name) is not str:  # a subclass of str could make repr() return anything
        raise TypeError(f"a question name must be a str, not {type(name).__name__}")
    return repr(name)


def _indent(lines: list[str]) -> list[str]:
    return [f"    {line}" for line in lines]


class _Gates:
    """The relevance conditions of one scope, numbered: ``condition_3`` is computed into local ``c3``.

    The first condition of a tuple is always computed; one after it only if those before it hold.
    ``sure`` holds the conditions computed on every path through the code written so far: their
    local is read as it is. One used before but not sure may have been skipped: it is computed if
    its local is still None, and ``unsure`` lists it so that the function starts it as None. A
    condition used by one gate only needs no local.
    """

    def __init__(self, namespace: dict[str, Any], gates: list[tuple[Check, ...]]) -> None:
        self.namespace = namespace
        self.uses = Counter(id(condition) for conditions in gates for condition in conditions)
        self.numbers: dict[int, int] = {}  # by id(condition)
        self.sure: set[int] = set()
        self.unsure: set[int] = set()

    def decide(self, conditions: tuple[Check, ...]) -> str:
        """The expression deciding relevance: the conditions joined by ``and``."""
        terms = []
        for position, condition in enumerate(conditions):
            number = self.numbers.get(id(condition))
            if number is None:  # its first use: certainly not computed before
                number = self.numbers[id(condition)] = len(self.numbers)
                self.namespace[f"condition_{number}"] = condition
                compute = f"condition_{number}(scope)"
                terms.append(f"(c{number} := {compute})" if self.uses[id(condition)] > 1 else compute)
            elif number in self.sure:
                terms.append(f"c{number}")
            else:
                self.unsure.add(number)
                compute = f"(c{number} := condition_{number}(scope))"
                terms.append(f"(c{number} if c{number} is not None else {compute})")
            if position == 0:
                self.sure.add(number)
        return " and ".join(terms)


@dataclass(frozen=True, slots=True)
class _Row:
    """One row of a scope, as its template writes it: names in the namespace, literals, and its flags."""

    plan: Plan
    key: str  # the question name as a literal
    ref: str  # the plan's name in the namespace
    extra: str  # the name in the namespace of the row's extra (accepted names, calculation…)
    extra_value: Any  # the extra itself, for a template that decides on it
    read: bool  # whether an expression reads the question's value

    def keep(self, value: str, indent: str = "    ") -> list[str]:
        """``values[name] = value``: the value expressions see, kept only when one reads it."""
        return [f"{indent}values[{self.key}] = {value}"] if self.read else []

    def general(self, value: str = "value") -> str:
        return f"run.general({self.ref}, {value}, raw, scope, out)"


def _skipped(row: _Row) -> list[str]:
    """A question that is not relevant: an answer to it (or to its "other") is dropped and listed."""
    given = f"get({row.key}) is not None"
    if row.plan.other_key:
        given += f" or get({_literal(row.plan.other_key)}) is not None"
    return [f"if {given}:", f"    run.not_relevant({row.ref}, raw, scope)"]


def _calculate(row: _Row) -> list[str]:
    """A calculation's value is the server's: any answer to it is ignored."""
    return [
        f"result = {row.extra}(scope)",
        "if type(result) is float:",
        "    if result == result:  # NaN is no value",
        *row.keep("result", "        "),
        "        whole = WHOLE.get(result)",
        f"        out[{row.key}] = whole if whole is not None else json_number(result)",
        'elif result != "" and result == result:',
        f"    values[{row.key}] = out[{row.key}] = result",
    ]


def _taken(row: _Row, kind: str, xpath: str) -> list[str]:
    """An answer of type ``kind`` taken as it is when it is among the row's accepted values."""
    return [
        f"value = get({row.key})",
        f"if type(value) is {kind} and value in {row.extra}:",
        f"    out[{row.key}] = value",
        *row.keep(xpath),
        "else:",
        f"    {row.general()}",
    ]


def _choice(row: _Row) -> list[str]:
    """A choice name with no "other" and no checks: taken when it is one of the accepted names."""
    return _taken(row, "str", "value")


def _choices(row: _Row) -> list[str]:
    """A list of distinct accepted names, then its "other" text and its checks if it has them."""
    lines = [
        f"value = get({row.key})",
        f"if type(value) is list and plain_choices(value, {row.extra}, {row.ref}.top):",
        '    xpath = " ".join(value)',
        f"    out[{row.key}] = value",
        *row.keep("xpath"),
    ]
    if row.plan.other_key:
        lines += [
            f"    other = get({_literal(row.plan.other_key)})",
            "    if other is not None:",
            f"        run.other({row.ref}, value, other, scope, out)",
        ]
    if row.plan.checks:
        lines.append(f"    run.check({row.ref}, scope, value, xpath)")
    return [*lines, "else:", f"    {row.general()}"]


def _integer(row: _Row) -> list[str]:
    """A whole number among those taken at once (in range, its checks passed in advance)."""
    return _taken(row, "int", "float(value)")


def _text(row: _Row) -> list[str]:
    """Text; its checks (the row's extra) run at once when they read only the answer, else later."""
    lines = [
        f"value = get({row.key})",
        "if type(value) is str and value:",
        f"    out[{row.key}] = value",
        *row.keep("value"),
    ]
    if row.extra_value == CHECK_NOW:
        lines += [
            f"    if not passes({row.ref}, scope, value, value):",
            f"        run.pending.append(({row.ref}, scope, value, value))",
        ]
    elif row.extra_value:
        lines.append(f"    run.pending.append(({row.ref}, scope, value, value))")
    return [*lines, "else:", f"    {row.general()}"]


def _general(row: _Row) -> list[str]:
    return [row.general(f"get({row.key})")]


def _repeat(row: _Row) -> list[str]:
    return [f"run.repeat({row.ref}, get({row.key}), scope, out)"]


def _note(row: _Row) -> list[str]:
    """A note takes no answer."""
    return [
        f"value = get({row.key})",
        "if value is not None and not empty(value):",
        f'    run.fail(scope.path({row.key}), "no_answer", {row.ref})',
    ]


_STEPS: dict[int, Callable[[_Row], list[str]]] = {
    STEP_CALCULATE: _calculate,
    STEP_CHOICE: _choice,
    STEP_CHOICES: _choices,
    STEP_INTEGER: _integer,
    STEP_TEXT: _text,
    STEP_GENERAL: _general,
    STEP_REPEAT: _repeat,
    STEP_NOTE: _note,
}
"""The template of each step: the row's code, as lines, where it is relevant."""
