"""XLSForm (.xlsx) import and export: standard XLSForm that pyxform, ODK and Kobo read, plus our extras.

    read_xlsform(data, source)  -> (Form, warnings)   forms.xlsform_read; DefinitionError on errors
    write_xlsform(form)         -> bytes              forms.xlsform_write

The layout, shared by both directions (``read(write(form)) == form``):

- ``survey`` sheet: ``type``, ``name``, ``label::<Name> (<code>)`` per language, ``hint::…``,
  ``required`` (``yes`` or an expression), ``required_message::…``, ``relevant``, ``constraint``,
  ``constraint_message::…``, ``calculation``, ``choice_filter``, ``appearance``, ``default``,
  ``repeat_count``; our own columns, which pyxform, ODK and Kobo ignore: ``segment``, ``scale``,
  ``reverse``, ``pii``, ``weight`` (``yes`` or blank), ``top`` (rank), ``minimum``/``maximum``
  (numbers; the constraint column starts with ``. >= MIN and . <= MAX`` so ODK enforces them) and
  ``tanfang_type`` where the XLSForm type alone does not say ours (see :data:`TANFANG_TYPES`).
- Types: likert is ``select_one L`` with the appearance ``likert``; rank is ``rank L``; consent is
  ``select_one tanfang_consent`` (an added yes/no list) marked ``tanfang_type = consent`` —
  ``acknowledge`` cannot record a "no"; groups and repeats are ``begin_group``/``begin_repeat``.
  A form without questions (an outline) gets one note, marked ``tanfang_type = placeholder``.
- ``choices`` sheet: ``list_name``, ``name``, ``label::…``, ``score`` (a likert point's value —
  pyxform reads a ``value`` column as another name for ``name``), ``exclusive``, ``other``; every
  other column is a filter column.
- ``settings`` sheet: ``form_title`` (in the default language), ``form_id``, ``version``,
  ``default_language``; the ``tanfang`` sheet (``key``, ``language``, ``value``) keeps the rest:
  kind, population, languages in order, other titles, descriptions, empty choice lists.
- Indicators: ``indicators`` and ``severity`` sheets; outlines: ``topics``, ``prompts`` (one row per
  prompt or probe), ``codebook`` and ``roster`` (laid out as the survey sheet).

Reading someone else's workbook never drops anything silently. Warnings: unsupported question types
(start, end, today, audit, image, range…: the row is skipped), unknown sheets and columns (once
each), a column without a header that holds values, a row with text but no type, a cell in a
column its type has no place for, ``required`` on a note or group (the compiler rejects it), and
expressions we cannot run — they do not parse, call a function we lack, use a bare name, or read a
skipped question — which are dropped (a calculate without its calculation is skipped). Errors: not
a workbook, no or empty survey sheet, no type or name column, duplicate columns, unmatched begin
and end rows, a missing choice list, invalid names and values the model rejects.
"""

from __future__ import annotations

import os
import re

from forms import expressions as ex
from forms.errors import Problem
from forms.model import Choice, Form

__all__ = ["read_xlsform", "write_xlsform"]

SURVEY_TEXTS = ("label", "hint", "required_message", "constraint_message")
SURVEY_EXPRESSIONS = ("relevant", "constraint", "calculation", "choice_filter", "repeat_count")
SURVEY_PLAIN = (
    "required",
    "relevant",
    "constraint",
    "calculation",
    "choice_filter",
    "appearance",
    "default",
    "repeat_count",
)
SURVEY_OWN = ("segment", "scale", "reverse", "pii", "weight", "top", "minimum", "maximum", "tanfang_type")
FLAGS = ("segment", "reverse", "pii", "weight")
CHOICE_OWN = ("score", "exclusive", "other")
MEDIA_COLUMNS = ("image", "big-image", "audio", "video", "media")
"""Media columns (``media::image``…), which we do not read: never taken for choice filter columns."""

