"""Read an XLSForm workbook into a form; the layout is described in :mod:`forms.xlsform`.

A pipeline over sheets: ``tanfang`` and ``settings`` say which languages there are, then
``choices``, then the ``survey`` (and ``roster``) rows become questions nested by their begin/end
rows, then indicators and the outline sheets. Every problem names its sheet, row and column;
errors are collected and raised together, warnings come back with the form.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import openpyxl
from openpyxl.utils import get_column_letter

from forms import expressions as ex
from forms.errors import DefinitionError, Problem
from forms.model import (
    NAME,
    AnyQuestion,
    Bradshaw,
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
    Kind,
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
from forms.xlsform import (
    CHOICE_OWN,
    FLAGS,
    MEDIA_COLUMNS,
    NO,
    SURVEY_EXPRESSIONS,
    SURVEY_OWN,
    SURVEY_PLAIN,
    SURVEY_TEXTS,
    TANFANG_TYPES,
    YES,
    language_label,
    looks_like_likert,
    parse_language,
    range_constraint,
    split_constraint,
    without_likert,
)

SIMPLE_TYPES: dict[str, type[AnyQuestion]] = {
    "text": Text,
    "string": Text,
    "integer": Integer,
    "int": Integer,
    "decimal": Decimal,
    "date": Date,
    "time": Time,
    "geopoint": Geopoint,
    "gps": Geopoint,
    "note": Note,
    "calculate": Calculate,
}
CHOICE_TYPES = {"select_one", "select_multiple", "rank"}
CONTAINERS = {"begin_group": Group, "begin_repeat": Repeat}
ENDS = {"end_group": "begin_group", "end_repeat": "begin_repeat"}
KNOWN_SHEETS = (
    "survey",
    "choices",
    "settings",
    "tanfang",
    "indicators",
    "severity",
    "topics",
    "prompts",
    "codebook",
    "roster",
)


def read(data: bytes | str | os.PathLike[str], source: str) -> tuple[Form, list[Problem]]:
    """The form and its warnings; DefinitionError listing every error when there is no form."""
    if isinstance(data, str | os.PathLike):
        source = str(data) if source == "<xlsx>" else source
        try:
            data = Path(data).read_bytes()
        except OSError as err:
            raise DefinitionError([Problem("workbook", f"cannot read the file: {err}", source)]) from None
    reader = _Reader(_load(data, source), source)
    form = reader.form()
    if form is None or any(p.severity == "error" for p in reader.problems):
        raise DefinitionError(reader.problems)
    return form, reader.problems


# ----------------------------------------------------------------------------------- sheets and cells


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


def _load(data: bytes, source: str) -> dict[str, Sheet]:
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as err:  # openpyxl raises zip, XML and key errors for files that are not workbooks
        raise DefinitionError([Problem("workbook", f"not an .xlsx workbook: {err}", source)]) from None
    sheets = {}
    for ws in book.worksheets:
        cells = enumerate(ws.iter_rows(min_row=1, values_only=True), 1)
        rows = [(n, r) for n, r in cells if not all(_blank(c) for c in r)]
        headers = (
            [text(c).strip() if text(c) else None for c in rows[0][1]] if rows and rows[0][0] == 1 else []
        )
        sheets[ws.title.strip().lower()] = Sheet(ws.title, headers, [r for r in rows if r[0] > 1])
    return sheets


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any) -> str | None:
    """A cell as text: numbers without a trailing ``.0``, blanks as None."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# ------------------------------------------------------------------------------------------ languages


class _Languages:
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


