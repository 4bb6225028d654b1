"""Write a form as an XLSForm workbook; the layout is described in :mod:`forms.xlsform`."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from openpyxl import Workbook

from forms.model import (
    AnyQuestion,
    Calculate,
    Choice,
    Consent,
    Decimal,
    Form,
    Group,
    Integer,
    Likert,
    Note,
    Rank,
    Repeat,
    SelectMultiple,
    SelectOne,
)
from forms.xlsform import (
    CONSENT_LIST,
    MEDIA_COLUMNS,
    SURVEY_OWN,
    SURVEY_PLAIN,
    SURVEY_TEXTS,
    consent_labels,
    join_constraint,
    language_label,
    looks_like_likert,
    range_constraint,
    with_likert,
)

Row = dict[str, Any]
"""One sheet row: plain columns by header, translated columns by field as a Localized."""

SURVEY_SLOTS = ("type", "name", *SURVEY_TEXTS, *SURVEY_PLAIN, *SURVEY_OWN)
RESERVED_CHOICE_COLUMNS = frozenset(
    ("list_name", "list name", "name", "label", "score", "value", "exclusive", "other", *MEDIA_COLUMNS)
)
"""Choices columns XLSForm or we read as something else, so no filter column may take their name."""


def write(form: Form) -> bytes:
    """The workbook's bytes."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    sheets = _Sheets(book, form)
    consent = _consent_list(form)
    survey = _survey_rows(form.questions, form, consent) if form.questions else [_placeholder(form)]
    sheets.add("survey", SURVEY_SLOTS, survey, SURVEY_TEXTS)
    choice_rows = _choice_rows(form, consent)
    if choice_rows:
        slots = ("list_name", "name", "label", "score", "exclusive", "other", *_filter_columns(form))
        sheets.add("choices", slots, choice_rows, ("label",))
    sheets.add("settings", ("form_title", "form_id", "version", "default_language"), [_settings(form)], ())
    sheets.add("tanfang", ("key", "language", "value"), list(_tanfang_rows(form)), ())
    for title, slots, texts, rows_of in OUTLINE_SHEETS:
        if rows := rows_of(form):
            sheets.add(title, slots, rows, texts)
    if form.roster:
        sheets.add("roster", SURVEY_SLOTS, _survey_rows(form.roster, form, consent), SURVEY_TEXTS)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class _Sheets:
    """Adds sheets to the workbook, one column per language for translated fields."""

    def __init__(self, book: Workbook, form: Form) -> None:
        self.book = book
        self.languages = form.languages

    def add(self, title: str, slots: Iterable[str], rows: list[Row], texts: Iterable[str]) -> None:
        """A sheet whose columns are the slots that any row uses (``type``, ``name``, labels always)."""
        columns = list(self._columns(slots, rows, set(texts)))
        sheet = self.book.create_sheet(title)
        for col, (header, _, _) in enumerate(columns, 1):
            _put(sheet, 1, col, header)
        for number, row in enumerate(rows, 2):
            for col, (_, slot, code) in enumerate(columns, 1):
                value = row.get(slot, {}).get(code) if code is not None else row.get(slot)
                _put(sheet, number, col, value)

    def _columns(
        self, slots: Iterable[str], rows: list[Row], texts: set[str]
    ) -> Iterator[tuple[str, str, str | None]]:
        for slot in slots:
            if slot not in texts:
                if slot in ("type", "name", "list_name", "key") or any(r.get(slot) is not None for r in rows):
                    yield slot, slot, None
                continue
            used = dict.fromkeys(code for r in rows for code in r.get(slot, {}))
            if not used and slot not in ("label", "text"):
                continue
            for code in [*self.languages, *(c for c in used if c not in self.languages)]:
                yield f"{slot}::{language_label(code, self.languages.get(code, code))}", slot, code


