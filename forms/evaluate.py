"""Run a parsed expression against the answers: one evaluator, XPath 1.0 and ODK semantics.

`compile_node` turns an AST from `forms.expressions` once into a tree of closures (no source text,
no ``eval``), with literals folded in and fast paths for common shapes (``${age} >= 60``) that fall
back to the general rule for other types; `evaluate(node, env)` calls it on the environment (`Env`:
answers, the current value, choice columns, the repeat position, today; `Env` and `MappingEnv` live
in `forms.env` and are re-exported here). `compile_bool` is the same as a condition. Missing or
empty answers are ``""``, which compares false and computes to NaN. `EvaluationError` is only for
expressions that cannot run at all (unknown function, wrong arity, invalid regex, ``position()``
without ``..``, ``indexed-repeat()`` without references), raised when evaluation reaches the call,
never when compiling; `forms.expressions.check_calls` finds them first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TypeVar, cast

from forms import expressions, functions
from forms.env import Env, MappingEnv
from forms.expressions import Binary, Call, Current, Field, Node, Num, Parent, Ref, Str, Unary
from forms.functions import EvaluationError, Value, to_answer, to_bool, to_number, to_string

__all__ = [
    "Env",
    "EvaluationError",
    "MappingEnv",
    "Value",
    "compile_bool",
    "compile_node",
    "evaluate",
    "evaluate_answer",
    "evaluate_bool",
    "evaluate_str",
    "to_answer",
    "to_bool",
    "to_number",
    "to_string",
]


# ------------------------------------------------------------------------------------------ entry points

Compiled = Callable[[Env], Value]
Condition = Callable[[Env], bool]
_C = TypeVar("_C")

_LIMIT = 1 << 16  # compiled trees kept before a cache starts over; a deployment holds far fewer
_VALUES: dict[int, tuple[Node, Compiled]] = {}
_CONDITIONS: dict[int, tuple[Node, Condition]] = {}


def compile_node(node: Node) -> Callable[[Env], Value]:
    """The expression as a function of the environment, compiled once per node object and cached."""
    entry = _VALUES.get(id(node))
    return entry[1] if entry is not None else _remember(_VALUES, node, _compile(node))


def compile_bool(node: Node) -> Callable[[Env], bool]:
    """`compile_node` as a condition: ``to_bool`` folded in, or skipped where the result is a bool."""
    entry = _CONDITIONS.get(id(node))
    return entry[1] if entry is not None else _remember(_CONDITIONS, node, _condition(node))


def _remember(cache: dict[int, tuple[Node, _C]], node: Node, compiled: _C) -> _C:
    # Keyed by identity, not equality: Num(-0.0) == Num(0.0) but they divide differently, and
    # hashing a tree costs as much as running it. The node is held so its id cannot be reused.
    if len(cache) >= _LIMIT:
        cache.clear()
    cache[id(node)] = (node, compiled)
    return compiled


def evaluate(node: Node, env: Env) -> Value:
    """The value of an expression, ``compile_node(node)(env)``; see ``docs/expressions.md`` for the rules."""
    try:  # compile_node inlined: this is the hot path
        compiled = _VALUES[id(node)][1]
    except KeyError:
        compiled = compile_node(node)
    return compiled(env)


def evaluate_bool(node: Node, env: Env) -> bool:
    """The expression as a condition (relevant, constraint, required, choice filter)."""
    return compile_bool(node)(env)


def evaluate_str(node: Node, env: Env) -> str:
    """The expression as XPath ``string()`` (NaN is "NaN")."""
    return to_string(evaluate(node, env))


def evaluate_answer(node: Node, env: Env) -> str:
    """The expression as a stored answer (a calculation or default): NaN is stored as ``""``."""
    return to_answer(evaluate(node, env))


# ----------------------------------------------------------------------------------------- compiling


def _literal(node: Node) -> Value | None:
    """The node's value when it needs no environment (a literal, or operators on literals), else None."""
    match node:
        case Num(value=value) | Str(value=value):
            return value
        case Unary(operand=operand):
            inner = _literal(operand)
            return None if inner is None else -to_number(inner)
        case Binary(op=op, left=left, right=right):
            first = _literal(left)
            second = None if first is None else _literal(right)
            return None if second is None else functions.OPERATORS[op](first, second)  # type: ignore[arg-type]
    return None


