"""The XLSForm reader's ground floor: loading a workbook, reading its headers, rows and cells.

`load` turns the .xlsx into `Sheet`s (stripped headers, non-blank numbered rows); `text` writes a
cell as text. `Languages` maps the language part of a header (``label::English (en)``) to a code.
`WorkbookReader` holds the sheets and the problems found so far, and reads what every sheet needs:
its known columns (`Column`: warnings for unknown ones, errors for duplicates and missing ones), its
rows (`Row`: plain fields, translated texts, filter columns) and their cells — flags, numbers,
expressions we can run, and the model Structs they build — each problem placed at its sheet, row
and column. The survey and choices sheets are read in :mod:`forms.xlsform_read`, the settings in
:mod:`forms.xlsform_settings`, indicators and outlines in :mod:`forms.xlsform_outline`.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

from forms import expressions as ex
from forms.errors import DefinitionError, Problem
from forms.xlsform import MEDIA_COLUMNS, NO, YES, language_label, parse_language

__all__ = ["Column", "Languages", "Row", "Sheet", "WorkbookReader", "blank", "load", "text"]


@dataclass
class Sheet:
    """A worksheet as its stripped headers and its non-blank rows, each with its spreadsheet number."""

    title: str
    headers: list[str | None]
    rows: list[tuple[int, tuple[Any, ...]]]


@dataclass
class Column:
    """A known column: the field it fills and, for translated text, the language code."""

    index: int
    header: str
    field: str
    code: str | None = None


@dataclass
class Row:
    """One row's non-blank cells: plain fields, translated texts, filter columns."""

    number: int
    headers: dict[str, str] = field(default_factory=dict)
    plain: dict[str, Any] = field(default_factory=dict)
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    filters: dict[str, str] = field(default_factory=dict)


def load(data: bytes, source: str) -> dict[str, Sheet]:
    """The workbook's sheets by lower-cased title; DefinitionError when the bytes are not a workbook."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as err:  # openpyxl raises zip, XML and key errors for files that are not workbooks
        raise DefinitionError([Problem("workbook", f"not an .xlsx workbook: {err}", source)]) from None
    sheets = {}
    for ws in book.worksheets:
        cells = enumerate(ws.iter_rows(min_row=1, values_only=True), 1)
        rows = [(n, r) for n, r in cells if not all(blank(c) for c in r)]
        headers = (
            [text(c).strip() if text(c) else None for c in rows[0][1]] if rows and rows[0][0] == 1 else []
        )
        sheets[ws.title.strip().lower()] = Sheet(ws.title, headers, [r for r in rows if r[0] > 1])
    return sheets


def blank(value: Any) -> bool:
    """Whether a cell is empty or only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any) -> str | None:
    """A cell as text: numbers without a trailing ``.0``, blanks as None."""
    if blank(value):
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# ------------------------------------------------------------------------------------------ languages


class Languages:
    """Header language parts (``English (en)``) to codes, and the languages found on the way."""

    def __init__(self, known: dict[str, str], default: str | None) -> None:
        self.known = known
        self.given = default
        self.default = self._parse(default) if default else ("default", "default")
        self.found: dict[str, str] = {}

    def _parse(self, spec: str) -> tuple[str, str]:
        for code, name in self.known.items():
            if spec == language_label(code, name):
                return code, name
        return parse_language(spec)

    def code(self, spec: str | None) -> str:
        """The code of a header's language part; a header without one is in the default language."""
        code, name = self._parse(spec) if spec else self.default
        self.found.setdefault(code, name)
        return code

    def result(self) -> tuple[dict[str, str], str | None]:
        """The form's languages and default language (None when the given one names no language)."""
        languages = self.known or self.found or {self.default[0]: self.default[1]}
        if self.given is None:
            return languages, next(iter(languages))
        code, name = self.default
        if code in languages:
            return languages, code
        by_name = [c for c, n in languages.items() if name in (c, n)]
        return languages, by_name[0] if by_name else None


# -------------------------------------------------------------------------------------------- reader


