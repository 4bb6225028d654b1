"""Problems with forms, and the exceptions that carry them.

    FormError                 anything wrong with a form definition
    └── DefinitionError       a definition that cannot be used; carries every Problem found

Expression syntax errors are :class:`forms.expressions.ExpressionError` (a ``ValueError``); the
compiler turns them into Problems that name the question and the column.

A :class:`Problem` says where: the source (a file path), the place inside it — ``line 3, column 5``
for TOML syntax, ``$.questions[3].choices`` for a wrong field, ``question household/age, relevant,
column 7`` for an expression, ``survey sheet, row 14, column relevant`` for an XLSForm cell — and
what is wrong. The CLI and the web upload print it the same way: ``PATH: WHERE: PROBLEM``.
"""

from __future__ import annotations

from typing import Literal

from msgspec import Struct


class Problem(Struct, frozen=True):
    """One thing wrong (``error``) or worth knowing (``warning``) about a form definition."""

    where: str
    message: str
    source: str = "<form>"
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.source}: {self.where}: {prefix}{self.message}"

    def at(self, source: str) -> Problem:
        """The same problem attributed to ``source`` (a file path)."""
        return Problem(self.where, self.message, source, self.severity)


class FormError(Exception):
    """Anything wrong with a form definition."""


class DefinitionError(FormError):
    """A definition that cannot be used; ``problems`` lists every error (and warning) found."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def errors(self) -> tuple[Problem, ...]:
        """Only the problems that make the definition unusable."""
        return tuple(p for p in self.problems if p.severity == "error")