def _compile(node: Node) -> Compiled:
    constant = _literal(node)
    if constant is not None:
        return lambda env: constant
    match node:
        case Ref(name=name):
            return lambda env: env.ref(name)
        case Current():
            return lambda env: env.current()
        case Field(name=name):
            return lambda env: env.field(name)
        case Parent():
            return lambda env: ""
        case Unary(operand=operand):
            read = _compile(operand)
            return lambda env: -to_number(read(env))
        case Binary(op="and" | "or"):
            return _condition(node)
        case Binary(op=op, left=left, right=right) if op in functions.ARITHMETIC:
            return _arithmetic(functions.ARITHMETIC[op], left, right)
        case Binary(op=op, left=left, right=right):
            return _comparison(op, left, right)
        case Call():
            return _call(node)
    raise TypeError(f"not an expression node: {node!r}")


_BOOLEAN = frozenset({"selected", "regex", "not", "true", "false", "contains", "starts-with", "boolean"})


def _condition(node: Node) -> Condition:
    constant = _literal(node)
    if constant is not None:
        truth = to_bool(constant)
        return lambda env: truth
    match node:
        case Binary(op="and", left=left, right=right):
            first, second = _condition(left), _condition(right)
            return lambda env: first(env) and second(env)
        case Binary(op="or", left=left, right=right):
            first, second = _condition(left), _condition(right)
            return lambda env: first(env) or second(env)
        case Binary(op=op, left=left, right=right) if op in functions.COMPARE:
            return _comparison(op, left, right)
        case Call(name="if", args=(test, then, otherwise)):
            check, yes, no = _condition(test), _condition(then), _condition(otherwise)
            return lambda env: yes(env) if check(env) else no(env)
        case Call(name=name) if name in _BOOLEAN:
            return cast(Condition, _compile(node))  # these give a bool (or raise)
        case Ref(name=name):
            return lambda env: to_bool(env.ref(name))
    read = _compile(node)
    return lambda env: to_bool(read(env))


# ----------------------------------------------------------------------------------------- operators


def _comparison(op: str, left_node: Node, right_node: Node) -> Condition:
    if _literal(left_node) is not None:  # `60 <= x` is `x >= 60`
        op, left_node, right_node = functions.MIRRORED[op], right_node, left_node
    compare, constant = functions.COMPARE[op], _literal(right_node)
    if constant is None:
        left, right = _compile(left_node), _compile(right_node)
        return lambda env: compare(left(env), right(env))
    kind = type(constant)
    if kind is float or (kind is str and op in ("=", "!=")):
        return _against_constant(left_node, functions.EXACT[op], compare, constant)
    read = _compile(left_node)
    return lambda env: compare(read(env), constant)


def _against_constant(
    node: Node, test: Callable[[Value, Value], bool], compare: Callable[[Value, Value], bool], constant: Value
) -> Condition:
    """A comparison with a literal, exact for a value of the literal's type and general otherwise.

    A float against a number, or a string against a string for = and !=, needs no conversion; other
    values take `compare`, the general rule. ``${name}`` and ``.`` are read in place, saving a call.
    """
    kind = type(constant)
    match node:
        case Ref(name=name):

            def against_answer(env: Env) -> bool:
                value = env.ref(name)
                return test(value, constant) if type(value) is kind else compare(value, constant)

            return against_answer
        case Current():

            def against_current(env: Env) -> bool:
                value = env.current()
                return test(value, constant) if type(value) is kind else compare(value, constant)

            return against_current
    read = _compile(node)

    def against(env: Env) -> bool:
        value = read(env)
        return test(value, constant) if type(value) is kind else compare(value, constant)

    return against


