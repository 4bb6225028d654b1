"""Exports: a form's records as JSON, CSV or XLSX, in the Kobo/ODK layout that ``survey analyze`` reads.

The layout is a contract (scripts and spreadsheets depend on it):

- One row per record and one column per question, in form order, named by the question's *name*
  (not its group path: names are unique within a form, and the stored JSON answers use them too).
  ``NAME_other`` follows a question whose choice list has an "other, specify" option.
- select_multiple: ``NAME`` holds the chosen options space-separated, then one ``NAME/OPTION``
  column per option holding 1 or 0 (empty when the question was not answered). rank: ``NAME``
  holds the ranked options space-separated, most important first.
- Meta columns come last: ``_uuid _form_version _site _collector _collected_at _received_at
  _review_state`` (site code, collector's username, times in ISO 8601).
- Each repeat is a table of its own — an XLSX sheet named by the repeat, or the CSV asked for
  with ``repeat=NAME`` — with one row per instance, joined to its record by ``_parent_uuid`` and
  ``_index`` (1-based, in the order entered). A repeat inside a repeat adds ``_parent_index``, the
  position of the enclosing instance (``2``, or ``2.1`` deeper down).
- JSON is one object per record: its answers as stored (repeats as lists of objects,
  select_multiple and rank as lists) in column order, repeats after the questions beside them,
  then the meta keys.
- Versions are merged by question name: the columns of every version that has records, the
  newest version's order first.
- ``labels=LANGUAGE`` writes choice labels instead of names, in the form's default language where
  a label lacks that language. Labels may hold spaces, so select_multiple and rank labels are
  joined by ``"; "``; the ``NAME/OPTION`` headers keep the option names.
- Personal data: questions marked ``pii`` in any version are left out — and so is a repeat
  marked ``pii``, with everything in it — unless an admin exports. An admin export that includes
  such columns is written to the audit log (``export.personal_data``). For everyone else every
  text answer is also de-identified (names after 姓/叫, phone, ID and door numbers masked).

Exceptions: :class:`ExportError` (with an HTTP status) for an unknown form (404), a request that
cannot be answered (400), or a repeat of personal data asked for by a non-admin (403).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import msgspec
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import Row, select
from sqlalchemy.orm import Session as DbSession

from analysis.qualitative import deidentify
from forms.compiler import Compiled, Slot
from forms.model import Form, Group, Likert, Note, Rank, Repeat, SelectMultiple, SelectOne, text_in
from survey.domain import coding, publishing
from survey.domain.accounts import Principal
from survey.store.models import AuditLog, FormVersion, Site, Submission, User

FORMATS = ("json", "csv", "xlsx")
META = ("_uuid", "_form_version", "_site", "_collector", "_collected_at", "_received_at", "_review_state")
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
AUDIT_ACTION = "export.personal_data"
BOM = "\ufeff"  # so Excel opens a UTF-8 CSV with Chinese text correctly
SHEET_TITLE = 31  # Excel's limit on a sheet name


class ExportError(ValueError):
    """An export that cannot be made, with the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Query:
    """What the caller asks for: a format, choice labels in a language or codes, one repeat (CSV)."""

    format: str = "json"
    labels: str | None = None
    repeat: str | None = None


@dataclass(frozen=True, slots=True)
class Export:
    """A finished export: the bytes, their media type, a file name, and how many records it holds."""

    content: bytes
    media_type: str
    filename: str
    records: int


# --------------------------------------------------------------------------------------------
# The layout: tables and columns, merged by name across versions.


@dataclass(slots=True)
class Column:
    """One answer key of a table and how to write it; ``options`` maps option names to what is written."""

    name: str
    kind: str = "value"  # value | one | many | rank
    options: dict[str, str] = field(default_factory=dict)
    joiner: str = " "

    def headers(self) -> list[str]:
        """The header(s): the name, plus ``name/option`` per option of a select_multiple."""
        if self.kind == "many":
            return [self.name, *(f"{self.name}/{option}" for option in self.options)]
        return [self.name]

    def cells(self, value: Any) -> list[Any]:
        """The cell(s) for one stored value (None when unanswered)."""
        if self.kind != "many":
            return [self.flat(value)]
        if value is None:
            return [None] * (1 + len(self.options))
        chosen = set(value) if isinstance(value, list) else set(str(value).split())
        return [self.flat(value), *(int(option in chosen) for option in self.options)]

    def flat(self, value: Any) -> Any:
        """The value as one cell: choices as names or labels, lists joined."""
        value = self.json(value)
        return self.joiner.join(str(v) for v in value) if isinstance(value, list) else value

    def json(self, value: Any) -> Any:
        """The value for JSON: as stored, with choice names swapped for labels when asked."""
        if isinstance(value, list):
            return [self.options.get(v, v) if isinstance(v, str) else v for v in value]
        if self.kind == "one" and isinstance(value, str):
            return self.options.get(value, value)
        return value


