"""Read a data file into raw sheets of text cells: a Kobo/ODK CSV or XLSX export, or our own export.

A :class:`Sheet` is a header and its columns as lists of strings (``""`` for a blank cell), with the
place each came from, so a later problem can say ``data.xlsx, sheet roster, row 12, column age``.
CSV: UTF-8 with or without a byte-order mark; the delimiter (``,``, ``;`` or tab — Kobo's legacy
exports use ``;``) is read from the header line. XLSX: every sheet, the first being the records;
cells become text the way a CSV export writes them (``3`` not ``3.0``, dates in ISO 8601, booleans
as ``1``/``0``).

Errors (:class:`DataError`) name the file and the place: not UTF-8 (line and byte), not a workbook,
an empty file, a header cell repeated.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from msgspec import Struct

__all__ = ["DataError", "DataProblem", "Sheet", "cell_text", "read_sheets"]


class DataProblem(Struct, frozen=True):
    """One thing wrong with the data, or worth knowing about it, and where: ``SOURCE: WHERE: MESSAGE``."""

    where: str
    message: str
    source: str = "<data>"
    severity: str = "warning"
    count: int = 1

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.source}: {self.where}: {prefix}{self.message}"


class DataError(ValueError):
    """Data that cannot be analysed; ``problems`` lists every error found."""

    def __init__(self, problems: list[DataProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(slots=True)
class Sheet:
    """One table of a data file: its header, its columns of text cells, and where it came from.

    ``place`` is ``sheet NAME`` for a workbook and ``""`` for a CSV; rows are numbered as a
    spreadsheet shows them (the header is row 1).
    """

    name: str
    header: list[str]
    columns: list[list[str]]
    source: str
    place: str = ""

    @property
    def rows(self) -> int:
        """How many data rows the sheet holds."""
        return len(self.columns[0]) if self.columns else 0

    def where(self, row: int | None = None, column: str | None = None) -> str:
        """``sheet roster, row 12, column age`` (each part only when known); row is 0-based data."""
        parts = [self.place] if self.place else []
        if row is not None:
            parts.append(f"row {row + 2}")
        if column is not None:
            parts.append(f"column {column}")
        return ", ".join(parts) or "header"

    def column(self, name: str) -> list[str] | None:
        """The cells under header ``name``, or None."""
        try:
            return self.columns[self.header.index(name)]
        except ValueError:
            return None


def cell_text(value: Any) -> str:
    """A cell as a CSV export writes it: blanks ``""``, whole floats without ``.0``, ISO dates."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def read_sheets(path: str | os.PathLike[str]) -> list[Sheet]:
    """Every table in a .csv or .xlsx data file, records first; DataError when it cannot be read."""
    source = str(path)
    suffix = Path(path).suffix.lower()
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise DataError([DataProblem("file", err.strerror or str(err), source, "error")]) from None
    if suffix == ".csv":
        return [_read_csv(raw, source)]
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(raw, source)
    message = f"unknown data format {suffix!r} (use a .csv or .xlsx export)"
    raise DataError([DataProblem("file", message, source, "error")])


def _fail(source: str, where: str, message: str) -> DataError:
    return DataError([DataProblem(where, message, source, "error")])


def _read_csv(raw: bytes, source: str) -> Sheet:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise _fail(source, f"line {line}, byte {err.start}", "the file is not UTF-8 text") from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise _fail(source, "file", "the file is empty")
    return _sheet(source, "", source, rows)


def _sheet(name: str, place: str, source: str, rows: list[list[str]]) -> Sheet:
    header = [h.strip() for h in rows[0]]
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    body = [r + [""] * (width - len(r)) if len(r) < width else r[:width] for r in rows[1:]]
    columns = [[c.strip() for c in column] for column in zip(*body, strict=True)] if body else []
    if not columns:
        columns = [[] for _ in header]
    sheet = Sheet(name, header, columns, source, place)
    _check_header(sheet)
    return sheet


def _check_header(sheet: Sheet) -> None:
    problems: list[DataProblem] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(sheet.header):
        if name == "" and any(sheet.columns[i]):
            problems.append(
                DataProblem(
                    sheet.where(column=f"#{i + 1}"),
                    "a column without a header holds values",
                    sheet.source,
                    "error",
                )
            )
        elif name and name in seen:
            message = f"header {name!r} appears twice (columns {seen[name] + 1} and {i + 1})"
            problems.append(DataProblem(sheet.where(), message, sheet.source, "error"))
        seen.setdefault(name, i)
    if problems:
        raise DataError(problems)


def _read_xlsx(raw: bytes, source: str) -> list[Sheet]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many kinds for a file that is not a workbook
        raise _fail(source, "file", f"not an .xlsx workbook ({type(err).__name__})") from None
    sheets = []
    try:
        for ws in book.worksheets:
            ws.reset_dimensions()  # some writers record a wrong size; read every row there is
            rows = [[cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
            while rows and not any(rows[-1]):
                rows.pop()
            if rows:
                sheets.append(_sheet(ws.title, f"sheet {ws.title}", source, rows))
    finally:
        book.close()
    if not sheets:
        raise _fail(source, "file", "the workbook has no rows")
    return sheets