def _arithmetic(compute: Callable[[float, float], float], left_node: Node, right_node: Node) -> Compiled:
    left, right = _literal(left_node), _literal(right_node)
    if right is not None:
        read, number = _compile(left_node), to_number(right)
        return lambda env: compute(to_number(read(env)), number)
    if left is not None:
        read, number = _compile(right_node), to_number(left)
        return lambda env: compute(number, to_number(read(env)))
    first, second = _compile(left_node), _compile(right_node)
    return lambda env: compute(to_number(first(env)), to_number(second(env)))


# ----------------------------------------------------------------------------------------- functions


def _call(call: Call) -> Compiled:
    low, high = expressions.FUNCTIONS.get(call.name, (0, -1))
    count = len(call.args)
    if not low <= count <= (count if high is None else high):
        return _raising(expressions.check_call(call) or "", call.pos)
    special = _SPECIAL.get(call.name)
    return special(call) if special is not None else _eager(call)


def _raising(message: str, position: int) -> Compiled:
    """A call that cannot run: it raises when evaluation reaches it, not when it is compiled."""

    def fail(env: Env) -> Value:
        raise EvaluationError(message, position=position)

    return fail


def _eager(call: Call) -> Compiled:
    """A function of its arguments' values (`forms.functions.EAGER`); its errors are placed at the call."""
    function, position = functions.EAGER[call.name], call.pos
    args = tuple(map(_compile, call.args))
    if len(args) == 1:  # most calls: no list, no unpacking
        (only,) = args

        def one(env: Env) -> Value:
            value = only(env)
            try:
                return function(value)
            except EvaluationError as error:
                raise EvaluationError(error.message, position=position) from None

        return one

    def many(env: Env) -> Value:
        values = [arg(env) for arg in args]
        try:
            return function(*values)
        except EvaluationError as error:
            raise EvaluationError(error.message, position=position) from None

    return many


def _if(call: Call) -> Compiled:
    test, then, otherwise = _condition(call.args[0]), _compile(call.args[1]), _compile(call.args[2])
    return lambda env: then(env) if test(env) else otherwise(env)


def _coalesce(call: Call) -> Compiled:
    first, second = _compile(call.args[0]), _compile(call.args[1])

    def run(env: Env) -> Value:
        value = first(env)
        return value if to_string(value) != "" else second(env)

    return run


def _position(call: Call) -> Compiled:
    if not isinstance(call.args[0], Parent):
        return _raising("position() takes '..' as its argument", call.pos)
    return lambda env: float(env.position())


def _indexed_repeat(call: Call) -> Compiled:
    name, repeat, index = call.args
    if not isinstance(name, Ref) or not isinstance(repeat, Ref):
        return _raising(expressions.check_call(call) or "indexed-repeat() needs references", call.pos)
    read, question, group = _compile(index), name.name, repeat.name

    def run(env: Env) -> Value:
        number = to_number(read(env))
        return env.indexed(question, group, int(number)) if math.isfinite(number) else ""

    return run


def _not(call: Call) -> Compiled:
    test = _condition(call.args[0])
    return lambda env: not test(env)


def _selected(call: Call) -> Compiled:
    choice = _literal(call.args[1])
    if choice is None:
        return _eager(call)
    token, read = to_string(choice).strip(), _compile(call.args[0])

    def run(env: Env) -> Value:
        answer = read(env)
        return token in (answer if type(answer) is str else to_string(answer)).split()

    return run


def _regex(call: Call) -> Compiled:
    pattern = _literal(call.args[1])
    try:
        compiled = None if pattern is None else expressions.compile_regex(to_string(pattern))
    except re.error:
        compiled = None  # the general path raises it, at the call, if evaluation gets there
    if compiled is None:
        return _eager(call)
    read = _compile(call.args[0])
    return lambda env: compiled.search(to_string(read(env))) is not None


_SPECIAL: dict[str, Callable[[Call], Compiled]] = {
    "if": _if,
    "coalesce": _coalesce,
    "position": _position,
    "indexed-repeat": _indexed_repeat,
    "today": lambda call: lambda env: env.today().isoformat(),
    "not": _not,
    "selected": _selected,
    "regex": _regex,
}
"""Calls compiled from the tree: lazy ones, ones that read the environment, and literal fast paths."""
