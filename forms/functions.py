"""Values of the expression language, the XPath conversions between them, and its pure functions.

A value is a string, a float, a bool, or a tuple of scalars: a *nodeset*, the answers to one question
inside a repeat as seen from outside it. The empty answer is ``""``. Dates are ISO strings.
Everything here takes values and returns a value: the operators (`OPERATORS`, `COMPARE`,
`ARITHMETIC`) and the functions (`EAGER`). Functions that need the tree or the environment (``if``,
``coalesce``, ``today``, ``position``, ``indexed-repeat``) live in `forms.evaluate`. The conversions
test the common exact types (float, then str) first: they run on every comparison of every submission.
The rules are written out in ``docs/expressions.md``.
"""

from __future__ import annotations

import functools
import math
import operator
import re
import secrets
import string
import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, DecimalException
from typing import TypeVar

from forms.expressions import ExpressionError, compile_regex, format_number

__all__ = [
    "ARITHMETIC",
    "COMPARE",
    "EAGER",
    "EXACT",
    "MIRRORED",
    "OPERATORS",
    "EvaluationError",
    "Scalar",
    "Value",
    "items",
    "to_answer",
    "to_bool",
    "to_number",
    "to_string",
]

Scalar = str | float | bool
Value = str | float | bool | tuple[str | float | bool, ...]

NAN = math.nan
_EPOCH = date(1970, 1, 1).toordinal()
_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T(.+))?")
_TIME = re.compile(r"([0-9]{2}):([0-9]{2})(?::([0-9]{2}(?:\.[0-9]+)?))?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?")
_ALPHANUMERIC = string.ascii_letters + string.digits
_LONGEST_UUID = 1000
_T = TypeVar("_T")


class EvaluationError(ExpressionError):
    """An expression that parsed but cannot run: an unknown function, a bad regex, a misused call."""


# ------------------------------------------------------------------------------------- conversions


def items(value: Value) -> tuple[Scalar, ...]:
    """The items of a nodeset, or a scalar as a nodeset of one."""
    return value if isinstance(value, tuple) else (value,)


def to_number(value: Value) -> float:
    """XPath ``number()``: "" and text are NaN, ISO dates are days since 1970-01-01, true is 1."""
    if type(value) is float:
        return value
    if type(value) is str:
        return _string_to_number(value)
    if isinstance(value, float):  # subclasses (numpy.float64) after the exact types
        return value
    if isinstance(value, str):
        return _string_to_number(value)
    if isinstance(value, tuple):
        return to_number(value[0]) if value else NAN
    return float(value)  # a bool, or an int from a lenient environment


@functools.lru_cache(maxsize=8192)
def _string_to_number(text: str) -> float:
    text = text.strip()
    if _DECIMAL.fullmatch(text):
        return float(text)
    if match := _DATE.fullmatch(text):
        return _days(match)
    if match := _TIME.fullmatch(text):
        return _day_fraction(match)
    return NAN


def _days(match: re.Match[str]) -> float:
    try:
        days = float(date(int(match[1]), int(match[2]), int(match[3])).toordinal() - _EPOCH)
    except ValueError:
        return NAN
    if match[4] is None:
        return days
    time = _TIME.fullmatch(match[4])
    return days + _day_fraction(time) if time else NAN


def _day_fraction(match: re.Match[str]) -> float:
    hours, minutes, seconds = int(match[1]), int(match[2]), float(match[3] or 0)
    if hours > 23 or minutes > 59 or seconds >= 60:
        return NAN
    return (hours * 3600 + minutes * 60 + seconds) / 86400


def to_string(value: Value) -> str:
    """XPath ``string()``: numbers without ".0" or exponents, NaN as "NaN", a nodeset as its first item."""
    if type(value) is str:
        return value
    if type(value) is float:  # whole numbers are most results; format_number handles the rest alike
        return str(int(value)) if value.is_integer() and -1e16 < value < 1e16 else format_number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return to_string(value[0]) if value else ""
    return format_number(float(value))


def to_bool(value: Value) -> bool:
    """XPath ``boolean()``: a number is true unless 0 or NaN; a string or nodeset unless empty."""
    kind = type(value)
    if kind is bool:
        return value is True
    if kind is float:
        return value == value and value != 0.0
    if kind is str:
        return value != ""
    if isinstance(value, str | tuple):
        return len(value) > 0
    return value == value and value != 0


def to_answer(value: Value) -> str:
    """A result as a stored answer: like `to_string`, except NaN is stored empty, as ODK does."""
    return "" if type(value) is float and value != value else to_string(value)


def _index(value: Value) -> int | None:
    """An index argument as an int (truncated, clamped), or None when it is NaN ("" or text)."""
    number = to_number(value)
    return None if number != number else int(max(-(2**31), min(2**31, number)))


# --------------------------------------------------------------------------------------- operators


def _equal(a: Value, b: Value) -> bool:
    if type(a) is bool or type(b) is bool:
        return to_bool(a) == to_bool(b)
    if type(a) is str and type(b) is str:
        return a == b
    return to_number(a) == to_number(b)


def _nodesets(test: Callable[[Value, Value], bool]) -> Callable[[Value, Value], bool]:
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


def _numeric(operation: Callable[[float, float], _T]) -> Callable[[Value, Value], _T]:
    return lambda a, b: operation(to_number(a), to_number(b))


def _div(a: float, b: float) -> float:
    if b == 0:
        return math.nan if a == 0 or a != a else math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _mod(a: float, b: float) -> float:
    try:
        return math.fmod(a, b)  # the sign of the dividend, as XPath asks
    except ValueError:
        return math.nan