TANFANG_TYPES = ("consent", "likert", "select_one", "placeholder")
"""``tanfang_type`` values: consent rows, likert and plain select_one rows whose appearance and list
would be read the other way, and the note written into a form that has no questions of its own."""

CONSENT_LIST = "tanfang_consent"
CONSENT_LABELS = {"zh": ("是", "否"), "en": ("Yes", "No"), "fr": ("Oui", "Non"), "ar": ("نعم", "لا")}

YES = frozenset({"yes", "Yes", "YES", "true", "True", "TRUE", "true()"})
NO = frozenset({"no", "No", "NO", "false", "False", "FALSE", "false()"})

_LANGUAGE = re.compile(r"^(?P<name>.*\S)\s*\((?P<code>[^()]+)\)$")


def read_xlsform(data: bytes | str | os.PathLike[str], source: str = "<xlsx>") -> tuple[Form, list[Problem]]:
    """The form in an XLSForm workbook (bytes or a path) and the warnings about what was left out.

    Raises:
        DefinitionError: listing every error (and the warnings) when the workbook gives no form.
    """
    from forms.xlsform_read import read  # imported here: the reader imports this module's layout

    return read(data, source)


def write_xlsform(form: Form) -> bytes:
    """The form as an .xlsx workbook that pyxform converts and :func:`read_xlsform` reads back."""
    from forms.xlsform_write import write  # imported here: the writer imports this module's layout

    return write(form)


def language_label(code: str, name: str) -> str:
    """How a language is written after ``::`` in a header and in ``default_language``."""
    return f"{name} ({code})"


def parse_language(text: str) -> tuple[str, str]:
    """``(code, name)`` from ``English (en)``; a bare ``english`` is its own code and name."""
    if m := _LANGUAGE.match(text):
        return m["code"].strip(), m["name"]
    return text, text


def consent_labels(languages: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The labels of the yes and no options of the consent list, in each of the form's languages."""
    yes = {code: CONSENT_LABELS.get(code, CONSENT_LABELS["en"])[0] for code in languages}
    no = {code: CONSENT_LABELS.get(code, CONSENT_LABELS["en"])[1] for code in languages}
    return yes, no


def range_constraint(minimum: float | None, maximum: float | None) -> str | None:
    """The constraint ODK needs to enforce a range: ``. >= MIN and . <= MAX`` (or one side)."""
    sides = []
    if minimum is not None:
        sides.append(f". >= {ex.format_number(float(minimum))}")
    if maximum is not None:
        sides.append(f". <= {ex.format_number(float(maximum))}")
    return " and ".join(sides) or None


def join_constraint(prefix: str | None, constraint: str | None) -> str | None:
    """The range prefix followed by ``and (USER_CONSTRAINT)``, either one alone, or None."""
    if prefix is None:
        return constraint
    return prefix if constraint is None else f"{prefix} and ({constraint})"


def split_constraint(prefix: str | None, written: str | None) -> str | None:
    """The user's constraint back from :func:`join_constraint`'s output (unchanged if edited)."""
    if prefix is None or written is None:
        return written
    if written == prefix:
        return None
    head = f"{prefix} and ("
    if written.startswith(head) and written.endswith(")"):
        return written[len(head) : -1]
    return written


def looks_like_likert(appearance: str | None, choice_filter: str | None, options: tuple[Choice, ...]) -> bool:
    """Whether a ``select_one`` reads as a likert item: the word ``likert``, no filter, every point scored."""
    words = (appearance or "").split()
    return (
        "likert" in words
        and choice_filter is None
        and bool(options)
        and all(c.value is not None for c in options)
    )


def with_likert(appearance: str | None) -> str:
    """A likert item's appearance as written: ``likert`` first, then the item's own."""
    return "likert" if appearance is None else f"likert {appearance}"


def without_likert(appearance: str | None) -> str | None:
    """A likert item's own appearance back from :func:`with_likert` (foreign text stays whole)."""
    if appearance == "likert":
        return None
    if appearance is not None and appearance.startswith("likert "):
        return appearance[len("likert ") :]
    return appearance