def _put(sheet: Any, row: int, col: int, value: Any) -> None:
    if value is None or value is False:
        return
    if value is True:
        value = "yes"
    elif isinstance(value, int | float) and not _exact_in_excel(value):
        value = repr(value)  # openpyxl writes 16 significant digits; text keeps every one
    cell = sheet.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, even when the text starts with "="


def _exact_in_excel(number: float) -> bool:
    if isinstance(number, int):
        return abs(number) < 10**15
    return float(f"{number:.16g}") == number


# ------------------------------------------------------------------------------------------ survey


def _consent_list(form: Form) -> str | None:
    """The name of the added yes/no list for consent questions, if the form has any."""
    if not any(isinstance(q, Consent) for q in _walk(form.questions + form.roster)):
        return None
    name, n = CONSENT_LIST, 1
    while name in form.choices:
        n += 1
        name = f"{CONSENT_LIST}_{n}"
    return name


def _walk(questions: tuple[AnyQuestion, ...]) -> Iterator[AnyQuestion]:
    for q in questions:
        yield q
        if isinstance(q, Group | Repeat):
            yield from _walk(q.questions)


def _placeholder(form: Form) -> Row:
    """The note a form without questions carries, because XLSForm tools want at least one row."""
    note = Note(name="tanfang_outline", label=form.title or {form.default_language: form.id})
    return {**_row(note, form, None), "tanfang_type": "placeholder"}


def _survey_rows(questions: tuple[AnyQuestion, ...], form: Form, consent: str | None) -> list[Row]:
    rows: list[Row] = []
    for q in questions:
        rows.append(_row(q, form, consent))
        if isinstance(q, Group | Repeat):
            rows.extend(_survey_rows(q.questions, form, consent))
            rows.append({"type": "end_group" if isinstance(q, Group) else "end_repeat", "name": q.name})
    return rows


def _row(q: AnyQuestion, form: Form, consent: str | None) -> Row:
    """The columns every question has, then the ones its type adds."""
    row: Row = {
        "type": type(q).__struct_config__.tag,
        "name": q.name,
        "label": q.label,
        "hint": q.hint,
        "required": q.required,
        "required_message": q.required_message,
        "relevant": q.relevant,
        "constraint": q.constraint,
        "constraint_message": q.constraint_message,
        "appearance": q.appearance,
        "default": q.default,
        "segment": q.segment,
        "scale": q.scale,
        "reverse": q.reverse,
        "pii": q.pii,
        "weight": q.weight,
    }
    row.update(_type_columns(q, form, consent))
    return row


def _type_columns(q: AnyQuestion, form: Form, consent: str | None) -> Row:
    match q:
        case Group():
            return {"type": "begin_group"}
        case Repeat():
            return {"type": "begin_repeat", "repeat_count": q.repeat_count}
        case SelectOne():
            options = form.choices.get(q.choices, ())
            plain = "select_one" if looks_like_likert(q.appearance, q.choice_filter, options) else None
            return {
                "type": f"select_one {q.choices}",
                "choice_filter": q.choice_filter,
                "tanfang_type": plain,
            }
        case SelectMultiple():
            return {"type": f"select_multiple {q.choices}", "choice_filter": q.choice_filter}
        case Likert():
            appearance = with_likert(q.appearance)
            marked = (
                None if looks_like_likert(appearance, None, form.choices.get(q.choices, ())) else "likert"
            )
            return {"type": f"select_one {q.choices}", "appearance": appearance, "tanfang_type": marked}
        case Rank():
            return {"type": f"rank {q.choices}", "top": q.top}
        case Integer() | Decimal():
            bounds = range_constraint(q.minimum, q.maximum)
            return {
                "minimum": q.minimum,
                "maximum": q.maximum,
                "constraint": join_constraint(bounds, q.constraint),
            }
        case Calculate():
            return {"calculation": q.calculation}
        case Consent():
            return {"type": f"select_one {consent}", "tanfang_type": "consent"}
    return {}


# ----------------------------------------------------------------------------- choices and settings