@dataclass(slots=True)
class Table:
    """The records (``repeat`` None) or the instances of one repeat, found along ``chain``."""

    repeat: str | None
    chain: tuple[str, ...]
    columns: dict[str, Column] = field(default_factory=dict)
    children: list[str] = field(default_factory=list)

    def header(self) -> list[str]:
        """Every header of the flat table, meta columns last."""
        names = [h for column in self.columns.values() for h in column.headers()]
        if self.repeat is None:
            return [*names, *META]
        return [*names, "_parent_uuid", *(["_parent_index"] if len(self.chain) > 1 else []), "_index"]


KINDS: dict[type, str] = {SelectOne: "one", Likert: "one", SelectMultiple: "many", Rank: "rank"}
Tables = dict[str | None, Table]
Instance = tuple[str, int, dict[str, Any]]
"""A repeat instance: the position of the instance enclosing it ("" at the top), its index, its answers."""


def layout(shown: Sequence[Compiled], hidden: frozenset[str], language: str | None) -> Tables:
    """The tables and columns of ``shown`` versions (newest first), leaving ``hidden`` names out."""
    tables: Tables = {None: Table(None, ())}
    for compiled in shown:
        for slot in compiled.slots.values():
            _place(tables, compiled, slot, hidden, language)
    return tables


def _place(tables: Tables, c: Compiled, slot: Slot, hidden: frozenset[str], language: str | None) -> None:
    """Put a question in its table (merging a choice question's options), or open a repeat's table."""
    q = slot.question
    owner = tables.get(slot.repeats[-1] if slot.repeats else None)
    if owner is None or q.name in hidden or isinstance(q, Group | Note):
        return  # a question inside a hidden repeat, hidden itself, or one that takes no answer
    if isinstance(q, Repeat):
        if q.name not in tables:
            tables[q.name] = Table(q.name, (*slot.repeats, q.name))
            owner.children.append(q.name)
        return
    column = owner.columns.get(q.name)
    if column is None:
        kind = KINDS.get(type(q), "value")
        column = owner.columns[q.name] = Column(q.name, kind, joiner="; " if language else " ")
    options = c.choices.get(getattr(q, "choices", ""), {})
    for name, choice in options.items():
        shown = text_in(choice.label, language, c.form.default_language) or name if language else name
        column.options.setdefault(name, shown)
    if any(choice.other for choice in options.values()):
        owner.columns.setdefault(f"{q.name}_other", Column(f"{q.name}_other"))


def personal_names(versions: Iterable[Compiled]) -> frozenset[str]:
    """The questions and repeats marked ``pii`` in any version."""
    return frozenset(s.name for c in versions for s in c.slots.values() if s.question.pii)


# --------------------------------------------------------------------------------------------
# Rows


