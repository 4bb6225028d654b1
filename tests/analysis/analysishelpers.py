"""Helpers for the analysis tests: forms inline as TOML, data files written to a temporary folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

import forms
from forms.compiler import Compiled

HEADER = """
id = "t"
title = {zh = "测试", en = "Test"}
"""


def make_form(body: str) -> Compiled:
    """A compiled form from TOML ``body`` (the id and title are added)."""
    return forms.compile_text(HEADER + textwrap.dedent(body), "toml", "test.toml")[0]


def write_csv(folder: Path, text: str, name: str = "data.csv", bom: bool = False) -> Path:
    """A CSV file holding ``text`` (dedented, UTF-8, optionally with a byte-order mark)."""
    path = folder / name
    path.write_bytes(("\ufeff" if bom else "").encode() + textwrap.dedent(text).lstrip().encode())
    return path


def write_xlsx(folder: Path, sheets: dict[str, list[list[object]]], name: str = "data.xlsx") -> Path:
    """A workbook with one sheet per entry (header row first)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = folder / name
    book.save(path)
    return path
