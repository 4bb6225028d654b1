"""Run a parsed expression against the answers: one evaluator, XPath 1.0 and ODK semantics.

`evaluate(node, env)` walks the AST from `forms.expressions`; the environment (`Env`) supplies the
answers, the current value, choice columns, the repeat position and today's date. Evaluation never
raises on missing or empty answers: they are ``""``, which compares false and computes to NaN. It
raises `EvaluationError` only for expressions that cannot run at all (unknown function, wrong
arity, invalid regex, ``position()`` without ``..``, ``indexed-repeat()`` without references) —
`forms.expressions.check_calls` finds those before a form is published.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from datetime import date
from types import MappingProxyType
from typing import Protocol

from forms.expressions import (
    FUNCTIONS,
    Binary,
    Call,
    Current,
    Field,
    Node,
    Num,
    Parent,
    Ref,
    Str,
    Unary,
    check_call,
)
from forms.functions import EAGER, EvaluationError, Value, items, to_answer, to_bool, to_number, to_string

__all__ = [
    "Env",
    "EvaluationError",
    "MappingEnv",
    "Value",
    "evaluate",
    "evaluate_answer",
    "evaluate_bool",
    "evaluate_str",
    "to_answer",
    "to_bool",
    "to_number",
    "to_string",
]


class Env(Protocol):
    """Where an expression's names get their values."""

    def ref(self, name: str) -> Value:
        """The answer to ``${name}``: a scalar, or a tuple for a question inside a repeat."""
        ...

    def current(self) -> Value:
        """The value of ``.``."""
        ...

    def field(self, name: str) -> Value:
        """A column of the choice row being filtered; ``""`` when absent."""
        ...

    def position(self) -> int:
        """The 1-based index of the current repeat instance; 0 outside a repeat."""
        ...

    def indexed(self, name: str, repeat: str, index: int) -> Value:
        """``indexed-repeat(${name}, ${repeat}, index)``: the answer in the index-th instance (1-based)."""
        ...

    def today(self) -> date:
        """Today's date, as the interview sees it."""
        ...


_NO_FIELDS: Mapping[str, Value] = MappingProxyType({})


class MappingEnv:
    """An `Env` over plain mappings, for tests and tools; unknown names read as ``""``."""

    __slots__ = ("_current", "_fields", "_position", "_today", "values")

    def __init__(
        self,
        values: Mapping[str, Value],
        current: Value = "",
        fields: Mapping[str, Value] = _NO_FIELDS,
        position: int = 0,
        today: date | None = None,
    ) -> None:
        self.values = values
        self._current = current
        self._fields = fields
        self._position = position
        self._today = today

    def ref(self, name: str) -> Value:
        """The value stored under ``name``, or ``""``."""
        return self.values.get(name, "")

    def current(self) -> Value:
        """The value given as ``current``."""
        return self._current

    def field(self, name: str) -> Value:
        """The choice column ``name``, or ``""``."""
        return self._fields.get(name, "")

    def position(self) -> int:
        """The position given."""
        return self._position

    def indexed(self, name: str, repeat: str, index: int) -> Value:
        """The index-th (1-based) item of ``values[name]``; ``""`` out of range."""
        answers = items(self.values.get(name, ()))
        return answers[index - 1] if 1 <= index <= len(answers) else ""

    def today(self) -> date:
        """The date given, else the real today."""
        return self._today or date.today()


# ------------------------------------------------------------------------------------------ entry points


def evaluate(node: Node, env: Env) -> Value:
    """The value of an expression; see ``docs/expressions.md`` for the rules."""
    return _NODES[type(node)](node, env)


def evaluate_bool(node: Node, env: Env) -> bool:
    """The expression as a condition (relevant, constraint, required, choice filter)."""
    return to_bool(evaluate(node, env))


def evaluate_str(node: Node, env: Env) -> str:
    """The expression as XPath ``string()`` (NaN is "NaN")."""
    return to_string(evaluate(node, env))


def evaluate_answer(node: Node, env: Env) -> str:
    """The expression as a stored answer (a calculation or default): NaN is stored as ``""``."""
    return to_answer(evaluate(node, env))


# ----------------------------------------------------------------------------------------- operators


def _equal(a: Value, b: Value) -> bool:
    if type(a) is bool or type(b) is bool:
        return to_bool(a) == to_bool(b)
    if type(a) is str and type(b) is str:
        return a == b
    return to_number(a) == to_number(b)


