"""Compiling the function calls of an expression, for `forms.evaluate`'s compiler.

Most functions take their arguments' values (`forms.functions.EAGER`); ``if`` and ``coalesce``
run only the branch they need, ``position``, ``today`` and ``indexed-repeat`` read the
environment, and ``selected``, ``regex`` and ``not`` have fast paths for a literal argument.
A call that cannot run compiles to a function that raises `EvaluationError` at the call's place
when evaluation reaches it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TypeVar

from forms import expressions, functions
from forms.env import Env
from forms.expressions import Binary, Call, Node, Num, Parent, Ref, Str, Unary
from forms.functions import EvaluationError, Value, to_number, to_string

Compiled = Callable[[Env], Value]
Condition = Callable[[Env], bool]
_C = TypeVar("_C")


def literal(node: Node) -> Value | None:
    """The node's value when it needs no environment (a literal, or operators on literals), else None."""
    match node:
        case Num(value=value) | Str(value=value):
            return value
        case Unary(operand=operand):
            inner = literal(operand)
            return None if inner is None else -to_number(inner)
        case Binary(op=op, left=left, right=right):
            first = literal(left)
            second = None if first is None else literal(right)
            return None if second is None else functions.OPERATORS[op](first, second)  # type: ignore[arg-type]
    return None


class Calls:
    """The call half of `forms.evaluate`'s compiler, which supplies `value`, `condition` and `choice`."""

    def value(self, node: Node) -> Compiled:
        raise NotImplementedError

    def condition(self, node: Node) -> Condition:
        raise NotImplementedError

    def choice(
        self, test_node: Node, then: Node, otherwise: Node, branch: Callable[[Node], Callable[[Env], _C]]
    ) -> Callable[[Env], _C]:
        raise NotImplementedError

    def call(self, call: Call) -> Compiled:
        low, high = expressions.FUNCTIONS.get(call.name, (0, -1))
        count = len(call.args)
        if not low <= count <= (count if high is None else high):
            return _raising(expressions.check_call(call) or "", call.pos)
        special = _SPECIAL.get(call.name)
        return special(self, call) if special is not None else self.eager(call)

    def eager(self, call: Call) -> Compiled:
        """A function of its arguments' values (`forms.functions.EAGER`), its errors placed at the call."""
        function, position = functions.EAGER[call.name], call.pos
        args = tuple(map(self.value, call.args))
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

    def if_(self, call: Call) -> Compiled:
        return self.choice(call.args[0], call.args[1], call.args[2], self.value)

    def coalesce(self, call: Call) -> Compiled:
        first, second = self.value(call.args[0]), self.value(call.args[1])

        def run(env: Env) -> Value:
            value = first(env)
            return value if to_string(value) != "" else second(env)

        return run

    def position(self, call: Call) -> Compiled:
        if not isinstance(call.args[0], Parent):
            return _raising("position() takes '..' as its argument", call.pos)
        return lambda env: float(env.position())

    def indexed_repeat(self, call: Call) -> Compiled:
        name, repeat, index = call.args
        if not isinstance(name, Ref) or not isinstance(repeat, Ref):
            return _raising(expressions.check_call(call) or "indexed-repeat() needs references", call.pos)
        read, question, group = self.value(index), name.name, repeat.name

        def run(env: Env) -> Value:
            number = to_number(read(env))
            return env.indexed(question, group, int(number)) if math.isfinite(number) else ""

        return run

    def not_(self, call: Call) -> Compiled:
        test = self.condition(call.args[0])
        return lambda env: not test(env)

    def selected(self, call: Call) -> Compiled:
        choice = literal(call.args[1])
        if choice is None:
            return self.eager(call)
        token, read = to_string(choice).strip(), self.value(call.args[0])

        def run(env: Env) -> Value:
            answer = read(env)
            return token in (answer if type(answer) is str else to_string(answer)).split()

        return run

    def regex(self, call: Call) -> Compiled:
        pattern = literal(call.args[1])
        try:
            compiled = None if pattern is None else expressions.compile_regex(to_string(pattern))
        except re.error:
            compiled = None  # the general path raises it, at the call, if evaluation gets there
        if compiled is None:
            return self.eager(call)
        read = self.value(call.args[0])
        return lambda env: compiled.search(to_string(read(env))) is not None

    def today(self, call: Call) -> Compiled:
        return lambda env: env.today().isoformat()


def _raising(message: str, position: int) -> Compiled:
    """A call that cannot run: it raises when evaluation reaches it, not when it is compiled."""

    def fail(env: Env) -> Value:
        raise EvaluationError(message, position=position)

    return fail


_SPECIAL: dict[str, Callable[[Calls, Call], Compiled]] = {
    "if": Calls.if_,
    "coalesce": Calls.coalesce,
    "position": Calls.position,
    "indexed-repeat": Calls.indexed_repeat,
    "today": Calls.today,
    "not": Calls.not_,
    "selected": Calls.selected,
    "regex": Calls.regex,
}
"""Calls compiled from the tree: lazy ones, ones that read the environment, and literal fast paths."""