class _Reader:
    """Reads one workbook, collecting problems."""

    def __init__(self, sheets: dict[str, Sheet], source: str) -> None:
        self.sheets = sheets
        self.source = source
        self.problems: list[Problem] = []
        self.languages = _Languages({}, None)
        self.choices: dict[str, list[Choice]] = {}
        self.skipped: set[str] = set()
        self.used_lists: set[str] = set()
        self.consent_lists: set[str] = set()
        self.or_other: set[str] = set()

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

    # -- the form

    def form(self) -> Form | None:
        """The whole form, or None when a sheet it needs is missing or broken."""
        for key, sheet in self.sheets.items():
            if key not in KNOWN_SHEETS:
                self.warn(self.where(sheet), "sheet is not part of XLSForm or Tanfang; ignored")
        meta = _Meta(self)
        self.languages = _Languages(meta.languages, meta.default_language)
        if "survey" not in self.sheets:
            self.error("survey sheet", "the workbook has no survey sheet")
            return None
        survey = self.sheets["survey"]
        if not survey.headers or not survey.rows:
            self.error(
                self.where(survey), "the survey sheet is empty" if not survey.headers else "no questions"
            )
            return None
        self.choices = self._choices()
        for name in meta.empty_lists:
            self.choices.setdefault(name, [])
        questions = _Survey(self, survey).questions()
        roster = _Survey(self, self.sheets["roster"]).questions() if "roster" in self.sheets else ()
        if questions is None or roster is None:
            return None
        return meta.form(questions, roster, _Outline(self))

    def finish_choices(self, languages: dict[str, str]) -> dict[str, tuple[Choice, ...]]:
        """The choice lists without the added consent lists, with "other" options added."""
        for name in self.consent_lists - self.used_lists:
            if name.startswith("tanfang_consent"):
                self.choices.pop(name, None)
        for name in self.or_other:
            options = self.choices[name]
            if not any(c.other for c in options):
                rest = [c for c in options if c.name != "other"]
                old = next((c for c in options if c.name == "other"), None)
                label = old.label if old else dict.fromkeys(languages, "Other")
                self.choices[name] = [*rest, Choice(name="other", label=label, other=True)]
        return {name: tuple(options) for name, options in self.choices.items()}

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
            if any(index < len(r) and not _blank(r[index]) for _, r in sheet.rows):
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
                if _blank(value):
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

    def _choices(self) -> dict[str, list[Choice]]:
        sheet = self.sheets.get("choices")
        if sheet is None:
            return {}
        headers = {(h or "").strip().lower() for h in sheet.headers}
        aliases = {"list name": "list_name", "value": "score" if "name" in headers else "name"}
        columns = self.layout(
            sheet,
            ("list_name", "name", *CHOICE_OWN),
            ("label",),
            filters=True,
            aliases=aliases,
            required=("list_name", "name"),
        )
        lists: dict[str, list[Choice]] = {}
        for row in self.rows(sheet, columns or []):
            list_name, name = (text(row.plain.get(k)) for k in ("list_name", "name"))
            if list_name is None or name is None:
                missing = "list_name" if list_name is None else "name"
                self.error(self.where(sheet, row.number, missing), f"choice row has no {missing}")
                continue
            fields = {
                "name": name.strip(),
                "label": row.texts.get("label", {}),
                "filters": row.filters,
                "value": self.number(sheet, row, "score", float),
                "exclusive": self.flag(sheet, row, "exclusive"),
                "other": self.flag(sheet, row, "other"),
            }
            choice = self.build(sheet, row, Choice, fields)
            if choice is not None:
                lists.setdefault(list_name.strip(), []).append(choice)
        return lists


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


# -------------------------------------------------------------------------------------- settings, meta


