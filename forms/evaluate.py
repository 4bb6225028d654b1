"""Run a parsed expression against the answers: one evaluator, XPath 1.0 and ODK semantics.

`compile_node` turns an AST from `forms.expressions` once into a tree of closures (no source text,
no ``eval``), with literals folded in and fast paths for common shapes (``${age} >= 60``,
``if(${age} >= 60, 1, 0)``, ``selected(${needs}, 'care')``) that fall back to the general rule
for other types; `evaluate(node, env)` calls it on the environment (`Env`: answers, the current
value, choice columns, the repeat position, today; `Env`, `DirectEnv` and `MappingEnv` live in
`forms.env` and are re-exported here). `compile_bool` is the same as a condition. Given
``direct`` names, both compile for a `DirectEnv`: those names are read from ``env.values`` (or by
the reader given for them) and ``.`` from ``env.current_value`` in place, saving calls per read
(validation's hot path). Function calls are compiled in `forms.evaluate_calls`. Missing or
empty answers are ``""``, which compares false and computes to NaN. `EvaluationError` is only
for expressions that cannot run at all (unknown function, wrong arity, invalid regex,
``position()`` without ``..``, ``indexed-repeat()`` without references), raised when evaluation
reaches the call, never when compiling; `forms.expressions.check_calls` finds them first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple, TypeVar, cast

from forms import functions
from forms.env import DirectEnv, Env, MappingEnv
from forms.evaluate_calls import Calls, Compiled, Condition, literal
from forms.expressions import Binary, Call, Current, Field, Node, Parent, Ref, Unary
from forms.functions import EvaluationError, Value, to_answer, to_bool, to_number, to_string

__all__ = [
    "DirectEnv",
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

_C = TypeVar("_C")

_LIMIT = 1 << 16  # compiled trees kept before a cache starts over; a deployment holds far fewer
_VALUES: dict[int, tuple[Node, Compiled]] = {}
_CONDITIONS: dict[int, tuple[Node, Condition]] = {}


def compile_node(node: Node, direct: Mapping[str, Compiled | None] | None = None) -> Callable[[Env], Value]:
    """The expression as a function of the environment, compiled once per node object and cached.

    With ``direct``, the function is for a `DirectEnv`: a name that ``direct`` maps to None is
    read from ``env.values`` in place, one it maps to a function is read by calling it with the
    environment, and ``.`` is ``env.current_value``; it is compiled afresh (the caller keeps it,
    as validation's plans do).
    """
    if direct is not None:
        return _Compiler(direct).value(node)
    entry = _VALUES.get(id(node))
    return entry[1] if entry is not None else _remember(_VALUES, node, _PLAIN.value(node))


def compile_bool(node: Node, direct: Mapping[str, Compiled | None] | None = None) -> Callable[[Env], bool]:
    """`compile_node` as a condition: ``to_bool`` folded in, or skipped where the result is a bool."""
    if direct is not None:
        return _Compiler(direct).condition(node)
    entry = _CONDITIONS.get(id(node))
    return entry[1] if entry is not None else _remember(_CONDITIONS, node, _PLAIN.condition(node))


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


_BOOLEAN = frozenset({"selected", "regex", "not", "true", "false", "contains", "starts-with", "boolean"})


class _Exact(NamedTuple):
    """``subject op literal`` where a subject of the literal's type compares without conversion."""

    subject: Node
    kind: type
    test: Callable[[Value, Value], bool]  # for a subject of the literal's type
    compare: Callable[[Value, Value], bool]  # the general rule, for any other value
    constant: Value


def _exact(node: Node) -> _Exact | None:
    """The node as an `_Exact` comparison: against a float, or a string for = and !=; else None."""
    if not isinstance(node, Binary) or node.op not in functions.COMPARE:
        return None
    op, left, right = node.op, node.left, node.right
    if literal(left) is not None:  # `60 <= x` is `x >= 60`
        op, left, right = functions.MIRRORED[op], right, left
    constant = literal(right)
    kind = type(constant)
    if constant is None or not (kind is float or (kind is str and op in ("=", "!="))):
        return None
    return _Exact(left, kind, functions.EXACT[op], functions.COMPARE[op], constant)


class _Compiler(Calls):
    """Turns trees into closures; ``direct`` names (and ``.``) are read in place from a `DirectEnv`."""

    def __init__(self, direct: Mapping[str, Compiled | None] | None) -> None:
        self.direct = direct

    def in_place(self, node: Node) -> str | None:
        """``name`` for ``${name}`` read from ``env.values``; "." for ``.`` read in place; else None."""
        if self.direct is None:
            return None
        if isinstance(node, Ref) and node.name in self.direct and self.direct[node.name] is None:
            return node.name
        return "." if isinstance(node, Current) else None

    def value(self, node: Node) -> Compiled:
        constant = literal(node)
        if constant is not None:
            return lambda env: constant
        match node:
            case Ref(name=name) if self.direct is not None and name in self.direct:
                read = self.direct[name]
                return read if read is not None else lambda env: env.values.get(name, "")  # type: ignore[attr-defined]
            case Ref(name=name):
                return lambda env: env.ref(name)
            case Current() if self.direct is not None:
                return lambda env: env.current_value  # type: ignore[attr-defined]
            case Current():
                return lambda env: env.current()
            case Field(name=name):
                return lambda env: env.field(name)
            case Parent():
                return lambda env: ""
            case Unary(operand=operand):
                read = self.value(operand)
                return lambda env: -to_number(read(env))
            case Binary(op="and" | "or"):
                return self.condition(node)
            case Binary(op=op, left=left, right=right) if op in functions.ARITHMETIC:
                return self.arithmetic(functions.ARITHMETIC[op], left, right)
            case Binary(op=op, left=left, right=right):
                return self.comparison(op, left, right)
            case Call():
                return self.call(node)
        raise TypeError(f"not an expression node: {node!r}")

    def condition(self, node: Node) -> Condition:
        constant = literal(node)
        if constant is not None:
            truth = to_bool(constant)
            return lambda env: truth
        match node:
            case Binary(op="and", left=left, right=right):
                first, second = self.condition(left), self.condition(right)
                return self.within(left, right) or (lambda env: first(env) and second(env))
            case Binary(op="or", left=left, right=right):
                first, second = self.condition(left), self.condition(right)
                return lambda env: first(env) or second(env)
            case Binary(op=op, left=left, right=right) if op in functions.COMPARE:
                return self.comparison(op, left, right)
            case Call(name="if", args=(test, then, otherwise)):
                return self.choice(test, then, otherwise, self.condition)
            case Call(name=name) if name in _BOOLEAN:
                return cast(Condition, self.value(node))  # these give a bool (or raise)
        read = self.value(node)
        return lambda env: to_bool(read(env))

    def choice(
        self, test_node: Node, then: Node, otherwise: Node, branch: Callable[[Node], Callable[[Env], _C]]
    ) -> Callable[[Env], _C]:
        """``if(test, then, otherwise)``: only the chosen branch runs; literal branches are folded in."""
        test, yes, no = self.condition(test_node), branch(then), branch(otherwise)
        if literal(then) is None or literal(otherwise) is None:
            return lambda env: yes(env) if test(env) else no(env)
        fixed_yes, fixed_no = yes(cast(Env, None)), no(cast(Env, None))
        return self.pick(test_node, fixed_yes, fixed_no) or (lambda env: fixed_yes if test(env) else fixed_no)

    def pick(self, node: Node, yes: _C, no: _C) -> Callable[[Env], _C] | None:
        """``if(${name} >= 60, 1, 0)`` for a name read in place, in one closure; None for other shapes."""
        exact = _exact(node)
        name = None if exact is None else self.in_place(exact.subject)
        if exact is None or name is None or name == ".":
            return None
        kind, test, compare, constant = exact.kind, exact.test, exact.compare, exact.constant

        def pick(env: Env) -> _C:
            value = env.values.get(name, "")  # type: ignore[attr-defined]
            return yes if (test(value, constant) if type(value) is kind else compare(value, constant)) else no

        return pick

    def within(self, left: Node, right: Node) -> Condition | None:
        """``. >= 0 and . <= 120`` (or of one name read in place), in one closure; None for other shapes."""
        first, second = _exact(left), _exact(right)
        if first is None or second is None or first.kind is not second.kind:
            return None
        subject = self.in_place(first.subject)
        if subject is None or subject != self.in_place(second.subject):
            return None
        kind, test, compare, constant = first.kind, first.test, first.compare, first.constant
        test_2, compare_2, constant_2 = second.test, second.compare, second.constant
        if subject == ".":

            def within_current(env: Env) -> bool:
                value = env.current_value  # type: ignore[attr-defined]
                if type(value) is kind:
                    return test(value, constant) and test_2(value, constant_2)
                return compare(value, constant) and compare_2(value, constant_2)

            return within_current

        def within(env: Env) -> bool:
            value = env.values.get(subject, "")  # type: ignore[attr-defined]
            if type(value) is kind:
                return test(value, constant) and test_2(value, constant_2)
            return compare(value, constant) and compare_2(value, constant_2)

        return within

    # ------------------------------------------------------------------------------------- operators

    def comparison(self, op: str, left_node: Node, right_node: Node) -> Condition:
        exact = _exact(Binary(op, left_node, right_node))
        if exact is not None:
            return self.against_constant(exact)
        if literal(left_node) is not None:  # `60 <= x` is `x >= 60`
            op, left_node, right_node = functions.MIRRORED[op], right_node, left_node
        compare, constant = functions.COMPARE[op], literal(right_node)
        if constant is None:
            left, right = self.value(left_node), self.value(right_node)
            return lambda env: compare(left(env), right(env))
        read = self.value(left_node)
        return lambda env: compare(read(env), constant)

    def against_constant(self, exact: _Exact) -> Condition:
        """A comparison with a literal, exact for a value of the literal's type and general otherwise.

        A float against a number, or a string against a string for = and !=, needs no conversion;
        other values take `compare`, the general rule. A name or ``.`` is read in place when it can be.
        """
        kind, test, compare, constant = exact.kind, exact.test, exact.compare, exact.constant
        name = self.in_place(exact.subject)
        if name == ".":

            def against_current(env: Env) -> bool:
                value = env.current_value  # type: ignore[attr-defined]
                return test(value, constant) if type(value) is kind else compare(value, constant)

            return against_current
        if name is not None:

            def against_answer(env: Env) -> bool:
                value = env.values.get(name, "")  # type: ignore[attr-defined]
                return test(value, constant) if type(value) is kind else compare(value, constant)

            return against_answer
        read = self.value(exact.subject)

        def against(env: Env) -> bool:
            value = read(env)
            return test(value, constant) if type(value) is kind else compare(value, constant)

        return against

    def arithmetic(
        self, compute: Callable[[float, float], float], left_node: Node, right_node: Node
    ) -> Compiled:
        left, right = literal(left_node), literal(right_node)
        if right is not None:
            read, number = self.value(left_node), to_number(right)
            return lambda env: compute(to_number(read(env)), number)
        if left is not None:
            read, number = self.value(right_node), to_number(left)
            return lambda env: compute(number, to_number(read(env)))
        first, second = self.value(left_node), self.value(right_node)
        return lambda env: compute(to_number(first(env)), to_number(second(env)))


_PLAIN = _Compiler(None)
