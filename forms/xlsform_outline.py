"""The XLSForm sheets beyond the questions: indicators, severity, topics, prompts and the codebook.

`Outline` reads the ``indicators`` sheet with the ``severity`` levels of each indicator, and an
interview outline's ``topics``, ``prompts`` (one row per prompt or probe) and ``codebook``. The
``roster`` sheet is laid out as the survey sheet and read with it, in :mod:`forms.xlsform_read`.
"""

from __future__ import annotations

import re
from typing import get_args

from forms.model import Bradshaw, Code, Indicator, Severity, Topic
from forms.xlsform_sheets import Row, Sheet, WorkbookReader, text

__all__ = ["Outline"]


class Outline:
    """The ``indicators``, ``severity``, ``topics``, ``prompts`` and ``codebook`` sheets."""

    def __init__(self, reader: WorkbookReader) -> None:
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
