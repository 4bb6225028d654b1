"""XLSForm expressions: parsed once into an AST of frozen Structs, printed back, inspected statically.

Field people write XPath-flavoured expressions such as ``${age} >= 60 and selected(${needs}, 'care')``.
`parse` turns that text into data, `unparse` turns data back into canonical text, and `references`,
`calls`, `uses_current` and `check_calls` answer static questions. Running an expression is
`forms.evaluate`'s job; nothing here runs one, and nothing anywhere uses ``eval``.
The grammar and every function are described in ``docs/expressions.md``. This module holds the AST,
the parser, the printer and the static helpers; the tokens come from `forms.lexer`, where
`ExpressionError` is defined (it is re-exported here, its public home).

Errors::

    ExpressionError (ValueError)   text that is not an expression, or a call that cannot work;
                                   carries message, source and a 0-based position
    └── EvaluationError            (forms.functions) an expression that parsed but cannot run
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Literal

import msgspec

from forms.lexer import ExpressionError, Token, tokens

__all__ = [
    "FUNCTIONS",
    "KEYWORDS",
    "Binary",
    "BinaryOp",
    "Call",
    "Current",
    "ExpressionError",
    "Field",
    "Node",
    "Num",
    "Parent",
    "Ref",
    "Str",
    "Unary",
    "calls",
    "check_call",
    "check_calls",
    "compile_regex",
    "format_number",
    "node_from_json",
    "node_to_json",
    "parse",
    "references",
    "same",
    "strip_positions",
    "unparse",
    "uses_current",
    "walk",
]


# ---------------------------------------------------------------------------------------------- the AST

BinaryOp = Literal["or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod"]


class _Node(msgspec.Struct, frozen=True, kw_only=True, tag_field="k", forbid_unknown_fields=True):
    """What every node has: ``pos``, the 0-based offset in the source where the node starts."""

    pos: int = 0


class Num(_Node, frozen=True, tag="num"):
    """A number literal such as ``12`` or ``.5`` (never negative: ``-3`` is a `Unary`)."""

    value: float


class Str(_Node, frozen=True, tag="str"):
    """A string literal in single or double quotes."""

    value: str


class Ref(_Node, frozen=True, tag="ref"):
    """``${name}``: the answer to the question called ``name``."""

    name: str


class Current(_Node, frozen=True, tag="cur"):
    """``.``: the answer being checked (in a constraint) or the question itself."""


class Parent(_Node, frozen=True, tag="parent"):
    """``..``: only meaningful as the argument of ``position(..)``."""


class Field(_Node, frozen=True, tag="field"):
    """A bare name: in a choice filter, a column of the choice row (``district = ${district}``)."""

    name: str


class Unary(_Node, frozen=True, tag="neg"):
    """Negation, ``-x``; ``op`` is always ``"-"``."""

    op: Literal["-"]
    operand: Node


class Binary(_Node, frozen=True, tag="bin"):
    """``left op right`` for the operators of `BinaryOp`."""

    op: BinaryOp
    left: Node
    right: Node


class Call(_Node, frozen=True, tag="call"):
    """A function call ``name(args...)``; see `FUNCTIONS` for the names we run."""

    name: str
    args: tuple[Node, ...]


Node = Num | Str | Ref | Current | Parent | Field | Unary | Binary | Call

_ENCODER = msgspec.json.Encoder()
_DECODER: msgspec.json.Decoder[Node] = msgspec.json.Decoder(Node)


def node_to_json(node: Node) -> bytes:
    """The node as JSON, each object tagged by ``"k"``, as the browser interpreter reads it."""
    return _ENCODER.encode(node)


def node_from_json(data: bytes | str) -> Node:
    """A node back from `node_to_json`'s output; msgspec.ValidationError says where it is malformed."""
    return _DECODER.decode(data)


# ---------------------------------------------------------------------------------------- the parser

KEYWORDS = frozenset({"and", "or", "div", "mod"})
_PRECEDENCE = {"or": 1, "and": 2, "=": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4}
_PRECEDENCE |= {"+": 5, "-": 5, "*": 6, "div": 6, "mod": 6}
_LEVELS = tuple(frozenset(op for op, p in _PRECEDENCE.items() if p == level) for level in range(1, 7))
_UNARY, _PRIMARY = 7, 8