def _choice_rows(form: Form, consent: str | None) -> list[Row]:
    rows = [_choice_row(name, c) for name, options in form.choices.items() for c in options]
    if consent is not None:
        yes, no = consent_labels(form.languages)
        rows += [
            _choice_row(consent, Choice(name="yes", label=yes)),
            _choice_row(consent, Choice(name="no", label=no)),
        ]
    return rows


def _choice_row(list_name: str, c: Choice) -> Row:
    row: Row = dict(c.filters)
    row.update(
        list_name=list_name, name=c.name, label=c.label, score=c.value, exclusive=c.exclusive, other=c.other
    )
    return row


def _filter_columns(form: Form) -> list[str]:
    columns = list(dict.fromkeys(k for options in form.choices.values() for c in options for k in c.filters))
    for column in columns:
        if (
            column.strip().lower().split("::")[0] in RESERVED_CHOICE_COLUMNS
            or column != column.strip()
            or not column
        ):
            raise ValueError(f"choice filter column {column!r} cannot be written: XLSForm uses that column")
    return columns


def _settings(form: Form) -> Row:
    name = form.languages[form.default_language]
    return {
        "form_title": form.title.get(form.default_language),
        "form_id": form.id,
        "version": form.version,
        "default_language": language_label(form.default_language, name),
    }


def _tanfang_rows(form: Form) -> Iterator[Row]:
    yield {"key": "kind", "value": form.kind}
    if form.population is not None:
        yield {"key": "population", "value": form.population}
    for code, name in form.languages.items():
        yield {"key": "language", "language": code, "value": name}
    for code, text in form.title.items():
        if code != form.default_language:
            yield {"key": "title", "language": code, "value": text}
    for code, text in form.description.items():
        yield {"key": "description", "language": code, "value": text}
    for name, options in form.choices.items():
        if not options:
            yield {"key": "choice_list", "value": name}


# ------------------------------------------------------------------------------ indicators, outlines


def _indicator_rows(form: Form) -> list[Row]:
    return [
        {"name": i.name, "label": i.label, "flag": i.flag, "domain": i.domain, "population": i.population,
         "bradshaw": " ".join(i.bradshaw) or None, "safety": i.safety}
        for i in form.indicators
    ]  # fmt: skip


def _severity_rows(form: Form) -> list[Row]:
    return [
        {"indicator": i.name, "level": s.level, "when": s.when, "label": s.label}
        for i in form.indicators
        for s in i.severity
    ]


def _topic_rows(form: Form) -> list[Row]:
    return [
        {
            "name": t.name,
            "label": t.label,
            "minutes": t.minutes,
            "notes": t.notes,
            "codes": " ".join(t.codes) or None,
        }
        for t in form.topics
    ]


def _prompt_rows(form: Form) -> list[Row]:
    return [
        {"topic": t.name, "kind": kind, "text": text}
        for t in form.topics
        for kind, texts in (("prompt", t.prompts), ("probe", t.probes))
        for text in texts
    ]


def _code_rows(form: Form) -> list[Row]:
    return [
        {"code": c.code, "label": c.label, "definition": c.definition, "parent": c.parent, "domain": c.domain,
         "keywords": "; ".join(c.keywords) or None}
        for c in form.codebook
    ]  # fmt: skip


OUTLINE_SHEETS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], Callable[[Form], list[Row]]], ...] = (
    ("indicators", ("name", "label", "flag", "domain", "bradshaw", "population", "safety"), ("label",),
     _indicator_rows),
    ("severity", ("indicator", "level", "when", "label"), ("label",), _severity_rows),
    ("topics", ("name", "label", "minutes", "notes", "codes"), ("label", "notes"), _topic_rows),
    ("prompts", ("topic", "kind", "text"), ("text",), _prompt_rows),
    ("codebook", ("code", "label", "definition", "parent", "domain", "keywords"), ("label", "definition"),
     _code_rows),
)  # fmt: skip
"""The sheets of indicators and outlines: title, columns, translated columns, rows; written when not empty."""
