"""Where an expression's names get their values: the `Env` protocols and `MappingEnv`, their plain form.

`forms.evaluate` runs an expression against an `Env`: answers (``${name}``), the current value
(``.``), choice columns, the repeat position and today. A `DirectEnv` also shows its answers as a
mapping and ``.`` as an attribute, so that compiled expressions can read them without a call.
`MappingEnv` serves both from mappings, for tests and tools; validation brings its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Protocol

from forms.functions import Value, items

__all__ = ["DirectEnv", "Env", "MappingEnv"]


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


class DirectEnv(Env, Protocol):
    """An `Env` whose answers can be read in place: what `compile_node(node, direct)` expects.

    For every name in the ``direct`` set it was compiled with, ``ref(name)`` must equal
    ``values.get(name, "")``; ``current_value`` must equal ``current()``.
    """

    values: Mapping[str, Value]
    current_value: Value


_NO_FIELDS: Mapping[str, Value] = MappingProxyType({})


class MappingEnv:
    """A `DirectEnv` over plain mappings, for tests and tools; unknown names read as ``""``."""

    __slots__ = ("_fields", "_position", "_today", "current_value", "values")

    def __init__(
        self,
        values: Mapping[str, Value],
        current: Value = "",
        fields: Mapping[str, Value] = _NO_FIELDS,
        position: int = 0,
        today: date | None = None,
    ) -> None:
        self.values = values
        self.current_value = current
        self._fields = fields
        self._position = position
        self._today = today

    def ref(self, name: str) -> Value:
        """The value stored under ``name``, or ``""``."""
        return self.values.get(name, "")

    def current(self) -> Value:
        """The value given as ``current``."""
        return self.current_value

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