class _Meta:
    """What the ``settings`` and ``tanfang`` sheets say about the form as a whole."""

    def __init__(self, reader: _Reader) -> None:
        self.reader = reader
        self.languages: dict[str, str] = {}
        self.titles: dict[str, str] = {}
        self.description: dict[str, str] = {}
        self.kind: Any = "questionnaire"
        self.population: str | None = None
        self.empty_lists: list[str] = []
        self.row = Row(2)
        self._tanfang()
        self.settings = self._settings()
        self.default_language = text(self.settings.get("default_language"))

    def _tanfang(self) -> None:
        reader, sheet = self.reader, self.reader.sheets.get("tanfang")
        if sheet is None:
            return
        columns = reader.layout(sheet, ("key", "language", "value"), (), required=("key",))
        for row in reader.rows(sheet, columns or []):
            key, code, value = (text(row.plain.get(k)) for k in ("key", "language", "value"))
            targets = {"language": self.languages, "title": self.titles, "description": self.description}
            if key == "kind":
                if value not in get_args(Kind):
                    kinds = ", ".join(get_args(Kind))
                    reader.error(reader.at(sheet, row, "value"), f"kind {value!r} is not one of {kinds}")
                self.kind = value if value in get_args(Kind) else self.kind
            elif key == "population":
                self.population = value
            elif key in targets and code is not None and value is not None:
                targets[key][code] = value
            elif key == "choice_list" and value is not None:
                self.empty_lists.append(value)
            else:
                reader.warn(reader.at(sheet, row, "key"), f"{key}={value!r} is not understood; ignored")

    def _settings(self) -> dict[str, Any]:
        reader, sheet = self.reader, self.reader.sheets.get("settings")
        if sheet is None:
            return {}
        columns = reader.layout(sheet, ("form_title", "form_id", "version", "default_language"), ())
        rows = reader.rows(sheet, columns or [])
        for extra in rows[1:]:
            reader.warn(
                reader.where(sheet, extra.number, sheet.headers[0]), "only the first settings row is read"
            )
        self.row = rows[0] if rows else Row(2)
        return self.row.plain

    def form(
        self, questions: tuple[AnyQuestion, ...], roster: tuple[AnyQuestion, ...], outline: _Outline
    ) -> Form | None:
        reader = self.reader
        indicators, topics, codebook = outline.indicators(), outline.topics(), outline.codebook()
        languages, default = reader.languages.result()
        settings = reader.sheets.get("settings") or Sheet("settings", [], [])
        if default is None:
            default = next(iter(languages))
            reader.warn(
                reader.where(settings, 2, "default_language"),
                f"{self.default_language!r} names no language of the form; using {default!r}",
            )
        form_id = self._form_id(settings)
        if form_id is None:
            return None
        title = dict(self.titles)
        if (form_title := text(self.settings.get("form_title"))) is not None:
            title[default] = form_title
        fields = {
            "id": form_id,
            "title": title,
            "version": text(self.settings.get("version")) or "1",
            "kind": self.kind,
            "default_language": default,
            "languages": languages,
            "population": self.population,
            "description": self.description,
            "questions": questions,
            "roster": roster,
            "choices": reader.finish_choices(languages),
            "indicators": indicators,
            "topics": topics,
            "codebook": codebook,
        }
        try:
            return Form(**fields)
        except ValueError as err:
            reader.error(reader.where(settings), str(err))
            return None

    def _form_id(self, settings: Sheet) -> str | None:
        """The settings' form_id, else a name made from the file's name (as pyxform does)."""
        given = text(self.settings.get("form_id"))
        if given is not None:
            if NAME.match(given.strip()):
                return given.strip()
            self.reader.error(self.reader.at(settings, self.row, "form_id"), f"{given!r} is not a valid name")
            return None
        source = self.reader.source
        stem = (
            "" if source.startswith("<") else re.sub(r"[^A-Za-z0-9_.-]", "_", Path(source).stem).strip("_.-")
        )
        stem = stem or "form"
        return stem if NAME.match(stem) else f"_{stem}"


# ---------------------------------------------------------------------------------------- the survey


@dataclass
class _Frame:
    """A group or repeat being read: its begin row and the questions read so far."""

    kind: str
    row: Row | None
    fields: dict[str, Any] | None
    children: list[AnyQuestion] = field(default_factory=list)