def _compare(test: Callable[[Value, Value], bool]) -> Callable[[Value, Value], bool]:
    """A scalar comparison extended to nodesets: true when any pair of items compares true."""

    def apply(a: Value, b: Value) -> bool:
        if type(a) is not tuple and type(b) is not tuple:
            return test(a, b)
        if type(a) is bool:  # XPath: a nodeset against a boolean compares as booleans
            b = to_bool(b)
        elif type(b) is bool:
            a = to_bool(a)
        return any(test(x, y) for x in items(a) for y in items(b))

    return apply


def _numeric(test: Callable[[float, float], bool]) -> Callable[[Value, Value], bool]:
    return lambda a, b: test(to_number(a), to_number(b))


def _div(a: float, b: float) -> float:
    if b == 0:
        return math.nan if a == 0 or a != a else math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _mod(a: float, b: float) -> float:
    try:
        return math.fmod(a, b)  # the sign of the dividend, as XPath asks
    except ValueError:
        return math.nan


def _arithmetic(compute: Callable[[float, float], float]) -> Callable[[Node, Node, Env], Value]:
    return lambda left, right, env: compute(to_number(evaluate(left, env)), to_number(evaluate(right, env)))


def _comparison(test: Callable[[Value, Value], bool]) -> Callable[[Node, Node, Env], Value]:
    compare = _compare(test)
    return lambda left, right, env: compare(evaluate(left, env), evaluate(right, env))


_BINARY: dict[str, Callable[[Node, Node, Env], Value]] = {
    "or": lambda left, right, env: to_bool(evaluate(left, env)) or to_bool(evaluate(right, env)),
    "and": lambda left, right, env: to_bool(evaluate(left, env)) and to_bool(evaluate(right, env)),
    "=": _comparison(_equal),
    "!=": _comparison(lambda a, b: not _equal(a, b)),
    "<": _comparison(_numeric(operator.lt)),
    "<=": _comparison(_numeric(operator.le)),
    ">": _comparison(_numeric(operator.gt)),
    ">=": _comparison(_numeric(operator.ge)),
    "+": _arithmetic(operator.add),
    "-": _arithmetic(operator.sub),
    "*": _arithmetic(operator.mul),
    "div": _arithmetic(_div),
    "mod": _arithmetic(_mod),
}


# ------------------------------------------------------------------------ functions that need the tree


def _if(call: Call, env: Env) -> Value:
    condition, then, otherwise = call.args
    return evaluate(then if to_bool(evaluate(condition, env)) else otherwise, env)


def _coalesce(call: Call, env: Env) -> Value:
    first = evaluate(call.args[0], env)
    return first if to_string(first) != "" else evaluate(call.args[1], env)


def _position(call: Call, env: Env) -> Value:
    if not isinstance(call.args[0], Parent):
        raise EvaluationError("position() takes '..' as its argument", position=call.pos)
    return float(env.position())


def _indexed_repeat(call: Call, env: Env) -> Value:
    name, repeat, index = call.args
    if not isinstance(name, Ref) or not isinstance(repeat, Ref):
        raise EvaluationError(check_call(call) or "indexed-repeat() needs references", position=call.pos)
    number = to_number(evaluate(index, env))
    return env.indexed(name.name, repeat.name, int(number)) if math.isfinite(number) else ""


_LAZY: dict[str, Callable[[Call, Env], Value]] = {
    "if": _if,
    "coalesce": _coalesce,
    "position": _position,
    "indexed-repeat": _indexed_repeat,
    "today": lambda call, env: env.today().isoformat(),
}


def _call(call: Call, env: Env) -> Value:
    low, high = FUNCTIONS.get(call.name, (0, -1))
    if not low <= len(call.args) <= (len(call.args) if high is None else high):
        raise EvaluationError(check_call(call) or "", position=call.pos)
    lazy = _LAZY.get(call.name)
    if lazy is not None:
        return lazy(call, env)
    values = [evaluate(arg, env) for arg in call.args]
    try:
        return EAGER[call.name](*values)
    except EvaluationError as error:
        raise EvaluationError(error.message, position=call.pos) from None


# --------------------------------------------------------------------------------------- node dispatch

_NODES: dict[type, Callable[..., Value]] = {
    Num: lambda node, env: node.value,
    Str: lambda node, env: node.value,
    Ref: lambda node, env: env.ref(node.name),
    Current: lambda node, env: env.current(),
    Parent: lambda node, env: "",
    Field: lambda node, env: env.field(node.name),
    Unary: lambda node, env: -to_number(evaluate(node.operand, env)),
    Binary: lambda node, env: _BINARY[node.op](node.left, node.right, env),
    Call: _call,
}