class WorkbookReader:
    """Reads one workbook's columns, rows and cells, collecting problems."""

    def __init__(self, sheets: dict[str, Sheet], source: str) -> None:
        self.sheets = sheets
        self.source = source
        self.problems: list[Problem] = []
        self.languages = Languages({}, None)
        self.skipped: set[str] = set()  # names of survey rows left out: expressions reading them drop

    # -- problems

    def where(self, sheet: Sheet, row: int | None = None, column: str | None = None) -> str:
        """``survey sheet, row 14, column relevant``: the sheet as titled, the header as written."""
        parts = [f"{sheet.title} sheet"]
        if row is not None:
            parts.append(f"row {row}")
        if column is not None:
            parts.append(f"column {column}")
        return ", ".join(parts)

    def at(self, sheet: Sheet, row: Row, name: str) -> str:
        """Where the row's cell for a field is."""
        return self.where(sheet, row.number, row.headers.get(name, name))

    def error(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message, self.source))

    def warn(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message, self.source, "warning"))

    # -- columns and rows

    def layout(
        self,
        sheet: Sheet,
        plain: tuple[str, ...],
        texts: tuple[str, ...],
        *,
        filters: bool = False,
        aliases: dict[str, str] | None = None,
        required: tuple[str, ...] = (),
    ) -> list[Column] | None:
        """The sheet's known columns; warnings for unknown ones, errors for duplicates or missing ones."""
        columns: list[Column] = []
        seen: dict[tuple[str, str | None], Column] = {}
        for index, header in enumerate(sheet.headers):
            column = self._column(sheet, index, header, plain, texts, filters, aliases or {})
            if column is None:
                continue
            key = (column.field, column.code if column.field != "filter" else column.header)
            if key in seen:
                first = get_column_letter(seen[key].index + 1)
                self.error(
                    self.where(sheet, column=header),
                    f"duplicate column: cells {first}1 and "
                    f"{get_column_letter(index + 1)}1 both name {column.field}",
                )
                continue
            seen[key] = column
            columns.append(column)
        fields = {c.field for c in columns}
        for name in required:
            if name not in fields:
                self.error(self.where(sheet), f"no {name} column")
        return None if any(name not in fields for name in required) else columns

    def _column(
        self,
        sheet: Sheet,
        index: int,
        header: str | None,
        plain: tuple[str, ...],
        texts: tuple[str, ...],
        filters: bool,
        aliases: dict[str, str],
    ) -> Column | None:
        if header is None:
            if any(index < len(r) and not blank(r[index]) for _, r in sheet.rows):
                letter = get_column_letter(index + 1)
                self.warn(self.where(sheet, column=letter), "column has no header; its values are ignored")
            return None
        base, _, language = header.partition("::")
        name = aliases.get(base.strip().lower(), base.strip().lower())
        if name in texts:
            return Column(index, header, name, self.languages.code(language.strip() or None))
        if name in plain and not language:
            return Column(index, header, name)
        if filters and name not in MEDIA_COLUMNS and not name.startswith("media"):
            return Column(index, header, "filter")
        self.warn(self.where(sheet, column=header), "column is not part of XLSForm or Tanfang; ignored")
        return None

    def rows(self, sheet: Sheet, columns: list[Column]) -> list[Row]:
        """The sheet's rows with their cells sorted by field."""
        result = []
        for number, values in sheet.rows:
            row = Row(number)
            for c in columns:
                value = values[c.index] if c.index < len(values) else None
                if blank(value):
                    continue
                if c.code is not None:
                    row.texts.setdefault(c.field, {})[c.code] = text(value) or ""
                elif c.field == "filter":
                    row.filters[c.header] = text(value) or ""
                else:
                    row.plain[c.field] = value
                    row.headers[c.field] = c.header
            if row.plain or row.texts or row.filters:
                result.append(row)
        return result

    # -- cells

    def flag(self, sheet: Sheet, row: Row, name: str) -> bool:
        """A yes/blank cell."""
        value = row.plain.get(name)
        if value is None or value is False or text(value) in NO or text(value) == "0":
            return False
        if value is True or text(value) in YES or text(value) == "1":
            return True
        self.error(self.at(sheet, row, name), f"expected yes or blank, got {text(value)!r}")
        return False

    def number(self, sheet: Sheet, row: Row, name: str, kind: type[int] | type[float]) -> Any:
        """A number cell (text holding a number too), None when blank."""
        value = row.plain.get(name)
        if value is None:
            return None
        try:
            return _number(value, kind)
        except (TypeError, ValueError, OverflowError):
            what = "a whole number" if kind is int else "a number"
            self.error(self.at(sheet, row, name), f"expected {what}, got {text(value)!r}")
            return None

    def expression(self, sheet: Sheet, row: Row, name: str, filters: set[str] | None = None) -> str | None:
        """An expression cell, or None (with a warning) when we cannot run it."""
        source = text(row.plain.get(name))
        if source is None:
            return None
        problem = _expression_problem(source, self.skipped, filters)
        if problem is None:
            return source
        self.warn(self.at(sheet, row, name), f"cannot use {source!r}: {problem}; the {name} is dropped")
        return None

    def build(self, sheet: Sheet, row: Row, cls: type[Any], fields: dict[str, Any]) -> Any:
        """The Struct, or None with an error at the cell the model's own check is about."""
        try:
            return cls(**fields)
        except (TypeError, ValueError) as err:
            self.error(self.at(sheet, row, _field_named(str(err), fields)), str(err))
            return None


def _field_named(message: str, fields: dict[str, Any]) -> str:
    """The field a model check's message is about: ``minimum is larger than maximum`` → minimum."""
    if "not a valid name" in message:
        return "name"
    return next((f for f in fields if f != "name" and re.search(rf"\b{re.escape(f)}\b", message)), "type")


def _number(value: Any, kind: type[int] | type[float]) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError
    if kind is float:
        return float(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+\s*", value):
        return int(value)
    number = float(value)
    if not number.is_integer():
        raise ValueError
    return int(number)


def _expression_problem(source: str, skipped: set[str], filters: set[str] | None) -> str | None:
    """Why an expression cannot be kept: it does not parse, calls what we lack, or reads what is gone."""
    try:
        node = ex.parse(source)
    except ex.ExpressionError as err:
        return f"{err.message} at column {err.column}"
    for err in ex.check_calls(node, source):
        return f"{err.message} at column {err.column}"
    for name in sorted(ex.references(node) & skipped):
        return f"${{{name}}} was skipped"
    for n in ex.walk(node):
        if isinstance(n, ex.Field) and filters is None:
            return f"bare name {n.name!r} at column {n.pos + 1} (write ${{{n.name}}} for a question)"
        if isinstance(n, ex.Field) and filters is not None and n.name not in filters:
            return f"{n.name!r} at column {n.pos + 1} is not a column of the choice list"
    return None