class _Survey:
    """The rows of a survey (or roster) sheet, nested into questions."""

    def __init__(self, reader: _Reader, sheet: Sheet) -> None:
        self.reader = reader
        self.sheet = sheet
        self.headers: dict[str, str] = {}
        self.parameters: list[int] = []

    def questions(self) -> tuple[AnyQuestion, ...] | None:
        reader, sheet = self.reader, self.sheet
        columns = reader.layout(
            sheet,
            ("type", "name", *SURVEY_PLAIN, *SURVEY_OWN, "parameters"),
            SURVEY_TEXTS,
            required=("type", "name"),
        )
        if columns is None:
            return None
        self.headers = {c.field: c.header for c in columns if c.code is None}
        stack = [_Frame("root", None, None)]
        for row in reader.rows(sheet, columns):
            self._row(row, stack)
        for frame in stack[:0:-1]:
            assert frame.row is not None
            reader.error(
                reader.where(sheet, frame.row.number, self.headers["type"]),
                f"{frame.kind} {text(frame.row.plain.get('name'))!r} has no matching end",
            )
        if self.parameters:
            rows = ", ".join(map(str, self.parameters))
            reader.warn(
                reader.where(sheet, column=self.headers["parameters"]),
                f"parameters are not supported; ignored in rows {rows}",
            )
        return tuple(stack[0].children)

    def _row(self, row: Row, stack: list[_Frame]) -> None:
        reader, sheet = self.reader, self.sheet
        where = reader.where(sheet, row.number, self.headers["type"])
        type_text, name = text(row.plain.get("type")), text(row.plain.get("name"))
        if type_text is None:
            if name is not None:
                reader.error(where, f"row names {name.strip()!r} but has no type")
            else:
                reader.warn(where, "row has text but no type; skipped")
            return
        kind, list_name, or_other = _parse_type(type_text)
        if kind in ENDS:
            self._end(row, kind, stack)
            return
        if kind not in SIMPLE_TYPES and kind not in CHOICE_TYPES and kind not in CONTAINERS:
            reader.warn(where, f"question type {type_text.strip()!r} is not supported; row skipped")
            reader.skipped.add((name or "").strip())
            return
        if name is None:
            reader.error(
                reader.where(sheet, row.number, self.headers["name"]), f"{type_text} row has no name"
            )
            return
        cls = self._class(row, kind, list_name, where)
        if cls is None:
            return
        if or_other and list_name:
            reader.or_other.add(list_name)
        fields = self._fields(row, cls, list_name)
        if kind in CONTAINERS:
            stack.append(_Frame(kind, row, fields))
        elif fields is not None:
            question = reader.build(sheet, row, cls, fields)
            if question is not None:
                stack[-1].children.append(question)

    def _end(self, row: Row, kind: str, stack: list[_Frame]) -> None:
        reader, where = self.reader, self.reader.where(self.sheet, row.number, self.headers["type"])
        if len(stack) == 1:
            reader.error(where, f"{kind} has no matching {ENDS[kind]}")
            return
        frame = stack.pop()
        if frame.kind != ENDS[kind]:
            reader.error(
                where, f"{kind} closes the {frame.kind} of row {frame.row.number if frame.row else '?'}"
            )
            return
        if frame.fields is not None and frame.row is not None:
            cls = CONTAINERS[frame.kind]
            container = reader.build(
                self.sheet, frame.row, cls, {**frame.fields, "questions": tuple(frame.children)}
            )
            if container is not None:
                stack[-1].children.append(container)
        else:
            stack[-1].children.extend(frame.children)

    def _class(self, row: Row, kind: str, list_name: str | None, where: str) -> type[Any] | None:
        reader, marker = self.reader, text(row.plain.get("tanfang_type"))
        if marker is not None and marker not in TANFANG_TYPES:
            reader.error(
                reader.where(self.sheet, row.number, self.headers["tanfang_type"]),
                f"unknown tanfang_type {marker!r}",
            )
        if marker == "placeholder":
            return None
        if kind in CONTAINERS:
            return CONTAINERS[kind]
        if kind in SIMPLE_TYPES:
            return SIMPLE_TYPES[kind]
        if list_name is None or list_name not in reader.choices:
            message = (
                f"choice list {list_name!r} is not in the choices sheet"
                if list_name
                else f"{kind} needs a list"
            )
            reader.error(where, message)
            return None
        if marker == "consent":
            reader.consent_lists.add(list_name)
            return Consent
        reader.used_lists.add(list_name)
        if kind != "select_one":
            return SelectMultiple if kind == "select_multiple" else Rank
        if marker is not None:
            return Likert if marker == "likert" else SelectOne
        appearance, choice_filter = text(row.plain.get("appearance")), text(row.plain.get("choice_filter"))
        return (
            Likert
            if looks_like_likert(appearance, choice_filter, tuple(reader.choices[list_name]))
            else SelectOne
        )

    def _fields(self, row: Row, cls: type[Any], list_name: str | None) -> dict[str, Any] | None:
        """The question's fields from the row's cells; warnings for cells its type has no place for."""
        reader, sheet = self.reader, self.sheet
        allowed = set(cls.__struct_fields__)
        fields: dict[str, Any] = {"name": str(text(row.plain["name"])).strip(), **row.texts}
        for name in row.plain:
            if name in ("type", "name", "tanfang_type"):
                continue
            if name == "parameters":
                self.parameters.append(row.number)
            elif name not in allowed:
                reader.warn(reader.at(sheet, row, name), f"a {_tag(cls)} has no {name}; ignored")
            else:
                fields[name] = self._cell(row, name, cls, list_name)
        fields = {k: v for k, v in fields.items() if v is not None}
        if "choices" in allowed:
            fields["choices"] = list_name
        if cls is Likert:
            fields["appearance"] = without_likert(fields.get("appearance"))
        if cls in (Integer, Decimal):
            prefix = range_constraint(fields.get("minimum"), fields.get("maximum"))
            fields["constraint"] = split_constraint(prefix, fields.get("constraint"))
        if cls in (Note, Group, Repeat) and fields.get("required") is True:
            reader.warn(
                reader.at(sheet, row, "required"),
                f"a {_tag(cls)} has no answer to require; required is dropped",
            )
            del fields["required"]
        if cls is Calculate and "calculation" not in fields:
            reader.warn(reader.at(sheet, row, "type"), "calculate has no calculation; row skipped")
            reader.skipped.add(fields["name"])
            return None
        return {k: v for k, v in fields.items() if v is not None}

    def _cell(self, row: Row, name: str, cls: type[Any], list_name: str | None) -> Any:
        reader, sheet = self.reader, self.sheet
        if name == "required":
            value = row.plain[name]
            if value is True or text(value) in YES:
                return True
            if value is False or text(value) in NO:
                return None
            return reader.expression(sheet, row, name)
        if name in SURVEY_EXPRESSIONS:
            filters = None
            if name == "choice_filter" and list_name is not None:
                filters = {"name"} | {k for c in reader.choices.get(list_name, []) for k in c.filters}
            return reader.expression(sheet, row, name, filters)
        if name in FLAGS:
            return reader.flag(sheet, row, name) or None
        if name in ("top", "minimum", "maximum"):
            return reader.number(sheet, row, name, float if cls is Decimal else int)
        return text(row.plain[name])