class _Parser:
    """Recursive descent over the XPath 1.0 precedence levels, loosest first."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokens(source)
        self.index = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, token: Token, expected: str = "") -> ExpressionError:
        found = _describe(token, self.source)
        message = f"expected {expected} but found {found}" if expected else f"unexpected {found}"
        return ExpressionError(message, self.source, token.pos)

    def whole(self) -> Node:
        if self.peek().kind == "end":
            raise ExpressionError("empty expression", self.source, 0)
        node = self.binary(0)
        if self.peek().kind != "end":
            raise self.fail(self.peek())
        return node

    def binary(self, level: int) -> Node:
        if level == len(_LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while (token := self.peek()).text in _LEVELS[level] and token.kind in ("name", token.text):
            self.take()
            left = Binary(token.text, left, self.binary(level + 1), pos=left.pos)  # type: ignore[arg-type]
        return left

    def unary(self) -> Node:
        if self.peek().kind == "-":
            token = self.take()
            return Unary("-", self.unary(), pos=token.pos)
        return self.primary()

    def primary(self) -> Node:
        token = self.take()
        match token.kind:
            case "num":
                return Num(float(token.text), pos=token.pos)
            case "str":
                return Str(token.text, pos=token.pos)
            case "ref":
                return Ref(token.text, pos=token.pos)
            case ".":
                return Current(pos=token.pos)
            case "..":
                return Parent(pos=token.pos)
            case "(":
                node = self.binary(0)
                if self.peek().kind != ")":
                    raise self.fail(self.peek(), "')'")
                self.take()
                return node
            case "name" if token.text not in KEYWORDS:
                return self.call(token) if self.peek().kind == "(" else Field(token.text, pos=token.pos)
        raise self.fail(token)

    def call(self, name: Token) -> Call:
        self.take()
        args: list[Node] = []
        if self.peek().kind == ")":
            self.take()
            return Call(name.text, (), pos=name.pos)
        while True:
            args.append(self.binary(0))
            token = self.take()
            if token.kind == ")":
                return Call(name.text, tuple(args), pos=name.pos)
            if token.kind != ",":
                raise self.fail(token, f"',' or ')' in {name.text}()")


def _describe(token: Token, source: str) -> str:
    if token.kind == "end":
        return "end of expression"
    text = source[token.pos : token.end]
    return f"string {text}" if token.kind == "str" else f"'{text}'"


MAX_DEPTH = 200
"""The deepest tree an expression may make. Checking, evaluating and printing walk the tree
recursively, so a long flat chain (``${a} + ${a} + …`` 600 times, a tree 600 deep) would exhaust
Python's stack after the parser had accepted it; real expressions stay far below (a chain of 40
``or``s is 40 deep)."""


@functools.lru_cache(maxsize=4096)
def parse(source: str) -> Node:
    """Parse an expression; raises `ExpressionError` naming the problem and its column."""
    try:
        tree = _Parser(source).whole()
    except RecursionError:
        raise ExpressionError("expression is nested too deeply", source, 0) from None
    if (levels := depth(tree)) > MAX_DEPTH:
        message = f"expression is nested too deeply ({levels} levels, at most {MAX_DEPTH})"
        raise ExpressionError(f"{message}: split it into calculations", source, 0)
    return tree


def depth(node: Node) -> int:
    """The number of levels of the tree (1 for a leaf), counted without recursion."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        match current:
            case Unary(operand=operand):
                stack.append((operand, level + 1))
            case Binary(left=left, right=right):
                stack += [(left, level + 1), (right, level + 1)]
            case Call(args=args):
                stack += [(arg, level + 1) for arg in args]
    return deepest


# --------------------------------------------------------------------------------------- the printer


