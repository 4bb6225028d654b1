"""Reading and writing form definitions: TOML (authoring), JSON (wire) and XLSForm (.xlsx).

:func:`load` picks the format from the file's extension; :func:`loads` reads text; both check the
form with :func:`forms.compiler.compile_form` and raise :class:`~forms.errors.DefinitionError`
listing every problem with its place. :func:`check` returns the problems instead of raising, which
is what ``survey forms check`` prints. :func:`dumps` writes readable TOML (``[[questions]]``
blocks, labels as inline tables) or JSON.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any, Literal

import msgspec

from forms.compiler import Compiled, compile_form
from forms.errors import DefinitionError, Problem
from forms.model import Form

Format = Literal["toml", "json", "xlsx"]

FORM_JSON = msgspec.json.Decoder(Form)
"""A form definition from JSON (as versions are stored).

Made at import on purpose: msgspec builds a type's decoding information (and that of the types
inside it) the first time the type is decoded, and two threads doing that at once can crash the
process — the server's worker threads compile forms at once after a restart, when the tablets
sync. Imports are serialised, so every type read in threads has a decoder made at import
(tests/test_threads.py); the TOML reader then uses the information built here.
"""

_POSITION = re.compile(r"^(?P<msg>.*?)\s*\(at line (?P<line>\d+), column (?P<col>\d+)\)$", re.S)
_PATH = re.compile(r"^(?P<msg>.*) - at `(?P<path>[^`]*)`$", re.S)
_BYTE = re.compile(r"^(?P<msg>.*?)\s*\(byte (?P<byte>\d+)\)$", re.S)


def format_of(path: str | os.PathLike[str]) -> Format:
    """The format a file's extension names; ValueError for others."""
    suffix = Path(path).suffix.lower()
    formats: dict[str, Format] = {".toml": "toml", ".json": "json", ".xlsx": "xlsx"}
    if suffix not in formats:
        raise ValueError(f"{path}: unknown form format {suffix!r} (use .toml, .json or .xlsx)")
    return formats[suffix]


def parse(data: bytes | str, fmt: Format, source: str = "<form>") -> tuple[Form, list[Problem]]:
    """Decode a definition without cross-checking it: the form and any import warnings."""
    if fmt == "xlsx":
        from forms.xlsform import read_xlsform

        raw = data.encode() if isinstance(data, str) else data
        return read_xlsform(raw, source)
    raw = data.encode() if isinstance(data, str) else data
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        offset = err.start
        line = raw[:offset].count(b"\n") + 1
        problem = Problem(f"line {line}, byte {offset}", "the file is not UTF-8 text", source)
        raise DefinitionError([problem]) from None
    try:
        if fmt == "toml":
            return msgspec.toml.decode(raw, type=Form), []
        return FORM_JSON.decode(raw), []
    except (msgspec.ValidationError, msgspec.DecodeError) as err:
        raise DefinitionError([_decode_problem(err, raw, source)]) from None


def _decode_problem(err: Exception, raw: bytes, source: str) -> Problem:
    text = str(err)
    if m := _PATH.match(text):
        return Problem(m["path"], m["msg"], source)
    if m := _POSITION.match(text):
        return Problem(f"line {m['line']}, column {m['col']}", m["msg"], source)
    if m := _BYTE.match(text):
        offset = int(m["byte"])
        before = raw[:offset].decode("utf-8", "replace")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        return Problem(f"line {line}, column {column}", m["msg"], source)
    return Problem("document", text, source)


def loads(data: bytes | str, fmt: Format = "toml", source: str = "<form>") -> Form:
    """Read and check a form definition; DefinitionError lists every problem."""
    return compile_text(data, fmt, source)[0].form


def load(path: str | os.PathLike[str]) -> Form:
    """Read and check the form in ``path`` (.toml, .json or .xlsx)."""
    return loads(Path(path).read_bytes(), format_of(path), str(path))


def compile_text(data: bytes | str, fmt: Format, source: str = "<form>") -> tuple[Compiled, list[Problem]]:
    """Decode and compile a definition: the compiled form and the warnings."""
    form, warnings = parse(data, fmt, source)
    compiled = compile_form(form, source)
    compiled.warnings = tuple(warnings)
    return compiled, warnings


def check(path: str | os.PathLike[str]) -> list[Problem]:
    """Every problem (errors and warnings) with the form in ``path``; empty when all is well."""
    try:
        fmt = format_of(path)
        data = Path(path).read_bytes()
    except (ValueError, OSError) as err:
        return [Problem("file", str(err).removeprefix(f"{path}: "), str(path))]
    try:
        _, warnings = compile_text(data, fmt, str(path))
    except DefinitionError as err:
        return list(err.problems)
    return warnings


# --------------------------------------------------------------------------------------------
# Writing


def dumps(form: Form, fmt: Literal["toml", "json"] = "toml") -> str:
    """The form as readable TOML or as JSON text."""
    if fmt == "json":
        return msgspec.json.format(msgspec.json.encode(form).decode(), indent=2)
    return toml_text(msgspec.to_builtins(form))


def dump(form: Form, path: str | os.PathLike[str]) -> None:
    """Write the form to ``path`` in the format its extension names."""
    fmt = format_of(path)
    if fmt == "xlsx":
        from forms.xlsform import write_xlsform

        Path(path).write_bytes(write_xlsform(form))
    else:
        Path(path).write_text(dumps(form, fmt), encoding="utf-8")


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_text(data: dict[str, Any]) -> str:
    """Readable TOML: scalars and small maps inline, lists of records as ``[[blocks]]``."""
    lines: list[str] = []
    _table(lines, [], data)
    return "\n".join(lines).strip() + "\n"


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _is_inline(value: Any) -> bool:
    if _is_scalar(value):
        return True
    if isinstance(value, dict):
        return all(_is_scalar(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_is_scalar(v) or (isinstance(v, dict) and _is_inline(v)) for v in value)
    return False


def _table(lines: list[str], path: list[str], data: dict[str, Any]) -> None:
    for key, value in data.items():
        if _is_inline(value):
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in data.items():
        if _is_inline(value):
            continue
        if isinstance(value, dict):
            _subtable(lines, [*path, key], value)
        else:
            for item in value:
                lines.extend(["", f"[[{'.'.join(_key(k) for k in [*path, key])}]]"])
                _table(lines, [*path, key], item)


def _subtable(lines: list[str], path: list[str], data: dict[str, Any]) -> None:
    if any(_is_inline(v) for v in data.values()):
        lines.extend(["", f"[{'.'.join(_key(k) for k in path)}]"])
    _table(lines, path, data)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }" if value else "{}"
        )
    if len(value) > 1 and any(isinstance(v, dict) for v in value):
        return "[\n" + "".join(f"    {_value(v)},\n" for v in value) + "]"
    return "[" + ", ".join(_value(v) for v in value) + "]"