def _tag(cls: type[Any]) -> str:
    return str(cls.__struct_config__.tag)


def _parse_type(type_text: str) -> tuple[str, str | None, bool]:
    """``(kind, list name, or_other)`` from ``select_one yes_no or_other``, ``begin group``…"""
    words = type_text.split()
    if [w.lower() for w in words[:4]] == ["select", "all", "that", "apply"]:
        words = ["select_multiple", *words[4:]]
    head, rest = words[0].lower(), words[1:]
    if head in ("select_one", "select_multiple") and [w.lower() for w in rest[:2]] == ["from", "file"]:
        return f"{head}_from_file", None, False
    if head in ("begin", "end", "select") and rest:
        head, rest = f"{head}_{rest[0].lower()}", rest[1:]
    or_other = False
    if rest and rest[-1].lower() == "or_other":
        or_other, rest = True, rest[:-1]
    elif len(rest) >= 2 and [w.lower() for w in rest[-2:]] == ["or", "other"]:
        or_other, rest = True, rest[:-2]
    return head, " ".join(rest) or None, or_other


# ---------------------------------------------------------------------------- indicators and outlines


class _Outline:
    """The ``indicators``, ``severity``, ``topics``, ``prompts`` and ``codebook`` sheets."""

    def __init__(self, reader: _Reader) -> None:
        self.reader = reader

    def _rows(
        self, key: str, plain: tuple[str, ...], texts: tuple[str, ...], required: tuple[str, ...]
    ) -> list[Row]:
        sheet = self.reader.sheets.get(key)
        if sheet is None:
            return []
        columns = self.reader.layout(sheet, plain, texts, required=required)
        return self.reader.rows(sheet, columns) if columns is not None else []

    def indicators(self) -> tuple[Indicator, ...]:
        reader = self.reader
        sheet = reader.sheets.get("indicators")
        rows = self._rows(
            "indicators",
            ("name", "flag", "domain", "bradshaw", "population", "safety"),
            ("label",),
            ("name", "flag"),
        )
        severity = self._severity()
        result = []
        for row in rows:
            assert sheet is not None
            fields = {
                "name": text(row.plain.get("name")) or "",
                "label": row.texts.get("label", {}),
                "domain": text(row.plain.get("domain")),
                "safety": reader.flag(sheet, row, "safety"),
                "bradshaw": self._bradshaw(sheet, row),
                "population": reader.expression(sheet, row, "population"),
                "flag": reader.expression(sheet, row, "flag"),
            }
            fields["severity"] = tuple(item for _, item in severity.pop(fields["name"], []))
            if fields["flag"] is None:
                reader.warn(reader.at(sheet, row, "flag"), "indicator has no usable flag; skipped")
                continue
            indicator = reader.build(
                sheet, row, Indicator, {k: v for k, v in fields.items() if v is not None}
            )
            if indicator is not None:
                result.append(indicator)
        for name, items in severity.items():
            where = reader.where(reader.sheets["severity"], items[0][0], "indicator")
            reader.error(where, f"no indicator named {name!r}")
        return tuple(result)

    def _bradshaw(self, sheet: Sheet, row: Row) -> tuple[str, ...]:
        words = tuple((text(row.plain.get("bradshaw")) or "").split())
        for word in words:
            if word not in get_args(Bradshaw):
                self.reader.error(
                    self.reader.at(sheet, row, "bradshaw"),
                    f"{word!r} is not one of {', '.join(get_args(Bradshaw))}",
                )
        return words

    def _severity(self) -> dict[str, list[tuple[int, Severity]]]:
        reader, sheet = self.reader, self.reader.sheets.get("severity")
        found: dict[str, list[tuple[int, Severity]]] = {}
        for row in self._rows(
            "severity", ("indicator", "level", "when"), ("label",), ("indicator", "level", "when")
        ):
            assert sheet is not None
            when = reader.expression(sheet, row, "when")
            level = reader.number(sheet, row, "level", int)
            if when is None or level is None:
                continue
            item = reader.build(
                sheet, row, Severity, {"level": level, "when": when, "label": row.texts.get("label", {})}
            )
            if item is not None:
                found.setdefault(text(row.plain.get("indicator")) or "", []).append((row.number, item))
        return found

    def topics(self) -> tuple[Topic, ...]:
        reader, sheet = self.reader, self.reader.sheets.get("topics")
        prompts = self._prompts()
        result = []
        for row in self._rows("topics", ("name", "minutes", "codes"), ("label", "notes"), ("name",)):
            assert sheet is not None
            name = text(row.plain.get("name")) or ""
            asked = prompts.pop(name, {"prompt": [], "probe": []})
            fields = {
                "name": name.strip(),
                "label": row.texts.get("label", {}),
                "notes": row.texts.get("notes", {}),
                "minutes": reader.number(sheet, row, "minutes", int),
                "codes": tuple((text(row.plain.get("codes")) or "").split()),
                "prompts": tuple(asked["prompt"]),
                "probes": tuple(asked["probe"]),
            }
            topic = reader.build(sheet, row, Topic, {k: v for k, v in fields.items() if v is not None})
            if topic is not None:
                result.append(topic)
        for name in prompts:
            reader.error(reader.where(reader.sheets["prompts"], column="topic"), f"no topic named {name!r}")
        return tuple(result)

    def _prompts(self) -> dict[str, dict[str, list[dict[str, str]]]]:
        reader, sheet = self.reader, self.reader.sheets.get("prompts")
        found: dict[str, dict[str, list[dict[str, str]]]] = {}
        for row in self._rows("prompts", ("topic", "kind"), ("text",), ("topic",)):
            assert sheet is not None
            kind = text(row.plain.get("kind")) or "prompt"
            if kind not in ("prompt", "probe"):
                reader.error(reader.at(sheet, row, "kind"), f"expected prompt or probe, got {kind!r}")
                continue
            topic = (text(row.plain.get("topic")) or "").strip()
            found.setdefault(topic, {"prompt": [], "probe": []})[kind].append(row.texts.get("text", {}))
        return found

    def codebook(self) -> tuple[Code, ...]:
        reader, sheet = self.reader, self.reader.sheets.get("codebook")
        result = []
        for row in self._rows(
            "codebook", ("code", "parent", "domain", "keywords"), ("label", "definition"), ("code",)
        ):
            assert sheet is not None
            keywords = re.split(r"[;|]", text(row.plain.get("keywords")) or "")
            fields = {
                "code": (text(row.plain.get("code")) or "").strip(),
                "label": row.texts.get("label", {}),
                "definition": row.texts.get("definition", {}),
                "parent": text(row.plain.get("parent")),
                "domain": text(row.plain.get("domain")),
                "keywords": tuple(k.strip() for k in keywords if k.strip()),
            }
            code = reader.build(sheet, row, Code, {k: v for k, v in fields.items() if v is not None})
            if code is not None:
                result.append(code)
        return tuple(result)