def _moment(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def _meta(r: Row[Any]) -> list[Any]:
    received, collected = _moment(r.received_at), _moment(r.collected_at)
    return [r.uuid, r.form_version, r.site, r.collector, collected, received, r.review_state]


def instances(chain: tuple[str, ...], answers: dict[str, Any], at: str = "") -> Iterator[Instance]:
    """Each instance of the repeat ending ``chain``: (the enclosing instance's position, index, answers)."""
    items = answers.get(chain[0])
    for index, item in enumerate(items if isinstance(items, list) else [], 1):
        if not isinstance(item, dict):
            continue
        if len(chain) == 1:
            yield at, index, item
        else:
            yield from instances(chain[1:], item, f"{at}.{index}" if at else str(index))


def rows(table: Table, records: Sequence[Row[Any]]) -> Iterator[list[Any]]:
    """The flat rows of ``table``, in the order of its header."""
    columns = list(table.columns.values())
    nested = len(table.chain) > 1
    for record in records:
        if table.repeat is None:
            yield [*_cells(columns, record.answers), *_meta(record)]
            continue
        for at, index, item in instances(table.chain, record.answers):
            yield [*_cells(columns, item), record.uuid, *([at] if nested else []), index]


def _cells(columns: list[Column], answers: dict[str, Any]) -> list[Any]:
    return [cell for column in columns for cell in column.cells(answers.get(column.name))]


def _nested(tables: Tables, table: Table, answers: dict[str, Any]) -> dict[str, Any]:
    out = {name: column.json(answers[name]) for name, column in table.columns.items() if name in answers}
    for child in table.children:
        if isinstance(answers.get(child), list):
            out[child] = [_nested(tables, tables[child], i) for i in answers[child] if isinstance(i, dict)]
    return out


# --------------------------------------------------------------------------------------------
# Writers


def write_json(tables: Tables, records: Sequence[Row[Any]]) -> bytes:
    """One object per record: answers nested as stored, then the meta keys."""
    return msgspec.json.encode([_json_record(tables, r) for r in records])


def _json_record(tables: Tables, record: Row[Any]) -> dict[str, Any]:
    return {**_nested(tables, tables[None], record.answers), **dict(zip(META, _meta(record), strict=True))}


def write_csv(header: Sequence[Any], body: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, CRLF line ends (RFC 4180); text a spreadsheet would run, quoted.

    Planners open these in Excel or WPS, which take a cell beginning with ``=``, ``+``, ``-`` or
    ``@`` for a formula (``=HYPERLINK(…)`` typed into a free-text answer would run there): such
    text gets a leading apostrophe, as a spreadsheet itself marks text. Numbers are left as they
    are; JSON and XLSX keep the text unchanged (XLSX marks the cell as text instead).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_csv_cell(value) for value in row] for row in body)
    return (BOM + buffer.getvalue()).encode()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> Any:
    return f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def write_xlsx(sheets: Iterable[tuple[str, list[str], Iterable[list[Any]]]]) -> bytes:
    """A workbook written row by row (openpyxl's write-only mode), one sheet per (title, header, rows)."""
    book = Workbook(write_only=True)
    for title, header, body in sheets:
        sheet = book.create_sheet(title)
        sheet.append(header)
        for row in body:
            sheet.append([_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(sheet: Any, value: Any) -> Any:
    """Text stays text: an answer starting with ``=`` is never a formula, control characters are dropped."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not value.startswith("="):
        return value
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"
    return cell


def sheet_titles(form_id: str, tables: Tables) -> list[str]:
    """Sheet names: the form id for the records, then each repeat's name; cut to Excel's 31, kept distinct."""
    titles: list[str] = []
    for table in tables.values():
        title = (table.repeat or form_id)[:SHEET_TITLE]
        n = 1
        while title.lower() in (t.lower() for t in titles):
            n += 1
            title = f"{(table.repeat or form_id)[: SHEET_TITLE - len(str(n)) - 1]}~{n}"
        titles.append(title)
    return titles


# --------------------------------------------------------------------------------------------
# The export


def export(db: DbSession, form_id: str, query: Query, principal: Principal | None) -> Export:
    """Export ``form_id``'s records as ``query`` asks; personal data only for admins, and audited."""
    versions = _versions(db, form_id)
    records = _records(db, form_id)
    admin = principal if principal is not None and "admin" in principal.roles else None
    pii = personal_names(versions)
    tables = layout(_shown(versions, records), frozenset() if admin else pii, _language(versions, query))
    _check(form_id, query, tables, pii)
    if admin is None:  # free text can still hold a name, a phone or ID number someone typed: mask it
        forms_by_version = {c.form.version: c.form for c in versions}
        records = [_masked(r, forms_by_version.get(r.form_version)) for r in records]
    content, filename = _render(form_id, query, tables, records)
    if admin is not None and _personal(query, tables, pii):
        db.add(_audit(admin, form_id, query, len(records)))
    return Export(content, MEDIA_TYPES[query.format], filename, len(records))


def _versions(db: DbSession, form_id: str) -> list[Compiled]:
    """Every version of the form, newest first; ExportError(404) when there is none."""
    statement = select(FormVersion).where(FormVersion.form_id == form_id).order_by(FormVersion.id.desc())
    versions = [publishing.compiled(v) for v in db.scalars(statement)]
    if not versions:
        raise ExportError(404, f"no form named {form_id!r}")
    return versions


def _records(db: DbSession, form_id: str) -> list[Row[Any]]:
    statement = (
        select(
            Submission.uuid,
            Submission.form_version,
            Site.code.label("site"),
            User.username.label("collector"),
        )
        .add_columns(
            Submission.collected_at, Submission.received_at, Submission.review_state, Submission.answers
        )
        .outerjoin(Site, Submission.site_id == Site.id)
        .outerjoin(User, Submission.collector_id == User.id)
        .where(Submission.form_id == form_id)
        .order_by(Submission.id)
    )
    return list(db.execute(statement))


def _masked(record: Row[Any], form: Form | None) -> Any:
    """The record with every text answer de-identified, the names the record itself holds included.

    Those are its answers to questions marked personal (a respondent's name, a session's roster):
    their columns are left out for all but admins, and other answers may still say them.
    """
    names = coding.names_held(form, record.answers) if form is not None else ()
    return SimpleNamespace(**{**record._mapping, "answers": _deidentified(record.answers, names)})


def _deidentified(value: Any, names: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return deidentify(value, names)
    if isinstance(value, list):
        return [_deidentified(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _deidentified(v, names) for k, v in value.items()}
    return value


def _shown(versions: list[Compiled], records: list[Row[Any]]) -> list[Compiled]:
    """The versions that have records, newest first; the newest version alone when none has."""
    used = {r.form_version for r in records}
    return [c for c in versions if c.form.version in used] or versions[:1]


def _language(versions: list[Compiled], query: Query) -> str | None:
    if query.labels is None:
        return None
    known = sorted({language for c in versions for language in c.form.languages})
    if query.labels not in known:
        raise ExportError(400, f"labels must be one of the form's languages: {', '.join(known)}")
    return query.labels


def _check(form_id: str, query: Query, tables: Tables, pii: frozenset[str]) -> None:
    if query.format not in FORMATS:
        raise ExportError(400, f"format must be one of: {', '.join(FORMATS)}")
    if query.repeat is None:
        return
    if query.format != "csv":
        raise ExportError(400, "repeat applies to CSV; JSON nests repeats and XLSX has a sheet per repeat")
    if query.repeat not in tables:
        if query.repeat in pii:
            raise ExportError(403, f"repeat {query.repeat!r} holds personal data, which only admins export")
        repeats = ", ".join(str(name) for name in tables if name is not None) or "none"
        raise ExportError(400, f"form {form_id!r} has no repeat named {query.repeat!r} (repeats: {repeats})")


def _render(form_id: str, query: Query, tables: Tables, records: list[Row[Any]]) -> tuple[bytes, str]:
    if query.format == "json":
        return write_json(tables, records), f"{form_id}.json"
    if query.format == "csv":
        table = tables[query.repeat]
        name = f"{form_id}-{query.repeat}" if query.repeat else form_id
        return write_csv(table.header(), rows(table, records)), f"{name}.csv"
    named = zip(sheet_titles(form_id, tables), tables.values(), strict=True)
    sheets = [(title, table.header(), rows(table, records)) for title, table in named]
    return write_xlsx(sheets), f"{form_id}.xlsx"


def _audit(admin: Principal, form_id: str, query: Query, count: int) -> AuditLog:
    """Who exported personal data of which form, in what format, and how many records."""
    detail: dict[str, Any] = {"format": query.format, "records": count}
    if query.repeat:
        detail["repeat"] = query.repeat
    return AuditLog(user_id=admin.user_id, action=AUDIT_ACTION, target=f"form:{form_id}", detail=detail)


def _personal(query: Query, tables: Tables, pii: frozenset[str]) -> bool:
    """True when the export holds a pii column or repeat (nothing is hidden from an admin)."""
    exported = [tables[query.repeat]] if query.format == "csv" else tables.values()
    return not pii.isdisjoint(name for table in exported for name in (*table.chain, *table.columns))


__all__ = ["FORMATS", "META", "Column", "Export", "ExportError", "Query", "Table", "export", "layout"]
