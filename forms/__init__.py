"""Tanfang's form language: declarative questionnaires and interview outlines, checked and validated.

Read a definition with :func:`load` (TOML, JSON or XLSForm), check a file with :func:`check`,
validate a submission with :func:`validate`, write with :func:`dump`/:func:`dumps` or
:func:`write_xlsform`. The model is in :mod:`forms.model`, expressions in :mod:`forms.expressions`
(grammar: ``docs/expressions.md``).
"""

from forms.compiler import Compiled, Slot, compile_form, walk
from forms.errors import DefinitionError, FormError, Problem
from forms.formats import check, compile_text, dump, dumps, load, loads, parse
from forms.model import (
    AnyQuestion,
    Calculate,
    Choice,
    Code,
    Consent,
    Date,
    Decimal,
    Form,
    Geopoint,
    Group,
    Indicator,
    Integer,
    Likert,
    Note,
    Rank,
    Repeat,
    SelectMultiple,
    SelectOne,
    Severity,
    Text,
    Time,
    Topic,
)
from forms.validation import AnswerProblem, Validation, validate
from forms.xlsform import read_xlsform, write_xlsform

__all__ = [
    "AnswerProblem",
    "AnyQuestion",
    "Calculate",
    "Choice",
    "Code",
    "Compiled",
    "Consent",
    "Date",
    "Decimal",
    "DefinitionError",
    "Form",
    "FormError",
    "Geopoint",
    "Group",
    "Indicator",
    "Integer",
    "Likert",
    "Note",
    "Problem",
    "Rank",
    "Repeat",
    "SelectMultiple",
    "SelectOne",
    "Severity",
    "Slot",
    "Text",
    "Time",
    "Topic",
    "Validation",
    "check",
    "compile_form",
    "compile_text",
    "dump",
    "dumps",
    "load",
    "loads",
    "parse",
    "read_xlsform",
    "validate",
    "walk",
    "write_xlsform",
]