COMPARE: dict[str, Callable[[Value, Value], bool]] = {
    "=": _nodesets(_equal),
    "!=": _nodesets(lambda a, b: not _equal(a, b)),
    "<": _nodesets(_numeric(operator.lt)),
    "<=": _nodesets(_numeric(operator.le)),
    ">": _nodesets(_numeric(operator.gt)),
    ">=": _nodesets(_numeric(operator.ge)),
}
"""The comparison operators on any two values, nodesets included."""

ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "div": _div,
    "mod": _mod,
}
"""The arithmetic operators on two numbers (IEEE: never raises)."""

OPERATORS: dict[str, Callable[[Value, Value], Value]] = {
    "or": lambda a, b: to_bool(a) or to_bool(b),
    "and": lambda a, b: to_bool(a) and to_bool(b),
    **COMPARE,
    **{op: _numeric(compute) for op, compute in ARITHMETIC.items()},
}
"""Every binary operator on any two values; all are pure and none raises, so constants fold."""

EXACT: dict[str, Callable[[Value, Value], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
"""The comparisons where no conversion is needed: two floats, or two strings for = and !=."""

MIRRORED = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
"""The comparison that answers the same with its sides swapped (COMPARE treats both sides alike)."""


# ----------------------------------------------------------------------------------------- strings


def _selected(answer: Value, choice: Value) -> bool:
    return to_string(choice).strip() in to_string(answer).split()


def _count_selected(answer: Value) -> float:
    return float(len(to_string(answer).split()))


def _selected_at(answer: Value, index: Value) -> str:
    tokens, at = to_string(answer).split(), _index(index)
    return tokens[at] if at is not None and 0 <= at < len(tokens) else ""


def _regex(value: Value, pattern: Value) -> bool:
    text = to_string(pattern)
    try:
        compiled = compile_regex(text)
    except re.error as error:
        raise EvaluationError(f"invalid regular expression {text!r}: {error}") from None
    return compiled.search(to_string(value)) is not None


def _concat(*values: Value) -> str:
    return "".join(to_string(item) for value in values for item in items(value))


def _substr(value: Value, start: Value, end: Value | None = None) -> str:
    text = to_string(value)
    first = _index(start)
    last = len(text) if end is None else _index(end)
    return "" if first is None or last is None else text[first:last]


def _uuid(length: Value | None = None) -> str:
    size = None if length is None else _index(length)
    if size is None:
        return str(uuid.uuid4())
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(max(0, min(size, _LONGEST_UUID))))


# ----------------------------------------------------------------------------------------- numbers


def _finite(operation: Callable[[float], float]) -> Callable[[Value], float]:
    """Lift a rounding function to values; NaN and infinities pass through unchanged."""

    def apply(value: Value) -> float:
        number = to_number(value)
        return float(operation(number)) if math.isfinite(number) else number

    return apply


def _round(value: Value, digits: Value = 0.0) -> float:
    number, places = to_number(value), to_number(digits)
    if not math.isfinite(number) or places != places:
        return number if places == places else NAN
    exponent = Decimal(1).scaleb(-int(max(-400, min(400, places))))
    try:
        return float(Decimal(repr(number)).quantize(exponent, rounding=ROUND_HALF_UP))
    except DecimalException:
        return number  # more digits asked for than a float holds: nothing to round


def _pow(base: Value, exponent: Value) -> float:
    x, y = to_number(base), to_number(exponent)
    try:
        return math.pow(x, y)
    except OverflowError:
        return -math.inf if x < 0 and y % 2 == 1 else math.inf
    except ValueError:
        return math.inf if x == 0 else NAN  # 0 to a negative power; a negative base to a fraction


def _numbers(values: tuple[Value, ...]) -> list[float]:
    return [to_number(item) for value in values for item in items(value) if item != ""]


def _sum(value: Value) -> float:
    total = 0.0  # plain left-to-right addition, as in JavaRosa and the browser (builtin sum()
    for item in items(value):  # compensates rounding from Python 3.12 on)
        if type(item) is float:
            total += item
        elif item != "":
            total += to_number(item)
    return total


def _extreme(pick: Callable[[list[float]], float]) -> Callable[..., float]:
    def apply(*values: Value) -> float:
        numbers = _numbers(values)
        return NAN if not numbers or any(n != n for n in numbers) else pick(numbers)

    return apply


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


EAGER: dict[str, Callable[..., Value]] = {
    "selected": _selected,
    "count-selected": _count_selected,
    "selected-at": _selected_at,
    "string-length": lambda value: float(len(to_string(value))),
    "regex": _regex,
    "concat": _concat,
    "int": _finite(math.trunc),
    "number": to_number,
    "string": to_string,
    "boolean": to_bool,
    "round": _round,
    "now": _now,
    "sum": _sum,
    "count": lambda value: float(len(value)) if type(value) is tuple else 1.0,
    "min": _extreme(min),
    "max": _extreme(max),
    "not": lambda value: not to_bool(value),
    "true": lambda: True,
    "false": lambda: False,
    "uuid": _uuid,
    "contains": lambda text, part: to_string(part) in to_string(text),
    "starts-with": lambda text, prefix: to_string(text).startswith(to_string(prefix)),
    "substr": _substr,
    "floor": _finite(math.floor),
    "ceiling": _finite(math.ceil),
    "abs": lambda value: abs(to_number(value)),
    "pow": _pow,
}
"""Functions computed from their arguments' values, by name."""
