"""The expression lexer: source text to tokens, with hints for the mistakes people make.

`tokens` splits an expression into `Token`s (numbers, strings, ``${name}`` references, names,
operators and punctuation), skipping spaces and the invisible characters that come with pasted text;
a character that cannot start a token raises `ExpressionError`, with a hint when it looks like a
habit from another language (``==``, ``&&``, full-width or curly punctuation). The parser in
`forms.expressions` reads the tokens; `ExpressionError` is defined here, the first place that
raises it, and re-exported there.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

__all__ = ["ExpressionError", "Token", "tokens"]


class ExpressionError(ValueError):
    """An expression that cannot be parsed or run, with the place in its source."""

    def __init__(self, message: str, source: str = "", position: int = 0) -> None:
        super().__init__(message, source, position)
        self.message = message
        self.source = source
        self.position = position

    @property
    def column(self) -> int:
        """The 1-based column of the problem, counted in characters from the start of the source."""
        return self.position + 1

    def __str__(self) -> str:
        return f"{self.message} at column {self.column}"

    def pointer(self) -> str:
        """The source line and a caret under the problem, for a terminal or a ``<pre>``."""
        start = self.source.rfind("\n", 0, self.position) + 1
        end = self.source.find("\n", self.position)
        line = self.source[start : end if end >= 0 else len(self.source)]
        width = sum(
            2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line[: self.position - start]
        )
        return f"{line}\n{' ' * width}^"


_INVISIBLE = "\u200b\ufeff"  # zero-width space and BOM: pasted from Word and Excel, never meant
_NUMBER_RUN = re.compile(r"[0-9A-Za-z_.]+")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_OPERATORS = ("!=", "<=", ">=", "=", "<", ">", "+", "-", "*", "(", ")", ",")
_HINTS = {
    "==": "use '=' instead of '=='",
    "&&": "use 'and' instead of '&&'",
    "||": "use 'or' instead of '||'",
    "!": "use not(...) or '!=' instead of '!'",
    "/": "unsupported '/' (divide with 'div'; refer to questions as ${name})",
}
_CURLY_QUOTES = "‘’“”"


class Token(NamedTuple):
    """One lexical token: ``kind`` is num, str, ref, name, end or the operator/punctuation itself."""

    kind: str
    text: str
    pos: int
    end: int


def _is_digit(char: str) -> bool:
    return len(char) == 1 and "0" <= char <= "9"


def _is_name_start(char: str) -> bool:
    return char == "_" or char.isalpha()


def _is_name_char(char: str) -> bool:
    return char in "_-." or unicodedata.category(char)[0] in "LMN"


def _is_name(text: str) -> bool:
    return bool(text) and _is_name_start(text[0]) and all(_is_name_char(c) for c in text[1:])


def tokens(source: str) -> list[Token]:
    """The source's tokens, ending with an ``end`` token; raises `ExpressionError` at a bad one."""
    found: list[Token] = []
    index = 0
    while True:
        while index < len(source) and (source[index].isspace() or source[index] in _INVISIBLE):
            index += 1
        if index == len(source):
            end = found[-1].end if found else 0
            return [*found, Token("end", "", end, end)]
        found.append(_token_at(source, index))
        index = found[-1].end


def _token_at(source: str, i: int) -> Token:
    char = source[i]
    if char == "$":
        return _reference(source, i)
    if char in "'\"":
        return _string(source, i)
    if _is_digit(char) or (char == "." and _is_digit(source[i + 1 : i + 2])):
        return _number(source, i)
    if char == ".":
        return Token("..", "..", i, i + 2) if source.startswith("..", i) else Token(".", ".", i, i + 1)
    if _is_name_start(char):
        return _name(source, i)
    for hint in ("==", "&&", "||"):
        if source.startswith(hint, i):
            raise ExpressionError(_HINTS[hint], source, i)
    for op in _OPERATORS:
        if source.startswith(op, i):
            return Token(op, op, i, i + len(op))
    raise ExpressionError(_unknown_character(char), source, i)


def _unknown_character(char: str) -> str:
    if char in _HINTS:
        return _HINTS[char]
    if "\uff01" <= char <= "\uff5e":
        return f"full-width {char!r} (use {chr(ord(char) - 0xFEE0)!r})"
    if char in _CURLY_QUOTES:
        return f"curly quote {char!r} (quote strings with ' or \")"
    return f"unexpected character {char!r}"


def _reference(source: str, i: int) -> Token:
    if not source.startswith("${", i):
        raise ExpressionError("unexpected '$' (a reference is written ${name})", source, i)
    close = source.find("}", i + 2)
    nested = source.find("${", i + 2)
    if close < 0 or 0 <= nested < close:
        raise ExpressionError("unclosed '${'", source, i)
    name = source[i + 2 : close].strip()
    if not name:
        raise ExpressionError("empty reference '${}'", source, i)
    if not _is_name(name):
        raise ExpressionError(f"invalid question name {name!r} in '${{...}}'", source, i)
    return Token("ref", name, i, close + 1)


def _string(source: str, i: int) -> Token:
    close = source.find(source[i], i + 1)
    if close < 0:
        raise ExpressionError(f"unterminated string (no closing {source[i]})", source, i)
    return Token("str", source[i + 1 : close], i, close + 1)


def _number(source: str, i: int) -> Token:
    match = _NUMBER_RUN.match(source, i)
    text = match.group() if match else source[i]
    if not _NUMBER.fullmatch(text):
        raise ExpressionError(f"bad number {text!r}", source, i)
    return Token("num", text, i, i + len(text))


def _name(source: str, i: int) -> Token:
    end = i + 1
    while end < len(source) and _is_name_char(source[end]):
        end += 1
    if source.startswith(":", end) and _is_name_start(source[end + 1 : end + 2] or "0"):
        end += 2  # a prefixed name such as jr:choice-name
        while end < len(source) and _is_name_char(source[end]):
            end += 1
    return Token("name", source[i:end], i, end)