def format_number(value: float) -> str:
    """A number as XPath prints it: integers without a point, no exponent, NaN and Infinity by name."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return format(Decimal(repr(value)).normalize(), "f")


def _quote(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    raise ValueError(f"cannot print {text!r}: XPath 1.0 strings cannot hold both ' and \"")


def _precedence(node: Node) -> int:
    if isinstance(node, Binary):
        return _PRECEDENCE[node.op]
    return _UNARY if isinstance(node, Unary) else _PRIMARY


def _wrapped(node: Node, parens: bool) -> str:
    return f"({unparse(node)})" if parens else unparse(node)


def unparse(node: Node) -> str:
    """Canonical text for a node, with the fewest parentheses that keep its shape."""
    match node:
        case Num(value=value):
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError(f"cannot print the number {value}: XPath has no literal for it")
            return format_number(value)
        case Str(value=value):
            return _quote(value)
        case Ref(name=name):
            return "${" + name + "}"
        case Current():
            return "."
        case Parent():
            return ".."
        case Field(name=name):
            return name
        case Unary(operand=operand):
            return "-" + _wrapped(operand, _precedence(operand) < _UNARY)
        case Binary(op=op, left=left, right=right):
            level = _PRECEDENCE[op]  # left-associative: an equal-precedence right side keeps its parentheses
            left_text, right_text = (
                _wrapped(left, _precedence(left) < level),
                _wrapped(right, _precedence(right) <= level),
            )
            return f"{left_text} {op} {right_text}"
        case Call(name=name, args=args):
            return f"{name}({', '.join(unparse(arg) for arg in args)})"
    raise TypeError(f"not an expression node: {node!r}")


def strip_positions(node: Node) -> Node:
    """The same tree with every ``pos`` set to 0, so trees from different texts compare equal."""
    match node:
        case Unary():
            return msgspec.structs.replace(node, pos=0, operand=strip_positions(node.operand))
        case Binary():
            left, right = strip_positions(node.left), strip_positions(node.right)
            return msgspec.structs.replace(node, pos=0, left=left, right=right)
        case Call():
            return msgspec.structs.replace(node, pos=0, args=tuple(map(strip_positions, node.args)))
    return msgspec.structs.replace(node, pos=0)


def same(a: Node, b: Node) -> bool:
    """Whether two trees are equal ignoring positions."""
    return strip_positions(a) == strip_positions(b)


# ----------------------------------------------------------------------------------- static helpers

FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "if": (3, 3),
    "selected": (2, 2),
    "count-selected": (1, 1),
    "selected-at": (2, 2),
    "string-length": (1, 1),
    "regex": (2, 2),
    "concat": (1, None),
    "coalesce": (2, 2),
    "int": (1, 1),
    "number": (1, 1),
    "string": (1, 1),
    "round": (1, 2),
    "today": (0, 0),
    "now": (0, 0),
    "sum": (1, 1),
    "count": (1, 1),
    "min": (1, None),
    "max": (1, None),
    "not": (1, 1),
    "true": (0, 0),
    "false": (0, 0),
    "position": (1, 1),
    "indexed-repeat": (3, 3),
    "uuid": (0, 1),
    "contains": (2, 2),
    "starts-with": (2, 2),
    "substr": (2, 3),
    "boolean": (1, 1),
    "floor": (1, 1),
    "ceiling": (1, 1),
    "abs": (1, 1),
    "pow": (2, 2),
}
"""Every function we run, with its arity (fewest, most; None = no limit)."""


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children, left to right."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        match current:
            case Unary():
                stack.append(current.operand)
            case Binary():
                stack.extend((current.right, current.left))
            case Call():
                stack.extend(reversed(current.args))


def references(node: Node) -> frozenset[str]:
    """The names of all questions referenced as ``${name}``."""
    return frozenset(n.name for n in walk(node) if isinstance(n, Ref))


def calls(node: Node) -> frozenset[str]:
    """The names of all functions called."""
    return frozenset(n.name for n in walk(node) if isinstance(n, Call))


def uses_current(node: Node) -> bool:
    """Whether the expression reads ``.``, the answer being checked."""
    return any(isinstance(n, Current) for n in walk(node))


@functools.lru_cache(maxsize=256)
def compile_regex(pattern: str) -> re.Pattern[str]:
    """A compiled ``regex()`` pattern (ASCII classes, as in ODK and browsers); raises re.error."""
    return re.compile(pattern, re.ASCII)


def _arity(low: int, high: int | None) -> str:
    if high is None:
        return f"at least {low} argument{'s' * (low != 1)}"
    if low != high:
        return f"{low} to {high} arguments"
    return "no arguments" if low == 0 else f"{low} argument{'s' * (low != 1)}"


def check_call(call: Call) -> str | None:
    """What is wrong with one call (unknown name, arity, arguments that cannot work), or None."""
    if call.name not in FUNCTIONS:
        return f"unknown function '{call.name}'"
    low, high = FUNCTIONS[call.name]
    if len(call.args) < low or (high is not None and len(call.args) > high):
        return f"{call.name}() takes {_arity(low, high)}, got {len(call.args)}"
    if call.name == "position" and not isinstance(call.args[0], Parent):
        return "position() takes '..' as its argument"
    if call.name == "indexed-repeat" and not all(isinstance(arg, Ref) for arg in call.args[:2]):
        return "indexed-repeat() takes ${question} and ${repeat} as its first two arguments"
    if call.name == "regex" and isinstance(call.args[1], Str):
        try:
            compile_regex(call.args[1].value)
        except re.error as error:
            return f"invalid regular expression {call.args[1].value!r}: {error}"
    return None


def check_calls(node: Node, source: str = "") -> list[ExpressionError]:
    """Every call that cannot run, in source order, each positioned at the call's name."""
    errors = []
    for call in walk(node):
        if isinstance(call, Call) and (problem := check_call(call)):
            errors.append(ExpressionError(problem, source, call.pos))
    return errors
