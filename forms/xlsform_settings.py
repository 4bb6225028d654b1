"""The XLSForm ``settings`` and ``tanfang`` sheets: what a workbook says about the form as a whole.

``settings`` gives the title in the default language, the form id, the version and the default
language; ``tanfang`` (``key``, ``language``, ``value``) keeps the rest: kind, population, the
languages in order, other titles, descriptions and empty choice lists. A workbook without a form id
takes one made from its file's name, as pyxform does.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args

from forms.model import NAME, Kind
from forms.xlsform_sheets import Row, Sheet, WorkbookReader, text

__all__ = ["Meta"]


class Meta:
    """What the ``settings`` and ``tanfang`` sheets say about the form as a whole."""

    def __init__(self, reader: WorkbookReader) -> None:
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

    def default(self, languages: dict[str, str], found: str | None, settings: Sheet) -> str:
        """The default language found, else the first (with a warning: the given one names none)."""
        if found is not None:
            return found
        first = next(iter(languages))
        self.reader.warn(
            self.reader.where(settings, 2, "default_language"),
            f"{self.default_language!r} names no language of the form; using {first!r}",
        )
        return first

    def title(self, default: str) -> dict[str, str]:
        """The titles: the tanfang sheet's, with the settings' form_title in the default language."""
        title = dict(self.titles)
        if (form_title := text(self.settings.get("form_title"))) is not None:
            title[default] = form_title
        return title

    def form_id(self, settings: Sheet) -> str | None:
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
