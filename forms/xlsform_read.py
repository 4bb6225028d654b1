"""Read an XLSForm workbook into a form; the layout is described in :mod:`forms.xlsform`.

A pipeline over sheets: ``tanfang`` and ``settings`` say which languages there are, then
``choices``, then the ``survey`` (and ``roster``) rows become questions nested by their begin/end
rows, then indicators and the outline sheets. Every problem names its sheet, row and column;
errors are collected and raised together, warnings come back with the form.

This module holds the pipeline, the choices sheet and the survey rows (types, nesting, the cells
each question type takes). Loading the workbook, its columns, rows and cells are in
:mod:`forms.xlsform_sheets`; the settings and tanfang sheets in :mod:`forms.xlsform_settings`;
indicators, severity, topics, prompts and the codebook in :mod:`forms.xlsform_outline`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forms.errors import DefinitionError, Problem
from forms.model import (
    AnyQuestion,
    Calculate,
    Choice,
    Consent,
    Date,
    Decimal,
    Form,
    Geopoint,
    Group,
    Integer,
    Likert,
    Note,
    Rank,
    Repeat,
    SelectMultiple,
    SelectOne,
    Text,
    Time,
)
from forms.xlsform import (
    CHOICE_OWN,
    FLAGS,
    NO,
    SURVEY_EXPRESSIONS,
    SURVEY_OWN,
    SURVEY_PLAIN,
    SURVEY_TEXTS,
    TANFANG_TYPES,
    YES,
    looks_like_likert,
    range_constraint,
    split_constraint,
    without_likert,
)
from forms.xlsform_outline import Outline
from forms.xlsform_settings import Meta
from forms.xlsform_sheets import Languages, Row, Sheet, WorkbookReader, load, text

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
    reader = _Reader(load(data, source), source)
    form = reader.form()
    if form is None or any(p.severity == "error" for p in reader.problems):
        raise DefinitionError(reader.problems)
    return form, reader.problems


# -------------------------------------------------------------------------------------------- reader


class _Reader(WorkbookReader):
    """Reads one workbook into a form, collecting problems."""

    def __init__(self, sheets: dict[str, Sheet], source: str) -> None:
        super().__init__(sheets, source)
        self.choices: dict[str, list[Choice]] = {}
        self.used_lists: set[str] = set()
        self.consent_lists: set[str] = set()
        self.or_other: set[str] = set()

    def form(self) -> Form | None:
        """The whole form, or None when a sheet it needs is missing or broken."""
        for key, sheet in self.sheets.items():
            if key not in KNOWN_SHEETS:
                self.warn(self.where(sheet), "sheet is not part of XLSForm or Tanfang; ignored")
        meta = Meta(self)
        self.languages = Languages(meta.languages, meta.default_language)
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
        return self._assemble(meta, questions, roster, Outline(self))

    def _assemble(
        self,
        meta: Meta,
        questions: tuple[AnyQuestion, ...],
        roster: tuple[AnyQuestion, ...],
        outline: Outline,
    ) -> Form | None:
        """The form from its parts, after reading the outline sheets; None when it cannot be built."""
        indicators, topics, codebook = outline.indicators(), outline.topics(), outline.codebook()
        languages, found = self.languages.result()
        settings = self.sheets.get("settings") or Sheet("settings", [], [])
        default = meta.default(languages, found, settings)
        form_id = meta.form_id(settings)
        if form_id is None:
            return None
        fields = {
            "id": form_id,
            "title": meta.title(default),
            "version": text(meta.settings.get("version")) or "1",
            "kind": meta.kind,
            "default_language": default,
            "languages": languages,
            "population": meta.population,
            "description": meta.description,
            "questions": questions,
            "roster": roster,
            "choices": self.finish_choices(languages),
            "indicators": indicators,
            "topics": topics,
            "codebook": codebook,
        }
        try:
            return Form(**fields)
        except ValueError as err:
            self.error(self.where(settings), str(err))
            return None

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
