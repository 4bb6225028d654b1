"""The form's words for the HTML report, in one language, and how numbers are written.

:class:`Labels` gives a question's, option's, segment group's and indicator's label in
``language`` (the form's default language where a label lacks it, the name where there is no
label); ``extra`` adds labels for data columns used as segments (a site's name for ``_site``).
The formatters write numbers the way the report shows them: shares as percentages with one
decimal, p-values to three decimals (``< 0.001`` below that), counts with thousands separators.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from forms.compiler import Compiled
from forms.model import text_in

__all__ = ["Labels", "count", "interval", "number", "p_value", "percent"]


class Labels:
    """The form's text in one language."""

    def __init__(
        self,
        compiled: Compiled,
        language: str,
        extra: Mapping[str, Mapping[str, str]] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        self.compiled = compiled
        self.language = language
        self.default = compiled.form.default_language
        self.extra = extra or {}
        self.names = names or {}
        self.indicators = {i.name: i for i in compiled.form.indicators}

    def text(self, text: Mapping[str, str], fallback: str) -> str:
        return text_in(dict(text), self.language, self.default) or fallback

    @property
    def title(self) -> str:
        return self.text(self.compiled.form.title, self.compiled.form.id)

    def question(self, name: str) -> str:
        """A question's label, a data column's given name, or the name itself."""
        slot = self.compiled.slots.get(name)
        if slot is not None:
            return self.text(slot.question.label, name)
        return self.names.get(name, name)

    def type_of(self, name: str, fallback: str) -> str:
        slot = self.compiled.slots.get(name)
        return type(slot.question).__struct_config__.tag if slot is not None else fallback

    def _choice(self, name: str, option: str):
        slot = self.compiled.slots.get(name)
        choices = getattr(slot.question, "choices", None) if slot is not None else None
        return self.compiled.choices.get(choices, {}).get(option) if choices else None

    def option(self, name: str, option: str | None) -> str:
        """An option's label (its name when the list has no such choice)."""
        if option is None:
            return ""
        choice = self._choice(name, option)
        return self.text(choice.label, option) if choice is not None else option

    def score(self, name: str, option: str) -> float | None:
        """The likert value of an option (None: unscored, e.g. "don't know")."""
        choice = self._choice(name, option)
        return None if choice is None or choice.value is None else float(choice.value)

    def level(self, segment: str, value: str) -> str:
        """A group of a segment: a data column's label for it, else the segment question's option."""
        given = self.extra.get(segment, {})
        return given[value] if value in given else self.option(segment, value)

    def indicator(self, name: str) -> str:
        found = self.indicators.get(name)
        return self.text(found.label, name) if found is not None else self.question(name)

    def indicator_meta(self, name: str) -> dict[str, object]:
        found = self.indicators.get(name)
        if found is None:
            return {"domain": "", "bradshaw": []}
        return {"domain": found.domain or "", "bradshaw": list(found.bradshaw)}


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def percent(x: float | None) -> str:
    """0.4521 → ``45.2%``."""
    return f"{x * 100:.1f}%" if _finite(x) else ""  # type: ignore[operator]


def number(x: float | None, digits: int = 2) -> str:
    """A number with ``digits`` decimals (thousands separated)."""
    return f"{x:,.{digits}f}" if _finite(x) else ""


def count(n: int | float | None) -> str:
    return f"{int(n):,}" if n is not None and _finite(float(n)) else ""


def interval(low: float | None, high: float | None, share: bool = True, digits: int = 2) -> str:
    """``38.1–52.3%`` for shares, ``2.41–2.87`` otherwise; "" when either end is missing."""
    if not (_finite(low) and _finite(high)):
        return ""
    if share:
        return f"{low * 100:.1f}–{high * 100:.1f}%"  # type: ignore[operator]
    return f"{number(low, digits)}–{number(high, digits)}"


def p_value(p: float | None) -> str:
    if not _finite(p):
        return ""
    return "< 0.001" if p < 0.001 else f"{p:.3f}"  # type: ignore[operator]
